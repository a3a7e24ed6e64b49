"""Source hashes, remembered between builds: photos are named by the hash of their bytes,
and a memo keyed by (path, size, mtime, inode) beside the output lets a no-op rebuild skip
reading and hashing every photo again. Artwork and clips both name their inputs this way."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

# The first bytes of every photo format we read: a file that starts otherwise is refused
# before it is read (a 4 GB file named .jpg costs nothing).
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
MAX_PHOTO_FILE = 512 * 1024 * 1024


class SourceError(OSError):
    """A source file refused before it is read: not a regular file, too large, not an image."""

    def __init__(self, message: str):
        super().__init__(message)
        self.strerror = message


def check_photo_file(path: Path) -> int:
    """Refuse what must not be read: FIFOs and devices (reading would hang), files over
    MAX_PHOTO_FILE, and files whose first bytes are no image format. Returns the size."""
    st = path.stat()
    if stat.S_ISDIR(st.st_mode):
        raise SourceError("is a folder, not a photo")
    if not stat.S_ISREG(st.st_mode):
        raise SourceError("is not a regular file (a pipe, device or socket); give a photo file")
    if st.st_size > MAX_PHOTO_FILE:
        raise SourceError(f"is {st.st_size:,} bytes, over the {MAX_PHOTO_FILE:,} a photo may have")
    with open(path, "rb") as f:
        head = f.read(12)
    if not (head.startswith(IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")):
        raise SourceError("is not an image (its first bytes are no JPEG, PNG, WebP, GIF or TIFF)")
    return st.st_size


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
        """The photo's hash, from the memo when its size, mtime and inode are unchanged (then
        no bytes are read and None is returned), else read and hashed (bytes returned)."""
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        key = str(path)
        hit = self.entries.get(key)
        if hit and hit[:3] == stamp:
            self.used[key] = hit
            return hit[3], None
        check_photo_file(path)
        data = path.read_bytes()
        digest = source_digest(data)
        self.used[key] = stamp + [digest]
        return digest, data

    def dump(self) -> bytes:
        return json.dumps(self.used, sort_keys=True).encode()
