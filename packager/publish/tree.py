"""The built tree as objects to publish: feed.json apart, the rest in key order, each read
from disk only when hashed or sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from packager.errors import PublishError
from packager.publish.layout import ARTWORK_CACHE_CONTROL, FEED_CACHE_CONTROL, HISTORY_DIR, is_asset
from packager.stores import content_type_for, file_digests
from packager.writer import CHANNEL_ZIP, FEED_NAME, read_marker


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
