"""Lay out the output folder: every file is registered first, then the whole tree is
written beside the old one and swapped in, so a failed or interrupted build never leaves a
half-written folder and the previous output stays as it was.

A folder the tool made carries a marker file (MARKER_NAME, a small JSON naming its format
and the files the tool wrote there). Only such a folder is replaced, and only the files it
lists: anything else a user put there is carried into the new tree untouched."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from packager.errors import PackagerError, excerpt
from packager.safepath import relative_key

FEED_NAME = "feed.json"
# `roku-packager channel` writes the channel app here by default. It doesn't depend on the
# feed, so a build keeps it (carried into the new tree) and publish leaves it local.
CHANNEL_ZIP = "roku-channel.zip"
MARKER_NAME = ".roku-packager-output"
MARKER_FORMAT = "roku-packager-output"
MARKER_VERSION = 1
# What 0.1.0 wrote (it left no marker): top-level files, and hashed names under artwork/ and clips/.
_LEGACY_TOP = {FEED_NAME, "feed.xml", "search-feed.json", "preview.html", ".roku-packager-photos.json", CHANNEL_ZIP}
_LEGACY_HASHED = re.compile(r"^(artwork/[0-9a-f]{8,64}[-_0-9a-z]*\.(jpg|jpeg|png|webp)|clips/[0-9a-f]{8,64}(\.mp4|-hd\.bif))$")
# .dist.staging-PID, .dist.old-PID, and the clips' scratch folder .dist.clips-PID-XXXX
_SIDE_DIR = re.compile(r"^\.(?P<name>.+)\.(?P<kind>staging|old|clips)-(?P<pid>\d+)(-[A-Za-z0-9_]+)?$")


class OutputError(PackagerError):
    """The output folder can't be (re)placed safely."""


def _check_relpath(relpath: str) -> str:
    key = relative_key(relpath)
    if key is None or key == MARKER_NAME:
        raise OutputError(f"refusing to write {relpath!r}: outside the output folder")
    return key


def read_marker(out: Path) -> set[str] | None:
    """The files the tool wrote in `out`, from its marker; None when there is no marker.
    A marker file that isn't ours (another format, unreadable) is an OutputError."""
    path = out / MARKER_NAME
    if not path.exists() and not path.is_symlink():
        return None
    try:
        if not path.is_file() or path.is_symlink():
            raise ValueError("not a plain file")
        data = json.loads(path.read_bytes()[:10_000_000])
        if not (isinstance(data, dict) and data.get("format") == MARKER_FORMAT and isinstance(data.get("files"), list)
                and all(isinstance(f, str) for f in data["files"])):
            raise ValueError("not a roku-packager marker")
        if not isinstance(data.get("version"), int) or data["version"] > MARKER_VERSION:
            raise ValueError(f"marker version {data.get('version')!r} is newer than this roku-packager")
    except (OSError, ValueError) as e:
        raise OutputError(f"{out}: {MARKER_NAME} is not a roku-packager marker ({e}); choose an empty or new --out") from None
    return {k for f in data["files"] if (k := relative_key(f)) is not None and k != MARKER_NAME}


def marker_bytes(files: Iterable[str]) -> bytes:
    return (json.dumps({"format": MARKER_FORMAT, "version": MARKER_VERSION, "files": sorted(set(files))},
                       indent=1) + "\n").encode()


def record_written(out: Path, relpath: str) -> None:
    """Add a file written into a marked folder after the build (preview.html) to its marker."""
    files = read_marker(out)
    if files is None or relpath in files:
        return
    tmp = out / f"{MARKER_NAME}.{os.getpid()}.part"
    tmp.write_bytes(marker_bytes(files | {relpath}))
    os.replace(tmp, out / MARKER_NAME)


def _tree_entries(out: Path) -> list[str]:
    """Every file, link and empty folder under `out`, relative; links are not followed."""
    found = []
    for dirpath, dirnames, filenames in os.walk(out):
        rel = Path(dirpath).relative_to(out)
        for d in list(dirnames):
            if (Path(dirpath) / d).is_symlink():
                found.append((rel / d).as_posix())
        if not dirnames and not filenames and rel != Path("."):
            found.append(rel.as_posix())
        found.extend((rel / f).as_posix() for f in filenames)
    return sorted(found)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # somebody else's live process, or a number we can't ask about: leave it
    return True


def clean_stale_staging(out: Path) -> None:
    """Side folders of a build that was killed (its PID is gone): a half-written staging
    tree is removed; an old tree whose swap was cut short is put back if the output is missing.
    Only folders holding our marker (or nothing) are touched."""
    out = out.absolute()
    parent = out.parent
    if not parent.is_dir():
        return
    for side in parent.iterdir():
        m = _SIDE_DIR.match(side.name)
        if not m or m["name"] != out.name or side.is_symlink() or not side.is_dir():
            continue
        pid = int(m["pid"])
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            ours = (read_marker(side) is not None or not any(side.iterdir())
                    or (m["kind"] == "clips" and all(e.startswith("clips/") for e in _tree_entries(side))))
        except OutputError:
            ours = False
        if not ours:
            continue
        if m["kind"] == "old" and not out.exists():
            os.rename(side, out)
        else:
            shutil.rmtree(side, ignore_errors=True)


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

    def check_target(self, protected: Mapping[str, Path] | Iterable[Path] = ()) -> set[str]:
        """Refuse an --out that would put somebody else's files at risk; returns the files
        the tool wrote there before (empty for a new or empty folder).

        `protected` names folders (e.g. {"channel folder": root, "articles folder": dir})
        that --out must not be, nor contain."""
        out = self.out
        named = protected.items() if isinstance(protected, Mapping) else (("input folder", p) for p in protected)
        real_out = out.resolve()
        for what, folder in named:
            real = Path(folder).resolve()
            if real == real_out or real.is_relative_to(real_out):
                raise OutputError(f"--out {out}: is or contains the {what} {folder}; a build replaces its output "
                                  f"folder, so choose a new folder such as {Path(folder) / 'dist'}")
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: exists and is not a folder; choose another --out")
        if not out.is_dir():
            return set()
        written = read_marker(out)
        if written is not None:
            return written
        entries = _tree_entries(out)
        if not entries or entries == [CHANNEL_ZIP]:  # empty, or only the channel app `channel` wrote
            return set()
        if (out / FEED_NAME).is_file():
            foreign = [e for e in entries if e not in _LEGACY_TOP and not _LEGACY_HASHED.match(e)]
            if not foreign:
                return set(entries)  # made by roku-packager 0.1.0, before folders were marked
            raise OutputError(f"{out}: has a {FEED_NAME} but also {foreign[0]!r}, which roku-packager did not write; "
                              f"move it away or choose an empty or new --out")
        raise OutputError(f"{out}: is a folder that roku-packager did not make (no {MARKER_NAME}); "
                          f"choose an empty or new --out")

    def commit(self) -> None:
        clean_stale_staging(self.out)
        written_before = self.check_target()
        out = self.out.resolve() if self.out.exists() else self.out.absolute()
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.parent / f".{out.name}.staging-{os.getpid()}"
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        kept = [e for e in _tree_entries(out) if e not in written_before and e != MARKER_NAME] if out.is_dir() else []
        clash = _clashes(out, kept, self._files)
        if clash:
            raise OutputError(f"{out / clash[0]}: roku-packager did not write this file and needs its place; "
                              f"move it away or choose another --out")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            # The marker first: a staging folder left by a killed build is recognisably ours.
            (staging / MARKER_NAME).write_bytes(marker_bytes(self._files))
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
            for relpath in kept:  # the user's files travel with the folder, untouched
                _carry(out / relpath, staging / relpath)
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


def _clashes(out: Path, kept: list[str], files) -> list[str]:
    """The user's entries standing where the new tree needs a file or a folder."""
    folders = {parent.as_posix() for f in files for parent in PurePosixPath(f).parents} - {"."}
    clash = []
    for k in kept:
        real_folder = (out / k).is_dir() and not (out / k).is_symlink()
        if k in files or (k in folders and not real_folder) or any(p.as_posix() in files for p in PurePosixPath(k).parents):
            clash.append(k)
    return sorted(clash)


def _carry(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dest)
    elif src.is_dir():
        dest.mkdir(exist_ok=True)
    else:
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)


def _read(origin: Path | None) -> bytes | None:
    return origin.read_bytes() if origin is not None else None


# ---------------------------------------------------------------- single files beside the user's own
# `channel --out FILE`, `sideload --screenshot FILE`, `channel-art --out DIR`: files written
# into folders the user also keeps things in. The rule is build's: a file is replaced only
# when the folder's marker says the tool wrote it.

def check_file_target(path: Path, flag: str) -> None:
    """Refuse, before any work, a destination a file can't be written to: a folder, a FIFO
    or a device (opening one would block or never end), a path under a file, a name longer
    than the file system takes."""
    path = Path(path)
    shown = excerpt(str(path), 80) if len(str(path)) > 80 else str(path)
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in path.parts):
        raise OutputError(f"{flag} {shown}: a name in it is over 255 bytes; choose a shorter one")
    try:
        if path.is_dir():
            raise OutputError(f"{flag} {path}: is a folder; give a file name in it, such as {path / 'name'}")
        if path.exists() and not path.is_file():
            raise OutputError(f"{flag} {path}: is not a regular file (a FIFO or a device?); give a file name")
        for parent in path.absolute().parents:
            if parent.exists() or parent.is_symlink():
                if not parent.is_dir():
                    raise OutputError(f"{flag} {path}: {parent} is a file, not a folder; choose another place")
                break
    except OSError as e:  # a path too long in all, a loop of links, a folder we may not look into
        raise OutputError(f"{flag} {shown}: can't be used: {e.strerror or e}") from None


def owned_file_problem(path: Path) -> str | None:
    """Why `path` may not be (re)written by the tool, or None: it must be new, or listed in
    its folder's marker as one the tool wrote, and a regular file."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        return "is not a regular file"
    if path.name not in (read_marker(path.parent) or set()):
        return f"exists and roku-packager did not write it (its folder's {MARKER_NAME} doesn't list it)"
    return None


def write_owned_files(folder: Path, files: Mapping[str, bytes], flag: str) -> list[Path]:
    """Write `files` (names in `folder`) without ever replacing a file the tool did not write:
    all are checked before any is written, each is written atomically, and the folder's
    marker lists them afterwards, so the next run may replace them."""
    folder = Path(folder)
    for name in files:
        problem = owned_file_problem(folder / name)
        if problem:
            raise OutputError(f"{flag}: {folder / name} {problem}; move it away or choose another place")
    folder.mkdir(parents=True, exist_ok=True)
    listed = read_marker(folder) or set()
    if not set(files) <= listed:  # listed first: a run cut short leaves files the next may replace
        _replace(folder / MARKER_NAME, marker_bytes(listed | set(files)))
    written = []
    for name, data in files.items():
        _replace(folder / name, data)
        written.append(folder / name)
    return written


def _replace(path: Path, data: bytes) -> None:
    tmp = path.parent / f".{path.name}.{os.getpid()}.part"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> Path:
    """One file, written beside itself and renamed into place: a reader sees the old bytes
    or the new ones, never half of them."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
