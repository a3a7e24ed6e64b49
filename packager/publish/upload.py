"""Publish: upload a built tree in the order that keeps the live feed whole (artwork and
clips, a check that every object the new feeds need is there, history copies, the other
feeds, feed.json last), then prune and record the manifest; its Summary for people and CI."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from packager.diff import diff_feeds
from packager.errors import PublishError, excerpt
from packager.publish.history import _after_newest, version_name, version_name_of
from packager.publish.layout import (
    ARTWORK_CACHE_CONTROL,
    HISTORY_DIR,
    MANIFEST_KEY,
    ROLLED_BACK_KEY,
    _feed,
    feed_references,
    is_asset,
)
from packager.publish.lease import LEASE_SECONDS, Lease
from packager.publish.plan import (
    PRUNE_GRACE_SECONDS,
    Plan,
    _kept_references,
    _manifest_bytes,
    clip_measurements,
    make_plan,
    prune_candidates,
    read_manifest,
)
from packager.publish.rollback import _rolled_back
from packager.publish.tree import LocalObject, tree_objects
from packager.stores import RemoteObject
from packager.target import Store
from packager.writer import FEED_NAME


@dataclass
class Summary:
    target: str
    uploaded: int = 0
    uploaded_bytes: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    history_key: str | None = None  # the new version's feed.json copy
    dry_run: bool = False
    feed_url: str = ""
    feed_object: str = ""
    feed_sha256: str = ""
    feed_changed: bool = False
    # The live feed before and after, kept to count item changes only when asked.
    feed_before: bytes | None = field(default=None, repr=False)
    feed_after: bytes | None = field(default=None, repr=False)

    refused: str | None = None  # why the live feed was not replaced (a dry run's note)

    def _diff(self):
        try:
            return diff_feeds(_feed(self.feed_before), _feed(self.feed_after))
        except RecursionError:  # a live feed nested past Python's limit: compare with nothing
            return diff_feeds({}, _feed(self.feed_after))

    @property
    def items(self) -> dict[str, int]:
        """Items added, removed and changed in the live feed, as `diff` counts them."""
        if self.feed_after is None:
            return {"added": 0, "removed": 0, "changed": 0}
        d = self._diff()
        return {"added": len(d.added), "removed": len(d.removed), "changed": len(d.changed)}

    def viewer_lines(self) -> list[str]:
        """What viewers see change, item by item, as `diff` prints it (publish and --dry-run)."""
        if self.feed_after is None:
            return ["viewers see no change: the live feed.json is this build's"]
        d = self._diff()
        if not self.feed_before or not _feed(self.feed_before):
            head = ("no live feed yet; everything is new:" if not self.feed_before
                    else "the live feed can't be read; everything is new:")
            d.feed_fields = ()  # providerName and language are new, not changed
        else:
            head = "against the live feed:" if self.dry_run else "viewers see, against the feed that was live:"
        return [head] + [f"  {line}" for line in d.lines()]

    def line(self) -> str:
        verb = "would upload" if self.dry_run else "uploaded"
        gone = "would delete" if self.dry_run else "deleted"
        return (f"{verb} {self.uploaded} objects / {self.uploaded_bytes / 1e6:.2f} MB, unchanged {self.unchanged}, "
                f"{gone} {self.deleted}, {self.seconds:.1f} s -> {self.target}")

    def to_json(self) -> dict:
        """The summary a CI job reads (`publish --format json`)."""
        return {
            "target": self.target, "dry_run": self.dry_run,
            "objects": {"uploaded": self.uploaded, "unchanged": self.unchanged, "deleted": self.deleted},
            "bytes": self.uploaded_bytes,
            "items": self.items,
            "feed": {"url": self.feed_url, "object": self.feed_object, "sha256": self.feed_sha256,
                     "changed": self.feed_changed},
            "history_version": version_name_of(self.history_key) if self.history_key else None,
            "seconds": round(self.seconds, 3),
        }


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


@dataclass
class _Ledger:
    """What a publish knows the target holds: key -> size of every object listed or written
    (checked before the feeds go live, and prune's view after), the manifest entry of every
    object verified or written, and what it wrote, counted in the summary."""

    store: Store
    summary: Summary
    confirmed: dict[str, int]
    recorded: dict[str, dict]

    def send(self, obj: LocalObject, key: str | None = None,
             cache_control: str | None = None) -> tuple[str, LocalObject, str | None]:
        """PUT one object, streamed from disk with its sha256; no bookkeeping, so the upload's
        threads may call it."""
        key = key or obj.key
        etag = self.store.put(key, obj.path, obj.content_type, cache_control or obj.cache_control, sha256=obj.sha256)
        return key, obj, etag

    def record(self, key: str, obj: LocalObject, etag: str | None) -> None:
        self.confirmed[key] = obj.size
        self.recorded[key] = {"sha256": obj.sha256, "size": obj.size, "etag": etag}
        self.summary.uploaded += 1
        self.summary.uploaded_bytes += obj.size

    def put(self, obj: LocalObject, key: str | None = None, cache_control: str | None = None) -> None:
        self.record(*self.send(obj, key, cache_control))


def _upload(ledger: _Ledger, objects: list[LocalObject], jobs: int, lease: Lease | None = None) -> None:
    """Streamed from disk, in parallel on one client; each object carries its sha256."""
    progress = Progress(len(objects), sum(o.size for o in objects))

    def put(obj: LocalObject):
        if lease is not None:
            lease.check()
        return ledger.send(obj)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for key, obj, etag in pool.map(put, objects):
            ledger.record(key, obj, etag)
            progress.advance(obj.size)


def _refusal(rolled_back: list[dict], feed_sha: str) -> str | None:
    """Why this feed.json must not go live without --force: a rollback took it off the air."""
    row = next((r for r in reversed(rolled_back) if r["sha256"] == feed_sha), None)
    if row is None:
        return None
    version = row.get("version") if isinstance(row.get("version"), str) else "a version"
    when = row.get("at") if isinstance(row.get("at"), str) else "earlier"
    return (f"this build's feed.json is {excerpt(version, 60)}, which `rollback` took off the air ({excerpt(when, 30)}); "
            "publishing it again would undo the rollback. Change the channel, or pass --force to publish it anyway")


def _tell_plan(plan: Plan, summary: Summary, remote: dict[str, RemoteObject], prune_keep: Callable[[], set[str]] | None,
               keep_history: int, prune_grace: float, log) -> None:
    """--dry-run: what a publish would upload, keep and delete, said and counted; nothing written."""
    for o in plan.upload:
        log(f"  upload {o.key} ({o.size:,} bytes)")
    if plan.documents_changed:
        log(f"  keep a history copy of {', '.join(d.key for d in plan.documents)}; {FEED_NAME} last")
    if prune_keep is not None:
        plan.delete = prune_candidates(remote, prune_keep(), keep_history, None, prune_grace)
        for k in plan.delete:
            log(f"  delete {k}")
    if summary.refused:
        log(f"note: publish would be refused: {summary.refused}")
    summary.uploaded, summary.uploaded_bytes = plan.upload_count, plan.upload_bytes
    summary.unchanged, summary.deleted = len(plan.unchanged), len(plan.delete)


def _check_needed(have: dict[str, int], objects: list[LocalObject], documents: list, base_url: str) -> None:
    """Every object the new feeds need is on the target, at the expected size; else nothing
    goes live."""
    expected = {o.key: o.size for o in objects if is_asset(o.key)}
    needed = set(expected)
    for d in documents:
        needed |= feed_references(d.data, base_url)
    missing = [k for k in sorted(needed) if k not in have or (k in expected and have[k] != expected[k])]
    if missing:
        raise PublishError(f"{len(missing)} objects the new feed needs are not on the target "
                           f"(first: {missing[0]}); the live feed was left as it was")


def _go_live(store, plan: Plan, feed: LocalObject, ledger: _Ledger, lease: Lease, summary: Summary, name: str,
             after_rollback: bool) -> None:
    """A history copy of every feed document (together: rollback restores the set), then the
    other feeds (MRSS, search feed), then feed.json, last."""
    old_feed = store.get(FEED_NAME)
    lease.check()
    for d in plan.documents:
        ledger.put(d, f"{HISTORY_DIR}/{name}/{d.key}", ARTWORK_CACHE_CONTROL)
    summary.history_key = f"{HISTORY_DIR}/{name}/{FEED_NAME}"
    live = [d for d in plan.upload if not is_asset(d.key) and d.key != FEED_NAME]
    live += [feed] if feed in plan.upload else []
    for d in live:
        lease.check()
        ledger.put(d)
    summary.feed_changed = feed in plan.upload
    if summary.feed_changed:
        summary.feed_before, summary.feed_after = old_feed, feed.data
        if after_rollback:  # a new feed is live: the rollback is behind us
            store.put(ROLLED_BACK_KEY, b'{"rolled_back_from":[]}', "application/json", "no-store")


def _write_manifest(store, manifest: dict, after: dict[str, RemoteObject], recorded: dict, deleted: list[str],
                    measured: dict) -> None:
    """The manifest: what the next publish compares against without reading objects (entries
    whose object is still there unchanged, what this run wrote, the clips' measurements)."""
    entries = {k: v for k, v in manifest.items() if k in after and k not in deleted
               and v.get("etag") == after[k].etag}
    entries.update(recorded)
    entries = {k: v for k, v in entries.items() if k not in deleted}
    for k, m in measured.items():
        if k in entries:
            entries[k] = {**entries[k], **m}
    if entries != manifest:
        store.put(MANIFEST_KEY, _manifest_bytes(entries), "application/json", "no-store")


def publish_tree(out: Path, store, *, base_url: str = "", jobs: int = 8, dry_run: bool = False,
                 prune: bool = False, keep_history: int = 5, lock_wait: float = 60.0,
                 lease_seconds: float = LEASE_SECONDS, prune_grace: float = PRUNE_GRACE_SECONDS,
                 log=print, now: datetime | None = None, listing: dict[str, RemoteObject] | None = None,
                 force: bool = False) -> Summary:
    """`listing`: the target's listing when the caller has just made it (publish lists once
    for the bucket-as-cache and the plan). `force`: publish a feed.json that `rollback` took
    off the air (refused otherwise, so a cron job can't undo a rollback)."""
    started = time.monotonic()
    feed, objects = tree_objects(out)
    summary = Summary(target=store.url, dry_run=dry_run, feed_object=store.describe(FEED_NAME),
                      feed_url=(base_url + FEED_NAME) if base_url else "", feed_sha256=feed.sha256)

    remote = listing if listing is not None else store.list()
    manifest = read_manifest(store)
    heads: dict = {}
    plan = make_plan(feed, objects, remote, manifest, store, heads)
    # Clips of the built tree, measured by the build: the manifest keeps their measurements,
    # the only ones a later build takes without rendering the clip.
    measured = clip_measurements(feed.data, {o.key for o in objects if o.key.startswith("clips/")})
    unmeasured = any(manifest.get(k, {}).get("duration") != m["duration"]
                     or manifest.get(k, {}).get("bitrate") != m["bitrate"] for k, m in measured.items())
    feed_changes = feed in plan.upload
    if feed_changes:
        # Read before anything is written: an unreadable live feed stops the publish here.
        summary.feed_before, summary.feed_after = store.get(FEED_NAME), feed.data
        refusal = None if force else _refusal(_rolled_back(store), feed.sha256)
        if refusal and dry_run:
            summary.refused = refusal
        elif refusal:
            raise PublishError(refusal)
    if dry_run:
        def prune_keep() -> set[str]:  # read from the target after the plan's lines are out
            return {o.key for o in objects} | _kept_references(store, remote, keep_history, base_url, [feed.data])

        _tell_plan(plan, summary, remote, prune_keep if prune else None, keep_history, prune_grace, log)
        summary.feed_changed = feed_changes
        summary.seconds = time.monotonic() - started
        return summary

    if not plan.upload and not prune and not plan.verified and not unmeasured:
        # Nothing to write: no lease either, so an unchanged channel costs a LIST and a GET.
        # (Objects verified without the manifest make one more run record them in it.)
        summary.unchanged = len(plan.unchanged)
        summary.seconds = time.monotonic() - started
        return summary

    with Lease(store, command="publish", ttl=lease_seconds, wait=lock_wait, log=log) as lease:
        remote = store.list()  # again: another publish may have finished while we waited
        manifest = read_manifest(store)
        plan = make_plan(feed, objects, remote, manifest, store, heads)
        rolled_back = _rolled_back(store) if feed in plan.upload else []
        if feed in plan.upload and not force and (refusal := _refusal(rolled_back, feed.sha256)):
            raise PublishError(refusal)  # a rollback landed while we waited for the lease
        summary.unchanged = len(plan.unchanged)
        ledger = _Ledger(store, summary, {k: r.size for k, r in remote.items()}, dict(plan.verified))

        # 1. Artwork and clips first.
        _upload(ledger, plan.assets, jobs, lease)

        # 2. Every object the new feeds need is there, at the expected size.
        _check_needed(ledger.confirmed, objects, plan.documents, base_url)
        if plan.documents_changed:
            # 3. A history copy of every feed document, 4. the other feeds, 5. feed.json.
            _go_live(store, plan, feed, ledger, lease, summary, version_name(plan.documents, _after_newest(remote, now)),
                     bool(rolled_back))

        # 6. Only now, with the new feeds live, what nobody needs may go.
        after = {k: remote.get(k) or RemoteObject(k, size, None, None, time.time()) for k, size in ledger.confirmed.items()}
        if prune:
            keep = {o.key for o in objects} | _kept_references(store, after, keep_history, base_url)
            new_version = version_name_of(summary.history_key) if summary.history_key else None
            plan.delete = prune_candidates(after, keep, keep_history, new_version, prune_grace)
            if plan.delete:
                lease.check()
                store.delete(plan.delete)
            summary.deleted = len(plan.delete)

        # 7. The manifest: what the next publish compares against without reading objects.
        _write_manifest(store, manifest, after, ledger.recorded, plan.delete, measured)
    if not summary.feed_changed:
        summary.feed_before = summary.feed_after = None
    summary.seconds = time.monotonic() - started
    return summary
