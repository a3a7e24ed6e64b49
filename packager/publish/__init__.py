"""Upload a built tree to a target so the live feed never points at missing artwork:
plan against one listing, upload only what changed (artwork and clips first, streamed from
disk), confirm every object the new feed needs is there, keep a history copy of every feed
document, write feed.json last, and only then prune. A lease (a lock object renewed while
the publish works, taken and renewed by compare-and-swap) keeps two publishes, rollbacks or
prunes from interleaving on one prefix; a holder that dies frees it within its TTL."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packager.diff import diff_feeds
from packager.dp import walk_items
from packager.errors import PublishError, excerpt
from packager.model import Published
from packager.stores import (  # noqa: F401 (CONTENT_TYPES: serve's import)
    CONTENT_TYPES,
    RemoteObject,
    content_type_for,
    file_digests,
)
from packager.writer import CHANNEL_ZIP, FEED_NAME, read_marker

# The hosts RFC 2606 reserves for examples: `init` and `migrate` write base_url under them as
# placeholders, and a feed published with one points its viewers at artwork that isn't there.
PLACEHOLDER_HOSTS = ("example.com", "example.org", "example.net")


def placeholder_note(base_url: str) -> str | None:
    """One warning line when base_url is still an example address; None otherwise."""
    host = (urlsplit(base_url).hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in PLACEHOLDER_HOSTS):
        return None
    return (f"warning: [channel] base_url {base_url} is an example address: the feed's artwork and video URLs "
            "point nowhere; set base_url in channel.toml to where this target is served from")


ARTWORK_CACHE_CONTROL = "public, max-age=31536000, immutable"
FEED_CACHE_CONTROL = "public, max-age=300"
HISTORY_DIR = "feeds"
INTERNAL_PREFIX = ".roku-packager/"
LOCK_KEY = INTERNAL_PREFIX + "lock"
# key -> sha256, size and the ETag the object had when publish recorded it: object
# metadata isn't in a LIST, and not every store's ETag is an MD5.
MANIFEST_KEY = INTERNAL_PREFIX + "manifest.json"
# The feed.json versions `rollback` took off the air: publishing one again needs --force,
# so a cron job re-publishing an unchanged channel can't undo a rollback.
ROLLED_BACK_KEY = INTERNAL_PREFIX + "rolled-back.json"
# A clip's measurements as the manifest may state them (seconds, kbps): outside these, the
# record is not one publish wrote, and the clip is measured again by rendering it.
CLIP_SECONDS = (1, 24 * 3600)
CLIP_KBPS = (1, 1_000_000)
# The folders publish manages. Only these are checked as feed references and only these
# are ever pruned: a publisher's own files under the prefix (videos, say) are left alone.
MANAGED_DIRS = ("artwork/", "clips/", HISTORY_DIR + "/")
LEASE_SECONDS = 30.0
PRUNE_GRACE_SECONDS = 3600.0
_URL = re.compile(r"""https?://[^\s"'<>\\]+""")


@dataclass(frozen=True)
class LocalObject:
    """A file of the built tree, read from disk only when hashed or sent."""

    key: str
    path: Path = field(repr=False)
    size: int
    content_type: str = "application/octet-stream"
    cache_control: str = ARTWORK_CACHE_CONTROL

    @cached_property
    def sha256(self) -> str:
        return file_digests(self.path, "sha256")["sha256"]

    @cached_property
    def md5(self) -> str:  # only for stores whose listing gives MD5 ETags and no manifest entry
        return file_digests(self.path, "md5")["md5"]

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class Plan:
    feed: LocalObject
    documents: list[LocalObject]  # feed.json and the other feeds (feed.xml, search-feed.json)
    upload: list[LocalObject]
    unchanged: list[LocalObject]
    verified: dict[str, dict] = field(default_factory=dict)  # manifest entries learned while planning
    delete: list[str] = field(default_factory=list)

    @property
    def documents_changed(self) -> bool:
        keys = {d.key for d in self.documents}
        return any(o.key in keys for o in self.upload)

    @property
    def assets(self) -> list[LocalObject]:
        return [o for o in self.upload if is_asset(o.key)]

    @property
    def upload_bytes(self) -> int:
        # Changed documents are written twice: a history copy of all of them, then live.
        history = sum(d.size for d in self.documents) if self.documents_changed else 0
        return sum(o.size for o in self.upload) + history

    @property
    def upload_count(self) -> int:
        return len(self.upload) + (len(self.documents) if self.documents_changed else 0)


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


def tree_objects(out: Path) -> tuple[LocalObject, list[LocalObject]]:
    """The built tree as objects to publish: (feed.json, everything else). Nothing is read
    yet: files are hashed and streamed when needed."""
    feed_path = out / FEED_NAME
    if not feed_path.is_file():
        raise PublishError(f"{out}: no {FEED_NAME}; build the channel first")
    feed = LocalObject(FEED_NAME, feed_path, feed_path.stat().st_size, content_type_for(FEED_NAME), FEED_CACHE_CONTROL)
    others = []
    written = read_marker(out)  # a user's own files in the folder are carried by builds, never published
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts) or rel.as_posix() == FEED_NAME:
            continue
        if written is not None and rel.as_posix() not in written:
            continue
        if rel.parts[0] == HISTORY_DIR or rel.suffix == ".html" or rel.as_posix() == CHANNEL_ZIP:
            continue  # history is written by publish itself; previews and the channel app are local only
        key = rel.as_posix()
        # Content-hashed files never change; other feeds (feed.xml, search-feed.json) do.
        cache = ARTWORK_CACHE_CONTROL if is_asset(key) else FEED_CACHE_CONTROL
        others.append(LocalObject(key, path, path.stat().st_size, content_type_for(key), cache))
    return feed, others


def is_asset(key: str) -> bool:
    """Artwork, clips and video packages: immutable, uploaded first. Anything else is a
    live document. (video/ is never pruned: a package's segments aren't named in the feed.)"""
    return key.startswith(MANAGED_DIRS + ("video/",))


def _managed_key(url: str, base_path: str | None) -> str | None:
    """The object key a URL names, whatever its host: the part of its path from the first
    managed folder on. With base_path, only if the path before that folder is base_path."""
    segments = unquote(urlsplit(url).path).split("/")
    for i, seg in enumerate(segments):
        if seg + "/" in MANAGED_DIRS and i + 1 < len(segments):
            if base_path is not None and "/".join(segments[:i]) + "/" != base_path:
                return None
            return "/".join(segments[i:])
    return None


def feed_references(data: bytes, base_url: str = "", any_host: bool = False) -> set[str]:
    """Keys (relative to the target) of the URLs in a feed document (JSON or XML) that point
    into the folders publish manages: URLs under base_url, and URLs on any host whose path
    is base_url's path plus a managed folder (the CDN's host changed). any_host=True counts
    any URL whose path names a managed folder: prune keeps whatever an older version may
    use, even after base_url's path changed. Without base_url, any_host is implied."""
    text = data.decode("utf-8", "replace")
    base_path = None if any_host or not base_url else (urlsplit(base_url).path or "/")
    keys: set[str] = set()
    for url in _URL.findall(text):
        url = url.replace("&amp;", "&")
        if base_url and url.startswith(base_url):
            key = unquote(url[len(base_url):].split("?", 1)[0].split("#", 1)[0])
        else:
            key = _managed_key(url, base_path)
        if key and key.startswith(MANAGED_DIRS):
            keys.add(key)
    return keys


# ---------------------------------------------------------------- history versions

def version_name(documents: list[LocalObject], now: datetime) -> str:
    """feed-<UTC time>-<hash8>: names sort by time; the hash covers every document."""
    h = hashlib.sha256()
    for d in sorted(documents, key=lambda d: d.key):
        h.update(f"{d.key}\0{d.sha256}\0".encode())
    return f"feed-{now.strftime('%Y%m%dT%H%M%SZ')}-{h.hexdigest()[:8]}"


def version_name_of(key: str) -> str:
    """The version a history key belongs to: feeds/NAME/DOC or the older feeds/NAME.json."""
    rest = key[len(HISTORY_DIR) + 1:]
    return rest.split("/", 1)[0] if "/" in rest else rest.removesuffix(".json")


def history_versions(remote) -> dict[str, dict[str, str]]:
    """Kept versions, oldest first: name -> {document name: key}. Versions written before
    history kept every feed (feeds/feed-<time>-<hash>.json) hold feed.json alone."""
    versions: dict[str, dict[str, str]] = {}
    for key in remote:
        if not key.startswith(HISTORY_DIR + "/feed-"):
            continue
        rest = key[len(HISTORY_DIR) + 1:]
        if "/" in rest:
            name, doc = rest.split("/", 1)
            if "/" in doc:
                continue
        elif rest.endswith(".json"):
            name, doc = rest.removesuffix(".json"), FEED_NAME
        else:
            continue
        versions.setdefault(name, {})[doc] = key
    return dict(sorted(versions.items()))


def history_keys(remote) -> list[str]:
    """The feed.json copy of every kept version, oldest first."""
    return [files[FEED_NAME] for files in history_versions(remote).values() if FEED_NAME in files]


def _version_time(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.split("-")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except (IndexError, ValueError):
        return None


def _after_newest(remote, now: datetime | None) -> datetime:
    """History names sort by time; two publishes in one second still sort in order."""
    now = now or datetime.now(timezone.utc)
    names = list(history_versions(remote))
    newest = _version_time(names[-1]) if names else None
    if newest is not None and newest >= now.replace(microsecond=0):
        return newest + timedelta(seconds=1)
    return now


# ---------------------------------------------------------------- planning

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _entry(value) -> dict | None:
    """One manifest entry as publish writes it, or None: a sha256, a size, the ETag the
    object had when recorded, and for a clip its duration (s) and bitrate (kbps)."""
    if not isinstance(value, dict):
        return None
    sha, size, etag = value.get("sha256"), value.get("size"), value.get("etag")
    if not (isinstance(sha, str) and _SHA256.fullmatch(sha) and type(size) is int and size >= 0
            and isinstance(etag, str) and etag):
        return None
    entry = {"sha256": sha, "size": size, "etag": etag}
    measured = _measurements(value.get("duration"), value.get("bitrate"))
    if measured:
        entry.update(measured)
    return entry


def _measurements(duration, bitrate) -> dict | None:
    if type(duration) is int and type(bitrate) is int and CLIP_SECONDS[0] <= duration <= CLIP_SECONDS[1] \
            and CLIP_KBPS[0] <= bitrate <= CLIP_KBPS[1]:
        return {"duration": duration, "bitrate": bitrate}
    return None


def read_manifest(store) -> dict[str, dict]:
    """key -> {"sha256", "size", "etag"} (and a clip's "duration", "bitrate") as publish
    recorded them; {} when the manifest is missing or unreadable, and an entry that isn't
    one publish writes is left out (then ETags that are MD5s, or HEADs, decide)."""
    doc = _json(store.get(MANIFEST_KEY))
    objects = doc.get("objects") if isinstance(doc, dict) else None
    if not isinstance(objects, dict):
        return {}
    entries = {k: _entry(v) for k, v in objects.items() if isinstance(k, str)}
    return {k: v for k, v in entries.items() if v is not None}


def vouched_for(manifest: dict[str, dict], remote: dict[str, RemoteObject]) -> set[str]:
    """Keys whose object is still the one publish recorded: listed at the recorded size
    with the recorded ETag. An object truncated, zero-filled or replaced since has a new
    ETag (S3 computes it; a folder's is the file's mtime and size), so it is not."""
    return {k for k, e in manifest.items()
            if (r := remote.get(k)) is not None and r.etag == e["etag"] and r.size == e["size"]}


def _manifest_bytes(entries: dict[str, dict]) -> bytes:
    return json.dumps({"version": 1, "objects": dict(sorted(entries.items()))},
                      separators=(",", ":"), sort_keys=True).encode()


def make_plan(feed: LocalObject, objects: list[LocalObject], remote: dict[str, RemoteObject],
              manifest: dict[str, dict] | None = None, store=None,
              heads: dict[tuple[str, str | None], str | None] | None = None) -> Plan:
    """Which objects differ from the target. An object is unchanged when it is there at the
    same size and the same sha256: from the manifest (if the object's ETag is still the one
    recorded), else its ETag when that is an MD5, else its x-amz-meta-sha256 (one HEAD)."""
    manifest = manifest or {}
    verified: dict[str, dict] = {}

    def same(obj: LocalObject) -> bool:
        r = remote.get(obj.key)
        if r is None or r.size != obj.size:
            return False
        entry = manifest.get(obj.key)
        if entry and entry["size"] == r.size and entry["etag"] == r.etag:
            return entry["sha256"] == obj.sha256
        # Changed since publish recorded it (truncated, zero-filled, replaced), or never
        # recorded: only the object's bytes decide (an MD5 ETag, or a folder's file read
        # whole), never a sha256 in metadata a replacement may have copied along.
        if r.md5 is not None:
            ok = r.md5 == obj.md5
        elif store is not None and (not entry or getattr(store, "reads_bytes", False)):
            # One HEAD per object version, however often the plan is made (`heads` memo).
            memo = heads if heads is not None else {}
            if (obj.key, r.etag) not in memo:
                memo[(obj.key, r.etag)] = store.sha256_of(obj.key)
            ok = memo[(obj.key, r.etag)] == obj.sha256
        else:
            ok = False
        if ok:
            verified[obj.key] = {"sha256": obj.sha256, "size": obj.size, "etag": r.etag}
        return ok

    upload, unchanged = [], []
    for o in [feed] + objects:
        (unchanged if same(o) else upload).append(o)
    documents = [feed] + [o for o in objects if not is_asset(o.key)]
    return Plan(feed=feed, documents=documents, upload=upload, unchanged=unchanged, verified=verified)


def prune_candidates(remote: dict[str, RemoteObject], keep: set[str], keep_history: int,
                     new_version: str | None, grace: float = PRUNE_GRACE_SECONDS,
                     now: float | None = None) -> list[str]:
    """Objects under the managed folders that neither the new tree nor the kept history
    versions need, and that are older than the grace period: a concurrent publish's fresh
    artwork is never removed before its feed goes live. The internal keys never go."""
    names = list(history_versions(remote))
    if new_version and new_version not in names:
        names = sorted(names + [new_version])
    kept = set(names[-keep_history:]) if keep_history > 0 else set()
    cutoff = (now if now is not None else time.time()) - grace
    return sorted(k for k, r in remote.items()
                  if k.startswith(MANAGED_DIRS) and k not in keep
                  and not (k.startswith(HISTORY_DIR + "/") and version_name_of(k) in kept)
                  and not (r.modified is not None and r.modified > cutoff))


def _kept_references(store, remote, keep_history: int, base_url: str, extra: list[bytes] = ()) -> set[str]:
    """Everything the newest K history versions and the live documents refer to, by key
    under the prefix whatever the URL's host: rollback targets must stay whole."""
    versions = list(history_versions(remote).values())
    kept = versions[-keep_history:] if keep_history > 0 else []
    keys = [k for files in kept for k in files.values()]
    keys += [k for k in remote if not k.startswith(MANAGED_DIRS + (INTERNAL_PREFIX,)) and k.endswith((".json", ".xml"))]
    refs: set[str] = set()
    for data in extra:
        refs |= feed_references(data, base_url, any_host=True)
    for key in keys:
        data = store.get(key)
        if data is not None:
            refs |= feed_references(data, base_url, any_host=True)
    return refs


_CLIP_KEY = re.compile(r"(clips/[0-9a-f]{16,64}\.mp4)$")


def published_objects(store, listing: dict[str, RemoteObject]) -> Published:
    """The bucket as the cache, from one listing and one GET (the manifest): the artwork,
    clip and video-package keys the target holds unchanged since publish recorded them, and
    each clip's duration and bitrate as publish recorded them when it wrote the clip, so a
    build can skip rendering them. Nothing is taken from the live feed or from an object the
    manifest doesn't vouch for: those are rendered again and re-sent."""
    manifest = read_manifest(store)
    keys = frozenset(k for k in vouched_for(manifest, listing) if k.startswith(("artwork/", "clips/", "video/")))
    clips = {k: (manifest[k]["duration"], manifest[k]["bitrate"]) for k in keys if "duration" in manifest[k]}
    return Published(keys, clips)


def clip_measurements(feed_data: bytes, keys: set[str]) -> dict[str, dict]:
    """clips/<hash>.mp4 -> {"duration", "bitrate"} for the clips of the built tree (`keys`),
    as the built feed states them: the build measured each clip it rendered or reused."""
    out: dict[str, dict] = {}
    for _, _, item in walk_items(_feed(feed_data)):
        content = item.get("content") if isinstance(item.get("content"), dict) else {}
        for video in content.get("videos") or []:
            url = video.get("url") if isinstance(video, dict) else None
            m = _CLIP_KEY.search(url) if isinstance(url, str) else None
            if m and m.group(1) in keys and (measured := _measurements(content.get("duration"), video.get("bitrate"))):
                out[m.group(1)] = measured
    return out


def existing_objects(store, folders: tuple[str, ...] = ("artwork/", "clips/")) -> dict[str, int]:
    """One listing of the target: key -> size of every object under `folders` (artwork and
    clips by default). For "the bucket is the cache": a build can skip rendering what is
    already published."""
    return {k: r.size for k, r in store.list().items() if k.startswith(folders)}


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




# ---------------------------------------------------------------- the lease

def _holder_text(holder: dict) -> str:
    when = datetime.fromtimestamp(holder.get("started", 0), timezone.utc).strftime("%H:%M:%S UTC")
    def text(key, default):
        value = holder.get(key, default)
        return value if isinstance(value, str) and value.isprintable() and len(value) <= 80 else excerpt(value, 40)
    return f"{text('command', 'publish')} by host {text('host', '?')}, pid {text('pid', '?')}, since {when}"


# A lease is renewed every ttl/3 and expires ttl after; one that claims to run for longer
# than this (beyond any clock skew) was not written by a publish.
LEASE_HORIZON = 24 * 3600.0
_LEASE_TIMES = ("started", "renewed", "expires")


def _parse_lock(raw: bytes, now: float | None = None) -> dict:
    """The lease in the lock object. Anything else there (not JSON, nested past the
    recursion limit, times that aren't numbers, a lease ending centuries from now) is not
    a lease a publish wrote: it is free, and "foreign" says why."""
    holder = _json(raw)
    if not isinstance(holder, dict):
        return {"released": True, "foreign": "it is not a JSON object"}
    now = time.time() if now is None else now
    for key in _LEASE_TIMES:
        value = holder.get(key, 0)
        if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= now + LEASE_HORIZON:
            return {"released": True, "foreign": f"its {key} is {excerpt(value, 30)}"}
    if not isinstance(holder.get("released", False), bool):
        return {"released": True, "foreign": f"its released is {excerpt(holder.get('released'), 30)}"}
    return holder


def _lease_free(holder: dict, now: float) -> bool:
    return bool(holder.get("released")) or holder.get("expires", 0) < now


class Lease:
    """One publish, rollback or prune per prefix at a time. The lock object holds a lease
    that expires `ttl` seconds after its last renewal; a background thread renews it every
    ttl/3 while the work goes on. Taking, renewing and releasing are compare-and-swap PUTs
    (If-None-Match: * to create, If-Match on the ETag to replace), so of two contenders
    exactly one wins, and a holder that dies (SIGKILL, a lost network) frees the target
    within `ttl` without anyone typing a command. Release writes a "released" lease rather
    than deleting, so it can never remove a lease someone else has taken since.

    Clocks: expiry is judged by the waiting machine's clock against the holder's; keep
    publishing hosts on NTP (a skew of s seconds shortens or lengthens the wait by s)."""

    def __init__(self, store, *, command: str = "publish", ttl: float = LEASE_SECONDS, wait: float = 60.0, log=print):
        self.store, self.command, self.ttl, self.wait, self.log = store, command, float(ttl), wait, log
        self.token = uuid.uuid4().hex
        self.started = time.time()
        self.seq = 0
        self.etag: str | None = None
        self.expires = 0.0
        self.lost: str | None = None
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self, released: bool = False) -> bytes:
        now = time.time()
        self.seq += 1
        return json.dumps({"token": self.token, "host": socket.gethostname(), "pid": os.getpid(),
                           "command": self.command, "started": self.started, "renewed": now,
                           "expires": now + self.ttl, "ttl": self.ttl, "seq": self.seq,
                           "released": released}).encode()

    def _ours(self) -> str | None:
        """The lock's ETag if the stored lease is exactly the one we last wrote (a PUT whose
        reply was lost may have landed, and its retry then fails its own condition)."""
        got = self.store.get_with_etag(LOCK_KEY)
        if got is None:
            return None
        holder = _parse_lock(got[0])
        return got[1] if holder.get("token") == self.token and holder.get("seq") == self.seq else None

    def __enter__(self):
        deadline = time.monotonic() + self.wait
        announced = False
        while True:
            got = self.store.get_with_etag(LOCK_KEY)
            holder = _parse_lock(got[0]) if got else None
            if holder is not None and holder.get("token") == self.token and not holder.get("released"):
                etag = got[1]  # our own earlier PUT landed though its reply was lost
            elif holder is None or _lease_free(holder, time.time()):
                if holder is not None and holder.get("foreign"):
                    self.log(f"the publish lock {self.store.describe(LOCK_KEY)} is not a lease roku-packager wrote "
                             f"({holder['foreign']}); taking it over")
                elif holder is not None and not holder.get("released"):
                    ago = time.time() - holder.get("expires", 0)
                    self.log(f"taking over an expired publish lease ({_holder_text(holder)}; expired {ago:.0f} s ago)")
                try:
                    self.store.put_conditional(LOCK_KEY, self._body(), if_match=got[1] if got else None)
                    # Read it back: the lease is ours only if what is stored is what we wrote
                    # (a lost reply may hide a success; a store that ignores the conditions
                    # lets the last writer win, and this makes the earlier one wait).
                    etag = self._ours()
                except PublishError:
                    self._abandon()
                    raise
            else:
                etag = None
                if time.monotonic() >= deadline:
                    left = holder.get("expires", 0) - time.time()
                    raise PublishError(
                        f"another {_holder_text(holder)} holds {self.store.describe()}; its lease "
                        f"expires in {max(left, 0):.0f} s unless renewed. Try again later; if that process "
                        f"is gone, `roku-packager unlock CHANNEL_DIR --force` releases it")
                if not announced:
                    self.log(f"waiting for another {_holder_text(holder)} to finish...")
                    announced = True
            if etag is not None:
                self.etag, self.expires = etag, time.time() + self.ttl
                self._thread = threading.Thread(target=self._renew_loop, name="publish-lease", daemon=True)
                self._thread.start()
                return self
            time.sleep(min(0.5, max(self.ttl / 10, 0.05)))

    def _abandon(self) -> None:
        """Taking the lease failed half-way: if our lease landed, release it."""
        try:
            etag = self._ours()
            if etag is not None:
                self.store.put_conditional(LOCK_KEY, self._body(released=True), if_match=etag)
        except PublishError:
            self.log(f"warning: a publish lease may be left at {self.store.describe(LOCK_KEY)}; "
                     f"it frees itself within {self.ttl:.0f} s")

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            with self._mutex:
                if self._stop.is_set() or self.lost:
                    return
                try:
                    etag = self.store.put_conditional(LOCK_KEY, self._body(), if_match=self.etag)
                    if etag is None:
                        etag = self._ours()
                    if etag is None:
                        self.lost = "another process took the publish lock (unlock --force?)"
                        return
                    self.etag, self.expires = etag, time.time() - 1 + self.ttl
                except PublishError as e:
                    if time.time() > self.expires:
                        self.lost = f"could not renew the publish lease: {e}"
                        return

    def check(self) -> None:
        """Raise unless the lease is certainly still ours: called before each step that
        changes what the live feed is or deletes anything."""
        if self.lost is None and time.time() > self.expires:
            self.lost = "the publish lease could not be renewed in time"
        if self.lost:
            raise PublishError(f"{self.lost}; stopped before changing the live feed further")

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.ttl)
        with self._mutex:
            if self.lost or self.etag is None:
                return False
            for attempt in range(3):
                try:
                    if self.store.put_conditional(LOCK_KEY, self._body(released=True), if_match=self.etag) is None:
                        self._ours()  # taken over meanwhile, or our release already landed
                    return False
                except PublishError:
                    time.sleep(0.2 * (attempt + 1))
        self.log(f"warning: could not release the publish lock {self.store.describe(LOCK_KEY)}; "
                 f"it frees itself within {self.ttl:.0f} s")
        return False


def unlock(store, force: bool = False) -> str:
    """Release the lock by hand (`roku-packager unlock`): at once if its lease has expired,
    only with force while it is live (the holder then stops before its next live change)."""
    got = store.get_with_etag(LOCK_KEY)
    if got is None:
        return f"no publish lock at {store.describe()}"
    holder = _parse_lock(got[0])
    foreign = holder.get("foreign")
    if holder.get("released") and not foreign:
        return f"no publish lock held at {store.describe()}"
    now = time.time()
    left = holder.get("expires", 0) - now if not foreign else 0.0
    if left > 0 and not force:
        raise PublishError(f"the lock is held by a running {_holder_text(holder)}; its lease was renewed "
                           f"{now - holder.get('renewed', now):.0f} s ago and expires in {left:.0f} s. "
                           "If that process is gone it frees itself by then; pass --force to release it now "
                           "(a running publish then stops before changing the live feed)")
    body = json.dumps({"token": "unlock", "host": socket.gethostname(), "pid": os.getpid(), "command": "unlock",
                       "started": now, "renewed": now, "expires": now, "released": True}).encode()
    if store.put_conditional(LOCK_KEY, body, if_match=got[1]) is None:
        raise PublishError("the lock changed while releasing it (its holder renewed it); run unlock again")
    if foreign:
        return f"released {store.describe(LOCK_KEY)}: it was not a lease roku-packager wrote ({foreign})"
    state = f"expired {-left:.0f} s ago" if left <= 0 else f"live for {left:.0f} s more"
    return f"released the publish lock of {_holder_text(holder)} ({state})"


# ---------------------------------------------------------------- publish

def _upload(store, objects: list[LocalObject], jobs: int, confirmed: dict[str, int],
            recorded: dict[str, dict], lease: Lease | None = None) -> None:
    """Streamed from disk, in parallel on one client; each object carries its sha256."""
    progress = Progress(len(objects), sum(o.size for o in objects))

    def put(obj: LocalObject):
        if lease is not None:
            lease.check()
        etag = store.put(obj.key, obj.path, obj.content_type, obj.cache_control, sha256=obj.sha256)
        return obj, etag

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for obj, etag in pool.map(put, objects):
            confirmed[obj.key] = obj.size
            recorded[obj.key] = {"sha256": obj.sha256, "size": obj.size, "etag": etag}
            progress.advance(obj.size)


def _json(data: bytes | None):
    """A document from the target, parsed; None when it is missing or isn't JSON. Anything
    on a target may have been written by someone else: nesting deeper than Python's
    recursion limit is unreadable, not a crash."""
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _feed(data: bytes | None) -> dict:
    """A feed document's JSON, or {} when it is missing or isn't a JSON object."""
    feed = _json(data)
    return feed if isinstance(feed, dict) else {}


def _rolled_back(store) -> list[dict]:
    """The feed.json versions `rollback` took off the air since the last publish of a new
    one: [{"sha256", "version", "at", "to"}], newest last; [] when none (or unreadable)."""
    doc = _json(store.get(ROLLED_BACK_KEY))
    rows = doc.get("rolled_back_from") if isinstance(doc, dict) else None
    return [r for r in rows if isinstance(r, dict) and isinstance(r.get("sha256"), str)] if isinstance(rows, list) else []


def _refusal(rolled_back: list[dict], feed_sha: str) -> str | None:
    """Why this feed.json must not go live without --force: a rollback took it off the air."""
    row = next((r for r in reversed(rolled_back) if r["sha256"] == feed_sha), None)
    if row is None:
        return None
    version = row.get("version") if isinstance(row.get("version"), str) else "a version"
    when = row.get("at") if isinstance(row.get("at"), str) else "earlier"
    return (f"this build's feed.json is {excerpt(version, 60)}, which `rollback` took off the air ({excerpt(when, 30)}); "
            "publishing it again would undo the rollback. Change the channel, or pass --force to publish it anyway")


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
        for o in plan.upload:
            log(f"  upload {o.key} ({o.size:,} bytes)")
        if plan.documents_changed:
            log(f"  keep a history copy of {', '.join(d.key for d in plan.documents)}; {FEED_NAME} last")
        if prune:
            keep = {o.key for o in objects} | _kept_references(store, remote, keep_history, base_url, [feed.data])
            plan.delete = prune_candidates(remote, keep, keep_history, None, prune_grace)
            for k in plan.delete:
                log(f"  delete {k}")
        if summary.refused:
            log(f"note: publish would be refused: {summary.refused}")
        summary.uploaded, summary.uploaded_bytes = plan.upload_count, plan.upload_bytes
        summary.unchanged, summary.deleted = len(plan.unchanged), len(plan.delete)
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
        confirmed: dict[str, int] = {k: r.size for k, r in remote.items()}
        recorded = dict(plan.verified)

        # 1. Artwork and clips first.
        _upload(store, plan.assets, jobs, confirmed, recorded, lease)
        summary.uploaded, summary.uploaded_bytes = len(plan.assets), sum(o.size for o in plan.assets)

        # 2. Every object the new feeds need is there, at the expected size.
        expected = {o.key: o.size for o in objects if is_asset(o.key)}
        needed = set(expected)
        for d in plan.documents:
            needed |= feed_references(d.data, base_url)
        missing = [k for k in sorted(needed) if k not in confirmed or (k in expected and confirmed[k] != expected[k])]
        if missing:
            raise PublishError(f"{len(missing)} objects the new feed needs are not on the target "
                               f"(first: {missing[0]}); the live feed was left as it was")

        if plan.documents_changed:
            old_feed = store.get(FEED_NAME)
            # 3. A history copy of every feed document, together: rollback restores the set.
            name = version_name(plan.documents, _after_newest(remote, now))
            history = [(f"{HISTORY_DIR}/{name}/{d.key}", d) for d in plan.documents]
            lease.check()
            for key, d in history:
                etag = store.put(key, d.path, d.content_type, ARTWORK_CACHE_CONTROL, sha256=d.sha256)
                confirmed[key] = d.size
                recorded[key] = {"sha256": d.sha256, "size": d.size, "etag": etag}
            summary.history_key = f"{HISTORY_DIR}/{name}/{FEED_NAME}"
            summary.uploaded += len(history)
            summary.uploaded_bytes += sum(d.size for d in plan.documents)
            # 4. The other feeds (MRSS, search feed), then 5. feed.json, last.
            live = [d for d in plan.upload if not is_asset(d.key) and d.key != FEED_NAME]
            live += [feed] if feed in plan.upload else []
            for d in live:
                lease.check()
                etag = store.put(d.key, d.path, d.content_type, d.cache_control, sha256=d.sha256)
                confirmed[d.key] = d.size
                recorded[d.key] = {"sha256": d.sha256, "size": d.size, "etag": etag}
            summary.uploaded += len(live)
            summary.uploaded_bytes += sum(d.size for d in live)
            summary.feed_changed = feed in plan.upload
            if summary.feed_changed:
                summary.feed_before, summary.feed_after = old_feed, feed.data
                if rolled_back:  # a new feed is live: the rollback is behind us
                    store.put(ROLLED_BACK_KEY, b'{"rolled_back_from":[]}', "application/json", "no-store")

        # 6. Only now, with the new feeds live, what nobody needs may go.
        after = {k: remote.get(k) or RemoteObject(k, size, None, None, time.time()) for k, size in confirmed.items()}
        if prune:
            keep = {o.key for o in objects} | _kept_references(store, after, keep_history, base_url)
            new_version = version_name_of(summary.history_key) if summary.history_key else None
            plan.delete = prune_candidates(after, keep, keep_history, new_version, prune_grace)
            if plan.delete:
                lease.check()
                store.delete(plan.delete)
            summary.deleted = len(plan.delete)

        # 7. The manifest: what the next publish compares against without reading objects.
        entries = {k: v for k, v in manifest.items() if k in after and k not in plan.delete
                   and v.get("etag") == after[k].etag}
        entries.update(recorded)
        entries = {k: v for k, v in entries.items() if k not in plan.delete}
        for k, m in measured.items():
            if k in entries:
                entries[k] = {**entries[k], **m}
        if entries != manifest:
            store.put(MANIFEST_KEY, _manifest_bytes(entries), "application/json", "no-store")
    if not summary.feed_changed:
        summary.feed_before = summary.feed_after = None
    summary.seconds = time.monotonic() - started
    return summary


# ---------------------------------------------------------------- history and rollback

@dataclass(frozen=True)
class Version:
    key: str  # its feed.json copy
    name: str  # feed-20261125T203000Z-abcd1234
    time: datetime
    size: int
    items: int
    live: bool
    files: dict[str, str] = field(default_factory=dict)  # document name -> history key
    sha256: str = ""  # of its feed.json


def _count_items(data: bytes) -> int:
    """Root items of a kept version (series count once, not per episode)."""
    return sum(1 for kind, _, _ in walk_items(_feed(data)) if kind != "episode")


def list_versions(store) -> list[Version]:
    remote = store.list()
    live_feed = store.get(FEED_NAME) if FEED_NAME in remote else None
    out = []
    for name, files in history_versions(remote).items():
        when = _version_time(name)
        if when is None or FEED_NAME not in files:
            continue
        data = store.get(files[FEED_NAME]) or b""
        out.append(Version(files[FEED_NAME], name, when, len(data), _count_items(data), False, files,
                           hashlib.sha256(data).hexdigest()))
    # The newest version whose feed.json is the live one is live.
    live_sha = hashlib.sha256(live_feed).hexdigest() if live_feed is not None else None
    for i in range(len(out) - 1, -1, -1):
        if out[i].sha256 == live_sha:
            out[i] = dataclasses.replace(out[i], live=True)
            break
    return out


def _check_parses(key: str, data: bytes | None) -> str | None:
    """Why a history copy can't go live, or None. feed.json must pass the feed validator
    (the DP spec's rules: a JSON object with no items, say, is refused); the other feeds,
    derived from it, must parse."""
    if data is None:
        return "it is gone"
    if key.endswith(".xml"):
        import defusedxml.ElementTree as SafeET  # noqa: PLC0415 (only when a rollback checks an XML copy)
        try:
            SafeET.fromstring(data)
        except Exception as e:  # defusedxml's ParseError and its refusals (entities, DTDs)
            return f"it is not well-formed XML ({excerpt(str(e), 80)})"
        return None
    parsed = _json(data)
    if not isinstance(parsed, dict):
        return "it is not a JSON object" if parsed is not None else "it is not JSON (or is nested too deep)"
    if key.rsplit("/", 1)[-1] == FEED_NAME:
        from packager.validate import validate_bytes  # noqa: PLC0415 (heavy: the schema compiles on first use)
        try:
            report = validate_bytes(data, profile="spec", source=key)
        except RecursionError:
            return "it is nested too deep to validate"
        if report.errors:
            first = report.errors[0]
            return (f"it fails validation with {len(report.errors)} error(s) "
                    f"(first: {first.code} {excerpt(first.message, 100)})")
    return None


def rollback(store, base_url: str, version: str | None = None, log=print,
             lease_seconds: float = LEASE_SECONDS, lock_wait: float = 60.0) -> Version:
    """Make an earlier version live again: every feed document it kept (feed.json last),
    after checking that each parses and every object they reference exists."""
    versions = list_versions(store)
    if not versions:
        raise PublishError(f"{store.describe()}: no feed history to roll back to")
    if version is None:
        live_at = [i for i, v in enumerate(versions) if v.live]
        if not live_at:
            raise PublishError("the live feed matches no history version; name one with --version")
        # The newest earlier version that differs from the live one (a publish that failed
        # after its history copy leaves a copy of the feed that then went live).
        earlier = [v for v in versions[:live_at[-1]] if v.sha256 != versions[live_at[-1]].sha256]
        if not earlier:
            raise PublishError("the live feed is the oldest version kept; there is nothing before it")
        chosen = earlier[-1]
    else:
        matches = [v for v in versions if version in v.name]
        if len(matches) != 1:
            names = ", ".join(v.name for v in versions[-5:])
            raise PublishError(f"--version {version!r} matches {len(matches)} versions; pick one of: {names}")
        chosen = matches[0]
    live_now = next((v for v in reversed(versions) if v.live), None)
    with Lease(store, command="rollback", ttl=lease_seconds, wait=lock_wait, log=log) as lease:
        documents = {doc: store.get(key) for doc, key in chosen.files.items()}
        for doc, data in documents.items():
            why = _check_parses(chosen.files[doc], data)
            if why:
                raise PublishError(f"{chosen.name}: its copy of {doc} ({chosen.files[doc]}) can't be used: {why}; "
                                   "it can't be made live")
        remote = store.list()
        refs = set().union(*(feed_references(d, base_url) for d in documents.values()))
        missing = sorted(k for k in refs if k not in remote)
        if missing:
            raise PublishError(f"{chosen.name} needs {len(missing)} objects that are gone (first: {missing[0]}); "
                               "it can't be made live")
        # Record what goes off the air before it does: a later publish of that feed.json is
        # refused without --force (a crash after this line refuses, never undoes, a rollback).
        live_feed = store.get(FEED_NAME)
        if live_feed is not None and FEED_NAME in documents:
            live_sha = hashlib.sha256(live_feed).hexdigest()
            chosen_sha = hashlib.sha256(documents[FEED_NAME]).hexdigest()
            rows = [r for r in _rolled_back(store) if r["sha256"] not in (live_sha, chosen_sha)]
            rows.append({"sha256": live_sha, "version": live_now.name if live_now else "the feed that was live",
                         "at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"), "to": chosen.name})
            lease.check()
            store.put(ROLLED_BACK_KEY, json.dumps({"rolled_back_from": rows[-50:]}, sort_keys=True).encode(),
                      "application/json", "no-store")
        for doc in sorted(documents, key=lambda d: d == FEED_NAME):  # feed.json last
            lease.check()
            store.put(doc, documents[doc], content_type_for(doc), FEED_CACHE_CONTROL,
                      sha256=hashlib.sha256(documents[doc]).hexdigest())
        absent = sorted(k for k in remote if not is_asset(k) and not k.startswith(INTERNAL_PREFIX)
                        and k.endswith((".json", ".xml")) and k not in documents and "/" not in k)
        if absent:
            log(f"note: {chosen.name} kept no copy of {', '.join(absent)}; left as it is")
    return chosen
