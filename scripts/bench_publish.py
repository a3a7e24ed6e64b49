"""Publishing speed against a local S3 server (moto), in the same run:

1. first publish of N objects (default 2,000) with roku-packager, next to a plain 8-thread
   boto3 put_object loop over the same files (the ratio is the number to watch: goal within
   10%);
2. a no-op re-publish: wall time and requests by kind (goal: under 2 s, no PUT, one LIST
   page per 1,000 objects);
3. a publish SIGKILLed mid-upload, then the time until the next publish has succeeded
   (goal: under 60 s; it waits out the dead publisher's 30 s lease), next to the same
   publish with no dead lease in the way;
4. the bucket as the cache: a clean checkout (no dist/) of an unchanged channel of
   --articles photo stories (default 200) and --clips text-only stories rendered as clips
   (default 4) published again: renders and PUTs counted (goal: zero of each), its time
   beside a warm no-op publish of the same channel (dist/ present).

    python scripts/bench_publish.py [--objects N] [--articles N] [--clips N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE = "https://cdn.example.com/tv/"


def make_tree(root: Path, n: int) -> None:
    rnd = os.urandom
    (root / "artwork").mkdir(parents=True)
    items = []
    for i in range(n - 1):
        name = f"artwork/{i:024x}.jpg"
        (root / name).write_bytes(rnd(30_000))  # typical 1280x720 JPEG size
        items.append({"id": f"i{i}", "thumbnail": BASE + name})
    (root / "feed.json").write_text(json.dumps({"providerName": "Bench", "shortFormVideos": items}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--objects", type=int, default=2000)
    p.add_argument("--jobs", type=int, default=8)
    p.add_argument("--articles", type=int, default=200)
    p.add_argument("--clips", type=int, default=4)
    args = p.parse_args()

    import logging

    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    from packager.publish import publish_tree
    from packager.stores import open_store

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        tree = tmp / "dist"
        make_tree(tree, args.objects)
        client = boto3.client("s3", endpoint_url=endpoint,
                              config=Config(max_pool_connections=args.jobs + 2, retries={"mode": "standard"}))
        files = sorted(p for p in tree.rglob("*") if p.is_file())

        def plain_loop(bucket: str) -> float:
            client.create_bucket(Bucket=bucket)

            def plain_put(path: Path):
                client.put_object(Bucket=bucket, Key="plain/" + path.relative_to(tree).as_posix(),
                                  Body=path.read_bytes(), ContentType="image/jpeg")

            t = time.perf_counter()
            with ThreadPoolExecutor(args.jobs) as pool:
                list(pool.map(plain_put, files))
            return time.perf_counter() - t

        # Each run gets its own bucket, and the plain loop runs before and after ours, so
        # neither side pays for the other's objects or for a warming server.
        plain_before = plain_loop("plain-before")
        client.create_bucket(Bucket="bench")

        store = open_store("s3://bench/ours", endpoint_url=endpoint)
        requests = Counter()
        store.client.meta.events.register("before-send.s3", lambda request, **kw: requests.update(
            ["LIST" if request.method == "GET" and "list-type=2" in request.url else request.method]))
        t = time.perf_counter()
        first = publish_tree(tree, store, base_url=BASE, jobs=args.jobs, log=lambda *_: None)
        ours = time.perf_counter() - t
        plain = (plain_before + plain_loop("plain-after")) / 2
        n = len(files)
        print(f"first publish of {n:,} objects: roku-packager {n / ours:,.0f} objects/s ({ours:.2f} s, "
              f"{first.uploaded} PUTs incl. history copy); plain {args.jobs}-thread put_object loop "
              f"{n / plain:,.0f} objects/s ({plain:.2f} s); ratio {plain / ours:.2f} (goal >= 0.90)")

        requests.clear()
        t = time.perf_counter()
        again = publish_tree(tree, store, base_url=BASE, jobs=args.jobs, log=lambda *_: None)
        noop = time.perf_counter() - t
        print(f"no-op re-publish: {noop:.2f} s (goal < 2 s), requests {dict(requests)}, "
              f"uploaded {again.uploaded}, unchanged {again.unchanged}; "
              f"LIST pages {requests['LIST']} for {n + 1:,} objects (goal {-(-(n + 1) // 1000)})")

        kill_to_next(tree, endpoint, args.objects)
        clean_checkout(tmp, endpoint, args.articles, args.clips)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        server.stop()


def _new_objects(tree: Path, tag: str, n: int) -> None:
    for i in range(n):
        (tree / "artwork" / f"{tag}{i:06d}.jpg").write_bytes(os.urandom(30_000))


def kill_to_next(tree: Path, endpoint: str, n: int) -> None:
    import signal
    import subprocess
    import sys

    import boto3

    from packager.publish import LOCK_KEY, publish_tree
    from packager.stores import open_store

    client = boto3.client("s3", endpoint_url=endpoint)
    quiet = {"base_url": BASE, "log": lambda *_: None}
    # Baseline: a publish of n new objects with nothing in its way.
    _new_objects(tree, "base", n)
    t = time.perf_counter()
    publish_tree(tree, open_store("s3://bench/ours", endpoint_url=endpoint), **quiet)
    baseline = time.perf_counter() - t

    _new_objects(tree, "killed", n)
    code = ("import sys; from pathlib import Path; from packager.publish import publish_tree; "
            "from packager.stores import open_store; publish_tree(Path(sys.argv[1]), "
            f"open_store('s3://bench/ours', endpoint_url=sys.argv[2]), base_url={BASE!r}, log=lambda *_: None)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tree), endpoint])
    while proc.poll() is None:  # kill once it holds the lease and has sent some artwork
        try:
            lock = json.loads(client.get_object(Bucket="bench", Key=f"ours/{LOCK_KEY}")["Body"].read())
        except client.exceptions.NoSuchKey:
            lock = {}
        if lock.get("pid") == proc.pid and not lock.get("released"):
            time.sleep(0.5)
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = time.perf_counter()
    took_over = []

    def log(line):
        if line.startswith("taking over"):
            took_over.append(time.perf_counter() - killed_at)

    publish_tree(tree, open_store("s3://bench/ours", endpoint_url=endpoint), base_url=BASE, lock_wait=120, log=log)
    recovered = time.perf_counter() - killed_at
    print(f"SIGKILLed publish -> next successful publish: {recovered:.1f} s (goal < 60 s), of which waiting "
          f"for the dead lease to run out {took_over[0] if took_over else 0:.1f} s (lease 30 s); the same publish "
          f"of {n:,} new objects with no dead lease: {baseline:.1f} s; ratio {recovered / baseline:.1f}")


def _channel(root: Path, articles: int, clips: int) -> Path:
    from PIL import Image

    (root / "articles").mkdir(parents=True)
    (root / "photos").mkdir()
    (root / "channel.toml").write_text('[channel]\nprovider_name = "Bench"\nlanguage = "en"\n'
                                       f'base_url = "{BASE}"\n[clips]\nrender = "missing"\nwidth = 640\nheight = 360\n'
                                       'seconds_per_photo = [3, 3]\nintro_seconds = 1\n')
    for i in range(articles + clips):
        Image.effect_mandelbrot((1600, 900), (-2.2 + i * 0.001, -1.2, 1.0, 1.2), 30).convert("RGB").save(
            root / "photos" / f"p{i}.jpg", quality=85)
        video = "" if i >= articles else f"video:\n  url: https://cdn.example.com/v/{i}.m3u8\n  duration: 60\n"
        (root / "articles" / f"a{i}.md").write_text(
            f"---\ntitle: Story {i}\ndate: 2026-11-{1 + i % 28:02d}T10:00:00+00:00\nphoto: ../photos/p{i}.jpg\n{video}"
            f"---\nBody of story {i}.\n")
    return root


def clean_checkout(tmp: Path, endpoint: str, articles: int, clips: int) -> None:
    """A CI runner's fresh clone of an unchanged channel: the bucket is the cache."""
    from packager.build import build
    from packager.publish import publish_tree, published_objects
    from packager.stores import open_store

    source = _channel(tmp / "channel-src", articles, clips)
    target = "s3://bench-cache/tv"
    store = open_store(target, endpoint_url=endpoint)
    store.client.create_bucket(Bucket="bench-cache")
    first = build(source)
    publish_tree(first.out, store, base_url=BASE, log=lambda *_: None)

    requests: Counter = Counter()
    store = open_store(target, endpoint_url=endpoint)
    store.client.meta.events.register("before-call.s3", lambda model, **kw: requests.update([model.name]))
    t = time.perf_counter()
    warm = build(source)  # dist/ present: the usual no-op
    publish_tree(warm.out, store, base_url=BASE, log=lambda *_: None, listing=store.list())
    warm_s = time.perf_counter() - t

    clone = tmp / "channel-clone"
    shutil.copytree(source, clone, ignore=shutil.ignore_patterns("dist"))
    requests.clear()
    t = time.perf_counter()
    listing = store.list()
    fresh = build(clone, published=published_objects(store, listing))
    summary = publish_tree(fresh.out, store, base_url=BASE, log=lambda *_: None, listing=listing)
    fresh_s = time.perf_counter() - t
    print(f"clean checkout of an unchanged channel ({articles} photo stories, {clips} clips): "
          f"{fresh.rendered or 'nothing rendered'}; {summary.uploaded} PUTs; requests {dict(requests)}; "
          f"{fresh_s:.2f} s beside a warm no-op publish {warm_s:.2f} s (ratio {fresh_s / warm_s:.1f}); "
          f"the first build rendered: {first.rendered}")


if __name__ == "__main__":
    main()
