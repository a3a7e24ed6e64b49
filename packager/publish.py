"""Upload a built tree to a target so the live feed never points at missing artwork:
plan against one listing, upload only what changed (artwork first), confirm every object
the new feed needs is there, keep a history copy, write feed.json last, and only then
prune. A lock object keeps two publishes from interleaving on one prefix."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path

from packager.errors import PublishError
from packager.stores import RemoteObject, md5_hex
from packager.writer import CHANNEL_ZIP, FEED_NAME

ARTWORK_CACHE_CONTROL = "public, max-age=31536000, immutable"
FEED_CACHE_CONTROL = "public, max-age=300"
HISTORY_DIR = "feeds"
LOCK_KEY = ".roku-packager/lock"
INTERNAL_PREFIX = ".roku-packager/"
# The folders publish manages. Only these are checked as feed references and only these
# are ever pruned: a publisher's own files under the prefix (videos, say) are left alone.
MANAGED_DIRS = ("artwork/", "clips/", HISTORY_DIR + "/")
STALE_LOCK_SECONDS = 15 * 60
CONTENT_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".json": "application/json; charset=utf-8", ".xml": "application/rss+xml; charset=utf-8",
    ".mp4": "video/mp4", ".bif": "application/octet-stream", ".html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class LocalObject:
    key: str
    data: bytes = field(repr=False)
    content_type: str = "application/octet-stream"
    cache_control: str = ARTWORK_CACHE_CONTROL

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def md5(self) -> str:  # computed once: the plan is made twice (before and under the lock)
        return md5_hex(self.data)


@dataclass
class Plan:
    feed: LocalObject
    upload: list[LocalObject]
    unchanged: list[LocalObject]
    feed_changed: bool
    delete: list[str] = field(default_factory=list)

    @property
    def upload_bytes(self) -> int:
        return sum(o.size for o in self.upload) + (2 * self.feed.size if self.feed_changed else 0)

    @property
    def upload_count(self) -> int:
        # A changed feed is two PUTs: its history copy and feed.json.
        return len(self.upload) + (2 if self.feed_changed else 0)


@dataclass
class Summary:
    target: str
    uploaded: int = 0
    uploaded_bytes: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    history_key: str | None = None
    dry_run: bool = False

    def line(self) -> str:
        verb = "would upload" if self.dry_run else "uploaded"
        gone = "would delete" if self.dry_run else "deleted"
        return (f"{verb} {self.uploaded} objects / {self.uploaded_bytes / 1e6:.2f} MB, unchanged {self.unchanged}, "
                f"{gone} {self.deleted}, {self.seconds:.1f} s -> {self.target}")


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


def tree_objects(out: Path) -> tuple[LocalObject, list[LocalObject]]:
    """The built tree as objects to publish: (feed.json, everything else)."""
    feed_path = out / FEED_NAME
    if not feed_path.is_file():
        raise PublishError(f"{out}: no {FEED_NAME}; build the channel first")
    feed = LocalObject(FEED_NAME, feed_path.read_bytes(), content_type_for(FEED_NAME), FEED_CACHE_CONTROL)
    others = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts) or rel.as_posix() == FEED_NAME:
            continue
        if rel.parts[0] == HISTORY_DIR or rel.suffix == ".html" or rel.as_posix() == CHANNEL_ZIP:
            continue  # history is written by publish itself; previews and the channel app are local only
        key = rel.as_posix()
        # Content-hashed files never change; other feeds (feed.xml, search-feed.json) do.
        cache = ARTWORK_CACHE_CONTROL if is_asset(key) else FEED_CACHE_CONTROL
        others.append(LocalObject(key, path.read_bytes(), content_type_for(key), cache))
    return feed, others


def is_asset(key: str) -> bool:
    """Artwork and clips: immutable, uploaded first. Anything else is a live document."""
    return key.startswith(MANAGED_DIRS)


def feed_references(feed_bytes: bytes, base_url: str) -> set[str]:
    """Keys (relative to the target) of the feed's URLs that point into the folders
    publish manages (artwork, clips)."""
    try:
        feed = json.loads(feed_bytes)
    except ValueError:
        return set()
    keys: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and base_url and node.startswith(base_url):
            key = node[len(base_url):].split("?", 1)[0]
            if key.startswith(MANAGED_DIRS):
                keys.add(key)

    walk(feed)
    return keys


def history_key(feed: LocalObject, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    digest = hashlib.sha256(feed.data).hexdigest()[:8]
    return f"{HISTORY_DIR}/feed-{now.strftime('%Y%m%dT%H%M%SZ')}-{digest}.json"


def _after_newest(remote: dict[str, RemoteObject], now: datetime | None) -> datetime:
    """History names sort by time; two publishes in one second still sort in order."""
    now = now or datetime.now(timezone.utc)
    keys = history_keys(remote)
    if keys:
        try:
            newest = datetime.strptime(keys[-1].split("feed-", 1)[1][:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return now
        if newest >= now.replace(microsecond=0):
            return newest + timedelta(seconds=1)
    return now


def history_keys(remote: dict[str, RemoteObject]) -> list[str]:
    """History copies, oldest first (their names sort by time)."""
    return sorted(k for k in remote if k.startswith(HISTORY_DIR + "/feed-") and k.endswith(".json"))


def make_plan(feed: LocalObject, objects: list[LocalObject], remote: dict[str, RemoteObject]) -> Plan:
    def same(obj: LocalObject) -> bool:
        r = remote.get(obj.key)
        return r is not None and r.size == obj.size and r.md5 == obj.md5

    upload = [o for o in objects if not same(o)]
    unchanged = [o for o in objects if same(o)]
    return Plan(feed=feed, upload=upload, unchanged=unchanged, feed_changed=not same(feed))


def prune_candidates(remote: dict[str, RemoteObject], keep: set[str], keep_history: int,
                     new_history: str | None) -> list[str]:
    """Objects under the prefix that neither the new tree nor the last K history feeds
    need. The newest K history copies stay; the lock and other internal keys never go."""
    history = history_keys(remote)
    if new_history and new_history not in history:
        history.append(new_history)
        history.sort()
    kept_history = set(history[-keep_history:]) if keep_history > 0 else set()
    return sorted(k for k in remote
                  if k.startswith(MANAGED_DIRS) and k not in keep and k not in kept_history)


class Progress:
    """Objects, bytes and rate on a terminal; nothing in between otherwise."""

    def __init__(self, total: int, total_bytes: int, stream=None):
        self.total, self.total_bytes = total, total_bytes
        self.done = self.done_bytes = 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.monotonic()
        self._last = 0.0

    def advance(self, nbytes: int) -> None:
        self.done += 1
        self.done_bytes += nbytes
        now = time.monotonic()
        if self.tty and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            rate = self.done_bytes / max(now - self.start, 1e-6) / 1e6
            self.stream.write(f"\r  {self.done}/{self.total} objects, {self.done_bytes / 1e6:.1f}/"
                              f"{self.total_bytes / 1e6:.1f} MB, {rate:.1f} MB/s")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


class PublishLock:
    """One publish per prefix: a lock object created with a conditional PUT. A lock older
    than STALE_LOCK_SECONDS belongs to a publish that died and is taken over."""

    def __init__(self, store, wait: float = 60.0, stale_after: float = STALE_LOCK_SECONDS, log=print):
        self.store, self.wait, self.stale_after, self.log = store, wait, stale_after, log
        self.token = uuid.uuid4().hex
        self.body = json.dumps({"token": self.token, "host": socket.gethostname(), "pid": os.getpid(),
                                "started": time.time()}).encode()

    def _holder(self) -> dict | None:
        raw = self.store.get(LOCK_KEY)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return {"started": 0}

    def __enter__(self):
        deadline = time.monotonic() + self.wait
        announced = False
        while True:
            if self.store.put_if_absent(LOCK_KEY, self.body):
                try:
                    holder = self._holder()  # stores without conditional PUTs: last writer wins
                except PublishError:
                    self.__exit__(None, None, None)  # don't leave our lock behind
                    raise
                if holder and holder.get("token") == self.token:
                    return self
            holder = self._holder()
            if holder is not None:
                age = time.time() - float(holder.get("started", 0) or 0)
                if age > self.stale_after:
                    self.log(f"taking over a stale publish lock ({age / 60:.0f} min old, host {holder.get('host', '?')})")
                    self.store.delete([LOCK_KEY])
                    continue
                if time.monotonic() >= deadline:
                    since = datetime.fromtimestamp(float(holder.get("started", 0)), timezone.utc).strftime("%H:%M:%S UTC")
                    raise PublishError(
                        f"another publish to {self.store.describe()} is running (since {since}, host "
                        f"{holder.get('host', '?')}); try again later. If it died, its lock "
                        f"{self.store.describe(LOCK_KEY)} goes stale after {self.stale_after / 60:.0f} min")
                if not announced:
                    self.log("waiting for another publish to this target to finish...")
                    announced = True
            time.sleep(0.2)

    def __exit__(self, *exc):
        # A few tries: a lock left behind would hold up the next publish until it goes stale.
        for attempt in range(3):
            try:
                holder = self._holder()
                if holder and holder.get("token") == self.token:
                    self.store.delete([LOCK_KEY])
                return False
            except PublishError:
                time.sleep(0.2 * (attempt + 1))
        self.log(f"warning: could not remove the publish lock {self.store.describe(LOCK_KEY)}; "
                 f"the next publish waits until it goes stale ({self.stale_after / 60:.0f} min) or it is deleted")
        return False


def _upload(store, objects: list[LocalObject], jobs: int, confirmed: dict[str, int]) -> None:
    progress = Progress(len(objects), sum(o.size for o in objects))

    def put(obj: LocalObject):
        store.put(obj.key, obj.data, obj.content_type, obj.cache_control)
        return obj

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for obj in pool.map(put, objects):
            confirmed[obj.key] = obj.size
            progress.advance(obj.size)


def publish_tree(out: Path, store, *, base_url: str = "", jobs: int = 8, dry_run: bool = False,
                 prune: bool = False, keep_history: int = 5, lock_wait: float = 60.0,
                 log=print, now: datetime | None = None) -> Summary:
    started = time.monotonic()
    feed, objects = tree_objects(out)
    summary = Summary(target=store.url, dry_run=dry_run)

    if dry_run:
        remote = store.list()
        plan = make_plan(feed, objects, remote)
        for o in plan.upload:
            log(f"  upload {o.key} ({o.size:,} bytes)")
        if plan.feed_changed:
            log(f"  upload {FEED_NAME} ({feed.size:,} bytes) last, after a history copy")
        if prune:
            keep = {o.key for o in objects} | _history_references(store, remote, keep_history, base_url)
            plan.delete = prune_candidates(remote, keep, keep_history, None)
            for k in plan.delete:
                log(f"  delete {k}")
        summary.uploaded, summary.uploaded_bytes = plan.upload_count, plan.upload_bytes
        summary.unchanged = len(plan.unchanged) + (0 if plan.feed_changed else 1)
        summary.deleted = len(plan.delete)
        summary.seconds = time.monotonic() - started
        return summary

    plan = make_plan(feed, objects, store.list())
    if not plan.upload and not plan.feed_changed and not prune:
        # Nothing to write: no lock either, so an unchanged channel costs one LIST.
        summary.unchanged = len(plan.unchanged) + 1
        summary.seconds = time.monotonic() - started
        return summary

    with PublishLock(store, wait=lock_wait, log=log):
        remote = store.list()  # again: another publish may have finished while we waited
        plan = make_plan(feed, objects, remote)
        summary.unchanged = len(plan.unchanged) + (0 if plan.feed_changed else 1)
        confirmed: dict[str, int] = {k: r.size for k, r in remote.items()}

        # 1. Artwork and clips first, in parallel on one client.
        assets = [o for o in plan.upload if is_asset(o.key)]
        documents = [o for o in plan.upload if not is_asset(o.key)]
        _upload(store, assets, jobs, confirmed)
        summary.uploaded, summary.uploaded_bytes = len(plan.upload), sum(o.size for o in plan.upload)

        # 2. Every object the new feed needs is there, at the expected size.
        expected = {o.key: o.size for o in objects if is_asset(o.key)}
        needed = feed_references(feed.data, base_url) | set(expected)
        missing = [k for k in sorted(needed) if k not in confirmed or (k in expected and confirmed[k] != expected[k])]
        if missing:
            raise PublishError(f"{len(missing)} objects the new feed needs are not on the target "
                               f"(first: {missing[0]}); the live feed was left as it was")

        # 3. The other feeds (MRSS, search feed) refer to the same artwork: live now.
        _upload(store, documents, jobs, confirmed)
        if plan.feed_changed:
            # 4. A history copy, then 5. the live feed, last.
            summary.history_key = history_key(feed, _after_newest(remote, now))
            store.put(summary.history_key, feed.data, feed.content_type, ARTWORK_CACHE_CONTROL)
            store.put(FEED_NAME, feed.data, feed.content_type, FEED_CACHE_CONTROL)
            summary.uploaded += 2
            summary.uploaded_bytes += 2 * feed.size
            confirmed[summary.history_key] = feed.size

        # 6. Only now, with the new feed live, anything nobody needs may go.
        if prune:
            after = {k: remote.get(k) or RemoteObject(k, size, None) for k, size in confirmed.items()}
            keep = {o.key for o in objects} | _history_references(store, after, keep_history, base_url)
            plan.delete = prune_candidates(after, keep, keep_history, summary.history_key)
            if plan.delete:
                store.delete(plan.delete)
            summary.deleted = len(plan.delete)
    summary.seconds = time.monotonic() - started
    return summary


def _history_references(store, remote: dict[str, RemoteObject], keep_history: int, base_url: str) -> set[str]:
    """Everything the newest K history feeds (and the live feed) reference: rollback
    targets must stay whole."""
    keys = history_keys(remote)[-keep_history:] if keep_history > 0 else []
    refs: set[str] = set()
    for key in keys + [FEED_NAME]:
        data = store.get(key)
        if data is not None:
            refs |= feed_references(data, base_url)
    return refs


# ---------------------------------------------------------------- history and rollback

@dataclass(frozen=True)
class Version:
    key: str
    name: str  # feed-20261125T203000Z-abcd1234
    time: datetime
    size: int
    items: int
    live: bool


def _count_items(data: bytes) -> int:
    from packager.validate import walk_items
    try:
        feed = json.loads(data)
    except ValueError:
        return 0
    return sum(1 for kind, _, _ in walk_items(feed) if kind != "episode") if isinstance(feed, dict) else 0


def list_versions(store) -> list[Version]:
    remote = store.list()
    live = remote.get(FEED_NAME)
    out = []
    for key in history_keys(remote):
        name = key.rsplit("/", 1)[-1].removesuffix(".json")
        try:
            when = datetime.strptime(name.split("-")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except (IndexError, ValueError):
            continue
        data = store.get(key) or b""
        is_live = live is not None and live.md5 is not None and live.md5 == md5_hex(data)
        if live is not None and live.md5 is None:
            is_live = (store.get(FEED_NAME) or b"") == data
        out.append(Version(key, name, when, len(data), _count_items(data), is_live))
    return out


def rollback(store, base_url: str, version: str | None = None, log=print) -> Version:
    """Make an earlier feed version live again, after checking all its objects exist."""
    versions = list_versions(store)
    if not versions:
        raise PublishError(f"{store.describe()}: no feed history to roll back to")
    if version is None:
        live_at = [i for i, v in enumerate(versions) if v.live]
        if not live_at:
            raise PublishError("the live feed matches no history version; name one with --version")
        if live_at[-1] == 0:
            raise PublishError("the live feed is the oldest version kept; there is nothing before it")
        chosen = versions[live_at[-1] - 1]
    else:
        matches = [v for v in versions if version in v.name]
        if len(matches) != 1:
            names = ", ".join(v.name for v in versions[-5:])
            raise PublishError(f"--version {version!r} matches {len(matches)} versions; pick one of: {names}")
        chosen = matches[0]
    data = store.get(chosen.key)
    remote = store.list()
    missing = sorted(k for k in feed_references(data, base_url) if k not in remote)
    if missing:
        raise PublishError(f"{chosen.name} needs {len(missing)} objects that are gone (first: {missing[0]}); "
                           "it can't be made live")
    with PublishLock(store, log=log):
        store.put(FEED_NAME, data, content_type_for(FEED_NAME), FEED_CACHE_CONTROL)
    return chosen
