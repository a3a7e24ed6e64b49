"""History versions: every publish that changes the feeds keeps a copy of all of them under
feeds/<version>/, named so that names sort by time."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from packager.publish.layout import HISTORY_DIR
from packager.publish.tree import LocalObject
from packager.writer import FEED_NAME


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
