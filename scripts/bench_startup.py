"""Start-up cost of the command line, each command beside bare `python -c pass` measured in
the same run (machines are noisy: compare the differences, not the absolute times).

  .venv/bin/python scripts/bench_startup.py

Prints, for --help, `validate` of a 2 KB feed and a no-op `build` of the example channel,
the best-of-N wall time and its difference to bare Python (goal: --help and validate within
0.15 s of bare Python). Then a cold and a no-op build of 40 twelve-megapixel photos (goal:
the no-op build under 25% of the cold one)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def wall(argv: list[str], runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        best = min(best, time.perf_counter() - t0)
    return best


def small_feed(folder: Path) -> Path:
    item = {"id": "a1", "title": "Council passes budget", "shortDescription": "The council voted 5-2.",
            "thumbnail": "https://cdn.example.com/a.jpg", "releaseDate": "2026-11-24", "genres": ["news"],
            "tags": ["council"],
            "content": {"dateAdded": "2026-11-25T03:15:00+00:00", "duration": 95, "language": "en",
                        "videos": [{"url": "https://cdn.example.com/a.m3u8", "quality": "HD", "videoType": "HLS"}]}}
    feed = {"providerName": "Bench", "language": "en", "lastUpdated": "2026-11-25T03:15:00+00:00",
            "shortFormVideos": [dict(item, id=f"a{i}") for i in range(5)]}
    path = folder / "feed.json"
    path.write_text(json.dumps(feed))
    return path


def photo_channel(folder: Path, n: int = 40) -> Path:
    from PIL import Image

    root = folder / "photos40"
    (root / "articles").mkdir(parents=True)
    (root / "photos").mkdir()
    (root / "channel.toml").write_text('[channel]\nprovider_name = "Bench"\nlanguage = "en"\n'
                                       'base_url = "https://cdn.example.com/tv/"\n')
    base = Image.effect_mandelbrot((4000, 3000), (-2.2, -1.2, 1.0, 1.2), 60).convert("RGB")
    for i in range(n):
        base.rotate(i * 3, expand=False).save(root / "photos" / f"p{i}.jpg", quality=88)
        (root / "articles" / f"a{i}.md").write_text(
            f"---\ntitle: Story {i}\ndate: 2026-11-{1 + i % 28:02d}T10:00:00+00:00\nphoto: ../photos/p{i}.jpg\n"
            f"video:\n  url: https://cdn.example.com/v/{i}.m3u8\n  duration: 60\n---\nBody of story {i}.\n")
    return root


def main() -> None:
    cli = [PY, "-m", "packager"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        feed = small_feed(tmp)
        channel = tmp / "channel"
        shutil.copytree(ROOT / "examples" / "channel", channel, ignore=shutil.ignore_patterns("dist", "public"))
        subprocess.run(cli + ["build", str(channel)], check=True, capture_output=True)
        bare = wall([PY, "-c", "pass"])
        print(f"bare python: {bare * 1000:.0f} ms")
        for label, argv in (("--help", cli + ["--help"]), ("validate 2 KB feed", cli + ["validate", str(feed)]),
                            ("no-op build, example channel", cli + ["build", str(channel)])):
            t = wall(argv)
            goal = " (goal: within 150 ms)" if "build" not in label else ""
            print(f"{label}: {t * 1000:.0f} ms, bare python + {(t - bare) * 1000:.0f} ms{goal}")
        photos = photo_channel(tmp)
        t0 = time.perf_counter()
        subprocess.run(cli + ["build", str(photos)], check=True, capture_output=True)
        cold = time.perf_counter() - t0
        noop = wall(cli + ["build", str(photos)], runs=3)
        print(f"40 x 12 MP photos: cold build {cold:.2f} s, no-op rebuild {noop:.2f} s = {noop / cold:.0%} "
              f"of cold (goal: under 25%)")


if __name__ == "__main__":
    main()
