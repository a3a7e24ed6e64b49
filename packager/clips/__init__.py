"""Text articles become watchable: a short H.264/AAC MP4 from the article's photos.

The clip opens on the title card, then shows each photo with a slow, deterministic
pan/zoom towards its focus point, crossfading between them, with a lower third (headline
and caption) inside the TV title-safe area. Frames are drawn with Pillow on a thread beside
the encoder and encoded in-process by FFmpeg's libx264 (on one thread: see x264_options) and
AAC encoders through PyAV (its wheels bundle FFmpeg, so no system FFmpeg is needed). Clips
are named by a hash of every input and setting, so an unchanged article is never rendered
twice; render_clip_task renders one from its inputs' bytes, on this machine or a worker.

  plan      segments, timing, crossfades, pan/zoom boxes (pure); ClipError, ClipInfo
  text      the lower third (headline and caption)
  pictures  photos prepared once, frames drawn as encoder planes (or RGB)
  audio     narration, music or silence, as samples
  encode    clip names, captions, trick play, the MP4 (PyAV)
  task      the render task a worker runs
  this file the build step: names, reuse (earlier builds, the bucket), tasks, files"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

from packager.clips.audio import AUDIO_FRAME, AUDIO_RATE, soundtrack
from packager.clips.encode import (
    CLIP_PIPELINE,
    CLIPS_DIR,
    caption_cues,
    captions_name,
    clip_name,
    probe,
    render_clip,
    trickplay_name,
    write_bif,
    x264_options,
)
from packager.clips.pictures import (
    ZOOM,
    Overlay,
    Planes,
    PreparedPhoto,
    Renderer,
    photo_planes,
    photo_rgb,
    planes_of,
    prepare_photo,
    video_frame,
)
from packager.clips.plan import (
    CROSSFADE,
    ClipError,
    ClipInfo,
    Segment,
    motion_box,
    plan_segments,
    reading_seconds,
    timeline,
    total_seconds,
)
from packager.clips.task import DRAW_THREADS, ClipFailure, RenderedClip, clip_inputs, render_clip_task
from packager.clips.text import lower_third
from packager.config import Channel, ClipSettings
from packager.digests import DigestMemo
from packager.errors import ArticleError
from packager.executor import Executor, LocalExecutor, Task
from packager.model import Article, Published, Video
from packager.video.captions import cues_to_webvtt

__all__ = [
    "AUDIO_FRAME", "AUDIO_RATE", "CLIPS_DIR", "CLIP_PIPELINE", "CROSSFADE", "DRAW_THREADS", "ZOOM",
    "ClipError", "ClipFailure", "ClipInfo", "ClippedArticles", "Overlay", "Planes", "PreparedPhoto",
    "RenderedClip", "Renderer", "Segment", "caption_cues", "captions_name", "clip_inputs", "clip_name",
    "lower_third", "make_clips", "motion_box", "photo_planes", "photo_rgb", "plan_segments", "planes_of",
    "prepare_photo", "probe", "reading_seconds", "render_clip", "render_clip_task", "soundtrack", "timeline",
    "total_seconds", "trickplay_name", "video_frame", "write_bif", "x264_options",
]


@dataclass
class ClippedArticles:
    articles: list[Article]  # every article given, those needing a clip now with it as video
    files: dict[str, dict[str, Path]] = field(default_factory=dict)  # article id -> {relpath: file}
    errors: list[ArticleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def make_clips(channel: Channel, articles: list[Article], cache_dir: Path | None, staging: Path | None,
               jobs: int | None, memo: DigestMemo | None = None, executor: Executor | None = None,
               published: Published | None = None) -> ClippedArticles:
    """Render (or reuse from cache_dir) a clip for every article without a video: one task
    per clip on the executor (this machine's pool by default), its result written to
    staging here. An article whose clip can't be made is skipped with one line."""
    settings, card = channel.clips, channel.artwork.title_card
    wanted = [a for a in articles if a.video is None]
    if not wanted:
        return ClippedArticles(list(articles))
    digest = (lambda path: memo.digest(path)[0]) if memo is not None else None

    done: dict[str, _Made] = {}
    tasks, names = [], {}
    for a in wanted:
        name = clip_name(a, settings, card, digest)
        made = _made_before(name, settings, cache_dir, published)
        if made is not None:
            done[a.id] = made
        else:
            names[a.id] = name
            tasks.append(Task(a.id, render_clip_task, lambda a=a, name=name: (
                a, settings, card, name, channel.artwork.max_pixels, clip_inputs(a, settings, card))))
    done |= _render(tasks, names, {a.id: a for a in wanted}, staging, jobs, executor)

    out = ClippedArticles([])
    for a in articles:
        made = done.get(a.id)
        if made is None:
            out.articles.append(a)  # has its own video
        elif isinstance(made, ArticleError):
            out.errors.append(made)
        else:
            info, files = made
            out.warnings += [f"{a.source}: {w}" for w in info.warnings]
            clipped, files = _with_clip(channel, a, info, files, cache_dir, staging, published)
            out.articles.append(clipped)
            out.files[a.id] = files
    return out


# A clip made: its measurements and {relpath: file to write} (empty when the target has it),
# or why the article is skipped.
_Made = tuple[ClipInfo, dict[str, Path]] | ArticleError


def _made_before(name: str, settings: ClipSettings, cache_dir: Path | None, published: Published | None) -> _Made | None:
    """The clip from an earlier build (measured, not rendered) or on the target already."""
    trick = trickplay_name(name)
    earlier = cache_dir / name if cache_dir is not None else None
    if earlier is not None and earlier.is_file() and (not settings.trickplay or (cache_dir / trick).is_file()):
        info = probe(earlier, name)
        info = ClipInfo(name, info.duration, info.bitrate_kbps, info.width, info.height,
                        trick if settings.trickplay else None)
        return info, {name: earlier} | ({trick: cache_dir / trick} if info.trickplay else {})
    if (published is not None and name in published.clips and name in published.keys
            and (not settings.trickplay or trick in published.keys) and settings.format != "hls"):
        # (An HLS clip is packaged from the MP4's bytes: those must be here.)
        # The bucket is the cache: published, and measured in its manifest. Nothing to write.
        seconds, kbps = published.clips[name]
        return ClipInfo(name, seconds, kbps, settings.width, settings.height, trick if settings.trickplay else None), {}
    return None


def _render(tasks: list[Task], names: dict[str, str], by_id: dict[str, Article], staging: Path | None,
            jobs: int | None, executor: Executor | None) -> dict[str, _Made]:
    """Run the render tasks (on this machine's pool unless given an executor) and stage each clip."""
    done: dict[str, _Made] = {}
    own = executor is None
    executor = executor if executor is not None else LocalExecutor(jobs)
    try:
        for key, out in executor.run(tasks, "clip", refused=lambda r: isinstance(r, (ClipFailure, OSError))):
            a = by_id[key]
            if isinstance(out, ClipFailure):
                done[key] = ArticleError(a.source, out.field, out.message)
            elif isinstance(out, OSError):  # an input gone or unreadable since it was hashed
                done[key] = ArticleError(a.source, None, f"the clip's inputs can't be read: {out.strerror or out}")
            else:
                files = {names[key]: _stage(staging, names[key], out.video)}
                if out.info.trickplay:
                    files[out.info.trickplay] = _stage(staging, out.info.trickplay, out.trickplay)
                done[key] = (out.info, files)
    finally:
        if own:
            executor.close()
    return done


def _with_clip(channel: Channel, a: Article, info: ClipInfo, files: dict[str, Path], cache_dir: Path | None,
               staging: Path | None, published: Published | None) -> tuple[Article, dict[str, Path]]:
    """The article with its clip as its video, trick play and captions; and the files to write."""
    video = Video(url=channel.base_url + info.relpath, duration=math.ceil(info.duration), video_type="MP4",
                  quality=info.quality, bitrate=info.bitrate_kbps)
    trickplay = a.trickplay + (({"url": channel.base_url + info.trickplay, "quality": "HD"},) if info.trickplay else ())
    language = a.language or channel.language
    vtt = captions_name(info.relpath, language)
    if files or published is None or vtt not in published.keys:  # else on the target already
        try:
            files = files | {vtt: _reuse_or_stage(cache_dir, staging, vtt, cues_to_webvtt(caption_cues(a, channel.clips)))}
        except ClipError:  # the narration went unreadable since the clip was made: no captions
            vtt = None
    captions = a.captions + (({"url": channel.base_url + vtt, "language": language,
                               "captionType": "CLOSED_CAPTION"},) if vtt else ())
    return dataclasses.replace(a, video=video, trickplay=trickplay, captions=captions), files


def _reuse_or_stage(cache_dir: Path | None, staging: Path, relpath: str, data: bytes) -> Path:
    """An earlier build's identical file is linked again (as the clip beside it is)."""
    earlier = cache_dir / relpath if cache_dir is not None else None
    try:
        if earlier is not None and earlier.read_bytes() == data:
            return earlier
    except OSError:
        pass
    return _stage(staging, relpath, data)


def _stage(staging: Path, relpath: str, data: bytes) -> Path:
    dest = staging / relpath
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest
