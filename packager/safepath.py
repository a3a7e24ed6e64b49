"""Paths from channel files never escape the channel folder: no `..`, no absolute paths,
no symlinks that lead outside."""

import functools
import os
from pathlib import Path, PurePosixPath


def resolve_inside(root: Path, base: Path, relative: str) -> Path:
    """Resolve `relative` (written in a channel file located in `base`) and require the
    result, symlinks followed, to lie inside `root`. Raises ValueError with the reason."""
    if not isinstance(relative, str) or not relative.strip():
        raise ValueError("is empty")
    rel = relative.strip()
    if rel.startswith(("/", "\\")) or PurePosixPath(rel).is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        raise ValueError(f"{rel!r} is an absolute path; give a path relative to the file")
    try:
        candidate = (base / rel).resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError on Python 3.11)
        raise ValueError(f"{rel!r} is a link that loops back on itself") from None
    root = root.resolve()
    if not candidate.is_relative_to(root):
        raise ValueError(f"{rel!r} leads outside the channel folder {root}")
    return candidate


def is_inside(root: Path, path: Path) -> bool:
    """False for a path outside root, and for a symlink loop (which leads nowhere)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (RuntimeError, OSError):
        return False


def relative_key(key: str) -> str | None:
    """A normalised relative POSIX path (an output file, an object key), or None when it
    is absolute, empty or climbs out with `..`."""
    p = PurePosixPath(key)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        return None
    return p.as_posix()


def same_name_inside(root: Path, name: str, limit: int = 3) -> list[Path]:
    """Files called `name` anywhere in the channel folder (hidden folders left out), nearest
    the top first: the likely meaning of a path that was not found."""
    found = [Path(p) for p in _names(str(root.resolve())).get(name, ())]
    return [p for p in found if p.is_file()][:limit]  # the index may be older than the folder


@functools.lru_cache(maxsize=4)
def _names(root: str, most: int = 200_000) -> dict[str, tuple[str, ...]]:
    """Every file name under root -> its paths, walked once per channel and process (only
    when a path was not found), at most `most` entries."""
    index: dict[str, list[str]] = {}
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in files:
            index.setdefault(f, []).append(os.path.join(folder, f))
        seen += len(files) + len(dirs)
        if seen > most:
            break
    return {k: tuple(sorted(v, key=lambda p: (p.count(os.sep), p))) for k, v in index.items()}
