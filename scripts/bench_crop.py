"""Crops that keep what matters: how many of tests/crop/'s real photos keep their whole
subject box (recorded by hand in tests/crop/subjects.json), with the old centre crop and
with the content-aware one, in the same run; and what the analysis costs per photo.

    python scripts/bench_crop.py [--verbose]

Each photo is rendered as 1280x720 artwork twice per fit: `auto` (the default: graphics and
photos far from 16:9 are contained, so nothing is cut) and `cover` (every photo cropped).
A contained photo keeps its subject by definition; a cropped one keeps it when the subject
box lies inside the crop (1 px of slack for rounding).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from packager.imaging import RenderSpec, decode, render_photo

PHOTOS = Path(__file__).resolve().parent.parent / "tests" / "crop"
SIZES = ((1280, 720),)


def layout_of(data: bytes, suffix: str, fit: str, crop: str):
    # min_size lowered: these copies are small; where the crop goes doesn't depend on it.
    spec = RenderSpec(renditions=SIZES, fit=fit, crop=crop, min_size=(16, 9))
    return decode(data, suffix, spec, 100_000_000)[1]


def keeps(layout, subject) -> bool:
    if layout.fit != "cover":
        return True
    left, top, right, bottom = layout.box
    return subject[0] >= left - 1 and subject[1] >= top - 1 and subject[2] <= right + 1 and subject[3] <= bottom + 1


def cost(photos: list[tuple[bytes, str]], crop: str, rounds: int = 3) -> float:
    spec = RenderSpec(renditions=SIZES, fit="cover", crop=crop, min_size=(16, 9))
    t = time.process_time()
    for _ in range(rounds):
        for data, suffix in photos:
            render_photo(data, suffix, spec, 100_000_000)
    return (time.process_time() - t) / (rounds * len(photos))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--verbose", action="store_true", help="one line per photo")
    args = p.parse_args()
    cases = json.loads((PHOTOS / "subjects.json").read_text())["photos"]
    totals = {}
    for case in cases:
        path = PHOTOS / case["file"]
        data = path.read_bytes()
        row = []
        for fit in ("auto", "cover"):
            for crop in ("centre", "smart"):
                layout = layout_of(data, path.suffix, fit, crop)
                kept = keeps(layout, case["subject"])
                totals[fit, crop] = totals.get((fit, crop), 0) + kept
                row.append(f"{fit}/{crop} {'kept' if kept else 'CUT '} ({layout.fit})")
        if args.verbose:
            print(f"{case['file']:28} " + "  ".join(row))
    n = len(cases)
    for fit in ("auto", "cover"):
        print(f"fit = {fit:5}: whole subject kept in {totals[fit, 'centre']}/{n} photos with the centre crop, "
              f"{totals[fit, 'smart']}/{n} with crop = \"smart\"")
    photos = [(c, (PHOTOS / c["file"])) for c in cases]
    photos = [(path.read_bytes(), path.suffix) for _, path in photos]
    cost(photos[:2], "smart", 1)  # warm up: the cascade is parsed once per process
    old, new = cost(photos, "centre"), cost(photos, "smart")
    print(f"render cost on these photos (CPU, cover): centre {old * 1000:.1f} ms, smart {new * 1000:.1f} ms per photo; "
          f"ratio {new / old:.2f}x (the cold-artwork benchmark, scripts/bench_artwork.py, holds the 10% budget)")


if __name__ == "__main__":
    main()
