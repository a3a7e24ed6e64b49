"""Clip rendering speed, in seconds of video per wall-clock second:
(1) a build, start-up included, of two text-only articles with five photos (default 720p
clips; goal >= 4x real time on a 2-core machine: both clips render at once, each on its
own encoder thread);
(2) one 40-second, 4-photo 720p clip alone, both presets.
Baseline in the same run: encoding the same number of frames of one still picture with
the same encoder settings, which is the floor any renderer pays.

    python scripts/bench_clips.py [--build-only]
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_example_photos import scene  # noqa: E402

from packager.clips import render_clip  # noqa: E402
from packager.config import ClipSettings, TitleCardSettings  # noqa: E402
from packager.model import Article, ClipPhoto  # noqa: E402


def bench_build(tmp: Path) -> None:
    """`roku-packager build` in a fresh process on a two-article channel, start-up included."""
    import json
    import subprocess

    root = tmp / "channel"
    (root / "articles").mkdir(parents=True)
    (root / "photos").mkdir()
    (root / "channel.toml").write_text('[channel]\nprovider_name = "Bench"\nlanguage = "en"\n'
                                       'base_url = "https://cdn.test/tv/"\n\n[clips]\nrender = "missing"\n')
    for i in range(5):
        scene(3000, 2000, 60 + i).save(root / "photos" / f"p{i}.jpg", quality=88)
    for n, (title, picks) in enumerate((("Council approves the harbour budget after a long night", (0, 1, 2)),
                                        ("Storm closes the coast road", (3, 4)))):
        listed = "".join(f"  - {{path: ../photos/p{i}.jpg, caption: \"Photo {i} of the story, with a caption.\"}}\n"
                         for i in picks)
        (root / "articles" / f"s{n}.md").write_text(f"---\ntitle: \"{title}\"\ndate: 2026-11-2{n}T10:00:00Z\n"
                                                   f"photos:\n{listed}---\nText of the story.\n")
    import resource

    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "packager", "build", str(root)], capture_output=True, text=True)
    took = time.perf_counter() - t
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    assert r.returncode == 0, r.stderr
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    seconds = sum(_duration(root, v) for v in feed["shortFormVideos"])
    print(f"build of 2 text-only articles, 5 photos: {seconds:.1f} s of 720p video in {took:.1f} s wall "
          f"(start-up included) = {seconds / took:.1f}x real time (goal >= 4x); {r.stderr.strip().splitlines()[-1]}")
    cores = os.cpu_count() or 1
    print(f"  CPU {cpu:.1f} s = {cpu / took:.2f} of {cores} cores busy on average; if the cores were ours alone: "
          f"at best {seconds / max(cpu / cores, 1e-9):.1f}x (load average now {os.getloadavg()[0]:.1f})")


def _duration(root: Path, item: dict) -> float:
    import av

    url = item["content"]["videos"][0]["url"]
    with av.open(str(root / "dist" / url.removeprefix("https://cdn.test/tv/"))) as c:
        return c.duration / 1e6


def main() -> None:
    from datetime import datetime, timezone

    import av

    tmp = Path(tempfile.mkdtemp(prefix="bench-clips-"))
    bench_build(tmp)
    if "--build-only" in sys.argv:
        return
    photos = []
    for i in range(4):
        p = tmp / f"p{i}.jpg"
        scene(3000, 2000, 40 + i).save(p, quality=88)
        photos.append(ClipPhoto(p, f"Caption number {i} for the lower third.", None))
    # 3 s intro + 4 photos x 10 s - 4 crossfades of 0.6 s = 40.6 s
    article = Article(source="bench.md", id="bench", title="A headline for the benchmark clip",
                      date=datetime(2026, 1, 1, tzinfo=timezone.utc), short_description="x", long_description=None,
                      tags=(), genres=("news",), photo=photos[0].path, video=None, photos=tuple(photos))
    for preset in ("superfast", "veryfast"):
        settings = ClipSettings(render="missing", seconds_per_photo=(10.0, 10.0), intro_seconds=3.0, preset=preset)
        t = time.perf_counter()
        info = render_clip(article, settings, TitleCardSettings(), tmp, f"clips/{preset}.mp4")
        took = time.perf_counter() - t
        print(f"preset {preset}: {info.duration:.1f} s 720p clip, 4 photos, rendered in {took:.1f} s = "
              f"{info.duration / took:.1f}x real time (goal >= 4x); {info.bitrate_kbps} kbps (target "
              f"{settings.bitrate_kbps}); mid-photo PSNR vs the RGB drawing {psnr_mid(tmp / f'clips/{preset}.mp4', article, settings):.1f} dB")

    frames = round(info.duration * settings.fps)
    still = av.VideoFrame.from_image(scene(1280, 720, 1))
    container = av.open(str(tmp / "still.mp4"), "w", format="mp4")
    v = container.add_stream("libx264", rate=settings.fps)
    v.width, v.height, v.pix_fmt, v.bit_rate = 1280, 720, "yuv420p", settings.bitrate_kbps * 1000
    v.options = {"preset": "veryfast", "profile": "high"}
    t = time.perf_counter()
    for k in range(frames):
        still.pts = k
        for packet in v.encode(still):
            container.mux(packet)
    for packet in v.encode():
        container.mux(packet)
    container.close()
    base = time.perf_counter() - t
    print(f"baseline, encoding {frames} frames of one still (veryfast): {base:.1f} s = {info.duration / base:.1f}x real time")


def psnr_mid(path: Path, article, settings) -> float:
    import math

    import av
    from PIL import ImageChops, ImageStat

    from packager.clips import Renderer

    renderer = Renderer(article, settings, TitleCardSettings(), 100_000_000)
    wanted = {round((s + e) / 2 * settings.fps) for s, e in renderer.spans[1:]}
    total = 0.0
    with av.open(str(path)) as c:
        for k, frame in enumerate(c.decode(video=0)):
            if k in wanted:
                diff = ImageChops.difference(frame.to_image(), renderer.frame_rgb(k))
                mse = sum(v * v for v in ImageStat.Stat(diff).rms) / 3
                total += 10 * math.log10(255 ** 2 / max(mse, 1e-9))
    return total / len(wanted)


if __name__ == "__main__":
    main()
