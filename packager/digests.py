"""Source hashes, remembered between builds: photos are named by the hash of their bytes,
and a memo keyed by (path, size, mtime, inode) beside the output lets a no-op rebuild skip
reading and hashing every photo again. Artwork and clips both name their inputs this way."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def source_digest(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()


class DigestMemo:
    """Source hashes keyed by (path, size, mtime_ns, inode), kept beside the output so a
    no-op rebuild doesn't read and hash every photo again."""

    NAME = ".roku-packager-photos.json"

    def __init__(self, entries: dict | None = None):
        self.entries = entries or {}
        self.used: dict[str, list] = {}

    @classmethod
    def load(cls, folder: Path | None) -> "DigestMemo":
        try:
            return cls(json.loads((folder / cls.NAME).read_text()))
        except (OSError, ValueError, TypeError):
            return cls()

    def digest(self, path: Path) -> tuple[str, bytes | None]:
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        key = str(path)
        hit = self.entries.get(key)
        if hit and hit[:3] == stamp:
            self.used[key] = hit
            return hit[3], None
        data = path.read_bytes()
        digest = source_digest(data)
        self.used[key] = stamp + [digest]
        return digest, data

    def dump(self) -> bytes:
        return json.dumps(self.used, sort_keys=True).encode()
