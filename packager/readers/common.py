"""What the readers share: an article from its fields with a photo URL downloaded (or kept
as a thumbnail), dotted field names, loading a source's bytes (a file or a fetched URL), and
stable ids for items that have none."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

from packager.articles import article_from_fields
from packager.config import Channel, Source
from packager.errors import ArticleError
from packager.ids import normalize_id
from packager.model import Article
from packager.remote import MAX_FEED_BYTES, MAX_PHOTO_BYTES, Fetcher, RemoteError


def build_article(channel: Channel, source: str, path: Path, fields: dict, body: str,
                  short_max: int = 200, fetcher=None, keep_remote_thumbnail: bool = False,
                  imported: bool = False) -> Article:
    """One article from its fields (front matter, or an export's item mapped to our names).
    Photo URLs are downloaded with a fetcher (allow_remote), kept as thumbnail URLs for an
    imported DP feed, and otherwise refused. `imported` (a DP feed): id and text are kept as
    they are, every video is kept, and a malformed optional field is left out with a warning
    instead of refusing the item."""
    photo_url = fields.get("photo") if isinstance(fields.get("photo"), str) and re.match(r"^https?://", fields["photo"].strip(), re.I) else None
    thumbnail_url = None
    notes: tuple[str, ...] = ()
    if photo_url:
        fields = dict(fields)
        if fetcher is not None:
            try:
                # The cache is inside the channel folder, so the usual path checks apply.
                fields["photo"] = os.path.relpath(fetcher.fetch(photo_url.strip(), MAX_PHOTO_BYTES), path.parent)
            except RemoteError as e:
                if not imported:
                    raise ArticleError(source, "photo", str(e)) from None
                # An imported item's thumbnail worked where it was: kept as it is.
                notes = (f"{source}: photo: {e}; kept as a URL",)
                fields.pop("photo")
                thumbnail_url = photo_url.strip()
        elif keep_remote_thumbnail:
            fields.pop("photo")
            thumbnail_url = photo_url.strip()
        else:
            raise ArticleError(source, "photo", f"{photo_url} is a URL; set allow_remote = true for this source to download it")
    article = article_from_fields(channel, source, path, fields, body, short_max, thumbnail_url is not None, imported)
    if thumbnail_url:
        article = dataclasses.replace(article, thumbnail_url=thumbnail_url, warnings=notes + article.warnings)
    return article


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
