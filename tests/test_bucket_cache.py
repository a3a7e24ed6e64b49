"""The bucket is the cache (#15): a clean checkout of an unchanged channel, clips included,
publishes with zero renders, zero PUTs and one LIST, against a real S3 server (moto)."""

from __future__ import annotations

import json
import shutil
from collections import Counter

from conftest import ROOT

from packager.build import build
from packager.publish import publish_tree, published_objects
from packager.stores import open_store

BASE = "https://cdn.example.com/showcase/"


def checkout(tmp_path, name: str):
    """A fresh copy of the showcase channel (text-only article rendered as a clip): no dist/."""
    dest = tmp_path / name
    shutil.copytree(ROOT / "examples" / "showcase", dest, ignore=shutil.ignore_patterns("dist", "public"))
    return dest


def counted_store(target: str, endpoint: str) -> tuple[object, Counter]:
    store = open_store(target, endpoint_url=endpoint)
    calls: Counter = Counter()
    store.client.meta.events.register("before-call.s3", lambda model, **kw: calls.update([model.name]))
    return store, calls


def test_a_clean_checkout_of_an_unchanged_channel_renders_and_uploads_nothing(tmp_path, s3_server, bucket, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    _, name = bucket
    target = f"s3://{name}/tv"
    first = build(checkout(tmp_path, "runner1"))
    assert first.rendered and "clip" in first.rendered  # the first runner renders
    publish_tree(first.out, open_store(target, endpoint_url=s3_server), base_url=BASE, log=lambda *_: None)

    # A second CI runner: a fresh clone, no dist/, the same channel.
    store, calls = counted_store(target, s3_server)
    listing = store.list()
    second = build(checkout(tmp_path, "runner2"), published=published_objects(store, listing))
    assert second.rendered is None, second.rendered  # zero renders: no photo, no clip
    assert second.body == first.body  # the same feed, bytes and all (clip measurements from the live feed)
    assert not (second.out / "clips").exists() and not (second.out / "artwork").exists()  # they stay on the target
    summary = publish_tree(second.out, store, base_url=BASE, log=lambda *_: None, listing=listing)
    assert summary.uploaded == 0
    assert calls["PutObject"] == 0 and calls["CreateMultipartUpload"] == 0
    assert calls["ListObjectsV2"] == 1, calls  # one page: fewer than 1,000 objects


def test_a_changed_article_renders_only_itself(tmp_path, s3_server, bucket, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    _, name = bucket
    target = f"s3://{name}/tv"
    first = build(checkout(tmp_path, "a"))
    publish_tree(first.out, open_store(target, endpoint_url=s3_server), base_url=BASE, log=lambda *_: None)
    channel = checkout(tmp_path, "b")
    story = channel / "articles" / "bridge-closure.md"
    story.write_text(story.read_text().replace('title: "', 'title: "Update: ', 1))
    store = open_store(target, endpoint_url=s3_server)
    second = build(channel, published=published_objects(store, store.list()))
    assert second.rendered is not None and "1 clip" in second.rendered, second.rendered  # only the changed story
    feed = json.loads(second.body)
    clip_urls = [v["url"] for i in feed["shortFormVideos"] for v in i["content"]["videos"] if "/clips/" in v["url"]]
    assert len(clip_urls) == 1 and (second.out / clip_urls[0].removeprefix(BASE)).is_file()


def test_publish_command_uses_the_target_as_cache(tmp_path, s3_server, bucket, cli, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    _, name = bucket
    args = ["--to", f"s3://{name}/tv", "--endpoint-url", s3_server]
    assert cli("publish", checkout(tmp_path, "one"), *args).code == 0
    r = cli("publish", checkout(tmp_path, "two"), *args)
    assert r.code == 0 and "rendered" not in r.err and "uploaded 0 objects" in r.out, r
    three = checkout(tmp_path, "three")
    with (three / "channel.toml").open("a") as f:  # build --reuse-from takes the endpoint from [publish]
        f.write(f'\n[publish]\nendpoint_url = "{s3_server}"\n')
    r = cli("build", three, "--reuse-from", f"s3://{name}/tv")
    assert r.code == 0 and "rendered" not in r.err, r
    assert not (three / "dist" / "clips").exists()
