"""A tampered target (#26): objects truncated, zero-filled or replaced behind publish's back,
a live feed stating impossible clip measurements, history copies that aren't feeds, locks
and internal files of the wrong kind. Each runs against a folder target and two real S3
servers (moto and radosgw); what only a folder can have (a FIFO, a folder where a file
belongs) against the folder. Every outcome is the right object live, or one line and an
exit code, within a bound."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import photos
import pytest
from conftest import CHANNEL_TOML, ROOT, article_text
from s3impl import endpoint_for, make_bucket

from packager.publish import LOCK_KEY, MANIFEST_KEY
from packager.stores import open_store

CLIPS = """
[clips]
render = "missing"
width = 640
height = 360
fps = 25
seconds_per_photo = [2, 2]
intro_seconds = 1
bitrate_kbps = 800
"""


class FolderTarget:
    kind = "file"

    def __init__(self, root):
        self.root = root
        self.url = root.as_uri()
        self.args = ["--to", self.url]
        self.toml = ""

    def store(self):
        return open_store(self.url)

    def read(self, key):
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def write(self, key, data, sha256=None):
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def delete(self, key):
        (self.root / key).unlink()

    def keys(self):
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                      if p.is_file() and not p.name.startswith("."))


class BucketTarget:
    def __init__(self, kind, client, bucket, endpoint):
        self.kind, self.client, self.bucket, self.endpoint = kind, client, bucket, endpoint
        self.url = f"s3://{bucket}/tv"
        self.args = ["--to", self.url, "--endpoint-url", endpoint]
        self.toml = f'\n[publish]\nendpoint_url = "{endpoint}"\n'  # build --reuse-from reads it here

    def store(self):
        return open_store(self.url, endpoint_url=self.endpoint)

    def read(self, key):
        try:
            return self.client.get_object(Bucket=self.bucket, Key="tv/" + key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def write(self, key, data, sha256=None):
        # sha256: the replaced object claims the original's x-amz-meta-sha256 (copied metadata).
        extra = {"Metadata": {"sha256": sha256}} if sha256 else {}
        self.client.put_object(Bucket=self.bucket, Key="tv/" + key, Body=data, **extra)

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key="tv/" + key)

    def keys(self):
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="tv/")
        return sorted(o["Key"][3:] for page in pages for o in page.get("Contents", []))


@pytest.fixture(params=["file", "moto", "radosgw"])
def target(request, tmp_path):
    if request.param == "file":
        return FolderTarget(tmp_path / "site")
    endpoint = endpoint_for(request.param, request.getfixturevalue("s3_server"))
    client, name = make_bucket(endpoint, request.node.name)
    return BucketTarget(request.param, client, name, endpoint)


@pytest.fixture
def checkout(tmp_path, target):
    """checkout(name) -> a fresh copy of one channel (no dist/): a story with its own video
    and a photo, and a photo story without video that becomes a clip."""
    seed = tmp_path / "seed"
    (seed / "articles").mkdir(parents=True)
    (seed / "channel.toml").write_text(CHANNEL_TOML + CLIPS + target.toml)
    (seed / "photos").mkdir()
    photos.scene(1600, 900, 31).save(seed / "photos" / "a.jpg", quality=85)
    photos.scene(1200, 800, 32).save(seed / "photos" / "b.jpg", quality=85)
    (seed / "articles" / "video.md").write_text(article_text(title="Has its own video"))
    (seed / "articles" / "story.md").write_text(
        "---\ntitle: \"Bridge closes\"\ndate: 2026-11-20T10:00:00Z\nphotos:\n"
        "  - {path: ../photos/b.jpg, caption: \"The bridge at dawn.\"}\n---\nThe bridge is closed.\n")

    def make(name: str):
        dest = tmp_path / name
        shutil.copytree(seed, dest)
        return dest

    return make


def _one(keys, prefix, suffix):
    (key,) = [k for k in keys if k.startswith(prefix) and k.endswith(suffix)][:1] or [None]
    return key


def _damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "zero-filled":
        return bytes(len(data))
    return bytes(reversed(data))  # replaced: other bytes of the same size


def _clip_durations(feed: bytes) -> dict[str, tuple]:
    items = json.loads(feed)["shortFormVideos"]
    return {i["id"]: (i["content"]["duration"], i["content"]["videos"][0].get("bitrate")) for i in items}


@pytest.mark.parametrize("how", ["truncated", "zero-filled", "replaced"])
def test_a_damaged_object_is_rendered_and_sent_again_from_a_clean_checkout(target, checkout, cli, how, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    assert cli("publish", checkout("one"), *target.args).code == 0
    keys = target.keys()
    art, clip = _one(keys, "artwork/", ".jpg"), _one(keys, "clips/", ".mp4")
    good = {k: target.read(k) for k in (art, clip)}
    for key in (art, clip):
        target.write(key, _damage(good[key], how), sha256=hashlib.sha256(good[key]).hexdigest())

    # build --reuse-from renders what the manifest no longer vouches for, and only that.
    reused = checkout("two")
    r = cli("build", reused, "--reuse-from", target.url)
    assert r.code == 0 and "rendered" in r.err, r
    built = sorted(p.relative_to(reused / "dist").as_posix() for p in (reused / "dist").rglob("*.*")
                   if p.parent.name in ("artwork", "clips"))
    assert art in built and clip in built, built
    assert len([k for k in built if k.startswith("artwork/")]) < len([k for k in keys if k.startswith("artwork/")])

    # A publish from a clean checkout puts the right bytes back.
    r = cli("publish", checkout("three"), *target.args)
    assert r.code == 0, r
    assert target.read(art) == good[art] and target.read(clip) == good[clip]
    # And the next one trusts them again: nothing rendered, nothing sent.
    r = cli("publish", checkout("four"), *target.args)
    assert r.code == 0 and "rendered" not in r.err and "uploaded 0 objects" in r.out, r


@pytest.mark.parametrize("target", ["file", "moto"], indirect=True)
def test_clip_measurements_come_from_the_manifest_never_the_live_feed(target, checkout, cli, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    assert cli("publish", checkout("first"), *target.args).code == 0
    right = _clip_durations(target.read("feed.json"))["story"]
    for n, value in enumerate([99999, 1, True, 10**12, 0, -5]):
        live = json.loads(target.read("feed.json"))
        for item in live["shortFormVideos"]:
            if item["id"] == "story":
                item["content"]["duration"] = value
                item["content"]["videos"][0]["bitrate"] = value
        target.write("feed.json", json.dumps(live).encode())
        r = cli("publish", checkout(f"runner{n}"), *target.args)
        assert r.code == 0 and "skipped" not in r.err and "rendered" not in r.err, (value, r)
        assert _clip_durations(target.read("feed.json"))["story"] == right, value


@pytest.mark.parametrize("target", ["file", "moto"], indirect=True)
def test_objects_the_manifest_does_not_vouch_for_are_measured_again(target, checkout, cli, monkeypatch):
    """A target without a manifest (older, or the manifest lost): the build renders what it
    can't take on trust; publish finds the same bytes there and records them."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    assert cli("publish", checkout("first"), *target.args).code == 0
    target.delete(MANIFEST_KEY)
    r = cli("publish", checkout("second"), *target.args)
    assert r.code == 0 and "rendered" in r.err and "uploaded 0 objects" in r.out, r
    assert target.read(MANIFEST_KEY) is not None
    r = cli("publish", checkout("third"), *target.args)
    assert r.code == 0 and "rendered" not in r.err, r


def _deep(n: int = 200_000) -> bytes:
    return b"[" * n + b"]" * n


def _error_lines(r) -> list[str]:
    return [line for line in r.err.splitlines() if line.startswith("roku-packager:")]


@pytest.mark.parametrize("target", ["file", "moto"], indirect=True)
def test_rollback_validates_the_version_before_it_goes_live(target, checkout, cli):
    channel = checkout("ch")
    assert cli("publish", channel, *target.args).code == 0
    (channel / "articles" / "video.md").write_text(article_text(title="Has its own video, updated"))
    assert cli("publish", channel, *target.args).code == 0
    live = target.read("feed.json")
    first = sorted(k for k in target.keys() if k.startswith("feeds/") and k.endswith("/feed.json"))[0]
    no_items = {"providerName": "x", "language": "en", "lastUpdated": "2026-01-01T00:00:00Z"}
    for bad in (json.dumps(no_items).encode(), _deep()):
        target.write(first, bad)
        r = cli("rollback", channel, *target.args)
        assert r.code == 1 and len(_error_lines(r)) == 1, r
        assert "can't be made live" in r.err and ("DP213" in r.err or "too deep" in r.err), r
        assert target.read("feed.json") == live


@pytest.mark.parametrize("target", ["file", "moto"], indirect=True)
def test_deep_json_in_the_targets_documents_is_unreadable_not_a_crash(target, checkout, cli):
    channel = checkout("ch")
    assert cli("publish", channel, *target.args).code == 0
    version = sorted(k for k in target.keys() if k.startswith("feeds/") and k.endswith("/feed.json"))[0]
    for key in (MANIFEST_KEY, "feed.json", version):
        target.write(key, _deep())
    r = cli("history", channel, *target.args)
    assert r.code == 0 and "0 items" in r.out, r
    r = cli("publish", channel, *target.args)
    assert r.code == 0 and "the live feed can't be read; everything is new:" in r.out, r
    assert json.loads(target.read("feed.json"))["providerName"] == "Test News"


LOCKS = {
    "expires a word": {"token": "t", "host": "h", "pid": 1, "command": "publish", "started": 1, "renewed": 1,
                       "expires": "soon"},
    "expires a list": {"token": "t", "expires": [1]},
    "expires 1e20": {"token": "t", "host": "h", "started": 1e20, "renewed": 1e20, "expires": 1e20},
    "host a dict": {"token": "t", "host": {"a": [1]}, "started": 1, "renewed": 1, "expires": time.time() + 3600,
                    "released": "no"},
    "nested 200,000 deep": None,
}


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_a_lock_that_is_not_a_lease_is_taken_over_with_one_line(target, checkout, cli, lock):
    channel = checkout("ch")
    body = _deep() if LOCKS[lock] is None else json.dumps(LOCKS[lock]).encode()
    target.write(LOCK_KEY, body)
    started = time.monotonic()
    r = cli("unlock", channel, *target.args)
    assert r.code == 0 and "not a lease roku-packager wrote" in r.out, r
    target.write(LOCK_KEY, body)
    r = cli("publish", channel, *target.args, "--lock-wait", "1")
    assert r.code == 0 and "not a lease roku-packager wrote" in r.err, r
    assert time.monotonic() - started < 120


@pytest.mark.parametrize("target", ["file"], indirect=True)
def test_a_folder_where_the_lock_or_its_folder_belongs_is_one_line(target, checkout, cli):
    channel = checkout("ch")
    site, args = target.root, target.args
    assert cli("publish", channel, *args).code == 0
    (channel / "articles" / "video.md").write_text(article_text(title="Changed once"))
    assert cli("publish", channel, *args).code == 0
    lock = site / LOCK_KEY
    lock.unlink()
    lock.mkdir()
    for command in ("unlock", "rollback"):
        r = cli(command, channel, *args)
        assert r.code == 1 and len(_error_lines(r)) == 1 and "is a folder" in r.err, r
    (channel / "articles" / "video.md").write_text(article_text(title="Changed"))
    r = cli("publish", channel, *args)
    assert r.code == 1 and len(_error_lines(r)) == 1 and "is a folder" in r.err, r
    shutil.rmtree(site / ".roku-packager")
    (site / ".roku-packager").write_text("a file")
    for command in ("unlock", "publish"):
        r = cli(command, channel, *args)
        assert r.code == 1 and len(_error_lines(r)) == 1 and ".roku-packager: is a file" in r.err, r
    assert (site / ".roku-packager").read_text() == "a file"


def _run(*args, timeout=90):
    """The command in its own process: a read that blocks fails the test, not the suite."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "packager", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    return proc, time.monotonic() - started


FIFOS = {  # where the FIFO is -> the commands that read it
    "lock": (LOCK_KEY, ("unlock", "publish", "rollback")),
    "manifest": (MANIFEST_KEY, ("publish",)),
    "history": (None, ("history", "rollback")),
    "live feed": ("feed.json", ("publish", "history", "rollback")),
}


@pytest.mark.parametrize("target", ["file"], indirect=True)
@pytest.mark.parametrize("where", sorted(FIFOS))
def test_a_fifo_on_the_target_is_one_line_not_a_hang(target, checkout, cli, where):
    channel = checkout("ch")
    site, args = target.root, target.args
    assert cli("publish", channel, *args).code == 0
    (channel / "articles" / "video.md").write_text(article_text(title="Changed"))
    assert cli("publish", channel, *args).code == 0
    key, commands = FIFOS[where]
    if key is None:
        key = sorted(p.relative_to(site).as_posix() for p in (site / "feeds").rglob("feed.json"))[0]
    (channel / "articles" / "video.md").write_text(article_text(title="Changed again"))
    (site / key).unlink()
    os.mkfifo(site / key)
    for command in commands:
        proc, seconds = _run(command, channel, *args)
        errors = [line for line in proc.stderr.splitlines() if line.startswith("roku-packager:")]
        assert proc.returncode == 1 and len(errors) == 1 and "FIFO" in errors[0], (command, proc.stderr)
        assert seconds < 60
    assert (site / key).is_fifo()  # not replaced: the tool didn't make it


BAD_TARGETS = ["ftp://host/x", "s3://", "s3://bad bucket!/x", "file://elsewhere/x", "file:relative",
               "s3:bucket/x", "https://cdn.example.com/tv/", "", "s3://b/x?versionId=1"]


@pytest.mark.parametrize("value", BAD_TARGETS)
def test_a_bad_target_is_a_usage_error_naming_the_command(make_channel, cli, value):
    root = make_channel({"a.md": article_text()})
    for command in ("publish", "history", "rollback", "unlock"):
        r = cli(command, root, "--to", value)
        errors = _error_lines(r)
        assert r.code == 2 and len(errors) == 1 and errors[0].startswith(f"roku-packager: {command}: --to "), r
        assert "publish failed" not in r.err
    r = cli("build", root, "--reuse-from", value)
    assert r.code == 2 and _error_lines(r)[-1].startswith("roku-packager: build: --reuse-from "), r
    assert not (root / "dist").exists()


def test_a_plain_path_is_a_folder_target(make_channel, cli, tmp_path, monkeypatch):
    root = make_channel({"a.md": article_text()})
    monkeypatch.chdir(tmp_path)
    r = cli("publish", root, "--to", "site")  # relative to the working folder
    assert r.code == 0 and (tmp_path / "site" / "feed.json").is_file(), r
    r = cli("history", root, "--to", str(tmp_path / "site"))  # absolute: the same target
    assert r.code == 0 and "(live)" in r.out, r
    (tmp_path / "a-file").write_text("keep")
    r = cli("publish", root, "--to", "a-file")
    assert r.code == 2 and "not a folder" in r.err and (tmp_path / "a-file").read_text() == "keep", r
    # [publish] target in channel.toml: relative to the channel folder.
    with (root / "channel.toml").open("a") as f:
        f.write('\n[publish]\ntarget = "public-site"\n')
    assert cli("publish", root).code == 0 and (root / "public-site" / "feed.json").is_file()


def test_publish_prints_what_viewers_see_change(make_channel, cli, tmp_path):
    root = make_channel({"a.md": article_text(), "b.md": article_text(title="Second", date="2026-01-03T10:00:00+00:00")})
    args = ["--to", str(tmp_path / "site")]
    r = cli("publish", root, *args)
    assert r.code == 0 and "no live feed yet; everything is new:" in r.out and "items: 2 added" in r.out, r
    (root / "articles" / "a.md").write_text(article_text(title="A story, updated"))
    r = cli("publish", root, *args)
    assert r.code == 0 and "viewers see, against the feed that was live:" in r.out, r
    assert "items: 0 added, 0 removed, 1 changed" in r.out and "~ a " in r.out, r
    r = cli("publish", root, *args)
    assert r.code == 0 and "viewers see no change" in r.out, r


def test_a_rollback_is_not_undone_by_the_next_publish(make_channel, cli, tmp_path):
    root = make_channel({"a.md": article_text()})
    args = ["--to", str(tmp_path / "site")]
    live = tmp_path / "site" / "feed.json"
    assert cli("publish", root, *args).code == 0
    a = live.read_bytes()
    (root / "articles" / "a.md").write_text(article_text(title="A story, with a mistake"))
    assert cli("publish", root, *args).code == 0
    b = live.read_bytes()
    assert cli("rollback", root, *args).code == 0 and live.read_bytes() == a
    # The cron job runs again with the channel unchanged: refused, the rollback stands.
    r = cli("publish", root, *args)
    assert r.code == 1 and len(_error_lines(r)) == 1 and "rollback" in r.err and "--force" in r.err, r
    assert live.read_bytes() == a
    r = cli("publish", root, *args, "--dry-run")
    assert r.code == 0 and "would be refused" in r.err, r
    # On purpose: --force.
    assert cli("publish", root, *args, "--force").code == 0 and live.read_bytes() == b
    assert cli("rollback", root, *args).code == 0 and live.read_bytes() == a
    # A different build (the mistake fixed) publishes normally, and ends the refusal.
    (root / "articles" / "a.md").write_text(article_text(title="A story, fixed"))
    r = cli("publish", root, *args)
    assert r.code == 0 and b"fixed" in live.read_bytes(), r
    (root / "articles" / "a.md").write_text(article_text(title="A story, with a mistake"))
    assert cli("publish", root, *args).code == 0 and live.read_bytes() == b


@pytest.mark.parametrize(
    "option",
    [["--endpoint-url", "not a url"], ["--aws-profile", "no-such-profile"], ["--profile", "no-such-profile"]],
)
def test_s3_settings_that_cant_work_are_a_usage_error(make_channel, cli, option, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    root = make_channel({"a.md": article_text()})
    r = cli("history", root, "--to", "s3://bucket/tv", *option)
    # The old spelling --profile still works, after one note naming the new one.
    errors = [line for line in _error_lines(r) if not line.startswith("roku-packager: note: ")]
    assert r.code == 2 and errors[0].startswith("roku-packager: history: --to 's3://bucket/tv': "), r
    assert ("--aws-profile" in r.err) == (option[0] == "--profile"), r
    assert "can't set up S3 access" in r.err and "publish failed" not in r.err


@pytest.mark.parametrize("target", ["file"], indirect=True)
def test_a_folder_object_whose_etag_changed_is_compared_by_its_bytes(target, checkout, cli):
    """A folder's ETag changes without its bytes changing (a manifest from before the ETag
    held the ctime, a backup restored): the file is read and compared, not copied again."""
    channel = checkout("ch")
    assert cli("publish", channel, *target.args).code == 0
    manifest = json.loads(target.read(MANIFEST_KEY))
    for entry in manifest["objects"].values():
        entry["etag"] = entry["etag"].rsplit("-", 1)[0]  # mtime-size, the older form
    target.write(MANIFEST_KEY, json.dumps(manifest).encode())
    art = _one(target.keys(), "artwork/", ".jpg")
    inode = os.stat(target.root / art).st_ino
    r = cli("publish", channel, *target.args)
    assert r.code == 0 and "uploaded 0 objects" in r.out, r
    assert os.stat(target.root / art).st_ino == inode  # not rewritten
    assert all(e["etag"].count("-") == 2 for e in json.loads(target.read(MANIFEST_KEY))["objects"].values())
