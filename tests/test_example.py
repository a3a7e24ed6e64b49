"""The bundled example builds, validates, renders correct artwork, and builds identically twice."""

import json
from pathlib import Path

from PIL import Image

from packager.validate import validate_bytes


def tree(root: Path) -> dict[str, bytes]:
    """The output's files, without the hidden bookkeeping (the photo hash memo)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def test_example_builds_and_validates(example_channel, cli):
    r = cli("build", example_channel)
    assert r.code == 0, r
    feed_path = example_channel / "dist" / "feed.json"
    assert f"wrote {feed_path}" in r.out and "0 articles skipped" in r.out
    v = cli("validate", feed_path)
    assert v.code == 0, v
    assert "valid (roku-template profile): 0 errors" in v.out
    feed = json.loads(feed_path.read_bytes())
    items = feed["shortFormVideos"] + feed["tvSpecials"]
    assert len(items) == 9
    # The 29-minute special is a tvSpecial, everything else short-form.
    assert [i["id"] for i in feed["tvSpecials"]] == ["mill-investigation"]
    assert all(i["content"]["duration"] <= 900 for i in feed["shortFormVideos"])
    # Newest first, lastUpdated from the newest article.
    dates = [i["content"]["dateAdded"] for i in feed["shortFormVideos"]]
    assert dates == sorted(dates, reverse=True)
    assert feed["lastUpdated"] == "2026-11-25T03:15:00+00:00"
    assert [c["name"] for c in feed["categories"]] == ["Local News", "Sports", "Weather & Science"]
    mp4 = next(i for i in items if i["id"] == "tigers-state-title")
    assert mp4["content"]["videos"][0] == {"url": "https://cdn.example.com/riverside/video/tigers-title.mp4",
                                           "quality": "FHD", "videoType": "MP4", "bitrate": 4500}
    assert mp4["genres"] == ["sports", "news"]
    # The release date is the newsroom's own calendar day (22:15 -05:00 is the next day in UTC).
    council = next(i for i in items if i["id"] == "council-budget")
    assert council["releaseDate"] == "2026-11-24"
    assert council["content"]["dateAdded"] == "2026-11-25T03:15:00+00:00"
    assert "**" not in council["longDescription"] and council["longDescription"].startswith("The Riverside city council voted")
    outlook = next(i for i in items if i["id"] == "winter-outlook")
    assert outlook["shortDescription"].startswith("The climate prediction center expects a wetter winter")
    assert "<" not in outlook["shortDescription"]


def test_artwork_is_16x9_baseline_rgb_without_metadata(built_example):
    dist = built_example / "dist"
    feed = json.loads((dist / "feed.json").read_bytes())
    sizes = {}
    for item in feed["shortFormVideos"] + feed["tvSpecials"]:
        rel = item["thumbnail"].removeprefix("https://cdn.example.com/riverside/")
        assert rel.startswith("artwork/") and rel.endswith(".jpg")
        with Image.open(dist / rel) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            assert not im.info.get("progressive") and not im.info.get("progression")
            assert "exif" not in im.info and "icc_profile" not in im.info
            w, h = im.size
            assert w * 9 == h * 16 and w >= 800
            sizes[item["id"]] = (w, h)
            if item["id"] == "soccer-preview":
                # EXIF orientation 6 applied: the sky (blue, top of the scene) is at the top.
                top, bottom = im.getpixel((w // 2, 5)), im.getpixel((w // 2, h - 5))
                assert top[2] > top[1] and top[2] > bottom[2]
    assert sizes["council-budget"] == (1280, 720)
    assert sizes["archive-bridge"] == (992, 558)  # 1000x600 source: never upscaled
    # 900x1600 portrait: auto fit contains the whole photo on a blurred 16:9 canvas.
    assert sizes["school-robotics"] == (1280, 720)


def test_two_builds_are_byte_identical(example_channel, cli, tmp_path):
    assert cli("build", example_channel, "--out", tmp_path / "one").code == 0
    assert cli("build", example_channel, "--out", tmp_path / "two", "--jobs", "1").code == 0
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two and len(one) == 10
    # And a rebuild in place (artwork reused from the earlier output) changes nothing.
    assert cli("build", example_channel, "--out", tmp_path / "one").code == 0
    assert tree(tmp_path / "one") == two


def test_feed_body_meets_the_template_contract(built_example):
    body = (built_example / "dist" / "feed.json").read_bytes()
    assert body.startswith(b"{") and len(body) < 500 * 1024
    report = validate_bytes(body, profile="roku-template")
    assert report.valid, report.findings
    feed = json.loads(body)
    for item in feed["shortFormVideos"] + feed["tvSpecials"]:
        assert item["genres"] and item["content"]["videos"][0]["url"].startswith("https://")
