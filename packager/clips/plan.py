"""What a clip is before a pixel is drawn: its segments (title card, photos), their timing
and crossfades, each photo's pan/zoom box; and the words the other clip modules share
(ClipError, ClipInfo). Pure: no image, audio or file is touched here."""

from __future__ import annotations

from dataclasses import dataclass

from packager.config import ClipSettings
from packager.model import Article, ClipPhoto

CROSSFADE = 0.6  # seconds two segments overlap


class ClipError(Exception):
    """Why a clip can't be made; the caller names the article and field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClipInfo:
    relpath: str  # clips/<hash>.mp4
    duration: float  # seconds, measured from the file
    bitrate_kbps: int  # measured: file size over duration
    width: int
    height: int
    trickplay: str | None = None  # clips/<hash>-hd.bif
    warnings: tuple[str, ...] = ()

    @property
    def quality(self) -> str:
        return "FHD" if self.height >= 1080 else "HD" if self.height >= 720 else "SD"


@dataclass
class Segment:
    kind: str  # intro | photo | card (the whole clip of an article without photos)
    seconds: float
    photo: ClipPhoto | None = None
    caption: str | None = None
    index: int = 0


def reading_seconds(text: str, lo: float, hi: float) -> float:
    """Time to read a lower third: 2 s plus 3 words a second, within [lo, hi]."""
    return min(hi, max(lo, 2.0 + len(text.split()) / 3.0))


def plan_segments(article: Article, settings: ClipSettings) -> list[Segment]:
    lo, hi = settings.seconds_per_photo
    if not article.photos:
        # No photo: the title card is the clip, on screen as long as the headline takes to read.
        return [Segment("card", max(settings.intro_seconds, reading_seconds(article.title, lo, hi)))]
    segments = []
    if settings.intro_seconds > 0:
        segments.append(Segment("intro", settings.intro_seconds))
    for i, p in enumerate(article.photos):
        caption = p.caption
        text = (article.title + " " if i == 0 else "") + (caption or "")
        segments.append(Segment("photo", reading_seconds(text, lo, hi), p, caption, i))
    return segments


def timeline(segments: list[Segment]) -> list[tuple[float, float]]:
    """(start, end) of each segment; neighbours overlap by CROSSFADE."""
    out, t = [], 0.0
    for i, seg in enumerate(segments):
        out.append((t, t + seg.seconds))
        t += seg.seconds - (CROSSFADE if i < len(segments) - 1 else 0)
    return out


def total_seconds(segments: list[Segment]) -> float:
    return timeline(segments)[-1][1]


def _ease(p: float) -> float:
    return p * p * (3 - 2 * p)  # smoothstep: no jolt at either end


def motion_box(index: int, p: float, base: tuple[int, int], focus: tuple[float, float],
               zoom_max: float) -> tuple[float, float, float, float]:
    """The part of the (prescaled, 16:9) photo shown at progress p of its segment. Even
    photos zoom in towards the focus, odd ones zoom out from it, drifting sideways in
    alternating directions; the box never leaves the photo."""
    bw, bh = base
    e = _ease(min(1.0, max(0.0, p)))
    z = 1 + (zoom_max - 1) * (e if index % 2 == 0 else 1 - e)
    cw, ch = bw / z, bh / z
    drift = (1 if index % 4 < 2 else -1) * (e - 0.5) * (bw - cw) * 0.5
    cx = bw / 2 + (focus[0] * bw - bw / 2) * (z - 1) / max(zoom_max - 1, 1e-9) + drift
    cy = bh / 2 + (focus[1] * bh - bh / 2) * (z - 1) / max(zoom_max - 1, 1e-9)
    left = min(max(cx - cw / 2, 0.0), bw - cw)
    top = min(max(cy - ch / 2, 0.0), bh - ch)
    return (left, top, left + cw, top + ch)
