"""Careless and hostile channel input (#14): each case is one article's skip with one short
line (or, for channel.toml, one exit-2 line per problem) — never a traceback, never a hang,
never the whole build."""

from __future__ import annotations

import json
import os
import time

import pytest
from conftest import article_text, photo

GOOD = article_text(title="Good story")


def skipped(r) -> list[str]:
    return [line for line in r.err.splitlines() if line.startswith("skipped: ")]


def feed_ids(root) -> list[str]:
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    return sorted(i["id"] for k in ("shortFormVideos", "tvSpecials") for i in feed.get(k, []))


def build_one_bad(make_channel, cli, name, text, setup=None):
    root = make_channel({"good.md": GOOD, name: text})
    if setup:
        setup(root)
    r = cli("build", root)
    assert r.code == 0, r
    assert len(skipped(r)) == 1, r
    assert len(r.err) < 2000, r  # one short line, not an expanded value
    assert feed_ids(root) == ["good"]
    return skipped(r)[0]


@pytest.mark.parametrize("value,field", [
    ("2023-02-29", "date"),
    ("2026-11-31T18:00:00-05:00", "date"),
    ("2026-01-01T10:00:00+25:00", "date"),
    ("0000-01-01", "date"),
    ("9999-12-31T23:00:00-05:00", "date"),
])
def test_impossible_date_skips_that_article(make_channel, cli, value, field):
    line = build_one_bad(make_channel, cli, "bad.md", article_text(date=value))
    assert line.startswith(f"skipped: articles/bad.md: {field}: "), line


def test_date_like_text_in_another_field_is_just_text(make_channel, cli):
    root = make_channel({"a.md": article_text(extra="summary: 2016-02-30\n")})
    r = cli("build", root)
    assert r.code == 0 and not skipped(r), r
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    assert feed["shortFormVideos"][0]["shortDescription"] == "2016-02-30"


def test_impossible_date_in_a_json_article(make_channel, cli):
    text = json.dumps({"title": "x", "date": "2023-02-29", "photo": "../photos/a.jpg",
                       "video": {"url": "https://cdn.test/v.m3u8", "duration": 5}})
    line = build_one_bad(make_channel, cli, "bad.json", text)
    assert line.startswith("skipped: articles/bad.json: date: '2023-02-29' is not a date"), line


def test_huge_numbers_and_deep_nesting(make_channel, cli):
    digits = "9" * 5000
    deep_json = '{"title": "x", "extra": ' + "[" * 5000 + "]" * 5000 + "}"
    deep_yaml = "---\ntitle: x\nextra: " + "[" * 5000 + "]" * 5000 + "\n---\n"
    cases = {
        "n.json": '{"title": "x", "n": ' + digits + "}",
        "n.md": f"---\ntitle: x\nn: {digits}\n---\n",
        "d.json": deep_json,
        "d.md": deep_yaml,
    }
    root = make_channel({"good.md": GOOD, **cases})
    r = cli("build", root)
    assert r.code == 0, r
    assert sorted(line.split(":")[1].strip() for line in skipped(r)) == sorted(f"articles/{n}" for n in cases), r
    assert len(r.err) < 3000
    assert feed_ids(root) == ["good"]


def test_yaml_alias_bomb_in_title_is_one_short_line(make_channel, cli):
    bomb = ("---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ntitle: *h\ndate: 2026-01-01\n---\n")
    line = build_one_bad(make_channel, cli, "bomb.md", bomb)
    assert line.startswith("skipped: articles/bomb.md: title: must be text"), line
    assert len(line) < 300


def test_lone_surrogate_in_a_json_article(make_channel, cli):
    text = '{"title": "bad \\ud800 text", "date": "2026-01-01", "photo": "../photos/a.jpg", ' \
           '"video": {"url": "https://cdn.test/v.m3u8", "duration": 5}}'
    line = build_one_bad(make_channel, cli, "s.json", text)
    assert "lone surrogate" in line, line


def test_non_utf8_file_name(make_channel, cli):
    def setup(root):
        os.rename(root / "articles" / "x.md", os.path.join(os.fsencode(root / "articles"), b"caf\xe9.md"))
    line = build_one_bad(make_channel, cli, "x.md", article_text(), setup)
    assert "file name is not UTF-8" in line, line


def test_symlink_loops_as_article_and_as_photo(make_channel, cli):
    root = make_channel({"good.md": GOOD, "p.md": article_text(photo="../photos/loop.jpg")})
    os.symlink("loop.jpg", root / "photos" / "loop.jpg")
    os.symlink("l.md", root / "articles" / "l.md")
    r = cli("build", root)
    assert r.code == 0, r
    assert sorted(line.split(":")[1].strip() for line in skipped(r)) == ["articles/l.md", "articles/p.md"], r
    assert feed_ids(root) == ["good"]


def test_fifo_as_photo_does_not_hang(make_channel, cli):
    def setup(root):
        os.mkfifo(root / "photos" / "pipe.jpg")
    t0 = time.monotonic()
    line = build_one_bad(make_channel, cli, "f.md", article_text(photo="../photos/pipe.jpg"), setup)
    assert time.monotonic() - t0 < 60
    assert "not a regular file" in line, line


def test_huge_file_named_as_photo_is_refused_from_its_first_bytes(make_channel, cli):
    def setup(root):
        with open(root / "photos" / "huge.jpg", "wb") as f:  # sparse: 4 GB on paper, nothing on disk
            f.truncate(4 * 1024 ** 3)
    line = build_one_bad(make_channel, cli, "h.md", article_text(photo="../photos/huge.jpg"), setup)
    assert "is not an image" in line or "a photo may have" in line, line


def _jpeg_bytes(tmp_path, size=(1600, 900)) -> bytes:
    from PIL import Image

    path = tmp_path / "src.jpg"
    im = Image.effect_mandelbrot(size, (-2, -1.2, 1, 1.2), 40).convert("RGB")
    im.save(path, quality=90)
    return path.read_bytes()


def test_truncated_jpeg_with_end_marker_is_refused(make_channel, cli, tmp_path):
    data = _jpeg_bytes(tmp_path)

    def setup(root):
        (root / "photos" / "cut.jpg").write_bytes(data[: len(data) // 3] + b"\xff\xd9")
    line = build_one_bad(make_channel, cli, "c.md", article_text(photo="../photos/cut.jpg"), setup)
    assert "truncated" in line, line


def test_jpeg_with_forged_size_is_refused(make_channel, cli, tmp_path):
    data = bytearray(_jpeg_bytes(tmp_path, (800, 450)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = (1800).to_bytes(2, "big") + (3200).to_bytes(2, "big")  # height, width

    def setup(root):
        (root / "photos" / "forged.jpg").write_bytes(bytes(data))
    line = build_one_bad(make_channel, cli, "f.md", article_text(photo="../photos/forged.jpg"), setup)
    assert "truncated" in line, line


def test_articles_dot_never_reads_the_tools_own_outputs(tmp_path, cli):
    root = tmp_path / "ch"
    root.mkdir()
    (root / "channel.toml").write_text('[channel]\nprovider_name = "T"\nlanguage = "en"\n'
                                       'base_url = "https://cdn.test/tv/"\narticles = "."\n')
    photo(root / "photos" / "a.jpg")
    (root / "story.md").write_text(article_text(photo="photos/a.jpg"))
    assert cli("build", root).code == 0
    assert cli("publish", root).code == 0  # public/feeds/*.json now exist too
    r = cli("build", root)
    assert r.code == 0 and not skipped(r), r
    assert feed_ids(root) == ["story"]


def test_template_filter_that_does_not_exist_is_a_config_error(make_channel, cli):
    root = make_channel({"a.md": GOOD}, toml_extra='[templates]\ntitle = "{{ title|nope }}"\n')
    r = cli("build", root)
    assert r.code == 2 and "[templates] title" in r.err and "nope" in r.err, r


BASE = '[channel]\nprovider_name = "x"\nlanguage = "en"\nbase_url = "https://cdn.test/tv/"\n'


@pytest.mark.parametrize("toml,expected", [
    (BASE + "[artwork]\nquality = " + "9" * 5000 + "\n", "channel.toml: not valid TOML a reader can handle"),
    (BASE + "[artwork]\nquality = " + "9" * 200 + "\n", "[artwork] quality: must be a whole number from 1 up to 95, got 9999"),
    (BASE.replace('"x"', "[" * 5000 + "]" * 5000), "channel.toml"),
    (BASE + '[artwork]\nrenditions = ["' + "9" * 400 + 'x720"]\n', "[artwork] renditions #1"),
    (BASE + '[[playlists]]\nname = ["a"]\nfeatured = true\n', "[[playlists]] #1 name: must be text in quotes"),
    (BASE + '[publish]\nacl = "everyone"\n', "[publish] acl: 'everyone' must be one of: public-read, private"),
    (BASE + '[artwork]\nqualty = 80\n', "[artwork] qualty: unknown key; did you mean `quality`?"),
    (BASE + '[clip]\nrender = "always"\n', "[clip]: unknown key; did you mean `clips`?"),
    (BASE + '[[series]]\nid = "s"\ntittle = "S"\n', "[[series]] #1 tittle: unknown key; did you mean `title`?"),
    (BASE + '[artwork.title_card]\nbackgroud = "#000000"\n', "[artwork.title_card] backgroud: unknown key; did you mean `background`?"),
] + [(BASE.replace("https://cdn.test/tv/", url), "[channel] base_url:") for url in (
    "https://cdn.test/my tv/", 'https://cdn.test/\\"tv\\"/', "https://cdn.tést/tv/", "https://cdn.test/tv/#top",
    "https://cdn.test/tv/?a=1")], ids=lambda v: v[:60] if isinstance(v, str) else None)
def test_bad_channel_toml(tmp_path, cli, toml, expected):
    root = tmp_path / "c"
    root.mkdir()
    (root / "channel.toml").write_text(toml, encoding="utf-8")
    r = cli("build", root)
    assert r.code == 2 and expected in r.err, r
    assert len(r.err) < 2000, r


def test_absurd_duration_is_that_articles_skip_and_fails_validation(make_channel, cli, tmp_path):
    line = build_one_bad(make_channel, cli, "d.md", article_text(video="url: https://cdn.test/v/a.m3u8\n  duration: 1.0e+308"))
    assert "video.duration: 1e+308 seconds is longer than a Roku player can count" in line, line
    from feeds import full_feed

    feed = full_feed()
    feed["shortFormVideos"][0]["content"]["duration"] = 10 ** 308
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    r = cli("validate", path, "--profile", "strict")
    assert r.code == 1 and "DP108" in r.out, r
