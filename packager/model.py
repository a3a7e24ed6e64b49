"""The channel model: articles as the rest of the pipeline sees them, already checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from packager.config import SeriesInfo


@dataclass(frozen=True)
class Video:
    url: str
    duration: int  # whole seconds, rounded up
    video_type: str  # HLS|DASH|SMOOTH|MP4|MOV|M4V
    quality: str = "HD"
    bitrate: int | None = None  # kbps


@dataclass(frozen=True)
class CaptionFile:
    path: Path  # .srt or .vtt
    language: str


@dataclass(frozen=True)
class VideoFile:
    """A newsroom's own video file (video: media/x.mp4), packaged by the video stage."""
    path: Path
    captions: tuple[CaptionFile, ...] = ()


@dataclass(frozen=True)
class ClipPhoto:
    path: Path
    caption: str | None = None
    focus: tuple[float, float] | None = None


@dataclass(frozen=True)
class SeriesRef:
    id: str
    title: str | None = None
    season: int | None = None
    episode: int | None = None


@dataclass(frozen=True)
class Article:
    source: str  # path relative to the channel folder, for messages
    id: str
    title: str
    date: datetime  # timezone-aware
    short_description: str
    long_description: str | None
    tags: tuple[str, ...]
    genres: tuple[str, ...]
    photo: Path | None  # None: a title card (unless [artwork] fallback = "none"), or a video file's poster frame
    video: Video | None  # None only until a clip is rendered ([clips] render) or video_file packaged
    photo_caption: str | None = None
    photo_focus: tuple[float, float] | None = None  # the point a cover crop keeps, 0-1
    body_text: str = ""
    kind: str = "shortFormVideo"  # shortFormVideo | tvSpecial | movie | episode | liveFeed
    series: SeriesRef | None = None  # for episodes
    section: str | None = None  # "News / Military": a row when [rows] from_sections
    featured: bool = False
    available_from: datetime | None = None
    available_until: datetime | None = None
    # Already in Direct Publisher shape (camelCase keys), checked when read.
    rating: dict | None = None
    credits: tuple[dict, ...] = ()
    captions: tuple[dict, ...] = ()
    external_ids: tuple[dict, ...] = ()
    ad_breaks: tuple[str, ...] = ()
    trickplay: tuple[dict, ...] = ()
    photos: tuple[ClipPhoto, ...] = ()  # the clip's pictures; default: the photo
    audio: Path | None = None  # the clip's sound
    video_file: VideoFile | None = None  # a local video to package (then video is None until it is)
    thumbnail_url: str | None = None  # an imported feed's thumbnail, kept as a URL (not re-rendered)
    # Carried over from an imported DP feed unchanged; None/() for our own articles.
    release_date: date | None = None  # the item's releaseDate (else the article's own date)
    language: str | None = None  # content.language (else the channel's)
    extra_videos: tuple[Video, ...] = ()  # every video after the first
    position: int | None = None  # where an imported item stood in its feed: the order it is written in
    # What was left out of the article with a warning (a tag too long, ...): it is kept.
    warnings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Rendition:
    """One rendered artwork file, named by the hash of its source bytes and settings."""
    relpath: str  # e.g. artwork/3f2a….jpg, relative to the output folder
    width: int
    height: int
    data: bytes = field(repr=False, compare=False, default=b"")
    # An identical file from an earlier build: linked instead of rendered and written again.
    origin: Path | None = None
    url: str | None = None  # an imported thumbnail kept where it is (no file of ours)
    remote: bool = False  # already on the publish target (the bucket is the cache): nothing to write


@dataclass(frozen=True)
class Published:
    """What a publish target already holds, for "the bucket is the cache": its artwork and
    clip keys its manifest vouches for, and each clip's measurements as the manifest recorded them."""
    keys: frozenset[str] = frozenset()
    clips: dict = field(default_factory=dict, compare=False)  # clips/<hash>.mp4 -> (seconds, kbps)


@dataclass(frozen=True)
class ImportedSeason:
    """A season's own metadata from an imported DP feed."""
    number: int
    title: str | None = None
    thumbnail_url: str | None = None


@dataclass(frozen=True)
class ImportedSeries(SeriesInfo):
    """An imported DP feed's series: its own metadata, written back unchanged (not derived
    from its episodes as for a channel.toml [[series]])."""
    long_description: str | None = None
    thumbnail_url: str | None = None
    release_date: date | None = None
    tags: tuple[str, ...] = ()
    credits: tuple[dict, ...] = ()
    external_ids: tuple[dict, ...] = ()
    seasons: tuple[ImportedSeason, ...] = ()
