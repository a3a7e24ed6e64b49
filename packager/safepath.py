"""Paths from channel files never escape the channel folder: no `..`, no absolute paths,
no symlinks that lead outside."""

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
