"""Every kind of bad article is one clear line naming the file and field; the article is
skipped and the others are packaged. Failed builds leave the previous output untouched."""

import json
import os

import pytest
from conftest import article_text, photo

GOOD = article_text(title="Good story")


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: a decompression bomb's shape."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def build_with(make_channel, cli, bad_name, bad_text, *extra_args, setup=None, toml_extra=""):
    root = make_channel({"good.md": GOOD, bad_name: bad_text}, toml_extra)
    if setup:
        setup(root)
    r = cli("build", root, *extra_args)
    return root, r


def skipped_lines(r):
    return [line for line in r.err.splitlines() if line.startswith("skipped: ")]


CASES = {
    "broken front matter": ("bad.md", "---\ntitle: [unclosed\n---\nbody\n", "articles/bad.md: front matter: invalid YAML"),
    "no front matter": ("bad.md", "just text\n", "articles/bad.md: front matter: the file must start with a '---' line"),
    "missing title": ("bad.md", article_text().replace('title: "A story"\n', ""), "articles/bad.md: title: is required"),
    "missing date": ("bad.md", article_text().replace("date: 2026-01-02T10:00:00+00:00\n", ""), "articles/bad.md: date: is required"),
    "bad date": ("bad.md", article_text(date="yesterday"), "articles/bad.md: date: 'yesterday' is not a date"),
    "wrong type title": ("bad.md", article_text().replace('title: "A story"', "title: [a, b]"), "articles/bad.md: title: must be text"),
    "wrong type tags": ("bad.md", article_text(extra="tags: {a: 1}\n"), "articles/bad.md: tags: must be a list"),
    "unknown genre": ("bad.md", article_text(extra="genres: [politics]\n"), "articles/bad.md: genres: 'politics' is not a Roku genre"),
    "missing photo file": ("bad.md", article_text(photo="../photos/nope.jpg"), "articles/bad.md: photo: photos/nope.jpg not found (paths are relative to the article file)"),
    "photo outside channel": ("bad.md", article_text(photo="../../outside.jpg"), "articles/bad.md: photo: '../../outside.jpg' leads outside the channel folder"),
    "absolute photo path": ("bad.md", article_text(photo="/etc/passwd"), "articles/bad.md: photo: '/etc/passwd' is an absolute path"),
    "video without duration": ("bad.md", article_text(video="url: https://cdn.test/v/a.m3u8"), "articles/bad.md: video.duration: is required"),
    "negative duration": ("bad.md", article_text(video="url: https://cdn.test/v/a.m3u8\n  duration: -5"), "articles/bad.md: video.duration: -5 must be a positive number"),
    "unknown video type": ("bad.md", article_text(video="url: https://cdn.test/v/a.m3u8\n  duration: 5\n  type: FLV"), "articles/bad.md: video.type: 'FLV' is not one of"),
    "type not guessable": ("bad.md", article_text(video="url: https://cdn.test/v/a.webm\n  duration: 5"), "articles/bad.md: video.type: can't tell the type from the URL's extension '.webm'"),
    "mp4 without bitrate": ("bad.md", article_text(video="url: https://cdn.test/v/a.mp4\n  duration: 5"), "articles/bad.md: video.bitrate: is required for MP4 files"),
    "bad video url": ("bad.md", article_text(video="url: ftp://x/a.m3u8\n  duration: 5"), "articles/bad.md: video.url: 'ftp://x/a.m3u8' is not an http(s) URL"),
    "empty body and no summary": ("bad.md", article_text(body=""), "articles/bad.md: summary: the article has no summary and an empty body"),
    "bad json": ("bad.json", '{"title": "x",', "articles/bad.json: not valid JSON at line 1 column"),
    "json not object": ("bad.json", "[1, 2]", "articles/bad.json: must hold one JSON object"),
    "not utf8": ("bad.md", None, "articles/bad.md: is not UTF-8 text"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_article_is_skipped_with_one_clear_line(make_channel, cli, case):
    name, text, expected = CASES[case]

    def setup(root):
        if text is None:
            (root / "articles" / name).write_bytes(b"---\ntitle: caf\xe9\n---\n")

    root, r = build_with(make_channel, cli, name, text or "", setup=setup)
    assert r.code == 0, r
    lines = skipped_lines(r)
    assert len(lines) == 1, r
    assert lines[0].startswith("skipped: " + expected), lines[0]
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    assert [i["id"] for i in feed["shortFormVideos"]] == ["good"]
    # --strict turns any skipped article into exit 1.
    assert cli("build", root, "--strict").code == 1


def test_long_tag_is_left_out_with_a_warning_and_the_article_kept(make_channel, cli):
    """A tag Roku can't take (over 20 characters) is cosmetic: the story stays (#13)."""
    text = article_text(extra="tags: [Mosul offensive 2016 battle, Iraq]\n")
    root, r = build_with(make_channel, cli, "tagged.md", text)
    assert r.code == 0 and skipped_lines(r) == [], r
    assert "articles/tagged.md: tags: 'mosul offensive 2016 battle' is 27 characters; Roku allows 20, so it was left out" in r.err
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    item = next(i for i in feed["shortFormVideos"] if i["id"] == "tagged")
    assert item["tags"] == ["iraq"]
    assert cli("build", root, "--strict").code == 0  # --strict is about skipped articles, not warnings


@pytest.mark.parametrize("kind,expected", [
    ("corrupt", "is not an image"),
    ("truncated", "is truncated or corrupt"),
    ("wrong extension", "is a PNG file but its name ends in .jpg"),
    ("bomb", "is 40000x40000 = 1,600,000,000 pixels, over the limit of 100,000,000"),
    ("folder", "is a folder"),
])
def test_bad_photo_is_skipped(make_channel, cli, kind, expected):
    def setup(root):
        p = root / "photos" / "b.jpg"
        if kind == "corrupt":
            p.write_bytes(b"this is not a JPEG at all")
        elif kind == "truncated":
            photo(p, (1600, 900), quality=90)
            p.write_bytes(p.read_bytes()[:2000])
        elif kind == "wrong extension":
            photo(p, (1600, 900), fmt="PNG")
        elif kind == "bomb":
            p = root / "photos" / "b.png"
            p.write_bytes(png_declaring(40000, 40000))
        elif kind == "folder":
            p.mkdir()

    name = "b.png" if kind == "bomb" else "b.jpg"
    root, r = build_with(make_channel, cli, "bad.md", article_text(photo=f"../photos/{name}"), setup=setup)
    assert r.code == 0, r
    lines = skipped_lines(r)
    assert len(lines) == 1 and lines[0].startswith(f"skipped: articles/bad.md: photo: {name} " + expected), r


def test_without_clips_an_article_without_video_is_skipped_and_counted_last(make_channel, cli):
    """render = "off": a story without video can't play; its line says how to carry it, and
    the build's last line counts it apart (a first build must not lose them silently)."""
    root, r = build_with(make_channel, cli, "bad.md", article_text(video=""), toml_extra='[clips]\nrender = "off"\n')
    assert r.code == 0, r
    assert skipped_lines(r) == ['skipped: articles/bad.md: video: is required: give url and duration (seconds), '
                                'or set [clips] render = "missing" (the default) to make a clip of the photos'], r
    assert r.out.splitlines()[-1].endswith('; 1 article skipped (1 for want of a video: [clips] render = "missing" '
                                           'makes a clip of each), listed above'), r
    assert not (root / "dist" / "clips").exists()
    # publish and preview end on the same count.
    for args in (("publish", root, "--to", (root.parent / "bucket").as_uri()), ("preview", root)):
        r = cli(*args)
        assert r.code == 0 and r.out.splitlines()[-1] == (
            '1 article skipped (1 for want of a video: [clips] render = "missing" makes a clip of each), listed above'), r


def test_small_photo_is_refused_only_when_asked(make_channel, cli):
    """small = "refuse" keeps the old refusal; the default pads (test_artwork)."""
    def setup(root):
        photo(root / "photos" / "b.jpg", (640, 360))

    root, r = build_with(make_channel, cli, "bad.md", article_text(photo="../photos/b.jpg"), setup=setup,
                         toml_extra='[artwork]\nsmall = "refuse"\n')
    assert skipped_lines(r) == ["skipped: articles/bad.md: photo: b.jpg 640x360 is too small: its 16:9 crop is 640x360, "
                                'and at least 800x450 is needed; use a larger photo, or set [artwork] small = "pad"'], r


def test_photo_not_found_names_where_it_looked_and_the_likely_path(make_channel, cli):
    """The README's layout has photos/ beside articles/: `photo: photos/a.jpg` in an article
    looks in articles/photos/. The line says so and how to write the path that exists."""
    def setup(root):
        (root / "articles" / "2026").mkdir()
        (root / "articles" / "2026" / "deep.md").write_text(article_text(photo="photos/a.jpg"))

    root, r = build_with(make_channel, cli, "bad.md", article_text(photo="photos/a.jpg"), setup=setup)
    assert r.code == 0, r
    assert sorted(skipped_lines(r)) == [
        "skipped: articles/2026/deep.md: photo: articles/2026/photos/a.jpg not found (paths are relative to the "
        "article file); there is photos/a.jpg: write ../../photos/a.jpg",
        "skipped: articles/bad.md: photo: articles/photos/a.jpg not found (paths are relative to the article file); "
        "there is photos/a.jpg: write ../photos/a.jpg"], r


def test_symlinked_photo_escaping_the_channel_is_refused(make_channel, cli, tmp_path):
    outside = photo(tmp_path / "secret.jpg")

    def setup(root):
        os.symlink(outside, root / "photos" / "link.jpg")

    root, r = build_with(make_channel, cli, "bad.md", article_text(photo="../photos/link.jpg"), setup=setup)
    assert r.code == 0
    assert skipped_lines(r) == [f"skipped: articles/bad.md: photo: 'photos/link.jpg' leads outside the channel folder {root}; put the photo inside the channel folder".replace("'photos/link.jpg'", "'../photos/link.jpg'")]


def test_symlinked_article_escaping_the_channel_is_refused(make_channel, cli, tmp_path):
    (tmp_path / "elsewhere.md").write_text(article_text())

    def setup(root):
        os.symlink(tmp_path / "elsewhere.md", root / "articles" / "linked.md")

    _, r = build_with(make_channel, cli, "x.md", GOOD.replace("Good story", "Another"), setup=setup)
    assert any("articles/linked.md: is a link that leads outside the channel folder" in line for line in skipped_lines(r)), r


def test_duplicate_id_names_both_files(make_channel, cli):
    root = make_channel({"a.md": article_text(extra="id: same\n"), "b.md": article_text(extra="id: same\n")})
    r = cli("build", root)
    assert r.code == 0
    assert skipped_lines(r) == ["skipped: articles/b.md: id: 'same' is also the id of articles/a.md; give one of them another id"]


def test_hidden_and_underscore_files_are_ignored(make_channel, cli):
    root = make_channel({"good.md": GOOD, "_draft.md": "garbage", ".notes.md": "garbage"})
    r = cli("build", root)
    assert r.code == 0 and not skipped_lines(r), r


def test_nothing_valid_exits_1_and_keeps_previous_output(make_channel, cli):
    root = make_channel({"good.md": GOOD})
    assert cli("build", root).code == 0
    before = (root / "dist" / "feed.json").read_bytes()
    (root / "articles" / "good.md").write_text("---\ntitle: [\n---\n")
    r = cli("build", root)
    assert r.code == 1 and "no valid feed could be written" in r.err, r
    assert (root / "dist" / "feed.json").read_bytes() == before
    assert sorted(p.name for p in root.iterdir()) == ["articles", "channel.toml", "dist", "photos"]


def test_refuses_to_replace_a_folder_it_did_not_make(make_channel, cli, tmp_path):
    root = make_channel({"good.md": GOOD})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    r = cli("build", root, "--out", precious)
    assert r.code == 2 and "did not make" in r.err
    assert (precious / "thesis.txt").read_text() == "do not delete"


@pytest.mark.parametrize("toml,expected", [
    ("", "channel.toml: not found"),
    ("[channel\n", "not valid TOML"),
    ("[channel]\nlanguage='en'\nbase_url='https://x/'\n", "channel.toml: [channel] provider_name: is required: The publisher's name"),
    ("[channel]\nprovider_name='x'\nbase_url='https://x/'\n", 'channel.toml: [channel] language: is required: an ISO 639 code like "en"'),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='cdn.example.com'\n", "[channel] base_url: 'cdn.example.com' must be an http(s) URL"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[artwork]\nwidth=1000\nheight=700\n", "[artwork] width/height: 1000x700 is not 16:9"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[artwork]\nwidth=640\nheight=450\n", "[artwork] width: must be a whole number from 800"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[categories]]\nname='a'\nquery='x AND y OR z'\n", "mixes AND and OR"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[categories]]\nname='a'\n", "needs exactly one of query"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\narticles='../../etc'\n", "[channel] articles: '../../etc' leads outside"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[sources]]\ntype='atom'\npath='a'\n", "[[sources]] #1 type: 'atom' must be one of"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[sources]]\ntype='json'\npath='../../etc/passwd'\n", "[[sources]] #1 path: '../../etc/passwd' leads outside"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[clips]\nrender='sometimes'\n", "[clips] render: 'sometimes' must be"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[sources]]\ntype='wordpress'\npath='site'\n", "a wordpress source is a site"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[sources]]\ntype='rss'\npath='f.rss'\ntags=['x']\n", "[[sources]] #1 tags: is for wordpress sources only"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[sources]]\ntype='wordpress'\nurl='https://n.example/'\nallow_remote=true\nafter=2026-01-01\n", "[[sources]] #1 after: must be text in quotes"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[[categories]]\nname='a'\nplaylist='top'\n", "playlist 'top' is not defined"),
    ("[channel]\nprovider_name='x'\nlanguage='en'\nbase_url='https://x/'\n[search_feed]\ncountries=['US']\n", "[search_feed] countries #1: 'US' must be one of: ar, at"),
])
def test_bad_channel_toml_is_a_usage_error(tmp_path, cli, toml, expected):
    root = tmp_path / "c"
    root.mkdir()
    if toml:
        (root / "channel.toml").write_text(toml)
    r = cli("build", root)
    assert r.code == 2 and expected in r.err, r
    assert len(r.err.strip().splitlines()) == 1


def test_usage_errors_exit_2(cli):
    assert cli("build").code == 2
    assert cli("frobnicate").code == 2
