"""Video files (#23): an article naming a local MP4, and a phone's rotated .mov, packaged as
an HLS ladder of CMAF segments with captions, BIF and a poster; played in Chromium by hls.js;
decoded back with PyAV and measured. The sources are made here with PyAV, a few seconds at
small sizes (2 cores are shared by the whole team)."""

import http.server
import io
import json
import math
import re
import shutil
import struct
import subprocess
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import CHANNEL_TOML, ROOT
from videos import make_video

from packager.build import build
from packager.publish import content_type_for
from packager.video.loudness import integrated_loudness

LADDER = """
[video]
ladder = ["360p", {height = 240, bitrate_kbps = 300}, {height = 180, bitrate_kbps = 200}]
segment_seconds = 2
trickplay_interval = 1
mp4 = true
"""
SRT = "1\n00:00:00,500 --> 00:00:01,800\nGood evening.\n\n2\n00:00:02,000 --> 00:00:03,500\nThe bridge is closed.\n"


def article(title, video, extra=""):
    return f"---\ntitle: \"{title}\"\ndate: 2026-03-0{len(title) % 9 + 1}T10:00:00Z\nvideo: {video}\n{extra}---\n{title}.\n"


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    root = tmp_path_factory.mktemp("video") / "ch"
    (root / "articles").mkdir(parents=True)
    (root / "channel.toml").write_text(CHANNEL_TOML + LADDER)
    # An edited package: its GOP (18 frames, B-frames) doesn't line up with our segments.
    make_video(root / "media" / "interview.mp4", seconds=4.2, size=(640, 360), fps=25, tone_db=-30, gop=18)
    (root / "media" / "interview.srt").write_text(SRT)
    # A phone held upright: landscape pixels, a display matrix turning them a quarter,
    # uneven frame timing, mono sound.
    make_video(root / "media" / "IMG_0042.mov", seconds=3.0, size=(320, 240), fps=30, rotation=-90,
               audio_channels=1, jitter=True, tone_db=-8)
    (root / "articles" / "interview.md").write_text(article("Mayor interview", "../media/interview.mp4"))
    (root / "articles" / "phone.md").write_text(article("Flooded street", "{file: ../media/IMG_0042.mov}"))
    return root


@pytest.fixture(scope="module")
def built(channel):
    result = build(channel)
    feed = json.loads((channel / "dist" / "feed.json").read_bytes())
    items = {i["id"]: i for i in feed["shortFormVideos"]}
    return result, items


def local(url: str, root: Path) -> Path:
    return root / "dist" / url.removeprefix("https://cdn.test/tv/")


def playlist_attrs(master: str) -> list[dict]:
    out = []
    lines = master.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            out.append({k: v.strip('"') for k, v in attrs.items()} | {"uri": lines[i + 1]})
    return out


def segments_of(playlist: Path) -> tuple[str, list[tuple[str, float]]]:
    text = playlist.read_text()
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text).group(1)
    return init, [(uri, float(d)) for d, uri in re.findall(r"#EXTINF:([0-9.]+),\n(\S+)", text)]


def first_sample_is_sync(fragment: bytes) -> bool:
    i = fragment.index(b"trun")
    return struct.unpack(">I", fragment[i + 16 + 8:i + 16 + 12])[0] == 0x02000000


def decode_track(folder: Path, playlist: str):
    init, segs = segments_of(folder / playlist)
    data = (folder / init).read_bytes() + b"".join((folder / u).read_bytes() for u, _ in segs)
    with av.open(io.BytesIO(data)) as c:
        s = c.streams[0]
        frames = list(c.decode(s))
        return frames, segs


def test_feed_items_are_hls_with_measured_duration_captions_trickplay_and_poster(channel, built):
    result, items = built
    assert not result.skipped, result.skipped
    interview, phone = items["interview"], items["phone"]
    for item in (interview, phone):
        videos = item["content"]["videos"]
        assert videos[0]["videoType"] == "HLS" and videos[0]["url"].endswith("/master.m3u8")
        assert [v["videoType"] for v in videos[1:]] == ["MP4"] * (len(videos) - 1)  # [video] mp4 = true
        assert item["content"]["trickPlayFiles"] == [{"url": videos[0]["url"].replace("master.m3u8", "trickplay-hd.bif"),
                                                      "quality": "HD"}]
        assert local(item["thumbnail"], channel).is_file()  # artwork from the poster frame (no photo given)
    assert interview["content"]["duration"] == 5 and phone["content"]["duration"] == 3  # 4.2 s rounded up
    assert interview["content"]["videos"][0]["quality"] == "SD"
    (caption,) = interview["content"]["captions"]
    assert caption["language"] == "en" and caption["captionType"] == "CLOSED_CAPTION"
    vtt = local(caption["url"], channel).read_text()
    assert vtt.startswith("WEBVTT\n") and "00:00:00.500 --> 00:00:01.800\nGood evening." in vtt
    assert "captions" not in phone["content"]


def test_master_playlist_ladder_never_upscaled_and_keyframes_aligned(channel, built):
    _, items = built
    folder = local(items["interview"]["content"]["videos"][0]["url"], channel).parent
    variants = playlist_attrs((folder / "master.m3u8").read_text())
    assert [v["RESOLUTION"] for v in variants] == ["640x360", "426x240", "320x180"]
    for v in variants:
        assert v["CODECS"].startswith("avc1.64") and v["CODECS"].endswith(",mp4a.40.2")
        assert v["FRAME-RATE"] == "25.000" and int(v["BANDWIDTH"]) >= int(v["AVERAGE-BANDWIDTH"]) > 0
    boundaries = set()
    for v in variants:
        init, segs = segments_of(folder / v["uri"])
        assert [d for _, d in segs] == [2.0, 2.0, 0.2]
        for uri, _ in segs:
            assert first_sample_is_sync((folder / uri).read_bytes()), uri
        boundaries.add(tuple(d for _, d in segs))
    assert len(boundaries) == 1
    # The phone video's 360p rung is taller than its 240-pixel short side: left out.
    phone = local(items["phone"]["content"]["videos"][0]["url"], channel).parent
    assert [v["RESOLUTION"] for v in playlist_attrs((phone / "master.m3u8").read_text())] == ["240x320", "180x240"]


def test_renditions_decode_to_the_source_frames_upright_and_audio_at_minus_24_lkfs(channel, built):
    _, items = built
    folder = local(items["interview"]["content"]["videos"][0]["url"], channel).parent
    for name in ("360p.m3u8", "180p.m3u8"):
        frames, _ = decode_track(folder, name)
        assert len(frames) == 105  # 4.2 s at 25 fps
    frames, _ = decode_track(folder, "audio.m3u8")
    samples = np.concatenate([f.to_ndarray().reshape(2, -1) if f.format.is_planar else f.to_ndarray().reshape(-1, 2).T
                              for f in frames], axis=1)
    assert abs(integrated_loudness(samples) - (-24)) < 1.0  # the source was at about -33
    phone = local(items["phone"]["content"]["videos"][0]["url"], channel).parent
    frames, _ = decode_track(phone, "240p.m3u8")
    assert (frames[0].width, frames[0].height) == (240, 320) and len(frames) == 90
    # Upright: the source's white box is a horizontal bar in landscape pixels; turned a
    # quarter clockwise it stands vertically, so the picture has more bright columns than rows.
    y = frames[0].to_ndarray(format="gray").astype(int)
    assert (y > 230).any(axis=0).sum() < (y > 230).any(axis=1).sum()


def test_bif_files_hold_a_frame_a_second(channel, built):
    _, items = built
    folder = local(items["interview"]["content"]["videos"][0]["url"], channel).parent
    for name, size in (("trickplay-hd.bif", (320, 180)), ("trickplay-sd.bif", (240, 136))):
        data = (folder / name).read_bytes()
        assert data[:8] == b"\x89BIF\r\n\x1a\n"
        count, interval = struct.unpack("<II", data[12:20])
        assert (count, interval) == (5, 1000)
        first = struct.unpack("<I", data[64 + 4:64 + 8])[0]
        from PIL import Image
        assert Image.open(io.BytesIO(data[first:])).size == size


def test_rebuild_is_byte_identical_and_reuses_the_packages(channel, built, tmp_path):
    result, _ = built
    again = build(channel, out=tmp_path / "again")
    dist, other = channel / "dist", tmp_path / "again"
    files = sorted(p.relative_to(dist).as_posix() for p in (dist / "video").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(other).as_posix() for p in (other / "video").rglob("*") if p.is_file())
    assert all((dist / f).read_bytes() == (other / f).read_bytes() for f in files)
    assert (dist / "feed.json").read_bytes() == (other / "feed.json").read_bytes()
    warm = build(channel)
    assert "video task" not in (warm.rendered or ""), warm.rendered  # nothing packaged again
    assert again.rendered and "video task" in again.rendered


def test_content_types():
    assert content_type_for("video/x/master.m3u8") == "application/vnd.apple.mpegurl"
    assert content_type_for("video/x/720p/seg-00001.m4s") == "video/mp4"
    assert content_type_for("video/x/720p.mp4") == "video/mp4"
    assert content_type_for("video/captions/x.en.vtt").startswith("text/vtt")


# ---------------------------------------------------------------- bad input

def test_bad_video_files_are_one_line_each_and_leave_nothing(make_channel, tmp_path, cli):
    root = make_channel({}, LADDER)
    media = root / "media"
    good = make_video(media / "good.mp4", seconds=1.0, size=(320, 180), fps=25)
    (media / "truncated.mp4").write_bytes(good.read_bytes()[:len(good.read_bytes()) // 3])
    (media / "notes.mp4").write_text("not a video")
    with av.open(str(media / "sound.mp4"), "w") as c:  # a file with sound and no pictures
        a = c.add_stream("aac", rate=48000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 48000, 0
        for p in list(a.encode(frame)) + list(a.encode()):
            c.mux(p)
    make_video(media / "tilted.mov", seconds=0.5, size=(160, 96), fps=25, rotation=45)
    for name in ("truncated.mp4", "notes.mp4", "sound.mp4", "tilted.mov", "missing.mp4"):
        (root / "articles" / f"{name.split('.')[0]}.md").write_text(
            article(name, f"../media/{name}", "photo: ../photos/a.jpg\n"))
    (root / "articles" / "good.md").write_text(article("good", "../media/good.mp4", "photo: ../photos/a.jpg\n"))
    r = cli("build", root)
    assert r.code == 0, r
    lines = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(lines) == 5, r.err
    said = "\n".join(lines)
    assert re.search(r"truncated\.md: video\.file: truncated\.mp4", said)
    assert "notes.md: video.file: notes.mp4 can't be read as a video" in said
    assert "sound.md: video: sound.mp4 has no video stream" in said
    assert "tilted.md: video.file: tilted.mov is rotated" in said and "quarter turn" in said
    assert "missing.md: video.file: media/missing.mp4 not found (paths are relative to the article file)" in said
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    assert [i["id"] for i in feed["shortFormVideos"]] == ["good"]
    (folder,) = (root / "dist" / "video").iterdir()  # only the good one's package
    assert folder.name in feed["shortFormVideos"][0]["content"]["videos"][0]["url"]
    leftovers = [p.name for p in root.iterdir() if p.name.startswith(".dist")]
    assert not leftovers


def test_a_video_over_max_bytes_is_refused_before_reading(make_channel, cli):
    root = make_channel({}, LADDER + "max_bytes = 1000\n")
    make_video(root / "media" / "big.mp4", seconds=1.0, size=(320, 180), fps=25)
    (root / "articles" / "big.md").write_text(article("big", "../media/big.mp4", "photo: ../photos/a.jpg\n"))
    (root / "articles" / "ok.md").write_text("---\ntitle: ok\ndate: 2026-01-01\nphoto: ../photos/a.jpg\n"
                                             "video: {url: https://cdn.test/a.m3u8, duration: 5}\n---\nok\n")
    r = cli("build", root)
    assert r.code == 0 and "big.md: video.file: big.mp4 is 0.0 GB, more than [video] max_bytes" in r.err, r


# ---------------------------------------------------------------- playback in a real browser

HLS_JS = ROOT / "tests" / "video" / "node_modules" / "hls.js" / "dist" / "hls.min.js"


@pytest.fixture(scope="module")
def hls_js():
    if not HLS_JS.is_file():
        subprocess.run(["npm", "ci" if (HLS_JS.parents[3] / "package-lock.json").is_file() else "install",
                        "--no-audit", "--no-fund"], cwd=HLS_JS.parents[3], check=True, capture_output=True)
    return HLS_JS


@pytest.fixture(scope="module")
def http_root(channel, built, hls_js, tmp_path_factory):
    www = tmp_path_factory.mktemp("www")
    (www / "dist").symlink_to(channel / "dist")
    shutil.copy(hls_js, www / "hls.min.js")
    (www / "play.html").write_text("<!DOCTYPE html><video id=v muted playsinline></video>"
                                    "<script src='hls.min.js'></script>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


PLAY_LEVEL = """async ([master, size]) => {
  const video = document.getElementById('v');
  const hls = new Hls({capLevelToPlayerSize: false});
  const seen = new Set();
  hls.on(Hls.Events.FRAG_BUFFERED, (_, d) => { if (d.frag.type === 'main') seen.add(d.frag.level); });
  const errors = [];
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) errors.push(d.details); });
  hls.loadSource(master);
  hls.attachMedia(video);
  await new Promise(r => hls.on(Hls.Events.MANIFEST_PARSED, r));
  const level = hls.levels.findIndex(l => l.width === size[0] && l.height === size[1]);
  hls.currentLevel = level;  // this rendition only
  hls.autoLevelEnabled = false;
  video.playbackRate = 4;
  await video.play();
  const t0 = performance.now();
  while (!video.ended && !errors.length && performance.now() - t0 < 20000) await new Promise(r => setTimeout(r, 50));
  const out = {ended: video.ended, duration: video.duration, time: video.currentTime, levels: [...seen],
               errors, width: video.videoWidth, height: video.videoHeight, count: hls.levels.length, level,
               decoded: video.getVideoPlaybackQuality().totalVideoFrames};
  hls.destroy();
  return out;
}"""


def test_every_rendition_plays_in_chromium_with_hls_js(channel, built, http_root, browser):
    _, items = built
    page = browser.new_page()
    page.goto(http_root + "play.html")
    assert page.evaluate("Hls.isSupported()")
    for item_id, seconds, sizes in (("interview", 105 / 25, [(640, 360), (426, 240), (320, 180)]),
                                    ("phone", 3.0, [(240, 320), (180, 240)])):
        master = items[item_id]["content"]["videos"][0]["url"].replace("https://cdn.test/tv/", http_root + "dist/")
        for size in sizes:
            out = page.evaluate(PLAY_LEVEL, [master, size])
            assert out["ended"] and not out["errors"], (item_id, size, out)
            assert out["count"] == len(sizes) and out["level"] >= 0 and out["levels"] == [out["level"]], out
            assert (out["width"], out["height"]) == size, out
            fps = 25 if item_id == "interview" else 30
            assert abs(out["duration"] - seconds) <= 1 / fps + 1e-3, out  # within one frame of the source
            assert out["decoded"] > 0
    page.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    from test_preview_serve import CHROMIUM_ARGS
    path = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS + ["--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


def test_probe_sees_the_phone_rotation_and_the_frame_rate(channel):
    from packager.video.probe import probe
    p = probe(channel / "media" / "IMG_0042.mov")
    assert (p.rotation, p.display, p.audio_channels) == (90, (240, 320), 1)
    assert p.fps == Fraction(30) and abs(p.duration - 3.0) < 0.05


# ---------------------------------------------------------------- clips: captions, and HLS

def test_text_clips_carry_captions_of_what_they_show_and_can_be_hls(make_channel):
    root = make_channel({}, '\n[clips]\nrender = "missing"\nformat = "hls"\nwidth = 640\nheight = 360\nfps = 25\n'
                            'seconds_per_photo = [2, 2]\nintro_seconds = 1\nbitrate_kbps = 600\n'
                            '\n[video]\nladder = ["360p", {height = 180, bitrate_kbps = 200}]\nsegment_seconds = 2\n')
    from conftest import photo
    photo(root / "photos" / "b.jpg", color=(20, 90, 160))
    (root / "articles" / "bridge.md").write_text(
        "---\ntitle: \"Bridge closes\"\ndate: 2026-11-20T10:00:00Z\nphotos:\n"
        "  - {path: ../photos/a.jpg, caption: \"The bridge at dawn.\"}\n"
        "  - {path: ../photos/b.jpg, caption: \"Crews at work.\"}\n---\nThe bridge is closed.\n")
    result = build(root)
    assert not result.skipped, result.skipped
    item = json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"][0]
    hls, mp4 = item["content"]["videos"]
    assert hls["videoType"] == "HLS" and mp4["videoType"] == "MP4" and mp4["url"].endswith(".mp4")
    (caption,) = item["content"]["captions"]
    vtt = local(caption["url"], root).read_text()
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+(?:\n.+)*)", vtt)
    assert [c[2] for c in cues] == ["Bridge closes", "Bridge closes\nThe bridge at dawn.", "Crews at work."]
    assert cues[0][0] == "00:00:00.000" and cues[1][0] == cues[0][1] and cues[2][0] == cues[1][1]
    folder = local(hls["url"], root).parent
    assert [v["RESOLUTION"] for v in playlist_attrs((folder / "master.m3u8").read_text())] == ["640x360", "320x180"]
    frames, _ = decode_track(folder, "360p.m3u8")
    with av.open(str(local(mp4["url"], root))) as c:
        assert len(frames) == sum(1 for _ in c.decode(video=0))
    assert item["content"]["duration"] == math.ceil(len(frames) / 25 - 1e-6)


def test_preview_plays_the_items_stream_with_its_captions(channel, built, http_root, browser, cli):
    r = cli("preview", channel)
    assert r.code == 0, r
    assert (channel / "dist" / "preview" / "hls.min.js").read_bytes() == HLS_JS.read_bytes()
    assert "Apache License" in (channel / "dist" / "preview" / "hls.js-LICENSE").read_text()
    page = browser.new_page()
    page.goto(http_root + "dist/preview.html")
    page.click(".item[data-id=interview]")
    out = page.evaluate("""async () => {
      const video = document.querySelector('#details video');
      video.muted = true;
      await video.play();
      const t0 = performance.now();
      while (video.currentTime < 1 && performance.now() - t0 < 15000) await new Promise(r => setTimeout(r, 50));
      return {time: video.currentTime, width: video.videoWidth, tracks: [...video.textTracks].map(t => t.language),
              hls: !!window.Hls};
    }""")
    assert out["time"] >= 1 and out["width"] > 0 and out["tracks"] == ["en"] and out["hls"], out
    page.close()


# ---------------------------------------------------------------- publish: Content-Types, the bucket as the cache

def test_published_with_content_types_and_a_clean_checkout_packages_nothing(channel, built, tmp_path, s3_server,
                                                                            bucket, cli):
    from packager.publish import publish_tree, published_objects
    from packager.stores import open_store

    client, name = bucket
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_server)
    publish_tree(channel / "dist", store, base_url="https://cdn.test/tv/", log=lambda *_: None)
    _, items = built
    master = items["interview"]["content"]["videos"][0]["url"].removeprefix("https://cdn.test/tv/")
    folder = master.rsplit("/", 1)[0]
    for key, kind in ((master, "application/vnd.apple.mpegurl"), (f"{folder}/360p/seg-00001.m4s", "video/mp4"),
                      (f"{folder}/360p/init.mp4", "video/mp4"), (f"{folder}/360p.mp4", "video/mp4"),
                      (items["interview"]["content"]["captions"][0]["url"].removeprefix("https://cdn.test/tv/"), "text/vtt")):
        assert client.head_object(Bucket=name, Key=f"tv/{key}")["ContentType"].startswith(kind), key
    # A CI runner's clean checkout: no dist/, the same sources. The packages are on the target.
    clone = tmp_path / "clone"
    shutil.copytree(channel, clone, ignore=shutil.ignore_patterns("dist"))
    again = build(clone, published=published_objects(store, store.list()))
    # Nothing packaged; only the two poster frames are found again (artwork is named by their bytes).
    assert again.rendered == "rendered 2 poster frames here (2 slots)", again.rendered
    assert again.body == built[0].body
    assert not (clone / "dist" / "video" / folder.split("/")[1]).exists()  # stays on the target


def test_a_json_export_names_its_video_file(make_channel, cli):
    """A CMS export (mapped with [[sources]] fields) whose items name their video files."""
    root = make_channel({}, '\n[[sources]]\ntype = "json"\npath = "export/stories.json"\n'
                            'fields = { title = "headline", date = "published_at", body = "text", video = "media.file" }\n'
                            '\n[video]\nladder = ["180p"]\nsegment_seconds = 2\ntrickplay = false\n')
    make_video(root / "export" / "uploads" / "council.mp4", seconds=1.0, size=(320, 180), fps=25)
    (root / "export" / "stories.json").write_text(json.dumps([
        {"id": "council-vote", "headline": "Council votes", "published_at": "2026-03-01T09:00:00Z",
         "text": "<p>The council voted.</p>", "media": {"file": "uploads/council.mp4"}},
        {"id": "broken", "headline": "Broken link", "published_at": "2026-03-01T09:00:00Z",
         "text": "<p>Gone.</p>", "media": {"file": "uploads/gone.mp4"}}]))
    r = cli("build", root)
    assert r.code == 0, r
    assert "broken): video.file (mapped from media.file): export/uploads/gone.mp4 not found" in r.err, r.err
    (item,) = json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"]
    assert item["id"] == "council-vote" and item["content"]["videos"][0]["videoType"] == "HLS"
    assert item["content"]["duration"] == 1


def test_plans_for_odd_shapes_and_rates():
    """Slow motion is thinned to <= 60 fps; a portrait phone video's rungs are its short side;
    a source smaller than every rung is packaged once at its own size; NTSC rates keep an
    exact timescale."""
    from packager.config import VideoSettings
    from packager.video.probe import Probe
    from packager.video.stage import plan_for

    def probe(w, h, fps, rotation=0, seconds=10.0):
        return Probe(duration=seconds, width=w, height=h, sar=Fraction(1), fps=Fraction(fps), video_codec="hevc",
                     rotation=rotation, audio_codec="aac", audio_channels=2, audio_rate=48000, start=0.0,
                     audio_start=0.0, pix_fmt="yuv420p")
    slowmo = plan_for(probe(1920, 1080, 240), VideoSettings())
    assert slowmo.fps == 60 and slowmo.frames == 600 and [r.name for r in slowmo.renditions] == ["1080p", "720p", "480p", "360p"]
    phone = plan_for(probe(1920, 1080, Fraction(30000, 1001), rotation=90), VideoSettings())
    assert [(r.width, r.height) for r in phone.renditions] == [(1080, 1920), (720, 1280), (480, 854), (360, 640)]
    assert phone.timescale == 90000 and phone.ticks == 3003
    tiny = plan_for(probe(300, 170, 25), VideoSettings())
    assert [(r.name, r.width, r.height, r.kbps) for r in tiny.renditions] == [("170p", 300, 170, 400)]
    film = plan_for(probe(1280, 720, Fraction(24000, 1001)), VideoSettings())
    assert (film.timescale, film.ticks) == (24000, 1001) and film.segment_frames == 96


def test_a_video_path_written_from_the_channel_folder_is_told_the_path_to_write(make_channel, cli):
    """A newcomer puts media/ beside articles/ and writes `video: media/x.mp4`: the line says
    where it was looked for and what to write, as it does for a photo."""
    root = make_channel({}, LADDER)
    (root / "media").mkdir()
    (root / "media" / "x.mp4").write_bytes(b"\0")  # never read: the path is wrong
    (root / "articles" / "river.md").write_text(article("River", "media/x.mp4", "photo: ../photos/a.jpg\n"))
    (root / "articles" / "ok.md").write_text(
        article("Ok", "{url: https://cdn.example.com/v/ok.m3u8, duration: 60}", "photo: ../photos/a.jpg\n"))
    r = cli("build", root)
    assert r.code == 0, r
    assert ("skipped: articles/river.md: video.file: articles/media/x.mp4 not found (paths are relative"
            " to the article file); there is media/x.mp4: write ../media/x.mp4") in r.err, r.err
