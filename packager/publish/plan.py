"""Planning: which objects of the built tree differ from the target (the manifest, ETags,
one HEAD), what prune may delete, and the bucket as the cache (what a build need not render)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

from packager.dp import walk_items
from packager.model import Published
from packager.publish.history import history_versions, version_name_of
from packager.publish.layout import (
    HISTORY_DIR,
    INTERNAL_PREFIX,
    MANAGED_DIRS,
    MANIFEST_KEY,
    _feed,
    _json,
    feed_references,
    is_asset,
)
from packager.publish.tree import LocalObject
from packager.stores import RemoteObject

# A clip's measurements as the manifest may state them (seconds, kbps): outside these, the
# record is not one publish wrote, and the clip is measured again by rendering it.
CLIP_SECONDS = (1, 24 * 3600)
CLIP_KBPS = (1, 1_000_000)
PRUNE_GRACE_SECONDS = 3600.0


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
