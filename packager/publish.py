"""Upload a built tree to a target so the live feed never points at missing artwork:
plan against one listing, upload only what changed (artwork first), confirm every object
the new feed needs is there, keep a history copy, and write feed.json last."""

from __future__ import annotations

import hashlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from packager.errors import PublishError
from packager.stores import RemoteObject, md5_hex
from packager.writer import FEED_NAME

ARTWORK_CACHE_CONTROL = "public, max-age=31536000, immutable"
FEED_CACHE_CONTROL = "public, max-age=300"
HISTORY_DIR = "feeds"
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

    @property
    def md5(self) -> str:
        return md5_hex(self.data)


@dataclass
class Plan:
    feed: LocalObject
    upload: list[LocalObject]
    unchanged: list[LocalObject]
    feed_changed: bool

    @property
    def upload_bytes(self) -> int:
        return sum(o.size for o in self.upload) + (self.feed.size if self.feed_changed else 0)


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
        return (f"{verb} {self.uploaded} objects / {self.uploaded_bytes / 1e6:.2f} MB, unchanged {self.unchanged}, "
                f"deleted {self.deleted}, {self.seconds:.1f} s -> {self.target}")


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
        if rel.parts[0] == HISTORY_DIR or rel.suffix == ".html":
            continue  # history is written by publish itself; previews are local only
        key = rel.as_posix()
        others.append(LocalObject(key, path.read_bytes(), content_type_for(key), ARTWORK_CACHE_CONTROL))
    return feed, others


def make_plan(feed: LocalObject, objects: list[LocalObject], remote: dict[str, RemoteObject]) -> Plan:
    def same(obj: LocalObject) -> bool:
        r = remote.get(obj.key)
        return r is not None and r.size == obj.size and r.md5 == obj.md5

    upload = [o for o in objects if not same(o)]
    unchanged = [o for o in objects if same(o)]
    return Plan(feed=feed, upload=upload, unchanged=unchanged, feed_changed=not same(feed))


def history_key(feed: LocalObject, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    digest = hashlib.sha256(feed.data).hexdigest()[:8]
    return f"{HISTORY_DIR}/feed-{now.strftime('%Y%m%dT%H%M%SZ')}-{digest}.json"


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


def publish_tree(out: Path, store, *, jobs: int = 8, dry_run: bool = False, log=print) -> Summary:
    started = time.monotonic()
    feed, objects = tree_objects(out)
    remote = store.list()
    plan = make_plan(feed, objects, remote)
    summary = Summary(target=store.url, unchanged=len(plan.unchanged) + (0 if plan.feed_changed else 1),
                      dry_run=dry_run)
    # A changed feed is two PUTs: its history copy and feed.json.
    summary.uploaded = len(plan.upload) + (2 if plan.feed_changed else 0)
    summary.uploaded_bytes = plan.upload_bytes + (feed.size if plan.feed_changed else 0)
    if dry_run:
        for o in plan.upload:
            log(f"  upload {o.key} ({o.size:,} bytes)")
        if plan.feed_changed:
            log(f"  upload {FEED_NAME} ({feed.size:,} bytes) last, with a history copy")
        summary.seconds = time.monotonic() - started
        return summary

    # 1. artwork (and every other object) first, in parallel on one client.
    progress = Progress(len(plan.upload), sum(o.size for o in plan.upload))
    confirmed: dict[str, int] = {k: r.size for k, r in remote.items()}

    def put(obj: LocalObject):
        store.put(obj.key, obj.data, obj.content_type, obj.cache_control)
        return obj

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for obj in pool.map(put, plan.upload):
            confirmed[obj.key] = obj.size
            progress.advance(obj.size)

    # 2. every object the new feed needs is there, at the expected size.
    missing = [o.key for o in objects if confirmed.get(o.key) != o.size]
    if missing:
        raise PublishError(f"{len(missing)} objects are not on the target after upload (first: {missing[0]}); "
                           "the live feed was left as it was")

    if plan.feed_changed:
        # 3. a history copy, then 4. the live feed, last.
        summary.history_key = history_key(feed)
        store.put(summary.history_key, feed.data, feed.content_type, ARTWORK_CACHE_CONTROL)
        store.put(FEED_NAME, feed.data, feed.content_type, FEED_CACHE_CONTROL)
    summary.seconds = time.monotonic() - started
    return summary
