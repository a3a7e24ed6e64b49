"""Clips from text articles: decode what was written and check it."""

import dataclasses
import io
import json
import math
import struct
import wave

import av
import photos
import pytest
from conftest import article_text
from PIL import Image, ImageChops, ImageStat

from packager.clips import Renderer
from packager.config import load_channel
from packager.imaging import title_card_image
from packager.publish import content_type_for
from packager.readers import read_content

CLIPS = """
[clips]
render = "missing"
width = 640
height = 360
fps = 25
seconds_per_photo = [2, 2]
intro_seconds = 1
bitrate_kbps = 800
trickplay = true
trickplay_interval = 2
"""


def text_article(title="Bridge closes for repairs", extra="", photos_yaml=None):
    photos_yaml = photos_yaml or ("photos:\n  - {path: ../photos/a.jpg, caption: \"The bridge at dawn.\"}\n"
                                  "  - {path: ../photos/b.jpg, caption: \"Crews at work.\"}\n")
    return f"---\ntitle: \"{title}\"\ndate: 2026-11-20T10:00:00Z\n{photos_yaml}{extra}---\nThe bridge is closed.\n"


def psnr(a: Image.Image, b: Image.Image) -> float:
    mse = sum(v * v for v in ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).rms) / 3
    return 10 * math.log10(255 ** 2 / max(mse, 1e-9))


def top_level_boxes(data: bytes) -> list[str]:
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        pos += size
    return boxes


@pytest.fixture
def clip_channel(make_channel):
    root = make_channel({"story.md": text_article(), "video.md": article_text(title="Has its own video")}, CLIPS)
    photos.scene(1600, 900, 21).save(root / "photos" / "a.jpg", quality=90)
    photos.scene(1200, 800, 22).save(root / "photos" / "b.jpg", quality=90)
    return root


def test_clip_is_a_proper_h264_aac_mp4(clip_channel, cli):
    r = cli("build", clip_channel)
    assert r.code == 0 and "skipped" not in r.err, r
    feed = json.loads((clip_channel / "dist" / "feed.json").read_bytes())
    items = {i["id"]: i for i in feed["shortFormVideos"]}
    assert items["video"]["content"]["videos"][0]["url"] == "https://cdn.test/v/a.m3u8"  # untouched
    content = items["story"]["content"]
    (video,) = content["videos"]
    assert video["videoType"] == "MP4" and video["quality"] == "SD"
    assert video["url"].startswith("https://cdn.test/tv/clips/") and video["url"].endswith(".mp4")
    path = clip_channel / "dist" / video["url"].removeprefix("https://cdn.test/tv/")
    data = path.read_bytes()
    boxes = top_level_boxes(data)
    assert boxes.index("moov") < boxes.index("mdat")  # faststart
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        assert v.codec_context.name == "h264" and v.codec_context.profile == "High"
        assert v.codec_context.pix_fmt == "yuv420p"
        assert (v.codec_context.width, v.codec_context.height) == (640, 360)
        assert v.average_rate == 25
        assert [s.codec_context.name for s in c.streams.audio] == ["aac"]
        duration = c.duration / 1e6
    # 1 s intro + 2 x 2 s photos - 2 crossfades of 0.6 s = 3.8 s
    assert abs(duration - 3.8) < 0.1
    assert content["duration"] == math.ceil(duration) and abs(content["duration"] - duration) < 1
    measured = len(data) * 8 / duration / 1000
    assert video["bitrate"] == round(measured)
    assert abs(measured - 800) / 800 < 0.2, measured
    # Published like artwork: immutable, as video/mp4.
    assert content_type_for(path.relative_to(clip_channel / "dist").as_posix()) == "video/mp4"
    # The trick-play file parses: magic, version, count, index, JPEG frames.
    (trick,) = content["trickPlayFiles"]
    bif = (clip_channel / "dist" / trick["url"].removeprefix("https://cdn.test/tv/")).read_bytes()
    assert bif[:8] == b"\x89BIF\r\n\x1a\n"
    version, count, interval = struct.unpack("<III", bif[8:20])
    assert version == 0 and count == 2 and interval == 2000
    index = [struct.unpack("<II", bif[64 + 8 * i:72 + 8 * i]) for i in range(count + 1)]
    assert [t for t, _ in index[:-1]] == [0, 1] and index[-1][0] == 0xFFFFFFFF and index[-1][1] == len(bif)
    for (_, start), (_, end) in zip(index, index[1:]):
        assert bif[start:start + 2] == b"\xff\xd8" and Image.open(io.BytesIO(bif[start:end])).size == (320, 180)


def test_frames_show_the_title_card_then_the_photos(clip_channel, cli):
    assert cli("build", clip_channel).code == 0
    channel = load_channel(clip_channel)
    (article,) = [a for a in read_content(channel).articles if a.id == "story"]
    renderer = Renderer(article, channel.clips, channel.artwork.title_card, 10 ** 8)
    feed = json.loads((clip_channel / "dist" / "feed.json").read_bytes())
    url = next(i for i in feed["shortFormVideos"] if i["id"] == "story")["content"]["videos"][0]["url"]
    card = title_card_image(article.title, channel.artwork.title_card, (640, 360))
    mid_photo = round((renderer.spans[1][0] + renderer.spans[1][1]) / 2 * 25)
    with av.open(str(clip_channel / "dist" / url.removeprefix("https://cdn.test/tv/"))) as c:
        for k, frame in enumerate(c.decode(video=0)):
            if k in (0, 5):
                assert psnr(frame.to_image(), card) >= 25, k
            if k == mid_photo:
                assert psnr(frame.to_image(), renderer.frame_rgb(k)) >= 25
                # ...and it really is the photo, not the card.
                assert psnr(frame.to_image(), card) < 20


def test_unchanged_article_is_not_rendered_again(clip_channel, cli):
    assert cli("build", clip_channel).code == 0
    clips = clip_channel / "dist" / "clips"
    before = {p.name: p.stat().st_ino for p in clips.iterdir()}
    assert cli("build", clip_channel).code == 0
    assert {p.name: p.stat().st_ino for p in clips.iterdir()} == before
    # A new caption is a new clip.
    story = clip_channel / "articles" / "story.md"
    story.write_text(story.read_text().replace("Crews at work.", "Crews at work all night."))
    assert cli("build", clip_channel).code == 0
    assert set(p.name for p in clips.iterdir()) != set(before)


def test_non_latin_headline_draws_no_missing_glyph_boxes(make_channel, cli):
    root = make_channel({"fa.md": text_article(title="پل بندر بسته شد")}, CLIPS)
    photos.scene(1600, 900, 21).save(root / "photos" / "a.jpg")
    photos.scene(1600, 900, 22).save(root / "photos" / "b.jpg")
    r = cli("build", root)
    assert r.code == 0, r
    assert "no glyphs for the headline" in r.err
    channel = load_channel(root)
    (article,) = read_content(channel).articles
    renderer = Renderer(article, channel.clips, channel.artwork.title_card, 10 ** 8)
    intro = renderer.frame_rgb(0)
    assert intro.getcolors() == [(640 * 360, channel.artwork.title_card.background)]  # the card, no boxes


def wav_bytes(seconds: float, rate: int = 22050) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(seconds * rate)):
            frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        w.writeframes(bytes(frames))
    return buf.getvalue()


def test_narration_sets_the_length_and_is_the_sound(clip_channel, cli):
    (clip_channel / "narration.wav").write_bytes(wav_bytes(6.0))
    story = clip_channel / "articles" / "story.md"
    story.write_text(story.read_text().replace("---\nThe bridge", "audio: ../narration.wav\n---\nThe bridge"))
    assert cli("build", clip_channel).code == 0, "build failed"
    feed = json.loads((clip_channel / "dist" / "feed.json").read_bytes())
    url = next(i for i in feed["shortFormVideos"] if i["id"] == "story")["content"]["videos"][0]["url"]
    with av.open(str(clip_channel / "dist" / url.removeprefix("https://cdn.test/tv/"))) as c:
        assert abs(c.duration / 1e6 - 6.0) < 0.2
        loud = max(abs(float(s)) for frame in c.decode(audio=0) for s in frame.to_ndarray()[0][::50])
    assert loud > 0.1


def test_bad_audio_is_a_per_article_error(clip_channel, cli):
    story = clip_channel / "articles" / "story.md"
    (clip_channel / "narration.m4a").write_bytes(b"not audio at all" * 100)
    story.write_text(story.read_text().replace("---\nThe bridge", "audio: ../narration.m4a\n---\nThe bridge"))
    r = cli("build", clip_channel)
    assert r.code == 0 and "skipped: articles/story.md: audio: narration.m4a can't be decoded as audio" in r.err, r
    feed = json.loads((clip_channel / "dist" / "feed.json").read_bytes())
    assert [i["id"] for i in feed["shortFormVideos"]] == ["video"]
    assert not list((clip_channel / "dist").glob("clips/*"))


@pytest.mark.slow
def test_clip_bytes_do_not_depend_on_machine_load(clip_channel, tmp_path):
    """Same inputs, same bytes, even while other processes compete for the cores (x264's
    threaded rate control once made the bytes depend on timing)."""
    import subprocess
    import sys

    from packager.clips import render_clip

    channel = load_channel(clip_channel)
    (article,) = [a for a in read_content(channel).articles if a.id == "story"]
    settings = dataclasses.replace(channel.clips, width=640, height=360, seconds_per_photo=(3.0, 3.0), trickplay=False)
    outs = []
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        for k in range(3):
            render_clip(article, settings, channel.artwork.title_card, tmp_path, f"clips/{k}.mp4")
            outs.append((tmp_path / f"clips/{k}.mp4").read_bytes())
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    assert outs[0] == outs[1] == outs[2]


def test_small_photo_is_padded_into_the_clip(clip_channel):
    """A 300x200 photo (below 800x450) is shown whole and still on a blurred frame, never refused."""
    photos.scene(300, 200, 1).save(clip_channel / "photos" / "b.jpg")
    channel = load_channel(clip_channel)
    (article,) = [a for a in read_content(channel).articles if a.id == "story"]
    renderer = Renderer(article, channel.clips, channel.artwork.title_card, 10 ** 8)
    pp = renderer.photos[1]
    assert pp.zoom_max == 1.0 and pp.base.size == (640, 360)
    # The whole photo, unscaled and centred (170, 80); blur around it.
    inside = pp.base.crop((170 + 10, 80 + 10, 470 - 10, 280 - 10))
    assert psnr(inside, photos.scene(300, 200, 1).crop((10, 10, 290, 190))) >= 30
    assert ImageStat.Stat(pp.base.crop((0, 0, 60, 360))).stddev[0] < ImageStat.Stat(inside).stddev[0]


def test_story_without_photos_is_a_title_card_clip(clip_channel, cli):
    """No photo at all: the clip is the channel's title card, as long as the headline takes
    to read (within seconds_per_photo, at least intro_seconds); the thumbnail is the card too."""
    toml = clip_channel / "channel.toml"
    toml.write_text(toml.read_text() + '\n[artwork.title_card]\nbackground = "#203040"\n')
    (clip_channel / "articles" / "story.md").write_text(text_article(photos_yaml="\n"))
    r = cli("build", clip_channel)
    assert r.code == 0 and "skipped" not in r.err, r
    feed = json.loads((clip_channel / "dist" / "feed.json").read_bytes())
    item = next(i for i in feed["shortFormVideos"] if i["id"] == "story")
    with av.open(str(clip_channel / "dist" / item["content"]["videos"][0]["url"].removeprefix("https://cdn.test/tv/"))) as c:
        assert abs(c.duration / 1e6 - 2.0) < 0.1  # seconds_per_photo = [2, 2]
        frames = [f.to_image() for f in c.decode(video=0)]
    card = title_card_image("Bridge closes for repairs", load_channel(clip_channel).artwork.title_card, (640, 360))
    assert psnr(frames[len(frames) // 2], card) >= 30
    thumb = Image.open(clip_channel / "dist" / item["thumbnail"].removeprefix("https://cdn.test/tv/")).convert("RGB")
    assert thumb.getpixel((5, 5)) == (0x20, 0x30, 0x40)
