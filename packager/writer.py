"""Lay out the output folder: every file is registered first, then the whole tree is
written beside the old one and swapped in, so a failed or interrupted build never leaves a
half-written folder and the previous output stays as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from packager.errors import PackagerError
from packager.safepath import relative_key

FEED_NAME = "feed.json"
# `roku-packager channel` writes the channel app here by default. It doesn't depend on the
# feed, so a build keeps it (carried into the new tree) and publish leaves it local.
CHANNEL_ZIP = "roku-channel.zip"


class OutputError(PackagerError):
    """The output folder can't be (re)placed safely."""


def _check_relpath(relpath: str) -> str:
    key = relative_key(relpath)
    if key is None:
        raise OutputError(f"refusing to write {relpath!r}: outside the output folder")
    return key


class DistWriter:
    def __init__(self, out: Path):
        self.out = Path(out)
        self._files: dict[str, tuple[bytes | None, Path | None]] = {}

    def add(self, relpath: str, data: bytes | None = None, origin: Path | None = None) -> None:
        """Register a file. The same path twice is allowed only with the same content
        (two articles sharing one photo); anything else is a bug worth stopping for."""
        relpath = _check_relpath(relpath)
        if relpath in self._files:
            old_data, old_origin = self._files[relpath]
            if (old_data, old_origin) != (data, origin) and (old_data or _read(old_origin)) != (data or _read(origin)):
                raise OutputError(f"two different files want the same output path {relpath}")
            return
        self._files[relpath] = (data, origin)

    @property
    def paths(self) -> list[str]:
        return sorted(self._files)

    def check_target(self) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: exists and is not a folder; choose another --out")
        if out.is_dir() and any(p.name != CHANNEL_ZIP for p in out.iterdir()) and not (out / FEED_NAME).exists():
            raise OutputError(f"{out}: is a folder that roku-packager did not make (no {FEED_NAME}); "
                              f"it would be replaced, so choose an empty or new --out")

    def commit(self) -> None:
        self.check_target()
        out = self.out.resolve() if self.out.exists() else self.out.absolute()
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.parent / f".{out.name}.staging-{os.getpid()}"
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            for relpath in sorted(self._files):
                data, origin = self._files[relpath]
                dest = staging / relpath
                dest.parent.mkdir(parents=True, exist_ok=True)
                if origin is not None:
                    try:
                        os.link(origin, dest)  # unchanged artwork: no copy
                    except OSError:
                        shutil.copyfile(origin, dest)
                else:
                    dest.write_bytes(data)
            if CHANNEL_ZIP not in self._files and (out / CHANNEL_ZIP).is_file():
                try:
                    os.link(out / CHANNEL_ZIP, staging / CHANNEL_ZIP)
                except OSError:
                    shutil.copyfile(out / CHANNEL_ZIP, staging / CHANNEL_ZIP)
            # Swap: the old tree moves aside only once the new one is complete.
            if out.exists():
                os.rename(out, old)
            os.rename(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if old.exists() and not out.exists():
                os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)


def _read(origin: Path | None) -> bytes | None:
    return origin.read_bytes() if origin is not None else None
