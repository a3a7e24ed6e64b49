"""The render task: one clip from its inputs' bytes and the settings, on this machine or a
Dask worker (pure: bytes in, bytes out; a ClipError comes back as a ClipFailure value)."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packager.clips.encode import render_clip
from packager.clips.plan import ClipError, ClipInfo
from packager.config import ClipSettings, TitleCardSettings
from packager.model import Article

DRAW_THREADS = 1  # frames drawn ahead of the encoder's one thread, per clip


@dataclass(frozen=True)
class RenderedClip:
    info: ClipInfo
    video: bytes
    trickplay: bytes | None = None


@dataclass(frozen=True)
class ClipFailure:
    """A ClipError, as a value: it crosses to and from a Dask worker intact."""
    field: str
    message: str


def clip_inputs(article: Article, settings: ClipSettings, card: TitleCardSettings) -> dict[str, bytes]:
    """The bytes of every file a clip reads, by path, shipped with its task once. A file
    that can't be read is left out: the render then names it as not found."""
    paths = [p.path for p in article.photos] + [article.audio, settings.music, settings.font, card.font, card.logo]
    out: dict[str, bytes] = {}
    for path in paths:
        if path is not None and str(path) not in out:
            try:
                out[str(path)] = Path(path).read_bytes()
            except OSError:
                continue
    return out


def render_clip_task(article: Article, settings: ClipSettings, card: TitleCardSettings, relpath: str,
                     max_pixels: int, files: dict[str, bytes]) -> RenderedClip | ClipFailure:
    """A render task (pure: the inputs' bytes and the settings in, the clip's bytes out, on
    any worker). The inputs are written to a private scratch folder under their own file
    names, so messages name the files the user knows."""
    with tempfile.TemporaryDirectory(prefix="roku-packager-clip-") as tmp:
        scratch = Path(tmp)
        local: dict[str, Path] = {}
        for i, (path, data) in enumerate(sorted(files.items())):
            dest = scratch / "in" / str(i) / Path(path).name
            dest.parent.mkdir(parents=True)
            dest.write_bytes(data)
            local[path] = dest

        def moved(path):
            return None if path is None else local.get(str(path), scratch / "missing" / Path(path).name)

        article = dataclasses.replace(article, audio=moved(article.audio), photos=tuple(
            dataclasses.replace(p, path=moved(p.path)) for p in article.photos))
        settings = dataclasses.replace(settings, music=moved(settings.music), font=moved(settings.font))
        card = dataclasses.replace(card, font=moved(card.font), logo=moved(card.logo))
        try:
            info = render_clip(article, settings, card, scratch / "out", relpath, max_pixels, DRAW_THREADS)
        except ClipError as e:
            return ClipFailure(e.field, str(e))
        trick = (scratch / "out" / info.trickplay).read_bytes() if info.trickplay else None
        return RenderedClip(info, (scratch / "out" / relpath).read_bytes(), trick)
