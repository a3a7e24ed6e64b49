"""roku-packager diff: items added, removed and changed (which fields), categories and
playlists changed; text for people, json for machines; exit 0 whenever both feeds can be read."""

import ast
import copy
import http.server
import json
import threading

import pytest
from conftest import ROOT
from feeds import full_feed, item
from hypothesis import given
from hypothesis import strategies as st

from packager.diff import diff_feeds


def changed_fields(d) -> dict[str, tuple[str, ...]]:
    return {c.id: c.fields for c in d.changed}


def test_the_same_feed_has_no_changes():
    old, new = full_feed(), full_feed()
    new["lastUpdated"] = "2026-11-25T10:00:00Z"  # always differs, so never reported as a change
    d = diff_feeds(old, new)
    assert d.empty and d.added == d.removed == d.changed == []
    assert d.unchanged == 12  # 5 root items, 2 series, 5 episodes
    assert d.lines() == ["no changes: the same 12 items, categories and playlists"]
    j = d.to_json()
    assert j["changed"] is False and j["feed"]["lastUpdated"] == {"old": "2026-11-24T10:00:00Z", "new": "2026-11-25T10:00:00Z"}


def test_items_added_removed_and_changed_name_their_fields():
    old, new = full_feed(), full_feed()
    new["shortFormVideos"].append(item(6, title="Flood warning"))
    del new["tvSpecials"]
    new["shortFormVideos"][0]["title"] = "A new headline"
    new["shortFormVideos"][0]["content"]["duration"] = 121
    new["shortFormVideos"][0]["tags"] = ["local", "weather"]
    new["movies"][0]["rating"]["rating"] = "TVMA"
    del new["movies"][0]["longDescription"]
    d = diff_feeds(old, new)
    assert [(i.id, i.kind, i.title) for i in d.added] == [("item6", "shortFormVideo", "Flood warning")]
    assert [(i.id, i.kind, i.title) for i in d.removed] == [("item4", "tvSpecial", "Title 4")]
    assert changed_fields(d) == {
        "item1": ("longDescription", "rating.rating"),
        "item2": ("title", "tags", "content.duration"),
    }
    assert d.unchanged == 9


def test_an_item_moved_to_another_array_changes_its_kind():
    old, new = full_feed(), full_feed()
    new["tvSpecials"].append(new["shortFormVideos"].pop(1))
    d = diff_feeds(old, new)
    [change] = d.changed
    assert (change.id, change.kind, change.old_kind, change.fields) == ("item3", "tvSpecial", "shortFormVideo", ("kind",))
    assert "  ~ item3 (shortFormVideo -> tvSpecial) 'Title 3': kind" in d.lines()
    assert d.to_json()["items"]["changed"] == [{"id": "item3", "kind": "tvSpecial", "title": "Title 3", "fields": ["kind"],
                                                 "oldKind": "shortFormVideo"}]


def test_episodes_count_as_items_and_their_series_notes_the_new_layout():
    old, new = full_feed(), full_feed()
    season1 = new["series"][0]["seasons"][0]["episodes"]
    season1.append(dict(item(13), episodeNumber=3))
    moved = season1.pop(1)  # item11 moves to season 2
    new["series"][0]["seasons"][1]["episodes"].append(dict(moved, episodeNumber=2))
    new["series"][1]["episodes"][0]["thumbnail"] = "https://cdn.test/tv/artwork/new.jpg"
    d = diff_feeds(old, new)
    assert [(i.id, i.kind) for i in d.added] == [("item13", "episode")]
    assert changed_fields(d) == {
        "series1": ("seasons",),
        "item11": ("series",),
        "item20": ("thumbnail",),
    }
    assert d.changed[1].kind == "episode"


def test_categories_and_playlists():
    old, new = full_feed(), full_feed()
    old["playlists"].append({"name": "old", "itemIds": ["item2"]})
    new["categories"][1]["query"] = "local OR sports"
    new["categories"].insert(0, new["categories"].pop(2))  # Top Stories first
    new["categories"].append({"name": "Weather", "query": "weather", "order": "most_recent"})
    new["playlists"][0]["itemIds"] = ["item4", "item2", "item5"]
    d = diff_feeds(old, new)
    assert d.categories.added == ["Weather"] and d.categories.removed == [] and d.categories.reordered
    assert [(c.name, c.fields) for c in d.categories.changed] == [("Local sports", ("query",))]
    assert d.playlists.removed == ["old"] and not d.playlists.reordered
    [top] = d.playlists.changed
    assert (top.added_ids, top.removed_ids, top.reordered) == (("item5",), ("series1",), True)
    lines = d.lines()
    assert lines[0] == "items: 0 added, 0 removed, 0 changed, 12 unchanged"
    assert "categories: 1 added, 0 removed, 1 changed (rows in a new order)" in lines
    assert "  ~ Local sports: query" in lines and "  + Weather" in lines
    assert "playlists: 0 added, 1 removed, 1 changed" in lines
    assert "  ~ top: itemIds (+item5, -series1, new order)" in lines
    j = d.to_json()
    assert j["playlists"]["changed"] == [{"name": "top", "fields": ["itemIds"],
                                          "itemIds": {"added": ["item5"], "removed": ["series1"], "reordered": True}}]
    assert j["categories"]["changed"] == [{"name": "Local sports", "fields": ["query"]}]


def test_feed_fields_and_json_types_count():
    old, new = full_feed(), full_feed()
    new["providerName"] = "Other News"
    new["shortFormVideos"][0]["content"]["duration"] = 120.0  # same number, another JSON type
    d = diff_feeds(old, new)
    assert d.feed_fields == ("providerName",) and d.lines()[-1] == "feed: providerName changed"
    assert changed_fields(d) == {"item2": ("content.duration",)}


def test_lines_are_limited_per_section():
    old = full_feed()
    new = copy.deepcopy(old)
    new["shortFormVideos"] += [item(100 + i) for i in range(30)]
    lines = diff_feeds(old, new).lines(limit=5)
    assert lines[0] == "items: 30 added, 0 removed, 0 changed, 12 unchanged"
    assert lines[1:6] == [f"  + item{100 + i} (shortFormVideo) 'Title {100 + i}'" for i in range(5)]
    assert lines[6] == "  … and 25 more"
    assert len(diff_feeds(old, new).lines(limit=None)) == 31


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)
KEYS = st.sampled_from(["id", "title", "content", "seasons", "episodes", "categories", "playlists", "itemIds", "name",
                        "shortFormVideos", "series", "episodeNumber", "seasonNumber"])


@given(st.lists(st.tuples(st.integers(0, 40), KEYS, JSON), max_size=6))
def test_any_json_anywhere_is_compared_never_a_traceback(edits):
    """Feeds are compared as they are: malformed ones too (diff reads, it doesn't judge)."""
    old, new = full_feed(), full_feed()
    for n, (where, key, value) in enumerate(edits):
        target = new if n % 2 else old
        arrays = [target.get(k) for k in ("movies", "series", "shortFormVideos", "categories", "playlists")]
        nodes = [target] + [x for a in arrays if isinstance(a, list) for x in a if isinstance(x, dict)]
        nodes[where % len(nodes)][key] = value
    d = diff_feeds(old, new)
    json.dumps(d.to_json())
    assert all(isinstance(line, str) for line in d.lines())


def test_diff_module_stands_alone():
    """publish --dry-run calls diff_feeds on two dicts: the module needs only the DP vocabulary."""
    tree = ast.parse((ROOT / "packager" / "diff.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in imported if m.startswith("packager")} == {"packager.dp"}


# ---------------------------------------------------------------- CLI

def write(path, feed):
    path.write_text(json.dumps(feed))
    return path


def test_cli_text_and_json(cli, tmp_path):
    old = write(tmp_path / "old.json", full_feed())
    feed = full_feed()
    feed["shortFormVideos"][0]["title"] = "A new headline"
    new = write(tmp_path / "new.json", feed)
    r = cli("diff", old, new)
    assert r.code == 0 and r.out.splitlines() == [
        "items: 0 added, 0 removed, 1 changed, 11 unchanged",
        "  ~ item2 (shortFormVideo) 'A new headline': title",
    ], r
    r = cli("diff", old, new, "--format", "json")
    assert r.code == 0
    assert json.loads(r.out)["items"]["changed"] == [{"id": "item2", "kind": "shortFormVideo", "title": "A new headline",
                                                      "fields": ["title"]}]
    same = cli("diff", old, old)
    assert same.code == 0 and same.out.startswith("no changes")


def test_cli_reads_urls(cli, tmp_path):
    write(tmp_path / "old.json", full_feed())
    feed = full_feed()
    del feed["liveFeeds"]
    write(tmp_path / "new.json", feed)
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        r = cli("diff", f"{base}/old.json", tmp_path / "new.json")
        assert r.code == 0 and "  - item5 (liveFeed) 'Title 5'" in r.out, r
        missing = cli("diff", f"{base}/old.json", f"{base}/gone.json")
        assert missing.code == 2 and "HTTP 404" in missing.err and missing.out == ""
    finally:
        server.shutdown()


@pytest.mark.parametrize("content,expected", [
    (b'{"providerName": ', "not JSON: Expecting value at line 1 column 18"),
    (b"[1, 2]", "not a DP feed: the JSON is not an object"),
])
def test_cli_unreadable_feed_exits_2(cli, tmp_path, content, expected):
    good = write(tmp_path / "good.json", full_feed())
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    for args in ((good, bad), (bad, good)):
        r = cli("diff", *args)
        assert r.code == 2 and f"{bad}: {expected}" in r.err and r.out == "", r
    r = cli("diff", good, tmp_path / "nope.json")
    assert r.code == 2 and "no such file" in r.err


def test_diff_loads_nothing_heavy(tmp_path):
    """diff only reads JSON: no schema engine, no image library."""
    import subprocess
    import sys

    old, new = write(tmp_path / "old.json", full_feed()), write(tmp_path / "new.json", full_feed())
    code = ("import sys\nfrom packager.cli import main\nrc = main(['diff', sys.argv[1], sys.argv[2]])\n"
            "print(rc, sorted(m for m in ('jsonschema', 'fastjsonschema', 'PIL', 'boto3') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code, str(old), str(new)], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip().splitlines()[-1] == "0 []", r
