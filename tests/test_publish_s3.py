"""Publishing against a real S3 server (moto over HTTP): incremental uploads, prune,
history, rollback, dry-run, injected faults and dropped connections, concurrent publishes.
After every failed publish the live feed must still parse, validate, and have every
object it references."""

import json
import random
import threading

import photos
import pytest
from botocore.exceptions import ConnectionClosedError
from conftest import article_text, copy_example

from packager.build import build
from packager.errors import PublishError
from packager.publish import INTERNAL_PREFIX, LOCK_KEY, feed_references, list_versions, publish_tree, rollback
from packager.stores import open_store
from packager.validate import validate_bytes

BASE = "https://cdn.example.com/riverside/"


def two_versions(folder):
    """Two builds of the example channel: A, and B with one photo changed and one article added."""
    channel = copy_example(folder / "channel")
    build(channel, out=folder / "A")
    photos.scene(1600, 1000, 77).save(channel / "photos" / "landscape.jpg", quality=72)
    (channel / "articles" / "late.md").write_text(
        article_text(title="Late story", date="2026-11-25T09:00:00+00:00", photo="../photos/square.jpg"))
    build(channel, out=folder / "B")


@pytest.fixture
def versions(built_once):
    """A copy of two_versions' builds (made once per test run)."""
    folder = built_once("example-two-versions", two_versions)
    return folder / "A", folder / "B"


class Requests:
    """Counts (and optionally breaks) the HTTP requests a store's client sends."""

    def __init__(self, store, fail_at=None, drop_rate=0.0, seed=0):
        self.sent = []
        self.fail_at, self.drop_rate = fail_at, drop_rate
        self.rnd = random.Random(seed)
        self.lock = threading.Lock()
        store.client.meta.events.register("before-send.s3", self.before_send)

    def before_send(self, request, **kw):
        with self.lock:
            self.sent.append((request.method, request.url))
            n = len(self.sent)
        if n == self.fail_at or (self.drop_rate and self.rnd.random() < self.drop_rate):
            raise ConnectionClosedError(endpoint_url=request.url)

    def puts(self):
        return [u.split("?")[0] for m, u in self.sent if m == "PUT"]


def store_for(s3_endpoint, bucket, prefix, retries=5):
    return open_store(f"s3://{bucket}/{prefix}", endpoint_url=s3_endpoint, retries=retries)


def assert_live_feed_whole(client, bucket, prefix):
    """The live feed parses, validates, and every object it references exists."""
    live = client.get_object(Bucket=bucket, Key=f"{prefix}/feed.json")["Body"].read()
    report = validate_bytes(live)
    assert report.valid, report.findings
    keys = {o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
            for o in page.get("Contents", [])}
    refs = feed_references(live, BASE)
    assert refs and all(f"{prefix}/{k}" in keys for k in refs), sorted(refs - {k.removeprefix(prefix + '/') for k in keys})
    return live


def test_one_changed_article_uploads_only_what_changed(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, b = versions
    store = store_for(s3_endpoint, name, "tv")
    publish_tree(a, store, base_url=BASE)
    requests = Requests(store)
    summary = publish_tree(b, store, base_url=BASE)
    puts = requests.puts()
    new_art = sorted(p.name for p in (b / "artwork").iterdir())
    old_art = sorted(p.name for p in (a / "artwork").iterdir())
    changed = sorted(set(new_art) - set(old_art))
    assert len(changed) == 1  # the changed photo; the new article shares an existing photo
    artwork_puts = sorted(p.rsplit("/", 1)[-1] for p in puts if "/artwork/" in p)
    assert artwork_puts == changed
    assert [p for p in puts if "/artwork/" not in p and INTERNAL_PREFIX not in p] == [
        next(p for p in puts if "/feeds/" in p), f"{s3_endpoint}/{name}/tv/feed.json"]
    assert summary.uploaded == 3 and summary.unchanged == 8
    assert all(m != "HEAD" for m, _ in requests.sent)  # planning never HEADs objects
    assert_live_feed_whole(client, name, "tv")


def test_dry_run_changes_nothing(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, b = versions
    store = store_for(s3_endpoint, name, "tv")
    publish_tree(a, store, base_url=BASE)
    before = client.list_objects_v2(Bucket=name)["Contents"]
    requests = Requests(store)
    lines = []
    summary = publish_tree(b, store, base_url=BASE, dry_run=True, prune=True, log=lines.append)
    assert requests.puts() == [] and all(m == "GET" for m, _ in requests.sent)
    assert client.list_objects_v2(Bucket=name)["Contents"] == before
    assert summary.uploaded == 3 and any(line.startswith("  upload artwork/") for line in lines)


@pytest.mark.slow
def test_prune_keeps_what_history_needs_and_nothing_else(example_channel, s3_endpoint, s3_bucket, tmp_path):
    client, name = s3_bucket
    store = store_for(s3_endpoint, name, "tv")
    client.put_object(Bucket=name, Key="tv/video/own.mp4", Body=b"publisher's own file")
    client.put_object(Bucket=name, Key="other/artwork/x.jpg", Body=b"outside the prefix")
    outs = []
    for n in range(4):
        photos.scene(1600, 1000, 100 + n).save(example_channel / "photos" / "landscape.jpg", quality=72)
        out = build(example_channel, out=tmp_path / f"v{n}").out
        outs.append(out)
        publish_tree(out, store, base_url=BASE, prune=True, keep_history=2, prune_grace=0,
                     now=__import__("datetime").datetime(2026, 11, 25, 10, n, tzinfo=__import__("datetime").timezone.utc))
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]}
    history = sorted(k for k in keys if k.startswith("tv/feeds/"))
    assert len(history) == 2 and history[-1].startswith("tv/feeds/feed-20261125T100300Z-") and history[-1].endswith("/feed.json")
    # Every artwork object is used by the live feed or a kept history version; the versions
    # dropped from history lost their unique artwork.
    needed = set()
    for k in history + ["tv/feed.json"]:
        needed |= {"tv/" + r for r in feed_references(client.get_object(Bucket=name, Key=k)["Body"].read(), BASE)}
    art = {k for k in keys if k.startswith("tv/artwork/")}
    live_tree = {"tv/artwork/" + p.name for p in (outs[-1] / "artwork").iterdir()}
    assert art == needed | live_tree
    first_landscape = {"tv/artwork/" + p.name for p in (outs[0] / "artwork").iterdir()} - live_tree
    assert first_landscape and not (first_landscape & keys)
    assert "tv/video/own.mp4" in keys and "other/artwork/x.jpg" in keys
    assert_live_feed_whole(client, name, "tv")


def test_history_and_rollback(versions, s3_endpoint, s3_bucket, cli, example_channel):
    client, name = s3_bucket
    a, b = versions
    store = store_for(s3_endpoint, name, "tv")
    publish_tree(a, store, base_url=BASE)
    publish_tree(b, store, base_url=BASE)
    target = ["--to", f"s3://{name}/tv", "--endpoint-url", s3_endpoint]
    r = cli("history", example_channel, *target)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert len(lines) == 2 and lines[0].endswith("(live)") and "10 items" in lines[0] and "9 items" in lines[1]
    r = cli("rollback", example_channel, *target)
    assert r.code == 0 and "9 items" in r.out, r
    live = assert_live_feed_whole(client, name, "tv")
    assert live == (a / "feed.json").read_bytes()
    assert [v.live for v in list_versions(store)] == [True, False]
    # Roll forward by name.
    newest = list_versions(store)[-1].name
    assert cli("rollback", example_channel, *target, "--version", newest[-8:]).code == 0
    assert assert_live_feed_whole(client, name, "tv") == (b / "feed.json").read_bytes()


def test_rollback_refuses_a_version_whose_artwork_is_gone(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, b = versions
    store = store_for(s3_endpoint, name, "tv")
    publish_tree(a, store, base_url=BASE)
    publish_tree(b, store, base_url=BASE)
    only_a = sorted({p.name for p in (a / "artwork").iterdir()} - {p.name for p in (b / "artwork").iterdir()})
    client.delete_object(Bucket=name, Key=f"tv/artwork/{only_a[0]}")
    with pytest.raises(PublishError, match="needs 1 objects that are gone"):
        rollback(store, BASE)
    assert assert_live_feed_whole(client, name, "tv") == (b / "feed.json").read_bytes()


@pytest.mark.slow
def test_injected_failures_never_break_the_live_feed(versions, s3_endpoint, s3_bucket):
    """Fail the Nth request (no retries) for N across the whole publish: listing, lock,
    artwork, history copy, feed.json, unlock."""
    client, name = s3_bucket
    a, b = versions
    probe = store_for(s3_endpoint, name, "probe")
    publish_tree(a, probe, base_url=BASE)
    counter = Requests(probe)
    publish_tree(b, probe, base_url=BASE)
    total = len(counter.sent)
    assert total >= 8
    for n in sorted({1, 2, 3, 4, 5, total // 2, total - 3, total - 2, total - 1, total}):
        prefix = f"fault{n}"
        store = store_for(s3_endpoint, name, prefix, retries=1)
        publish_tree(a, store, base_url=BASE)
        Requests(store, fail_at=n)
        try:
            publish_tree(b, store, base_url=BASE, lock_wait=0)
            failed = False
        except PublishError:
            failed = True
        live = assert_live_feed_whole(client, name, prefix)
        assert live in ((a / "feed.json").read_bytes(), (b / "feed.json").read_bytes())
        # A clean publish afterwards completes and makes B live.
        clean = store_for(s3_endpoint, name, prefix)
        publish_tree(b, clean, base_url=BASE, lock_wait=5)
        assert assert_live_feed_whole(client, name, prefix) == (b / "feed.json").read_bytes(), n
        assert failed or n > total - 2, n  # only failures after feed.json may go unnoticed


@pytest.mark.slow
def test_random_dropped_connections(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, b = versions
    store = store_for(s3_endpoint, name, "drops", retries=2)
    publish_tree(a, store, base_url=BASE)
    for seed in range(6):
        Requests(store, drop_rate=0.15, seed=seed)
        try:
            publish_tree(b if seed % 2 == 0 else a, store, base_url=BASE, lock_wait=20)
        except PublishError:
            pass
        assert_live_feed_whole(client, name, "drops")
        store = store_for(s3_endpoint, name, "drops", retries=2)  # a fresh client without the hook
    publish_tree(b, store, base_url=BASE, lock_wait=20)
    assert assert_live_feed_whole(client, name, "drops") == (b / "feed.json").read_bytes()


@pytest.mark.slow
def test_concurrent_publishes_end_consistent(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, b = versions
    results = {}

    def run(label, out):
        try:
            results[label] = publish_tree(out, store_for(s3_endpoint, name, "both"), base_url=BASE, lock_wait=30)
        except PublishError as e:
            results[label] = e

    threads = [threading.Thread(target=run, args=("a", a)), threading.Thread(target=run, args=("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not isinstance(r, Exception) for r in results.values()), results
    live = assert_live_feed_whole(client, name, "both")
    assert live in ((a / "feed.json").read_bytes(), (b / "feed.json").read_bytes())
    lock = json.loads(client.get_object(Bucket=name, Key=f"both/{LOCK_KEY}")["Body"].read())
    assert lock["released"] is True


def test_a_held_lock_is_reported(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, _ = versions
    store = store_for(s3_endpoint, name, "locked")
    import time as _time
    now = _time.time()
    client.put_object(Bucket=name, Key=f"locked/{LOCK_KEY}", Body=json.dumps(
        {"token": "x", "host": "newsroom-1", "pid": 4242, "started": now, "expires": now + 30}).encode())
    with pytest.raises(PublishError, match="another publish by host newsroom-1, pid 4242, .* holds .*unlock"):
        publish_tree(a, store, base_url=BASE, lock_wait=0.5)
    # An expired lease (a publish that died) is taken over at once.
    client.put_object(Bucket=name, Key=f"locked/{LOCK_KEY}", Body=json.dumps(
        {"token": "x", "host": "newsroom-1", "pid": 4242, "started": now - 60, "expires": now - 1}).encode())
    lines = []
    publish_tree(a, store, base_url=BASE, lock_wait=0, log=lines.append)
    assert any("taking over an expired publish lease (publish by host newsroom-1, pid 4242" in line for line in lines), lines
    assert_live_feed_whole(client, name, "locked")


def test_folder_target_has_the_same_semantics(versions, tmp_path, cli, example_channel):
    a, b = versions
    store = open_store((tmp_path / "site").as_uri())
    publish_tree(a, store, base_url=BASE)
    publish_tree(b, store, base_url=BASE, prune=True, keep_history=0, prune_grace=0)
    site = tmp_path / "site"
    assert (site / "feed.json").read_bytes() == (b / "feed.json").read_bytes()
    assert {p.name for p in (site / "artwork").iterdir()} == {p.name for p in (b / "artwork").iterdir()}
    assert json.loads((site / ".roku-packager" / "lock").read_bytes())["released"] is True
    assert not (site / "feeds").exists() or not any((site / "feeds").iterdir())  # keep_history = 0
    r = cli("rollback", example_channel, "--to", site.as_uri())
    assert r.code == 1 and "no feed history to roll back to" in r.err, r


def test_other_feeds_go_live_after_the_artwork_and_are_not_immutable(versions_with_outputs, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    out, _ = versions_with_outputs  # the example channel with the MRSS and search feeds on
    store = store_for(s3_endpoint, name, "tv")
    requests = Requests(store)
    publish_tree(out, store, base_url=BASE)
    puts = [p.rsplit("/tv/", 1)[1] for p in requests.puts() if "/tv/" in p and INTERNAL_PREFIX not in p]
    last_art = max(i for i, k in enumerate(puts) if k.startswith("artwork/"))
    assert min(puts.index("feed.xml"), puts.index("search-feed.json")) > last_art
    assert puts[-1] == "feed.json"
    for key, ctype in (("feed.xml", "application/rss+xml; charset=utf-8"), ("search-feed.json", "application/json; charset=utf-8")):
        head = client.head_object(Bucket=name, Key=f"tv/{key}")
        assert head["ContentType"] == ctype and head["CacheControl"] == "public, max-age=300"
