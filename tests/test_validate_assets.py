"""--assets: thumbnails checked on disk; and build never writes a feed with errors."""

import json

import pytest
from conftest import article_text
from PIL import Image


@pytest.fixture
def built(built_example):
    dist = built_example / "dist"
    feed = json.loads((dist / "feed.json").read_bytes())
    return dist, feed


def first_artwork(dist, feed, n=0):
    item = (feed["shortFormVideos"] + feed["tvSpecials"])[n]
    return item["id"], dist / item["thumbnail"].removeprefix("https://cdn.example.com/riverside/")


def test_built_artwork_passes(built, cli):
    dist, _ = built
    r = cli("validate", dist / "feed.json", "--assets", dist)
    assert r.code == 0, r


@pytest.mark.parametrize("damage,code", [
    ("delete", "DP501"),
    ("gif", "DP502"),
    ("small", "DP503"),
    ("square", "DP504"),
    ("cmyk", "DP505"),
])
def test_damaged_artwork_is_reported_with_item_id(built, cli, damage, code):
    dist, feed = built
    item_id, path = first_artwork(dist, feed)
    if damage == "delete":
        path.unlink()
    elif damage == "gif":
        Image.new("RGB", (1280, 720)).save(path, "GIF")
    elif damage == "small":
        Image.new("RGB", (640, 360)).save(path, "JPEG")
    elif damage == "square":
        Image.new("RGB", (1000, 1000)).save(path, "JPEG")
    elif damage == "cmyk":
        Image.new("CMYK", (1280, 720)).save(path, "JPEG")
    r = cli("validate", dist / "feed.json", "--assets", dist, "--format", "json")
    assert r.code == 1
    findings = json.loads(r.out)["findings"]
    assert [(f["code"], f["item_id"]) for f in findings] == [(code, item_id)]


def test_thumbnail_outside_base_url(built, cli, tmp_path):
    dist, feed = built
    r = cli("validate", dist / "feed.json", "--assets", dist, "--base-url", "https://other.example/")
    assert r.code == 1 and "DP506" in r.out


def test_strict_wants_1920x1080_jpeg(built, cli):
    dist, _ = built
    r = cli("validate", dist / "feed.json", "--assets", dist, "--profile", "strict", "--format", "json")
    codes = {f["code"] for f in json.loads(r.out)["findings"]}
    assert "DP404" in codes


def test_assets_folder_must_exist(built, cli, tmp_path):
    dist, _ = built
    r = cli("validate", dist / "feed.json", "--assets", tmp_path / "nope")
    assert r.code == 2


def test_build_strict_profile_skips_items_that_break_it(make_channel, cli):
    root = make_channel({"good1.md": article_text(title="Fine"),
                         "bad-id.md": article_text(title="Has a hyphenated id"),
                         "long.md": article_text(title="Long", body="word " * 80)})
    r = cli("build", root, "--profile", "strict")
    assert r.code == 0, r
    assert "skipped: articles/bad-id.md: id:" in r.err and "DP401" in r.err
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    ids = [i["id"] for i in feed["shortFormVideos"]]
    assert ids == ["good1", "long"]
    # Descriptions are cut to The Roku Channel's 110 characters in the strict profile.
    long = next(i for i in feed["shortFormVideos"] if i["id"] == "long")
    assert len(long["shortDescription"]) <= 110 and long["shortDescription"].endswith("…")


def test_build_reports_validator_warnings(make_channel, cli):
    root = make_channel({"a.md": article_text()},
                        toml_extra='[[categories]]\nname = "Politics"\nquery = "politics"\n')
    r = cli("build", root)
    assert r.code == 0
    assert "warning: DP207 $.categories[0].query: tag 'politics' is on no item" in r.err
