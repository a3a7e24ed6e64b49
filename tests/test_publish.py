"""Publishing to a folder and to a real S3 server (moto) over HTTP."""

import json

from packager.publish import publish_tree
from packager.stores import open_store


def test_publish_to_folder(example_channel, cli, tmp_path):
    target = tmp_path / "site"
    r = cli("publish", example_channel, "--to", target.as_uri())
    assert r.code == 0, r
    assert f"feed: {target / 'feed.json'}" in r.out
    built = example_channel / "dist"
    assert (target / "feed.json").read_bytes() == (built / "feed.json").read_bytes()
    feed = json.loads((target / "feed.json").read_bytes())
    for item in feed["shortFormVideos"] + feed["tvSpecials"]:
        rel = item["thumbnail"].removeprefix("https://cdn.example.com/riverside/")
        assert (target / rel).read_bytes() == (built / rel).read_bytes()
    history = list((target / "feeds").glob("feed-*/feed.json"))
    assert len(history) == 1 and history[0].read_bytes() == (target / "feed.json").read_bytes()
    assert "uploaded 11 objects" in r.out  # 9 artwork + history copy + feed
    # Nothing changed: nothing uploaded.
    again = cli("publish", example_channel, "--to", target.as_uri())
    assert again.code == 0 and "uploaded 0 objects" in again.out and "unchanged 10" in again.out, again


def test_publish_default_target_is_channel_public(example_channel, cli):
    r = cli("publish", example_channel)
    assert r.code == 0, r
    assert (example_channel / "public" / "feed.json").is_file()


def test_publish_dry_run_changes_nothing(example_channel, cli, tmp_path):
    target = tmp_path / "site"
    r = cli("publish", example_channel, "--to", target.as_uri(), "--dry-run")
    assert r.code == 0 and "would upload 11 objects" in r.out, r
    assert not target.exists()


def test_publish_to_s3_over_http(built_example, s3_server, bucket):
    client, name = bucket
    out = built_example / "dist"
    store = open_store(f"s3://{name}/tv/riverside", endpoint_url=s3_server)
    puts = []
    store.client.meta.events.register("before-call.s3.PutObject", lambda params, **kw: puts.append(params["url_path"]))
    summary = publish_tree(out, store, jobs=4)
    assert summary.uploaded == 11

    listed = {o["Key"]: o for o in client.list_objects_v2(Bucket=name)["Contents"]}
    artwork = sorted(k for k in listed if k.startswith("tv/riverside/artwork/"))
    assert len(artwork) == 9
    for key in artwork:
        head = client.head_object(Bucket=name, Key=key)
        assert head["ContentType"] == "image/jpeg"
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
        rel = key.removeprefix("tv/riverside/")
        assert client.get_object(Bucket=name, Key=key)["Body"].read() == (out / rel).read_bytes()
    head = client.head_object(Bucket=name, Key="tv/riverside/feed.json")
    assert head["ContentType"] == "application/json; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=300"
    live = client.get_object(Bucket=name, Key="tv/riverside/feed.json")["Body"].read()
    assert live == (out / "feed.json").read_bytes()

    # feed.json is the very last PUT (of a feed or artwork), after every artwork object and
    # the history copy; only the manifest and the lock's release come after it.
    puts = [p for p in puts if "/.roku-packager/" not in p]
    assert puts[-1].endswith("/tv/riverside/feed.json")
    assert "/feeds/feed-" in puts[-2]
    assert sum("/artwork/" in p for p in puts[:-2]) == 9

    # A second publish with nothing changed makes no PUT at all.
    puts = []
    store.client.meta.events.register("before-call.s3.PutObject", lambda params, **kw: puts.append(params["url_path"]))
    summary = publish_tree(out, store, jobs=4)
    assert puts == [] and summary.uploaded == 0 and summary.unchanged == 10


def test_publish_cli_to_s3_with_endpoint(example_channel, s3_server, bucket, cli):
    client, name = bucket
    r = cli("publish", example_channel, "--to", f"s3://{name}/p", "--endpoint-url", s3_server)
    assert r.code == 0, r
    assert f"feed: s3://{name}/p/feed.json" in r.out
    assert client.get_object(Bucket=name, Key="p/feed.json")["Body"].read().startswith(b"{")


def test_publish_to_missing_bucket_is_one_clear_line(example_channel, s3_server, cli):
    r = cli("publish", example_channel, "--to", "s3://no-such-bucket-here/p", "--endpoint-url", s3_server)
    assert r.code == 1
    assert r.err.strip().splitlines()[-1] == "roku-packager: publish failed: no such bucket: no-such-bucket-here"
    assert "testing-secret" not in r.err + r.out


def test_unreachable_endpoint_is_one_clear_line(example_channel, cli):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    r = cli("publish", example_channel, "--to", "s3://bucket/p", "--endpoint-url", f"http://127.0.0.1:{port}",
            "--retries", "1")
    assert r.code == 1
    assert r.err.strip().splitlines()[-1].startswith("roku-packager: publish failed: can't reach the storage endpoint for s3://bucket/p/")


def test_missing_credentials_are_explained(example_channel, s3_server, cli, monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    r = cli("publish", example_channel, "--to", "s3://bucket/p", "--endpoint-url", s3_server, "--retries", "1")
    assert r.code == 1
    assert r.err.strip().splitlines()[-1] == ("roku-packager: publish failed: no AWS credentials found: set "
                                              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE / --aws-profile")


def test_folder_target_lease_and_unlock(example_channel, cli, tmp_path):
    import time

    site = tmp_path / "site"
    target = ["--to", site.as_uri()]
    r = cli("unlock", example_channel, *target)
    assert r.code == 0 and "no publish lock at" in r.out, r
    lock = site / ".roku-packager" / "lock"
    lock.parent.mkdir(parents=True)
    now = time.time()
    lock.write_text(json.dumps({"token": "t", "host": "newsroom-2", "pid": 7, "command": "publish",
                                "started": now, "renewed": now, "expires": now + 30}))
    r = cli("publish", example_channel, *target, "--lock-wait", "0")
    assert r.code == 1 and "another publish by host newsroom-2, pid 7" in r.err and "unlock" in r.err, r
    r = cli("unlock", example_channel, *target)
    assert r.code == 1 and "held by a running publish by host newsroom-2" in r.err and "--force" in r.err, r
    r = cli("unlock", example_channel, *target, "--force")
    assert r.code == 0 and "released the publish lock of publish by host newsroom-2, pid 7" in r.out, r
    r = cli("publish", example_channel, *target, "--lock-wait", "0", "--format", "json")
    summary = json.loads(r.out)
    assert r.code == 0 and summary["objects"]["uploaded"] == 11 and summary["items"]["added"] == 9, r
    assert json.loads(lock.read_text())["released"] is True
    # An expired lease needs no --force.
    lock.write_text(json.dumps({"token": "t", "host": "newsroom-2", "pid": 7, "started": now - 90, "expires": now - 60}))
    r = cli("unlock", example_channel, *target)
    assert r.code == 0 and "expired" in r.out, r
