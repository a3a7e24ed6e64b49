"""Where publish keeps things on a target, and how it reads what it finds there: the
cache headers, the history folder, the internal keys (lock, manifest, rolled-back record),
the folders it manages, which keys a feed document refers to, and documents parsed without
trusting them (anything on a target may have been written by someone else)."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote, urlsplit

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
# The folders publish manages. Only these are checked as feed references and only these
# are ever pruned: a publisher's own files under the prefix (videos, say) are left alone.
MANAGED_DIRS = ("artwork/", "clips/", HISTORY_DIR + "/")
_URL = re.compile(r"""https?://[^\s"'<>\\]+""")


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
