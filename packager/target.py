"""A publish target as publish, history, rollback and unlock use it: the Store protocol.
stores.FileStore (a folder) and stores.S3Store (a bucket prefix) both satisfy it
(tests/test_house.py checks their signatures against it); a new kind of target is a class
with these members, returned by stores.open_store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from packager.stores import RemoteObject


class Store(Protocol):
    """Keys are relative to the target ("feed.json", "artwork/<hash>.jpg"); an ETag is the
    store's own token for one version of an object (an S3 ETag, a file's stat)."""

    url: str  # the target as the user would write it: s3://bucket/prefix/ or a file:// URL

    def describe(self, key: str = "") -> str:
        """The target (or one key on it) for messages."""
        ...

    def list(self) -> dict[str, RemoteObject]:
        """Every object under the target, in one listing (hidden bookkeeping left out)."""
        ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is none."""
        ...

    def get_with_etag(self, key: str) -> tuple[bytes, str] | None:
        ...

    def sha256_of(self, key: str) -> str | None:
        """The SHA-256 the object was stored with (hex), when the store kept one."""
        ...

    def put(self, key: str, body: bytes | Path, content_type: str = "", cache_control: str = "",
            sha256: str | None = None) -> str | None:
        """Write bytes, or a file streamed from disk; readers never see half an object.
        Returns the new ETag."""
        ...

    def put_conditional(self, key: str, data: bytes, *, if_match: str | None = None) -> str | None:
        """Write only if the object is still the version `if_match` names (absent when None);
        returns the new ETag, or None when another writer came first (the publish lease)."""
        ...

    def delete(self, keys: list[str]) -> None:
        ...
