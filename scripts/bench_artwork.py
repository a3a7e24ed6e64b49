"""Artwork speed against pyvips, in the same run.

Generates photo-like JPEGs (12 MP and 2.5 MP, with noise and detail), then renders the
renditions with the project's pipeline and with pyvips `thumbnail` (same sizes, same
centre crop, baseline quality-85 JPEG), and prints images/s for both and the ratio.
First, the content-aware crop's cost against the old centre crop (same photos, same run).
Also times a no-op rebuild of a 1,000-article channel.

    pip install -e '.[bench]'      # pyvips with its binary libvips
    python scripts/bench_artwork.py [--images N] [--jobs N]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_example_photos import scene  # noqa: E402

from packager.imaging import RenderSpec, render_photo  # noqa: E402

SIZES = ((1920, 1080), (800, 450))


def photo_jpeg(w: int, h: int, seed: int) -> bytes:
    from PIL import Image, ImageFilter

    im = scene(w, h, seed)
    # Fine detail on top of the scene: sharpened noise, like foliage or fabric.
    detail = Image.effect_noise((w, h), 60).convert("RGB").filter(ImageFilter.SHARPEN)
    im = Image.blend(im, detail, 0.12)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def ours(data: bytes, spec: RenderSpec) -> int:
    return sum(len(b) for _, _, b in render_photo(data, ".jpg", spec, 100_000_000))


def vips(data: bytes, sizes) -> int:
    """pyvips as documented: one thumbnail (shrink-on-load, centre crop) per size."""
    import pyvips

    total = 0
    for w, h in sizes:
        im = pyvips.Image.thumbnail_buffer(data, w, height=h, crop="centre", size="down")
        total += len(im.jpegsave_buffer(Q=85, interlace=False, strip=True, optimize_coding=True))
    return total


def vips_derived(data: bytes, sizes) -> int:
    """pyvips at its fastest: decode once, smaller sizes from the largest in memory."""
    import pyvips

    (w, h), *rest = sizes
    big = pyvips.Image.thumbnail_buffer(data, w, height=h, crop="centre", size="down").copy_memory()
    total = len(big.jpegsave_buffer(Q=85, interlace=False, strip=True, optimize_coding=True))
    for rw, rh in rest:
        small = big.thumbnail_image(rw, height=rh, crop="centre")
        total += len(small.jpegsave_buffer(Q=85, interlace=False, strip=True, optimize_coding=True))
    return total


def rate(fn, items, jobs: int) -> float:
    t = time.perf_counter()
    if jobs == 1:
        for x in items:
            fn(x)
    else:
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(fn, items))
    return len(items) / (time.perf_counter() - t)


def bench_crop(n: int) -> None:
    """The content-aware crop (the default, [artwork] crop = "smart") against the old centre
    crop, same photos, same process, one thread, CPU time. Interleaved, and each photo's
    best of three, so a busy machine's load falls on both alike. Budget: at most 10% slower."""
    for label, (w, h) in (("12 MP", (4000, 3000)), ("2.5 MP", (1936, 1296))):
        photos = [photo_jpeg(w, h, seed) for seed in range(n)]
        specs = {crop: RenderSpec(renditions=SIZES, fit="cover", crop=crop) for crop in ("centre", "smart")}
        ours(photos[0], specs["smart"])  # warm up: the face cascade is parsed once per process
        spent = dict.fromkeys(specs, 0.0)
        for data in photos:
            best = dict.fromkeys(specs, float("inf"))
            for _ in range(3):
                for crop, spec in specs.items():
                    t = time.process_time()
                    ours(data, spec)
                    best[crop] = min(best[crop], time.process_time() - t)
            for crop in specs:
                spent[crop] += best[crop]
        print(f"{label} JPEG, cold artwork: centre crop {1000 * spent['centre'] / n:.0f} ms/image, "
              f"smart crop {1000 * spent['smart'] / n:.0f} ms/image (CPU); ratio {spent['smart'] / spent['centre']:.2f}x "
              f"(budget <= 1.10x)")


def bench_formats(n: int, jobs: int) -> None:
    try:
        import pyvips
    except ImportError:
        sys.exit("pyvips is missing: pip install -e '.[bench]'")
    spec = RenderSpec(renditions=SIZES, fit="cover", crop="smart")  # the default crop
    for label, (w, h) in (("12 MP", (4000, 3000)), ("2.5 MP", (1936, 1296))):
        photos = [photo_jpeg(w, h, seed) for seed in range(n)]
        ours(photos[0], spec), vips(photos[0], SIZES)  # warm up both
        for threads in sorted({1, jobs}):
            pyvips.cache_set_max(0)
            os.environ["VIPS_CONCURRENCY"] = str(threads)
            a = rate(lambda d: ours(d, spec), photos, threads)
            b = rate(lambda d: vips(d, SIZES), photos, threads)
            c = rate(lambda d: vips_derived(d, SIZES), photos, threads)
            print(f"{label} JPEG -> {SIZES[0][0]}x{SIZES[0][1]} + {SIZES[1][0]}x{SIZES[1][1]}, {threads} thread(s): "
                  f"roku-packager {a:.1f} images/s ({1000 / a * threads:.0f} ms/image/core); "
                  f"pyvips thumbnail per size {b:.1f} images/s, ratio {a / b:.2f}x (goal >= 1.2x on 12 MP); "
                  f"pyvips derived in memory {c:.1f} images/s, ratio {a / c:.2f}x")


def bench_noop_rebuild(articles: int) -> None:
    from packager.build import build

    tmp = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    try:
        root = tmp / "channel"
        (root / "articles").mkdir(parents=True)
        (root / "photos").mkdir()
        (root / "channel.toml").write_text('[channel]\nprovider_name = "Bench"\nlanguage = "en"\n'
                                           'base_url = "https://cdn.example.com/tv/"\n')
        for i in range(articles):
            (root / "photos" / f"p{i}.jpg").write_bytes(photo_jpeg(1600, 900, i % 50 + i * 7919))
            (root / "articles" / f"a{i}.md").write_text(
                f"---\ntitle: Story {i}\ndate: 2026-01-01T00:00:00+00:00\ntags: [local]\nphoto: ../photos/p{i}.jpg\n"
                f"video:\n  url: https://cdn.example.com/v/{i}.m3u8\n  duration: 60\n---\nBody of story {i}. " * 1)
        t = time.perf_counter()
        build(root)
        first = time.perf_counter() - t
        t = time.perf_counter()
        result = build(root)
        again = time.perf_counter() - t
        print(f"{articles:,} articles: first build {first:.2f} s, no-op rebuild {again:.2f} s "
              f"({result.item_count} items; ratio {first / again:.0f}x; goal < 1 s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=12)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--articles", type=int, default=1000)
    p.add_argument("--crop-only", action="store_true", help="only the smart-vs-centre crop comparison (no pyvips needed)")
    args = p.parse_args()
    bench_crop(args.images)
    if args.crop_only:
        return
    bench_formats(args.images, args.jobs)
    bench_noop_rebuild(args.articles)


if __name__ == "__main__":
    main()
