"""Every story reaches the screen (#20): with nothing but the three required channel.toml
keys, a news article with a captioned photo and no video, a text-only story and a story with
a 300x200 photo each become a playable item of a valid feed. This test runs the defaults
as a newsroom's first build would: 1280x720 clips (a few seconds of CPU)."""

import json
import re

import av
import photos
from conftest import CHANNEL_TOML
from PIL import Image

# A wire story as newsrooms write them: dateline, captioned photo, no video.
SEED = """\
---
title: "U.S. troops to deploy to Iraq ahead of Mosul offensive"
date: 2016-09-28T14:05:00-04:00
summary: "About 600 more U.S. troops will go to Iraq to help retake Mosul."
tags: [military, iraq]
photo: ../photos/troops.jpg
photo_caption: "Soldiers board a transport plane at Fort Campbell, Ky."
---
WASHINGTON (AP) - The United States will send about 600 more troops to Iraq, officials said
on Wednesday, to help Iraqi forces in the offensive to retake the city of Mosul.

The troops will mostly provide logistics and intelligence support.
"""

# Text only, as a CMS exports it: JSON with an HTML body, no picture, no video.
TEXT_ONLY = json.dumps({
    "id": "roads-2016-09-29", "title": "Road closures this weekend", "date": "2016-09-29T09:00:00-04:00",
    "body": "<p>Main Street closes on Saturday for the parade, from <strong>8 a.m. to 2 p.m.</strong></p>"
            "<p>Detours are posted on First and Elm.</p>",
})

TINY_PHOTO = """\
---
title: "Lost dog home again"
date: 2016-09-30T09:00:00-04:00
photo: ../photos/rex.jpg
photo_caption: "Rex, back with his family."
---
Rex was found two miles from home.
"""


def test_three_keys_carry_every_story(tmp_path, cli):
    root = tmp_path / "newsroom"
    (root / "articles").mkdir(parents=True)
    (root / "photos").mkdir()
    (root / "channel.toml").write_text(CHANNEL_TOML)  # provider_name, language, base_url: nothing else
    photos.scene(1024, 768, 5).save(root / "photos" / "troops.jpg", quality=88)
    photos.scene(300, 200, 6).save(root / "photos" / "rex.jpg", quality=88)
    for name, text in (("troops.md", SEED), ("roads.json", TEXT_ONLY), ("rex.md", TINY_PHOTO)):
        (root / "articles" / name).write_text(text)

    r = cli("build", root)
    assert r.code == 0, r
    assert "skipped" not in r.err and re.search(r"\(3 items, [\d,]+ bytes\); 0 articles skipped$", r.out.strip()), r
    dist = root / "dist"
    v = cli("validate", dist / "feed.json", "--assets", dist)
    assert v.code == 0 and "0 errors" in v.out, v
    feed = json.loads((dist / "feed.json").read_bytes())
    items = {i["id"]: i for i in feed["shortFormVideos"]}
    assert set(items) == {"troops", "roads-2016-09-29", "rex"}
    def thumb(item_id):
        return Image.open(dist / items[item_id]["thumbnail"].removeprefix("https://cdn.test/tv/"))

    assert thumb("troops").size == (1024, 576) and thumb("rex").size == (800, 450)  # never upscaled; padded
    corner = thumb("roads-2016-09-29").convert("RGB").getpixel((4, 4))
    assert all(abs(a - b) <= 3 for a, b in zip(corner, (0x14, 0x21, 0x3D))), corner  # the default title card (JPEG)
    for item in items.values():
        (video,) = item["content"]["videos"]
        assert video["videoType"] == "MP4" and video["url"].startswith("https://cdn.test/tv/clips/")
        with av.open(str(dist / video["url"].removeprefix("https://cdn.test/tv/"))) as c:
            stream = c.streams.video[0]
            assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 1280, 720)
            seconds = c.duration / 1e6
            assert abs(item["content"]["duration"] - seconds) < 1  # rounded up from the file
            assert sum(1 for _ in c.decode(video=0)) == round(seconds * 30)  # every frame decodes
