"""History keeps every feed file of a version together and rollback restores the set;
prune spares what a kept version uses (whatever host its URLs name) and anything newer
than its grace period; large objects go up in parts and are never sent twice. Against
moto and Ceph's RADOS Gateway."""

import hashlib
import json
from collections import Counter

import pytest
from conftest import mark_as_built

from packager.build import build
from packager.errors import PublishError
from packager.publish import MANIFEST_KEY, list_versions, publish_tree, rollback
from packager.stores import MULTIPART_THRESHOLD, PART_SIZE, open_store

BASE = "https://cdn.example.com/riverside/"
DOCS = ("feed.json", "feed.xml", "search-feed.json")


@pytest.fixture
def channel(example_channel):
    toml = example_channel / "channel.toml"
    toml.write_text(toml.read_text() + "\n[outputs]\nmrss = true\nsearch_feed = true\n")
    return example_channel


@pytest.fixture
def versions(versions_with_outputs):
    return versions_with_outputs


def body(client, name, key) -> bytes:
    return client.get_object(Bucket=name, Key=key)["Body"].read()


def keys(client, name, prefix) -> set[str]:
    return {o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=prefix)
            for o in page.get("Contents", [])}


def test_rollback_restores_every_feed_file(versions, s3_endpoint, s3_bucket, cli, channel):
    client, name = s3_bucket
    a, b = versions
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_endpoint)
    publish_tree(a, store, base_url=BASE)
    publish_tree(b, store, base_url=BASE)
    assert all(body(client, name, f"tv/{d}") == (b / d).read_bytes() for d in DOCS)
    target = ["--to", f"s3://{name}/tv", "--endpoint-url", s3_endpoint]
    r = cli("history", channel, *target)
    lines = r.out.splitlines()
    assert r.code == 0 and len(lines) == 2 and lines[0].endswith("feed.json feed.xml search-feed.json  (live)"), r
    assert lines[1].endswith("  feed.json feed.xml search-feed.json"), r
    r = cli("rollback", channel, *target)
    assert r.code == 0 and "restored feed.json, feed.xml, search-feed.json" in r.out, r
    for d in DOCS:
        assert body(client, name, f"tv/{d}") == (a / d).read_bytes(), d
        # Restored documents keep their live Content-Type and short cache.
        head = client.head_object(Bucket=name, Key=f"tv/{d}")
        assert head["CacheControl"] == "public, max-age=300" and head["ContentType"].endswith("charset=utf-8")


def test_rollback_refuses_a_version_that_does_not_parse_or_lost_its_artwork(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, b = versions
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_endpoint)
    publish_tree(a, store, base_url=BASE)
    publish_tree(b, store, base_url=BASE)
    older = list_versions(store)[0]
    good = body(client, name, f"tv/{older.files['feed.xml']}")
    client.put_object(Bucket=name, Key=f"tv/{older.files['feed.xml']}", Body=good[: len(good) // 2])
    with pytest.raises(PublishError, match=r"its copy of feed.xml .* can't be used: it is not well-formed XML"):
        rollback(store, BASE)
    client.put_object(Bucket=name, Key=f"tv/{older.files['feed.xml']}", Body=good)
    client.put_object(Bucket=name, Key=f"tv/{older.files['search-feed.json']}", Body=b"{not json")
    with pytest.raises(PublishError, match="its copy of search-feed.json .* it is not JSON"):
        rollback(store, BASE)
    assert all(body(client, name, f"tv/{d}") == (b / d).read_bytes() for d in DOCS)


def test_old_single_file_history_is_still_read(versions, s3_endpoint, s3_bucket):
    client, name = s3_bucket
    a, b = versions
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_endpoint)
    publish_tree(a, store, base_url=BASE)
    old = "tv/feeds/feed-20200101T000000Z-0123abcd.json"  # the name history had before it kept sets
    client.put_object(Bucket=name, Key=old, Body=(a / "feed.json").read_bytes())
    publish_tree(b, store, base_url=BASE)
    found = {v.name: v for v in list_versions(store)}
    assert found["feed-20200101T000000Z-0123abcd"].files == {"feed.json": old.removeprefix("tv/")}
    lines = []
    rollback(store, BASE, version="0123abcd", log=lines.append)
    assert body(client, name, "tv/feed.json") == (a / "feed.json").read_bytes()
    assert body(client, name, "tv/feed.xml") == (b / "feed.xml").read_bytes()  # it had no copy: left as it is
    assert any("kept no copy of feed.xml, search-feed.json" in line for line in lines), lines


def test_prune_spares_fresh_objects_and_what_kept_versions_use_on_any_host(versions, channel, s3_endpoint, s3_bucket, tmp_path):
    client, name = s3_bucket
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_endpoint)
    import photos
    a = versions[0]  # the channel as it is, built
    publish_tree(a, store, base_url=BASE)
    # The CDN moves and a photo changes: B's URLs name another host.
    new_base = "https://media.example.org/riverside/"
    toml = channel / "channel.toml"
    toml.write_text(toml.read_text().replace(BASE, new_base))
    photos.scene(1600, 1000, 91).save(channel / "photos" / "landscape.jpg", quality=72)
    b = build(channel, out=tmp_path / "B").out
    only_a = {f"tv/artwork/{p.name}" for p in (a / "artwork").iterdir()} - {f"tv/artwork/{p.name}" for p in (b / "artwork").iterdir()}
    assert only_a
    # Within the grace period nothing goes, even with no history kept at all.
    publish_tree(b, store, base_url=new_base, prune=True, keep_history=0)
    assert only_a <= keys(client, name, "tv/")
    # Past it: A's version is kept, so is the artwork its old-host URLs name.
    publish_tree(b, store, base_url=new_base, prune=True, keep_history=2, prune_grace=0)
    assert only_a <= keys(client, name, "tv/")
    rollback(store, new_base, version=list_versions(store)[0].name)
    assert body(client, name, "tv/feed.json") == (a / "feed.json").read_bytes()
    publish_tree(b, store, base_url=new_base, force=True)  # B again after its rollback: deliberately
    # Once A's version is no longer kept, its artwork goes.
    publish_tree(b, store, base_url=new_base, prune=True, keep_history=1, prune_grace=0)
    assert not only_a & keys(client, name, "tv/")


@pytest.mark.slow
def test_a_large_clip_goes_up_in_parts_and_is_never_sent_again(built_example, s3_endpoint, s3_bucket, tmp_path):
    client, name = s3_bucket
    out = built_example / "dist"
    clip = out / "clips" / "evening-bulletin.mp4"
    clip.parent.mkdir(exist_ok=True)
    size = MULTIPART_THRESHOLD + 3 * 1024 * 1024
    digest = hashlib.sha256()
    with open(clip, "wb") as fh:
        for i in range(size // (1024 * 1024)):
            chunk = hashlib.sha256(str(i).encode()).digest() * (1024 * 1024 // 32)
            fh.write(chunk)
            digest.update(chunk)
    mark_as_built(out)
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_endpoint)
    calls = Counter()
    store.client.meta.events.register("before-call.s3", lambda model, **kw: calls.update([model.name]))
    publish_tree(out, store, base_url=BASE)
    parts = -(-size // PART_SIZE)
    assert calls["CreateMultipartUpload"] == 1 and calls["UploadPart"] == parts and calls["CompleteMultipartUpload"] == 1
    head = client.head_object(Bucket=name, Key="tv/clips/evening-bulletin.mp4")
    assert head["ContentLength"] == size and head["ETag"].strip('"').endswith(f"-{parts}")
    assert head["Metadata"]["sha256"] == digest.hexdigest() and head["ContentType"] == "video/mp4"
    got = hashlib.sha256()
    for chunk in client.get_object(Bucket=name, Key="tv/clips/evening-bulletin.mp4")["Body"].iter_chunks(1 << 20):
        got.update(chunk)
    assert got.hexdigest() == digest.hexdigest()
    art = client.head_object(Bucket=name, Key="tv/" + next((out / "artwork").iterdir()).relative_to(out).as_posix())
    assert len(art["Metadata"]["sha256"]) == 64

    # Re-publish: the manifest says everything is there; no upload, no HEAD.
    calls.clear()
    again = publish_tree(out, store, base_url=BASE)
    assert again.uploaded == 0 and not {"PutObject", "UploadPart", "HeadObject"} & set(calls), calls
    # Without the manifest, the multipart clip (its ETag is no MD5) costs one HEAD, not an
    # upload; that run records what it verified, so the next needs no HEAD again.
    client.delete_object(Bucket=name, Key=f"tv/{MANIFEST_KEY}")
    puts = []
    store.client.meta.events.register("before-call.s3.PutObject", lambda params, **kw: puts.append(params["url_path"]))
    calls.clear()
    again = publish_tree(out, store, base_url=BASE)
    assert again.uploaded == 0 and calls["HeadObject"] == 1 and calls["UploadPart"] == 0, calls
    assert all("/.roku-packager/" in p for p in puts), puts  # the lease and the manifest only
    calls.clear()
    again = publish_tree(out, store, base_url=BASE)
    assert again.uploaded == 0 and set(calls) == {"ListObjectsV2", "GetObject"}, calls


def test_changed_content_behind_a_stale_manifest_is_sent_again(built_example, s3_endpoint, s3_bucket):
    """Someone replaced an object by hand: its ETag no longer matches the manifest's
    record, so publish compares again and re-uploads it."""
    client, name = s3_bucket
    out = built_example / "dist"
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_endpoint)
    publish_tree(out, store, base_url=BASE)
    art = next((out / "artwork").iterdir())
    key = f"tv/artwork/{art.name}"
    client.put_object(Bucket=name, Key=key, Body=bytes(reversed(art.read_bytes())))
    again = publish_tree(out, store, base_url=BASE)
    assert again.uploaded == 1 and body(client, name, key) == art.read_bytes()
    manifest = json.loads(body(client, name, f"tv/{MANIFEST_KEY}"))["objects"]
    assert manifest[f"artwork/{art.name}"]["sha256"] == hashlib.sha256(art.read_bytes()).hexdigest()


@pytest.mark.slow
def test_prune_deletes_more_than_a_thousand_objects_in_batches(built_example, s3_endpoint, s3_bucket):
    """radosgw enforces DeleteObjects' 1,000-key limit (moto doesn't)."""
    from concurrent.futures import ThreadPoolExecutor

    client, name = s3_bucket
    out = built_example / "dist"
    store = open_store(f"s3://{name}/tv", endpoint_url=s3_endpoint)
    publish_tree(out, store, base_url=BASE)
    stale = [f"tv/artwork/stale{i:05d}.jpg" for i in range(1100)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=name, Key=k, Body=b"old"), stale))
    calls = Counter()
    store.client.meta.events.register("before-call.s3", lambda model, **kw: calls.update([model.name]))
    summary = publish_tree(out, store, base_url=BASE, prune=True, prune_grace=0)
    assert summary.deleted == 1100 and calls["DeleteObjects"] == 2
    left = keys(client, name, "tv/")
    assert not set(stale) & left and {f"tv/artwork/{p.name}" for p in (out / "artwork").iterdir()} <= left
