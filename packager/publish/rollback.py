"""History and rollback: the kept versions as `history` lists them, and making an earlier
one live again; the record of what rollback took off the air, which publish reads."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from packager.dp import walk_items
from packager.errors import PublishError, excerpt
from packager.publish.history import _version_time, history_versions
from packager.publish.layout import (
    FEED_CACHE_CONTROL,
    INTERNAL_PREFIX,
    ROLLED_BACK_KEY,
    _feed,
    _json,
    feed_references,
    is_asset,
)
from packager.publish.lease import LEASE_SECONDS, Lease
from packager.stores import content_type_for
from packager.writer import FEED_NAME


def _rolled_back(store) -> list[dict]:
    """The feed.json versions `rollback` took off the air since the last publish of a new
    one: [{"sha256", "version", "at", "to"}], newest last; [] when none (or unreadable)."""
    doc = _json(store.get(ROLLED_BACK_KEY))
    rows = doc.get("rolled_back_from") if isinstance(doc, dict) else None
    return [r for r in rows if isinstance(r, dict) and isinstance(r.get("sha256"), str)] if isinstance(rows, list) else []


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
