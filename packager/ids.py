"""Ids and tags: how a newsroom's names become Roku ids and tags. Imports nothing from the
package, so every stage can use it."""

from __future__ import annotations

import hashlib
import re

_ID_OK = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
_WS = re.compile(r"\s+")
TAG_MAX = 20  # DP spec: a tag is at most 20 characters


def normalize_id(raw: str) -> str:
    """An id for something we name ourselves (a Markdown file, a [[series]] table): kept when
    it is [A-Za-z0-9_-] and at most 50 characters; otherwise a readable prefix plus a short
    hash of the original, so it stays stable and distinct. Imported DP ids are never
    rewritten (the spec says an item's id never changes)."""
    if _ID_OK.match(raw):
        return raw
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-") or "item"
    if clean == raw[:50] and len(raw) <= 50:
        return clean
    # surrogatepass: a file name that isn't valid UTF-8 still gets an id (and a clean line later).
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{clean[:41].rstrip('-')}-{digest}"


def normalize_tag(tag: str) -> str:
    """Tags match case-insensitively everywhere: lowercase, whitespace collapsed."""
    return _WS.sub(" ", tag).strip().lower()


def normalize_query(query: str) -> str:
    """A category query matched the way tags are: each tag lowercased, whitespace collapsed;
    the AND/OR operators (upper case in Roku's queries) kept."""
    words = _WS.sub(" ", query).strip().split(" ")
    return " ".join(w if w in ("AND", "OR") else w.lower() for w in words)


def section_tag(section: str) -> str:
    """The tag that puts an article in its section's row: a slug of at most 20 characters."""
    slug = re.sub(r"[^\w]+", "-", section.lower(), flags=re.UNICODE).strip("-") or "section"
    if len(slug) <= TAG_MAX:
        return slug
    return slug[:15].rstrip("-") + "-" + hashlib.sha256(section.encode("utf-8", "surrogatepass")).hexdigest()[:4]
