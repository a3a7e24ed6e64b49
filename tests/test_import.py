"""Issue #13: a lossless dp-feed import. Each defect found on real feeds has its test here;
then the tag rule every source shares, a property test (any JSON value in any field of a
DP-shaped feed gives warnings or skips, never a traceback), and the round trip import ->
build over every fixture of tests/corpus, asserted field by field."""

from __future__ import annotations

import contextlib
import copy
import functools
import http.server
import importlib.util
import json
import math
import re
import threading
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from conftest import CHANNEL_TOML, article_text, photo
from feeds import content, episode, full_feed, item
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager.build import BuildFailed, build
from packager.dp import walk_items
from packager.ids import TAG_MAX, normalize_tag
from packager.text import cut
from packager.validate import validate_bytes

CORPUS = Path(__file__).parent / "corpus"
SOURCE = '[[sources]]\ntype = "dp-feed"\npath = "old.json"\n'


def import_channel(tmp_path: Path, feed, name: str = "ch", toml: str = "") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "channel.toml").write_text(CHANNEL_TOML + SOURCE + toml)
    (root / "old.json").write_text(feed if isinstance(feed, str) else json.dumps(feed))
    return root


def items_of(root: Path) -> dict[str, dict]:
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    return {it["id"]: it for _, _, it in walk_items(feed)}


def feed_of(root: Path) -> dict:
    return json.loads((root / "dist" / "feed.json").read_bytes())


# ---------------------------------------------------------------- defects found on real feeds

@pytest.mark.parametrize("rating", ["PG", ["PG"], 12, None])
def test_a_rating_that_is_not_an_object_is_left_out_and_the_item_kept(tmp_path, cli, rating):
    feed = full_feed()
    feed["movies"][0]["rating"] = rating
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    movie = items_of(root)["item1"]
    assert "rating" not in movie
    assert movie["credits"] == feed["movies"][0]["credits"]  # the rest of the item is all there
    what = "null" if rating is None else "is not a rating object"
    assert re.search(rf"old\.json movies\[0\] \(item1\): [\w, ]*rating[\w, ]*: .*{what}", r.err), r.err


def test_release_date_is_the_items_own_not_date_added(tmp_path, cli):
    feed = full_feed()
    feed["shortFormVideos"][0]["releaseDate"] = "2015-06-01"
    feed["shortFormVideos"][0]["content"]["dateAdded"] = "2018-02-03T04:05:06Z"
    root = import_channel(tmp_path, feed)
    assert cli("build", root).code == 0
    out = items_of(root)["item2"]
    assert out["releaseDate"] == "2015-06-01"
    assert out["content"]["dateAdded"] == "2018-02-03T04:05:06+00:00"


def test_imported_ids_are_never_rewritten(tmp_path, cli):
    feed = full_feed()
    feed["series"][0]["id"] = "conferences/rc3/2021"
    feed["shortFormVideos"][0]["id"] = "talk:9904"
    feed["playlists"][0]["itemIds"] = ["talk:9904", "conferences/rc3/2021", "item4"]
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    items = items_of(root)
    assert {"conferences/rc3/2021", "talk:9904"} <= set(items)
    assert not [i for i in items if re.search(r"-[0-9a-f]{8}$", i)]  # no hash-suffixed rewrites
    assert feed_of(root)["playlists"][0]["itemIds"] == ["talk:9904", "conferences/rc3/2021", "item4"]
    # The default profile reports such an id; the feed keeps it.
    report = validate_bytes((root / "dist" / "feed.json").read_bytes())
    assert {("DP216", "talk:9904"), ("DP216", "conferences/rc3/2021")} <= {(f.code, f.item_id) for f in report.findings}


def test_a_profile_that_rejects_an_imported_id_reports_it_without_rewriting_it(tmp_path, cli):
    feed = full_feed()
    feed["shortFormVideos"][0]["id"] = "talk:9904"
    root = import_channel(tmp_path, feed)
    r = cli("build", root, "--profile", "strict")
    assert "talk:9904" in r.err and "DP401" in r.err, r
    assert "talk-9904" not in r.err and "talk-9904" not in json.dumps(feed_of(root))


def test_content_language_is_the_items_own(tmp_path, cli):
    feed = full_feed()
    feed["liveFeeds"][0]["content"]["language"] = "ht"
    feed["shortFormVideos"][0]["content"]["language"] = "fr-CA"
    del feed["shortFormVideos"][1]["content"]["language"]
    feed["tvSpecials"][0]["content"]["language"] = 7
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    items = items_of(root)
    # Without its own, an item has the source feed's language (en-US), not the channel's (en).
    assert [items[i]["content"]["language"] for i in ("item5", "item2", "item3", "item4")] == ["ht", "fr-CA", "en-US", "en-US"]
    assert "old.json tvSpecials[0] (item4): content.language: 7 must be a language code" in r.err


def test_series_and_season_metadata_are_the_series_own(tmp_path, cli):
    feed = full_feed()
    s1 = feed["series"][0]
    s1.update(thumbnail="https://cdn.test/tv/artwork/series-own.jpg", releaseDate="2001-09-10", tags=["Bulletin", "Evening"],
              genres=["news", "documentary"], longDescription="The daily bulletin, every evening since 2001.",
              credits=[{"name": "Ana Ruiz", "role": "host"}], externalIds=[{"id": "tt0000009", "idType": "IMDB"}])
    s1["seasons"][0].update(title="The first year", thumbnail="https://cdn.test/tv/artwork/season1.jpg")
    feed["categories"].append({"name": "Evening", "query": "evening", "order": "most_recent"})
    root = import_channel(tmp_path, feed)
    assert cli("build", root).code == 0
    out = {s["id"]: s for s in feed_of(root)["series"]}["series1"]
    assert out["thumbnail"] == "https://cdn.test/tv/artwork/series-own.jpg"  # not the newest episode's
    assert out["releaseDate"] == "2001-09-10"  # not the oldest episode's
    assert out["tags"] == ["bulletin", "evening"]
    assert out["genres"] == ["news", "documentary"]
    assert (out["shortDescription"], out["longDescription"]) == ("The daily bulletin.", "The daily bulletin, every evening since 2001.")
    assert out["credits"] == [{"name": "Ana Ruiz", "role": "host"}]
    assert out["externalIds"] == [{"id": "tt0000009", "idType": "IMDB"}]
    assert [(s["seasonNumber"], s.get("title"), s.get("thumbnail")) for s in out["seasons"]] == [
        (1, "The first year", "https://cdn.test/tv/artwork/season1.jpg"), (2, None, None)]
    # The series' own tags keep the row that queries them.
    assert "Evening" in [c["name"] for c in feed_of(root)["categories"]]


def test_every_video_is_kept_and_a_bad_one_left_out_with_a_warning(tmp_path, cli):
    feed = full_feed()
    videos = [{"url": "https://cdn.test/v/1.m3u8", "quality": "FHD", "videoType": "HLS"},
              {"url": "https://cdn.test/v/1-sd.mp4", "quality": "SD", "videoType": "MP4", "bitrate": 1200},
              {"url": "ftp://cdn.test/v/1.mpd", "quality": "HD", "videoType": "DASH"},
              {"url": "https://cdn.test/v/1.mpd", "quality": "UHD", "videoType": "DASH"}]
    feed["movies"][0]["content"]["videos"] = videos
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    assert items_of(root)["item1"]["content"]["videos"] == [videos[0], videos[1], videos[3]]
    assert "old.json movies[0] (item1): content.videos[2].url: 'ftp://cdn.test/v/1.mpd' is not an http(s) URL; that video was left out" in r.err


def test_tags_lowercase_and_category_queries_match_them(tmp_path, cli):
    feed = full_feed()
    feed["shortFormVideos"][0]["tags"] = ["WhatNew", "Specials"]
    feed["categories"] = [{"name": "What's new", "query": "WhatNew", "order": "most_recent"},
                          {"name": "Both", "query": "WhatNew AND Specials", "order": "most_recent"}]
    root = import_channel(tmp_path, feed)
    assert cli("build", root).code == 0
    out = feed_of(root)
    assert items_of(root)["item2"]["tags"] == ["whatnew", "specials"]
    assert out["categories"] == [{"name": "What's new", "query": "whatnew", "order": "most_recent"},
                                 {"name": "Both", "query": "whatnew AND specials", "order": "most_recent"}]
    assert "DP" not in " ".join(f.code for f in validate_bytes((root / "dist" / "feed.json").read_bytes()).findings
                                if "query" in f.path)


def test_numbers_written_as_text_are_read_as_numbers(tmp_path, cli):
    feed = full_feed()
    for season in feed["series"][0]["seasons"]:
        season["seasonNumber"] = str(season["seasonNumber"])
        for ep in season["episodes"]:
            ep["episodeNumber"] = str(ep["episodeNumber"])
    feed["movies"][0]["content"]["duration"] = "5400"
    feed["movies"][0]["content"]["videos"] = [{"url": "https://cdn.test/v/1.mp4", "quality": "HD", "videoType": "MP4", "bitrate": "2500"}]
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0 and "skipped" not in r.err, r
    series = {s["id"]: s for s in feed_of(root)["series"]}["series1"]
    assert [(s["seasonNumber"], [e["episodeNumber"] for e in s["episodes"]]) for s in series["seasons"]] == [(1, [1, 2]), (2, [1])]
    movie = items_of(root)["item1"]
    assert movie["content"]["duration"] == 5400 and movie["content"]["videos"][0]["bitrate"] == 2500
    assert "old.json series[0] (series1) seasons[0]: seasonNumber: '1' is a number written as text; read as 1" in r.err
    assert "old.json movies[0] (item1): content.videos[0].bitrate: '2500' is a number written as text; read as 2500" in r.err


def test_an_item_roku_could_play_is_repaired_not_skipped(tmp_path, cli):
    """Issue #21: id, title and a video URL keep an item; what else is missing is repaired
    with a line saying what was assumed. Without a video URL it is skipped, with one line."""
    feed = full_feed()
    del feed["shortFormVideos"][1]["shortDescription"]
    feed["shortFormVideos"][1].pop("longDescription", None)
    feed["tvSpecials"][0]["content"]["videos"] = []
    del feed["series"][1]["genres"]
    del feed["movies"][0]["thumbnail"]
    del feed["movies"][0]["releaseDate"]
    del feed["liveFeeds"][0]["content"]["duration"]
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    items = items_of(root)
    assert "item4" not in items
    assert {"item1", "item2", "item3", "item5", "series1", "series2", "item10", "item20", "item21"} <= set(items)
    lines = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert lines == ["skipped: old.json tvSpecials[0] (item4): content.videos[].url: is missing: Roku's template needs "
                     "an id, a title and a video URL; the item is skipped"], r.err
    assert items["item3"]["shortDescription"] == items["item3"]["title"]
    assert items["item1"]["thumbnail"].startswith("https://cdn.test/tv/artwork/")  # a title card
    assert items["item1"]["releaseDate"] == items["item1"]["content"]["dateAdded"][:10]
    assert items["item5"]["content"]["duration"] == 86400
    assert {s["id"]: s for s in feed_of(root)["series"]}["series2"]["genres"] == ["news"]
    for line in ("old.json shortFormVideos[1] (item3): shortDescription: missing; the title is used",
                 "old.json movies[0] (item1): thumbnail: missing; a title card is drawn",
                 "old.json movies[0] (item1): releaseDate: missing; dateAdded's date used",
                 "old.json liveFeeds[0] (item5): content.duration: missing; 86400 s written",
                 "old.json series[1] (series2): genres: missing; the channel's (news) used"):
        assert line in r.err, (line, r.err)


def test_mp4_without_bitrate_is_kept_and_estimated_from_a_head_request(tmp_path, cli):
    """Roku's template never reads bitrate: an MP4 without one plays. With remote fetches
    the import estimates it from Content-Length x 8 / duration (one HEAD per file, cached);
    without, it is left out with a warning, and `validate --profile spec` flags it."""
    feed = full_feed()
    hits = []
    with _video_server({"/v/a.mp4": 5400 * 2500 * 1000 // 8}, hits) as base:
        feed["movies"][0]["content"]["videos"] = [{"url": f"{base}/v/a.mp4", "quality": "HD", "videoType": "MP4"}]
        feed["shortFormVideos"][0]["content"]["videos"] = [{"url": "https://cdn.test/v/b.mp4", "quality": "HD",
                                                            "videoType": "MP4", "bitrate": 0}]
        root = import_channel(tmp_path, feed, toml="allow_remote = true\n")
        r = cli("build", root)
        assert r.code == 0, r
        assert cli("build", root).code == 0  # the size is remembered: no second HEAD
    items = items_of(root)
    assert items["item1"]["content"]["videos"][0]["bitrate"] == 2500
    assert [h for h in hits if h.startswith("HEAD")] == ["HEAD /v/a.mp4"]
    assert "bitrate" not in items["item2"]["content"]["videos"][0]
    assert "old.json movies[0] (item1): content.videos[0].bitrate: missing; estimated as 2500 kbps" in r.err
    assert "old.json shortFormVideos[0] (item2): content.videos[0].bitrate: 0 is not a number of kbps; left out" in r.err
    body = (root / "dist" / "feed.json").read_bytes()
    assert validate_bytes(body).valid
    spec = validate_bytes(body, profile="spec")
    assert [(f.code, f.item_id) for f in spec.errors] == [("DP210", "item2")]


@contextlib.contextmanager
def _video_server(sizes: dict[str, int], hits: list[str]):
    """A local HTTP server that answers HEAD with each file's Content-Length."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):  # noqa: N802
            hits.append(f"HEAD {self.path}")
            if self.path not in sizes:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(sizes[self.path]))
            self.end_headers()

        def log_message(self, *args):
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_seasons_and_episodes_are_numbered_by_position_when_theirs_are_missing_or_repeated(tmp_path, cli):
    feed = full_feed()
    seasons = feed["series"][0]["seasons"]
    for season in seasons:
        del season["seasonNumber"]
    feed["series"][1]["episodes"] = [episode(20, 1), episode(21, 1), episode(22, 1)]
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0 and "skipped" not in r.err, r
    series = {s["id"]: s for s in feed_of(root)["series"]}
    assert [s["seasonNumber"] for s in series["series1"]["seasons"]] == [1, 2]
    assert [(e["id"], e["episodeNumber"]) for e in series["series2"]["episodes"]] == [("item20", 1), ("item21", 2), ("item22", 3)]
    assert "old.json series[0] (series1) seasons[0]: seasonNumber: missing; numbered 1 by its position" in r.err
    assert "old.json: 2 items (item21, item22): episodeNumber: 1 is repeated; numbered 2 in the feed's order" in r.err


def test_ratings_that_can_be_rebuilt_are(tmp_path, cli):
    feed = full_feed()
    feed["movies"][0]["rating"] = "PG"
    feed["movies"][0]["ratingSource"] = "MPAA"
    feed["tvSpecials"][0]["rating"] = [{"rating": "TV-PG", "ratingSource": "USA_PR"}]
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    items = items_of(root)
    assert items["item1"]["rating"] == {"rating": "PG", "ratingSource": "MPAA"}
    assert items["item4"]["rating"] == {"rating": "TVPG", "ratingSource": "USA_PR"}


def test_the_source_order_is_kept_unless_channel_toml_asks_for_newest_first(tmp_path, cli):
    feed = full_feed()
    sfv = feed["shortFormVideos"]
    sfv[0]["content"]["dateAdded"], sfv[1]["content"]["dateAdded"] = "2020-01-01T00:00:00Z", "2026-01-01T00:00:00Z"
    root = import_channel(tmp_path, feed)
    assert cli("build", root).code == 0
    assert [i["id"] for i in feed_of(root)["shortFormVideos"]] == [i["id"] for i in sfv]
    newest = import_channel(tmp_path, feed, "newest")
    (newest / "channel.toml").write_text((newest / "channel.toml").read_text().replace(
        'path = "old.json"\n', 'path = "old.json"\norder = "newest"\n'))
    assert cli("build", newest).code == 0
    assert [i["id"] for i in feed_of(newest)["shortFormVideos"]] == [sfv[1]["id"], sfv[0]["id"]]


def test_repairs_on_many_items_are_one_line_per_rule(tmp_path, cli):
    feed = {"providerName": "x", "language": "en", "lastUpdated": "2026-01-01T00:00:00Z",
            "shortFormVideos": [item(n, content=content(n, videos=[{"url": f"https://cdn.test/{n}.mp4", "quality": "HD",
                                                                     "videoType": "MP4"}]))
                                for n in range(1, 41)]}
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    lines = [line for line in r.err.splitlines() if "bitrate" in line]
    assert len(lines) == 2, r.err  # the import's rule, and the validator's DP210 warning
    assert lines[0].startswith("note: old.json: 40 items (item1, item2, item3 and 37 more): content.videos[0].bitrate: missing;")
    assert "DP210" in lines[1] and "the same 39 more time(s)" in lines[1]


def test_a_tag_roku_cant_take_is_left_out_and_the_item_kept(tmp_path, cli):
    feed = full_feed()
    feed["shortFormVideos"][0]["tags"] = ["Mosul offensive 2016 battle", "", None, "Iraq", "iraq"]
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    assert items_of(root)["item2"]["tags"] == ["iraq"]
    assert "old.json shortFormVideos[0] (item2): tags: 'mosul offensive 2016 battle' is 27 characters" in r.err
    assert "old.json shortFormVideos[0] (item2): tags: an empty tag was left out" in r.err
    assert "old.json shortFormVideos[0] (item2): tags: None is not a word" in r.err


def test_the_tag_rule_is_the_same_for_markdown_articles(make_channel, cli):
    root = make_channel({"a.md": article_text(extra='tags: [Iraq, "", "Mosul offensive 2016 battle", [x]]\n')},
                        toml_extra='[[categories]]\nname = "Iraq"\nquery = "IRAQ"\norder = "most_recent"\n')
    r = cli("build", root)
    assert r.code == 0 and "skipped" not in r.err, r
    feed = feed_of(root)
    assert feed["shortFormVideos"][0]["tags"] == ["iraq"]
    assert feed["categories"] == [{"name": "Iraq", "query": "iraq", "order": "most_recent"}]
    assert "articles/a.md: tags: an empty tag was left out" in r.err
    assert "articles/a.md: tags: ['x'] is not a word" in r.err


def test_rows_of_an_imported_feed_that_roku_would_refuse_are_left_out_with_a_warning(tmp_path, cli):
    feed = full_feed()
    feed["categories"] += [{"name": "Manual", "query": "local", "order": "manual"},
                           {"name": "Mixed", "query": "a AND b OR c", "order": "most_recent"},
                           {"name": "Nowhere", "playlistName": "missing", "order": "manual"}]
    feed["playlists"].append({"name": "A playlist name over twenty", "itemIds": ["item2"]})
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    cats = {c["name"]: c for c in feed_of(root)["categories"]}
    assert cats["Manual"]["order"] == "most_recent" and "Mixed" not in cats and "Nowhere" not in cats
    assert "old.json playlists[1]: name: 'A playlist name over twenty' must be text of 1 to 20 characters" in r.err


# ---------------------------------------------------------------- any value in any field

def _paths(node, prefix=()):
    """Every place in a JSON document a value can be put: each key and list index."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


BASE = full_feed()
PATHS = sorted(set(_paths(BASE)), key=repr)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30) | st.sampled_from(["1", "2026-01-01", "https://cdn.test/x.mp4", "", "HLS", "PG", "news", "x" * 60, "\ud800"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


def _put(doc, path, value):
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), JSON), min_size=1, max_size=3))
def test_any_json_value_in_any_field_gives_warnings_or_skips_never_a_traceback(tmp_path_factory, changes):
    feed = copy.deepcopy(BASE)
    for path, value in changes:
        try:
            _put(feed, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced a parent of this path
    root = import_channel(tmp_path_factory.mktemp("prop"), feed)
    try:
        result = build(root)
    except BuildFailed as e:  # a feed with nothing left to write: reported, not a crash
        result = e.result
    kept = {it["id"] for _, _, it in walk_items(result.feed or {})}
    named = " ".join(str(e) for e in result.skipped) + " " + " ".join(result.notes.warnings)
    # Every item of the source is in the feed, or a line names it (or the series it was in).
    for kind, parts, it in walk_items(feed):
        iid = it.get("id")
        if not isinstance(iid, str) or iid in kept:
            continue
        series_id = feed["series"][parts[1]].get("id") if parts[0] == "series" and isinstance(feed.get("series"), list) else None
        by_series = parts[0] == "series" and (f"({series_id})" in named or f"old.json series[{parts[1]}]" in named)
        assert f"({iid})" in named or iid in named or by_series, (kind, iid, named)


# ---------------------------------------------------------------- the round trip over the corpus

EXPECTATIONS = json.loads((CORPUS / "expectations.json").read_text(encoding="utf-8")) if CORPUS.is_dir() else {}
FIXTURES = sorted(k for k in EXPECTATIONS if k.endswith(".json"))


def _number(value):
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        return float(value) if "." in value else int(value)
    return value


def _release_date(src, date_added: str) -> str:
    if isinstance(src, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", src):
        return src
    if isinstance(src, str):
        try:
            return datetime.fromisoformat(src.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            pass
    return date_added[:10]


TYPES = ("HLS", "SMOOTH", "DASH", "MP4", "MOV", "M4V")
EXTENSIONS = {".m3u8": "HLS", ".mpd": "DASH", ".ism": "SMOOTH", ".mp4": "MP4", ".mov": "MOV", ".m4v": "M4V"}


def _playable(v) -> dict | None:
    """A source video as the import keeps it (issue #21: type from the extension when the
    feed has none, HD when the quality is missing, an MP4 without bitrate kept without it),
    or None when Roku's template couldn't play it."""
    if not isinstance(v, dict) or not isinstance(v.get("url"), str) or not re.match(r"^https?://\S+$", v["url"].strip()):
        return None
    vtype, quality = v.get("videoType"), v.get("quality")
    if not isinstance(vtype, str) or vtype.upper() not in TYPES:
        vtype = EXTENSIONS.get(Path(v["url"].split("?")[0]).suffix.lower())
        if vtype is None:
            return None
    if not isinstance(quality, str) or quality.upper() not in ("SD", "HD", "FHD", "UHD"):
        quality = "HD"
    bitrate = _number(v.get("bitrate"))
    out = {"url": v["url"].strip(), "quality": quality.upper(), "videoType": vtype.upper()}
    if isinstance(bitrate, int) and not isinstance(bitrate, bool) and bitrate > 0:
        out["bitrate"] = bitrate
    return out


def _content(src: dict) -> dict:
    """The item's content as the import reads it: made from the item's url when it has
    none, with item-level duration moved in."""
    content = src.get("content") if isinstance(src.get("content"), dict) else {"videos": [src]}
    if content.get("duration") is None and src.get("duration") is not None:
        content = {**content, "duration": src["duration"]}
    if isinstance(content.get("videos"), dict):  # one video written without its list
        content = {**content, "videos": [content["videos"]]}
    return content


def _duration(src: dict, kind: str) -> int:
    d = _number(_content(src).get("duration"))
    if isinstance(d, (int, float)) and not isinstance(d, bool) and d > 0:
        return math.ceil(d)
    return 86400 if kind == "liveFeed" else 1


def _numbers(entries: list, key: str) -> list:
    """seasonNumber/episodeNumber as the import writes them: the feed's when all are
    distinct numbers, else 1, 2, ... by position."""
    raw = [_number(e.get(key)) for e in entries]
    ok = [n for n in raw if isinstance(n, int) and not isinstance(n, bool) and n >= 0]
    return raw if len(ok) == len(raw) == len(set(ok)) else list(range(1, len(entries) + 1))


def _tags(raw) -> list[str]:
    raw = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    out = []
    for t in raw:
        tag = normalize_tag(str(t)) if isinstance(t, (str, int)) and not isinstance(t, bool) else ""
        if tag and len(tag) <= TAG_MAX and tag not in out:
            out.append(tag)
    return out


def _texts(src: dict) -> tuple[str, str | None]:
    long = src.get("longDescription").strip() if isinstance(src.get("longDescription"), str) else ""
    short = src["shortDescription"].strip() if isinstance(src.get("shortDescription"), str) and src["shortDescription"].strip() \
        else long or src["title"].strip()
    short = cut(short, 200)
    long = cut(long, 500)
    return short, (long if long and long != short else None)


def _rows(feed: dict, ids: set[str]) -> dict[str, list[str]]:
    """Each category row's items among `ids`: a query's tags matched case-insensitively
    (AND: all of them, OR: any), a playlist's itemIds in order."""
    roots = {it["id"]: it for key in ("movies", "series", "shortFormVideos", "tvSpecials", "liveFeeds")
             for it in feed.get(key) or [] if isinstance(it, dict) and it.get("id") in ids}
    playlists = {p["name"]: p.get("itemIds") or [] for p in feed.get("playlists") or [] if isinstance(p, dict)}
    rows = {}
    for c in feed.get("categories") or []:
        if isinstance(c.get("query"), str):
            words = re.split(r"\s+(AND|OR)\s+", c["query"].strip())
            tags, ops = [w.lower() for w in words[::2]], set(words[1::2])
            match = all if ops == {"AND"} else any
            rows[c["name"]] = sorted(i for i, it in roots.items() if match(t in _tags(it.get("tags")) for t in tags))
        elif c.get("playlistName") in playlists:
            rows[c["name"]] = [str(i) for i in playlists[c["playlistName"]] if str(i) in ids]
    return rows


def _camel(node):
    """snake_case keys as the DP names the import reads them as (short_description)."""
    if isinstance(node, list):
        return [_camel(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k)
        out[camel if camel not in node else k] = _camel(v)
    return out


def assert_round_trip(source: dict, out: dict) -> int:
    """Every item the import kept is the source's, field by field; the rows hold the same
    items. Returns how many items (episodes included) were compared."""
    src_items: dict[str, tuple] = {}
    for kind, parts, it in walk_items(source):
        if isinstance(it.get("id"), (str, int)):
            src_items.setdefault(str(it["id"]), (kind, parts, it))  # a repeated id: the first is kept
    compared = 0
    for kind, parts, it in walk_items(out):
        skind, sparts, src = src_items[it["id"]]
        assert kind == skind, it["id"]
        where = it["id"]
        assert it["title"] == src["title"].strip(), where
        assert (it["shortDescription"], it.get("longDescription")) == _texts(src), where
        if kind != "series":
            added = _content(src).get("dateAdded")  # its own calendar date, as the publisher dated it
            added = added if isinstance(added, str) and re.match(r"\d{4}-\d{2}-\d{2}", added) else it["content"]["dateAdded"]
            assert it["releaseDate"] == _release_date(src.get("releaseDate"), added), where
            assert it["content"]["videos"] == [v for v in map(_playable, _content(src)["videos"]) if v], where
            assert it["content"]["duration"] == _duration(src, kind), where
        elif src.get("releaseDate") is not None:
            assert it["releaseDate"] == _release_date(src["releaseDate"], ""), where
        assert it.get("tags", []) == _tags(src.get("tags")), where
        if kind == "episode":
            siblings = source["series"][sparts[1]]["seasons"][sparts[3]]["episodes"] if "seasons" in sparts \
                else source["series"][sparts[1]]["episodes"]
            assert it["episodeNumber"] == _numbers(siblings, "episodeNumber")[sparts[-1]], where
            # The same series, and the same season number.
            assert parts[:2][0] == "series" and out["series"][parts[1]]["id"] == str(source["series"][sparts[1]]["id"]), where
            if "seasons" in sparts:
                assert out["series"][parts[1]]["seasons"][parts[3]]["seasonNumber"] == \
                    _numbers(source["series"][sparts[1]]["seasons"], "seasonNumber")[sparts[3]], where
        compared += 1
    kept = {it["id"] for _, _, it in walk_items(out)}
    # The feed's own order (issue #21): each array, and each series' episodes, as the source had them.
    for key in ("movies", "series", "shortFormVideos", "tvSpecials", "liveFeeds"):
        src_order = list(dict.fromkeys(str(it.get("id")) for it in source.get(key) or [] if isinstance(it, dict)))
        assert [it["id"] for it in out.get(key, [])] == [i for i in src_order if i in kept], key
    for series in out.get("series", []):
        src = src_items[series["id"]][2]
        src_eps = [str(e.get("id")) for season in (src.get("seasons") or [src]) if isinstance(season, dict)
                   for e in season.get("episodes") or [] if isinstance(e, dict)]
        out_eps = [e["id"] for season in (series.get("seasons") or [series]) for e in season["episodes"]]
        assert out_eps == [i for i in src_eps if i in kept], series["id"]
    out_rows, src_rows = _rows(out, kept), _rows(source, kept)
    for name, members in out_rows.items():
        assert members == src_rows[name], name
    return compared


@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_of_every_corpus_fixture(tmp_path, name):
    root = import_channel(tmp_path, (CORPUS / name).read_text(encoding="utf-8"))
    try:
        result = build(root)
    except BuildFailed as e:  # nothing could be kept (a root array, not JSON, no usable item)
        result = e.result
    expected = EXPECTATIONS[name]
    kept = {it["id"] for _, _, it in walk_items(result.feed or {})}
    assert set(expected["items"]) <= kept, set(expected["items"]) - kept
    assert not set(expected["skipped"]) & kept
    if result.feed and kept:
        source = _camel(json.loads((CORPUS / name).read_text(encoding="utf-8")))
        assert assert_round_trip(source, result.feed) == len(kept)
        # A row of the source that isn't in the feed is named by a line (or had nothing kept).
        shown = {c["name"] for c in result.feed.get("categories", [])}
        lines = " ".join(result.notes.warnings)
        for c in source.get("categories") or []:
            if isinstance(c, dict) and c.get("name") not in shown:
                assert c["name"] in lines or repr(c.get("playlistName")) in lines, (c, lines)
    # Everything not kept is named by one line (its own, or its series' or feed's).
    named = " ".join(str(e) for e in result.skipped)
    try:
        doc = json.loads((CORPUS / name).read_text(encoding="utf-8"))
        series_of = {str(ep["id"]): str(doc["series"][parts[1]]["id"]) for kind, parts, ep in walk_items(doc) if kind == "episode"}
    except (ValueError, AttributeError):  # not JSON, or not an object at the root
        series_of = {}
    for iid in expected["skipped"]:
        assert (f"({iid})" in named or f"({series_of.get(iid)})" in named or re.search(r"old\.json: (has none|is not)", named)), (iid, named)


def _large_feed() -> dict:
    spec = importlib.util.spec_from_file_location("make_large", CORPUS / "make_large.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.large_feed()


@pytest.mark.skipif(not (CORPUS / "make_large.py").exists(), reason="the corpus has no large feed generator")
def test_round_trip_of_a_large_feed_says_which_items_fitting_left_out(tmp_path):
    source = _large_feed()
    root = import_channel(tmp_path, source)
    result = build(root)
    kept = {it["id"] for _, _, it in walk_items(result.feed)}
    ids = [it["id"] for it in source["shortFormVideos"]]
    # Nothing skipped by the import; fitting under 500 KiB leaves the oldest out, by id.
    assert not result.skipped
    assert result.notes.left_out == len(ids) - len(kept) > 0
    assert sorted(result.notes.left_out_ids) == sorted(set(ids) - kept)
    assert len(result.body) <= 500 * 1024
    assert assert_round_trip(source, result.feed) == len(kept)


def test_round_trip_of_the_projects_own_full_feed(tmp_path):
    source = full_feed()
    root = import_channel(tmp_path, source)
    result = build(root)
    assert not result.skipped and result.report.valid
    assert assert_round_trip(source, result.feed) == sum(1 for _ in walk_items(source))
    assert result.feed["categories"] == source["categories"] and result.feed["playlists"] == source["playlists"]


def test_round_trip_keeps_every_optional_field_of_the_spec(tmp_path):
    source = full_feed()
    root = import_channel(tmp_path, source)
    build(root)
    for iid, it in items_of(root).items():
        src = next(s for _, _, s in walk_items(source) if s["id"] == iid)
        for key in ("rating", "credits", "externalIds", "genres"):
            if key in src and "episodeNumber" not in src:
                assert it[key] == src[key], (iid, key)
        if "content" in src:
            for key in ("captions", "trickPlayFiles", "adBreaks", "language", "validityPeriodStart"):
                want = src["content"].get(key, "en" if key == "language" else None)
                if key == "validityPeriodStart" and want:
                    want = datetime.fromisoformat(want.replace("Z", "+00:00")).isoformat()
                assert it["content"].get(key) == want, (iid, key)


def test_a_thumbnail_given_as_a_path_in_the_channel_folder_is_rendered(tmp_path, cli):
    """Not a URL: a photo inside the channel folder, rendered like an article's."""
    feed = {"providerName": "x", "language": "en", "lastUpdated": "2026-01-01T00:00:00Z",
            "shortFormVideos": [item(7, thumbnail="photos/a.jpg", content=content(7))]}
    root = import_channel(tmp_path, feed)
    photo(root / "photos" / "a.jpg")
    r = cli("build", root)
    assert r.code == 0, r
    assert items_of(root)["item7"]["thumbnail"].startswith("https://cdn.test/tv/artwork/")


def test_episode_without_seasons_keeps_its_flat_list(tmp_path, cli):
    feed = full_feed()
    feed["series"][1]["episodes"] = [episode(20, 2), episode(21, 1)]
    root = import_channel(tmp_path, feed)
    assert cli("build", root).code == 0
    series = {s["id"]: s for s in feed_of(root)["series"]}["series2"]
    # In the feed's order (not by number): a channel's first poster stays its first.
    assert "seasons" not in series and [e["id"] for e in series["episodes"]] == ["item20", "item21"]


@pytest.mark.parametrize("name", [f for f in FIXTURES if EXPECTATIONS[f]["items"]])
def test_every_imported_corpus_feed_loads_in_both_roku_consumers(brs, tmp_path, name):
    """What the import writes is read by the BrightScript models of Roku's two consumers."""
    from test_roku_consumers import check, expect_course, expect_template, run

    root = import_channel(tmp_path, (CORPUS / name).read_text(encoding="utf-8"))
    build(root)
    body = (root / "dist" / "feed.json").read_bytes()
    feed = json.loads(body)
    for program, expect in (("template_reader", expect_template), ("course_loader", expect_course)):
        summary, _ = run(brs, program, body, tmp_path)
        check(summary, expect(feed))


def test_lines_name_fields_as_the_dp_feed_writes_them(tmp_path, cli):
    feed = full_feed()
    feed["shortFormVideos"][0]["content"]["dateAdded"] = "last tuesday"
    movie = feed["movies"][0]
    movie["content"]["captions"][0]["captionType"] = "OPEN"
    movie["externalIds"][0]["idType"] = "ISAN"
    movie["credits"][0]["birthDate"] = "soon"
    movie["rating"]["ratingSource"] = "FCC"
    movie["content"]["trickPlayFiles"][0]["quality"] = "SD"
    movie["content"]["validityPeriodEnd"] = "2025-01-01T00:00:00Z"  # before its start
    feed["series"][1]["longDescription"] = 5
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0, r
    for line in ("old.json shortFormVideos[0] (item2): content.dateAdded: 'last tuesday' is not a date",
                 "old.json movies[0] (item1): content.captions[0].captionType: 'OPEN' is not one of",
                 "old.json movies[0] (item1): externalIds[0].idType: 'ISAN' is not one of",
                 "old.json movies[0] (item1): credits[0].birthDate: 'soon' is not a date",
                 "old.json movies[0] (item1): rating.ratingSource: 'FCC' is not one of",
                 "old.json movies[0] (item1): content.trickPlayFiles[0].quality: 'SD' is not one of",
                 "old.json movies[0] (item1): content.validityPeriodEnd: must be after",
                 "old.json series[1] (series2): longDescription: must be text"):
        assert line in r.err, (line, r.err)
    assert {"item1", "item2"} <= set(items_of(root))  # an unreadable dateAdded is repaired


def test_date_added_as_a_timestamp_or_rfc_2822_is_read_with_a_warning(tmp_path, cli):
    feed = full_feed()
    feed["shortFormVideos"][0]["content"]["dateAdded"] = 1735732800  # epoch seconds
    feed["shortFormVideos"][1]["content"]["dateAdded"] = "Thu, 02 Jan 2025 12:00:00 GMT"
    feed["tvSpecials"][0]["content"]["dateAdded"] = "1735732800000"  # milliseconds, as text
    root = import_channel(tmp_path, feed)
    r = cli("build", root)
    assert r.code == 0 and "skipped" not in r.err, r
    items = items_of(root)
    assert [items[i]["content"]["dateAdded"] for i in ("item2", "item3", "item4")] == [
        "2025-01-01T12:00:00+00:00", "2025-01-02T12:00:00+00:00", "2025-01-01T12:00:00+00:00"]
    assert items["item2"]["releaseDate"] == "2026-11-24"  # its own, untouched
    # Grouped: one line for the rule, with the items it touched (item4's was milliseconds).
    assert "old.json: 2 items (item2, item4): content.dateAdded: 1735732800 is a timestamp" in r.err
    assert "old.json shortFormVideos[1] (item3): content.dateAdded: 'Thu, 02 Jan 2025 12:00:00 GMT' is an RFC 2822 date" in r.err


# ---------------------------------------------------------------- validator severities by consumer

def test_severities_follow_what_the_consumer_does():
    """Under roku-template, what Roku's template never reads is a warning; under spec and
    strict the spec's word stands. One missing video is one finding."""
    feed = full_feed()
    feed["movies"][0]["content"]["videos"] = [{"url": "https://cdn.test/v/1.m3u8", "quality": "HD", "videoType": "HLS",
                                               "bitrate": None}]
    feed["shortFormVideos"][0]["content"]["videos"] = [{"url": "https://cdn.test/v/2.mp4", "quality": "HD", "videoType": "MP4"}]
    feed["shortFormVideos"][1]["longDescription"] = feed["shortFormVideos"][1]["shortDescription"]
    body = json.dumps(feed).encode()
    template = validate_bytes(body)
    assert template.valid, [f for f in template.errors]
    assert {(f.code, f.item_id) for f in template.warnings} >= {("DP102", "item1"), ("DP210", "item2"), ("DP208", "item3")}
    for profile in ("spec", "strict"):
        report = validate_bytes(body, profile=profile)
        assert {(f.code, f.item_id) for f in report.errors} >= {("DP102", "item1"), ("DP210", "item2"), ("DP208", "item3")}
    del feed["tvSpecials"][0]["content"]["videos"]
    findings = validate_bytes(json.dumps(feed).encode()).findings
    assert [f.code for f in findings if f.item_id == "item4"] == ["DP101"]


# ---------------------------------------------------------------- roku-packager migrate

def test_migrate_writes_builds_and_refreshes_without_losing_edits(tmp_path, cli):
    source = json.loads((CORPUS / "roku-course-seasons-untitled.json").read_text(encoding="utf-8"))
    feed_path = tmp_path / "roku.json"
    feed_path.write_text(json.dumps(source))
    root = tmp_path / "channel"
    r = cli("migrate", feed_path, root, "--base-url", "https://tv.example.org/course")
    assert r.code == 0, r

    toml = tomllib.loads((root / "channel.toml").read_text())
    assert toml["channel"] == {"provider_name": source["providerName"], "language": source["language"],
                               "base_url": "https://tv.example.org/course/"}
    assert toml["sources"] == [{"type": "dp-feed", "path": "dp-feed.json", "allow_remote": False, "order": "source"}]
    assert toml["artwork"] == {"fallback": "title-card"} and "app" in toml
    n = sum(1 for kind, _, _ in walk_items(source) if kind != "series")
    assert f"kept {n} of the feed's {n} item(s)" in r.out
    assert re.search(r"^ +2 x seasonNumber: missing; numbered 1 by its position", r.out, re.M), r.out
    assert "feed limit" in r.out and "profile roku-template" in r.out and "generated app" in r.out
    assert (root / "dist" / "feed.json").is_file() and (root / "dist" / "roku-channel.zip").is_file()

    # The publisher edits channel.toml; the feed gains an item; migrate again.
    edited = (root / "channel.toml").read_text().replace(source["providerName"], "Our Course TV")
    (root / "channel.toml").write_text(edited)
    source["shortFormVideos"].append(item(99, content=content(99)))
    feed_path.write_text(json.dumps(source))
    r = cli("migrate", feed_path, root)
    assert r.code == 0, r
    assert (root / "channel.toml").read_text() == edited
    assert "item99" in items_of(root) and feed_of(root)["providerName"] == "Our Course TV"
    assert f"kept {n + 1} of the feed's {n + 1} item(s)" in r.out


def test_migrate_never_takes_over_a_folder_it_did_not_write(tmp_path, cli):
    root = tmp_path / "theirs"
    root.mkdir()
    (root / "channel.toml").write_text(CHANNEL_TOML)
    feed = tmp_path / "f.json"
    feed.write_text(json.dumps(full_feed()))
    r = cli("migrate", feed, root)
    assert r.code == 2 and "not a channel migrate wrote" in r.err, r
    assert sorted(p.name for p in root.iterdir()) == ["channel.toml"]
    r = cli("migrate", tmp_path / "missing.json", tmp_path / "new")
    assert r.code == 2 and not (tmp_path / "new").exists(), r


def test_migrate_of_a_search_feed_or_mrss_is_one_line_and_writes_nothing(tmp_path, cli):
    """Roku's other feeds (a Search feed's assets, an MRSS file) are not DP JSON: one line saying
    which it is, exit 2, and no half-made channel folder left behind."""
    search = tmp_path / "search.json"
    search.write_text(json.dumps({"version": "1", "defaultLanguage": "en", "defaultAvailabilityCountries": ["us"],
                                  "assets": [{"id": "a1", "type": "movie", "titles": [{"value": "A"}]}]}))
    r = cli("migrate", search, tmp_path / "a")
    assert r.code == 2 and "not a DP JSON feed: it is a Roku Search feed" in r.err, r
    assert len(r.err.strip().splitlines()) == 1 and not (tmp_path / "a").exists(), r
    mrss = tmp_path / "feed.xml"
    mrss.write_text('<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel/></rss>')
    r = cli("migrate", mrss, tmp_path / "b")
    assert r.code == 2 and 'it is XML (an MRSS or RSS feed?); read it with a [[sources]] table, type = "rss"' in r.err, r
    assert not (tmp_path / "b").exists(), r


def test_migrate_reads_a_feed_url_and_the_app_limit_keeps_a_large_library(tmp_path, cli):
    """A library over the template's 500 KiB: with [app] (migrate writes one), the app's
    measured limit applies and every item is kept."""
    source = _large_feed()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "feed.json").write_text(json.dumps(source))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.json"
    try:
        r = cli("migrate", url, tmp_path / "ch")
    finally:
        server.shutdown()
    assert r.code == 0, r
    body = (tmp_path / "ch" / "dist" / "feed.json").read_bytes()
    assert len(body) > 500 * 1024 and "DP004" not in r.err
    n = len(source["shortFormVideos"])
    assert f"kept {n} of the feed's {n} item(s)" in r.out
    assert f'base_url = "http://127.0.0.1:{server.server_address[1]}/"' in (tmp_path / "ch" / "channel.toml").read_text()


def test_the_apps_limit_is_a_warning_and_the_templates_an_error():
    from packager.dp import APP_MAX_BODY, TEMPLATE_MAX_BODY
    from packager.validate import body_findings

    assert APP_MAX_BODY > 2 * TEMPLATE_MAX_BODY  # a 2,000-item library loads in one file (bench_app_feed.py)
    big = b"{" + b" " * APP_MAX_BODY + b"}"
    assert [(f.code, f.severity) for f in body_findings(big, "roku-template")] == [("DP004", "error")]
    assert [(f.code, f.severity) for f in body_findings(big, "roku-template", consumer="app")] == [("DP004", "warning")]
    assert body_findings(big[:APP_MAX_BODY], "roku-template", consumer="app") == []
