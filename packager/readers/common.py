"""What the export readers share: dotted field names, loading a source's bytes (a file or
a fetched URL), and stable ids for items that have none."""

from __future__ import annotations

import re

from packager.config import Channel, Source
from packager.errors import ArticleError
from packager.ids import normalize_id
from packager.remote import MAX_FEED_BYTES, Fetcher, RemoteError


def dotted(data, name: str):
    """data["image"]["src"] for "image.src"; list items by number ("images.0.url")."""
    node = data
    for part in name.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def map_fields(item: dict, fields: tuple[tuple[str, str], ...], onto: dict | None = None) -> dict:
    """`item` with our names added from its (dotted) names; with `onto`, those values are put
    on a copy of `onto` instead (a reader's own mapping, overridden where the table says)."""
    out = dict(item if onto is None else onto)
    for ours, theirs in fields:
        value = dotted(item, theirs)
        if value is not None:
            out[ours] = value
    return out


def with_mapped_name(e: ArticleError, fields: tuple[tuple[str, str], ...]) -> ArticleError:
    """The skip line names the export's own field beside ours (`title (mapped from headline)`):
    the publisher's file has no `title` to look for."""
    top = (e.field or "").split(".")[0].split("[")[0]
    theirs = dict(fields).get(top)
    if not theirs or theirs == top:
        return e
    # In place, so the kind of skip (MissingVideo, counted apart) stays what it was.
    e.field = f"{e.field} (mapped from {theirs})"
    e.args = (f"{e.source}: {e.field}: {e.detail}",)
    return e


def load_bytes(channel: Channel, source: Source, fetcher: Fetcher | None) -> tuple[bytes, str]:
    if source.url:
        try:
            return fetcher.fetch(source.url, MAX_FEED_BYTES).read_bytes(), source.url
        except RemoteError as e:
            raise ArticleError(source.url, None, str(e)) from None
    name = source.path.relative_to(channel.root).as_posix()
    try:
        return source.path.read_bytes(), name
    except OSError as e:
        raise ArticleError(name, None, f"can't be read: {e.strerror or e}") from None


def stable_id(fields: dict, label: str) -> str:
    """An id for an item that has none: from its link or title, never from its position."""
    for key in ("guid", "link", "url", "title"):
        if isinstance(fields.get(key), str) and fields[key].strip():
            text = fields[key].strip()
            slug = re.sub(r"^https?://[^/]+", "", text).strip("/").rsplit("/", 1)[-1] or text
            slug = slug if key != "title" else text
            # "?p=1201" -> "p-1201": cleaned here so only truly long ids get a hash suffix.
            return normalize_id(re.sub(r"[^A-Za-z0-9_-]+", "-", slug).strip("-") or slug)
    return normalize_id(label)
