"""How big a feed the generated channel app loads within Roku's 20-second launch budget: the
bound `[app]` channels use instead of the DP template's 500 KiB (dp.APP_MAX_BODY).

  .venv/bin/python scripts/bench_app_feed.py [--sizes 500,1000,2000,4000,8000]

For each size, a DP feed of that many items shaped like a real migrated library (titles,
short and long descriptions, a thumbnail URL, tags, genres, one HLS and one MP4 video, a
caption; categories by tag) is served over HTTP on 127.0.0.1, and the app's own data layer
(source/feedfetch.brs and source/feedmodel.brs from the generated zip, unchanged) fetches,
parses (FeedModel_Parse) and models it (FeedModel_Build) in brs-engine's brs-cli, the
interpreter the tests run the app in, timed inside BrightScript with roTimespan. The baseline
is the same run for a feed at the template's limit (500 KiB), so the ratios compare like with
like on this machine.

The bound: the largest feed whose fetch + parse + model time in brs-cli stays within the
launch budget, from a line fitted through the measured sizes. brs-cli is the stand-in for a
device here: its function calls cost about 0.2 ms each (a device's are far cheaper), and its
fetch is over loopback (a device's network is slower). It
prints the bytes per item, each size's times and ratio to the baseline, and the bound."""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRS_CLI = ROOT / "tests" / "roku" / "node_modules" / ".bin" / "brs-cli"
LAUNCH_BUDGET_MS = 20_000
SHARE = 1.0  # of the budget, for fetch + parse + model as measured here (brs-cli calls cost more than a device's)
TEMPLATE_MAX_BODY = 500 * 1024

MAIN = """
sub Main()
    t = Chr(9)
    url = ReadAsciiFile("pkg:/url.txt").Trim()
    clock = CreateObject("roTimespan")
    clock.Mark()
    fetched = FeedFetch_Get(url, 60000, 0)
    fetchMs = clock.TotalMilliseconds()
    clock.Mark()
    parsed = FeedModel_Parse(fetched.text)
    parseMs = clock.TotalMilliseconds()
    clock.Mark()
    model = FeedModel_Build(parsed.feed)
    buildMs = clock.TotalMilliseconds()
    print "TIMES" + t + fetchMs.ToStr() + t + parseMs.ToStr() + t + buildMs.ToStr() + t + model.order.Count().ToStr() + t + model.rows.Count().ToStr()
end sub
"""

WORDS = ("council budget river school storm election harbour market festival bridge library mayor "
         "police transit housing museum stadium weather court hospital").split()


def library(n: int) -> dict:
    """A migrated library of n shortFormVideos and movies, the same bytes every run."""
    items = []
    for i in range(n):
        w = [WORDS[(i * k + k) % len(WORDS)] for k in range(1, 8)]
        title = f"{w[0].title()} {w[1]} and the {w[2]}: part {i % 7 + 1}"
        short = f"The {w[0]} {w[1]} story from our archive, with the {w[2]} and {w[3]} in focus ({i})."
        long = " ".join([short] + [f"Reporters follow the {w[k]} as the {w[k + 1]} changes." for k in range(3)] * 3)
        items.append({
            "id": f"vimeo-{1_000_000 + i}", "title": title, "shortDescription": short, "longDescription": long[:480],
            "thumbnail": f"https://i.vimeocdn.example.com/video/{1_000_000 + i}-1920x1080.jpg",
            "releaseDate": f"20{10 + i % 15:02d}-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
            "genres": ["news"], "tags": [w[0], w[1], f"season{i % 5 + 1}"],
            "content": {"dateAdded": f"20{10 + i % 15:02d}-{i % 12 + 1:02d}-{i % 28 + 1:02d}T12:00:00+00:00",
                        "duration": 300 + i % 3000, "language": "en",
                        "videos": [{"url": f"https://player.vimeo.example.com/external/{1_000_000 + i}.m3u8?s=4f2a9c1b",
                                    "quality": "HD", "videoType": "HLS"},
                                   {"url": f"https://player.vimeo.example.com/external/{1_000_000 + i}.hd.mp4?s=4f2a9c1b",
                                    "quality": "FHD", "videoType": "MP4", "bitrate": 4500}],
                        "captions": [{"url": f"https://cdn.example.com/cc/{1_000_000 + i}.vtt", "language": "en",
                                      "captionType": "CLOSED_CAPTION"}]},
        })
    return {"providerName": "Bench TV", "language": "en", "lastUpdated": "2026-11-24T10:00:00+00:00",
            "shortFormVideos": items,
            "categories": [{"name": w.title(), "query": w, "order": "most_recent"} for w in WORDS[:8]]}


def items_for_bytes(target: int) -> int:
    per_item = len(json.dumps(library(100), separators=(",", ":"))) / 100
    return max(1, int(target / per_item))


def data_layer() -> dict[str, bytes]:
    """The data layer `roku-packager channel` puts in the app, copied unchanged."""
    source = ROOT / "packager" / "rokuapp" / "app" / "source"
    return {f"source/{name}": (source / name).read_bytes() for name in ("feedfetch.brs", "feedmodel.brs")}


def run(files: dict[str, bytes], url: str, work: Path) -> tuple[int, int, int, int, int, int]:
    """(fetch, parse, model ms by roTimespan; items; rows; the interpreter's CPU ms)."""
    path = work / "bench.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest", "title=feed bench\nmajor_version=1\nminor_version=0\nbuild_version=0\n")
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("source/main.brs", MAIN)
        z.writestr("url.txt", url)
    out = work / "out.txt"
    with out.open("w") as f:
        proc = subprocess.Popen([str(BRS_CLI), str(path), "--colors", "0"], cwd=work, stdout=f, stderr=subprocess.STDOUT)
        # CPU time, not wall time: on a shared machine the wall clock measures the neighbours.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = round((usage.ru_utime + usage.ru_stime) * 1000)
    for line in out.read_text().splitlines():
        if line.startswith("TIMES\t"):
            fetch, parse, build, count, rows = (int(x) for x in line.split("\t")[1:])
            return fetch, parse, build, count, rows, cpu
    raise SystemExit(f"brs-cli gave no times:\n{out.read_text()[-2000:]}")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        return


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,1000,2000,4000,8000", help="items per feed, comma separated")
    args = ap.parse_args()
    if not BRS_CLI.exists():
        raise SystemExit(f"{BRS_CLI} is missing: run `npm ci` in tests/roku")
    files = data_layer()
    work = Path(tempfile.mkdtemp(prefix="bench-app-feed-"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(work)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        sizes = [1, items_for_bytes(TEMPLATE_MAX_BODY - 4096)] + [int(s) for s in args.sizes.split(",")]
        results = []
        for n in sizes:
            body = json.dumps(library(n), separators=(",", ":")).encode()
            (work / f"feed-{n}.json").write_bytes(body)
            fetch, parse, build, count, rows, cpu = run(files, f"{base}feed-{n}.json", work)
            assert count == n, (count, n)
            results.append((n, len(body), fetch, parse, build, cpu))
        idle = results[0][5]  # the interpreter starting and reading a one-item feed
        results = results[1:]
        base_cpu = results[0][5] - idle
        print(f"brs-cli (brs-engine) on this machine, load average {os.getloadavg()[0]:.1f}; launch budget "
              f"{LAUNCH_BUDGET_MS / 1000:g} s for fetch + parse + model")
        print("wall: roTimespan inside BrightScript; cpu: the interpreter's CPU time less its start-up "
              f"({idle} ms), which the wall clock of a shared machine inflates")
        print(f"{'items':>6} {'bytes':>11} {'B/item':>7} {'fetch ms':>9} {'parse ms':>9} {'model ms':>9} {'wall ms':>8} "
              f"{'cpu ms':>7} {'x base':>7}")
        for n, size, fetch, parse, build, cpu in results:
            print(f"{n:>6} {size:>11,} {size / n:>7.0f} {fetch:>9} {parse:>9} {build:>9} {fetch + parse + build:>8} "
                  f"{cpu - idle:>7} {(cpu - idle) / max(base_cpu, 1):>7.2f}")
        # CPU time grows linearly with bytes: the bound is where the fitted line meets the budget.
        (_, s0, *_, c0), (_, s1, *_, c1) = results[0], results[-1]
        per_byte = ((c1 - idle) - (c0 - idle)) / (s1 - s0)
        fixed = (c0 - idle) - per_byte * s0
        bound = int((LAUNCH_BUDGET_MS * SHARE - fixed) / per_byte)
        per_item = results[-1][1] / results[-1][0]
        print(f"fitted: {fixed:.0f} ms + {per_byte * 1e6:.0f} ms per MB of CPU; within {LAUNCH_BUDGET_MS * SHARE / 1000:g} s: "
              f"{bound:,} bytes (about {bound / per_item:,.0f} items of {per_item:.0f} bytes)")
        print(f"baseline (the template's 500 KiB, {results[0][0]} items): {base_cpu} ms of CPU")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
