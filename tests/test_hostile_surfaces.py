"""Hostile and careless input on the surfaces added last round (issue 26): `channel --out`,
`channel-art --out`, `diff`, `validate` of a device, and templates that would make gigabytes.
Each is one line and a documented exit code, and no file the tool did not write is replaced."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from conftest import article_text, photo

GOOD_ARTICLE = article_text()



def one_line(r) -> str:
    lines = [line for line in r.err.strip().splitlines() if not line.startswith(("usage:", " "))]
    assert len(lines) == 1, r
    return lines[0]


# ---------------------------------------------------------------- channel --out

@pytest.fixture
def app_channel(make_channel):
    return make_channel({"a.md": GOOD_ARTICLE})


@pytest.mark.parametrize("where", ["fifo", "under a file", "long name", "dist is a file"])
def test_channel_out_where_no_file_can_go_is_one_line(cli, app_channel, tmp_path, where):
    out = {"fifo": tmp_path / "fifo.zip", "under a file": app_channel / "channel.toml" / "app.zip",
           "long name": tmp_path / ("x" * 300 + ".zip"), "dist is a file": None}[where]
    if where == "fifo":
        os.mkfifo(out)
    if where == "dist is a file":
        (app_channel / "dist").write_text("the user's")
    done = []
    t = threading.Thread(target=lambda: done.append(cli("channel", app_channel, *(["--out", out] if out else []))),
                         daemon=True)
    t.start()
    t.join(60)
    if where == "fifo" and not done:  # unblock the hung open so the test process can end
        with open(out, "wb"):
            pass
        pytest.fail("channel --out FIFO hangs")
    (r,) = done
    assert r.code == 2 and "--out" in one_line(r), r
    if where == "dist is a file":
        assert (app_channel / "dist").read_text() == "the user's"


# ---------------------------------------------------------------- channel-art --out

@pytest.fixture
def logo(tmp_path):
    return photo(tmp_path / "logo.png", size=(800, 400), mode="RGBA", color=(200, 30, 30, 255))


def test_channel_art_never_replaces_the_users_own_files(cli, tmp_path, logo):
    images = tmp_path / "images"
    images.mkdir()
    (images / "mm_icon_focus_hd.png").write_bytes(b"the user's own icon")
    (images / "notes.txt").write_text("mine")
    r = cli("channel-art", logo, "--out", images)
    assert r.code == 2 and "mm_icon_focus_hd.png" in one_line(r) and "did not write" in r.err, r
    assert (images / "mm_icon_focus_hd.png").read_bytes() == b"the user's own icon"
    assert sorted(p.name for p in images.iterdir()) == ["mm_icon_focus_hd.png", "notes.txt"]  # nothing written
    # Its own files it replaces on the next run; the user's other files stay.
    (images / "mm_icon_focus_hd.png").unlink()
    for _ in range(2):
        r = cli("channel-art", logo, "--out", images)
        assert r.code == 0, r
    assert (images / "notes.txt").read_text() == "mine" and (images / "splash_screen_fhd.jpg").is_file()


# ---------------------------------------------------------------- validate and diff

def _feed(**extra) -> dict:
    item = {"id": "a1", "title": "A", "shortDescription": "s", "releaseDate": "2026-01-01",
            "thumbnail": "https://cdn.test/a.jpg", "genres": ["news"], "tags": ["x"],
            "content": {"dateAdded": "2026-01-01T00:00:00Z", "duration": 60,
                        "videos": [{"url": "https://cdn.test/a.m3u8", "quality": "HD", "videoType": "HLS"}]}}
    item.update(extra)
    return {"providerName": "P", "language": "en", "lastUpdated": "2026-01-01T00:00:00Z", "shortFormVideos": [item]}


@pytest.mark.parametrize("args", [["validate", "/dev/zero"], ["diff", "OLD", "/dev/zero"], ["diff", "/dev/zero", "OLD"]])
def test_a_device_as_the_feed_is_refused_at_the_size_limit(cli, tmp_path, args):
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_feed()))
    start = time.monotonic()
    r = cli(*[str(old) if a == "OLD" else a for a in args])
    assert r.code == 2 and "/dev/zero: more than 20,971,520 bytes" in one_line(r), r
    assert time.monotonic() - start < 30


def test_diff_of_identical_feeds_with_nan_is_no_change(cli, tmp_path):
    text = json.dumps(_feed(content={"duration": float("nan"), "videos": []}, rating=float("nan")))
    assert "NaN" in text
    (tmp_path / "a.json").write_text(text)
    (tmp_path / "b.json").write_text(text)
    r = cli("diff", tmp_path / "a.json", tmp_path / "b.json")
    assert r.code == 0 and r.out.startswith("no changes"), r


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_diff_of_items_nested_900_deep(cli, tmp_path, fmt):
    deep: object = 1
    for _ in range(900):
        deep = [deep]
    (tmp_path / "a.json").write_text(json.dumps(_feed(extra=deep)))
    (tmp_path / "b.json").write_text(json.dumps(_feed(extra=deep, title="B")))
    r = cli("diff", tmp_path / "a.json", tmp_path / "b.json", "--format", fmt)
    assert r.code == 0 and "title" in r.out and "extra" not in r.out.replace('"extra"', ""), r


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_diff_with_a_lone_surrogate_in_a_title_or_id(cli, tmp_path, fmt):
    (tmp_path / "a.json").write_text(json.dumps(_feed()))
    (tmp_path / "b.json").write_text(json.dumps(_feed(title="bad \ud800 title", id="a1\udfff")))
    r = cli("diff", tmp_path / "a.json", tmp_path / "b.json", "--format", fmt)
    assert r.code == 0 and "\\ud800" in r.out and "\\udfff" in r.out, r


# ---------------------------------------------------------------- templates

@pytest.mark.parametrize("template", [
    "{{ 10 ** 10000000 }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ '{:>1000000000}'.format(title) }}",
    "{{ '%01000000000d' % 1 }}",
    "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% else %}{{ s }}{% endif %}{% endmacro %}{{ f(title, 60) }}",
    "{% for i in range(100000) %}{{ title * 1000 }}{% endfor %}",
    "{{ (body * 4000)|replace(' ', body * 4000) }}",
])
def test_a_template_that_would_make_gigabytes_is_one_skip_per_article(make_channel, cli, template):
    root = make_channel({"a.md": GOOD_ARTICLE}, toml_extra=f"[templates]\ntitle = {json.dumps(template)}\n")
    start = time.monotonic()
    r = cli("build", root)
    assert time.monotonic() - start < 60
    assert r.code == 1 and "Traceback" not in r.err, r
    skipped = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "[templates] title" in skipped[0] and "at most 100,000 characters" in skipped[0], r


@pytest.mark.parametrize("template, expected", [
    ("{{ title ~ ' | ' ~ provider_name }}", "A story | Test News"),
    ("{{ '%s (%d views)'|format(title, 5000000) }}", "A story (5000000 views)"),
    ("{{ '{:,} views'.format(5000000) }}", "5,000,000 views"),
    ("{{ 2 ** 64 }}", "18446744073709551616"),
    ("{{ 'Call 5551234567: %s' % title }}", "Call 5551234567: A story"),
])
def test_ordinary_templates_still_work(make_channel, cli, template, expected):
    root = make_channel({"a.md": GOOD_ARTICLE}, toml_extra=f"[templates]\ntitle = {json.dumps(template)}\n")
    r = cli("build", root)
    assert r.code == 0, r
    assert json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"][0]["title"] == expected


# ---------------------------------------------------------------- what the build says

def test_the_render_count_leaves_out_a_refused_photo(make_channel, cli):
    # small = "refuse" (the default pads a small photo): a photo the renderer turns down.
    root = make_channel({"a.md": article_text(title="Good"), "b.md": article_text(title="Small", photo="../photos/b.jpg")},
                        '\n[artwork]\nsmall = "refuse"\n')
    photo(root / "photos" / "b.jpg", size=(400, 300), color=(10, 200, 10))
    r = cli("build", root)
    assert r.code == 0, r
    assert any(line.startswith("skipped: articles/b.md: photo") for line in r.err.splitlines()), r
    (line,) = [x for x in r.err.splitlines() if x.startswith("rendered ")]
    assert line.startswith("rendered 1 photo here (") and line.endswith("; 1 photo refused (skipped above)"), line


def test_an_articles_subfolder_linked_outside_the_channel_is_one_line(make_channel, cli, tmp_path):
    root = make_channel({"a.md": article_text(title="Inside")})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "b.md").write_text(article_text(title="Outside"))
    (root / "articles" / "more").symlink_to(outside, target_is_directory=True)
    r = cli("build", root)
    assert r.code == 0, r
    lines = [x for x in r.err.splitlines() if "articles/more" in x]
    assert len(lines) == 1 and "outside the channel" in lines[0], r
    items = json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"]
    assert [i["title"] for i in items] == ["Inside"]
