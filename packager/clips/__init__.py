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
from packager.config import Channel
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

    done: dict[str, object] = {}
    tasks, names = [], {}
    for a in wanted:
        name = clip_name(a, settings, card, digest)
        trick = trickplay_name(name)
        earlier = cache_dir / name if cache_dir is not None else None
        if earlier is not None and earlier.is_file() and (not settings.trickplay or (cache_dir / trick).is_file()):
            info = probe(earlier, name)  # rendered by an earlier build: measured, not rendered
            info = ClipInfo(name, info.duration, info.bitrate_kbps, info.width, info.height,
                            trick if settings.trickplay else None)
            done[a.id] = (info, {name: earlier} | ({trick: cache_dir / trick} if info.trickplay else {}))
        elif (published is not None and name in published.clips and name in published.keys
              and (not settings.trickplay or trick in published.keys) and settings.format != "hls"):
            # (An HLS clip is packaged from the MP4's bytes: those must be here.)
            # The bucket is the cache: published, and measured in its manifest. Nothing to write.
            seconds, kbps = published.clips[name]
            done[a.id] = (ClipInfo(name, seconds, kbps, settings.width, settings.height,
                                   trick if settings.trickplay else None), {})
        else:
            names[a.id] = name
            tasks.append(Task(a.id, render_clip_task, lambda a=a, name=name: (
                a, settings, card, name, channel.artwork.max_pixels, clip_inputs(a, settings, card))))
    by_id = {a.id: a for a in wanted}
    own = executor is None
    executor = executor if executor is not None else LocalExecutor(jobs)
    try:
        for key, out in executor.run(tasks, "clip", refused=lambda r: isinstance(r, (ClipFailure, OSError))):
            a = by_id[key]
            if isinstance(out, ClipFailure):
                done[key] = ArticleError(a.source, out.field, out.message)
                continue
            if isinstance(out, OSError):  # an input gone or unreadable since it was hashed
                done[key] = ArticleError(a.source, None, f"the clip's inputs can't be read: {out.strerror or out}")
                continue
            files = {names[key]: _stage(staging, names[key], out.video)}
            if out.info.trickplay:
                files[out.info.trickplay] = _stage(staging, out.info.trickplay, out.trickplay)
            done[key] = (out.info, files)
    finally:
        if own:
            executor.close()

    out = ClippedArticles([])
    for a in articles:
        result = done.get(a.id)
        if result is None:
            out.articles.append(a)  # has its own video
        elif isinstance(result, ArticleError):
            out.errors.append(result)
        else:
            info, files = result
            out.warnings += [f"{a.source}: {w}" for w in info.warnings]
            video = Video(url=channel.base_url + info.relpath, duration=math.ceil(info.duration), video_type="MP4",
                          quality=info.quality, bitrate=info.bitrate_kbps)
            trickplay = a.trickplay + (({"url": channel.base_url + info.trickplay, "quality": "HD"},) if info.trickplay else ())
            language = a.language or channel.language
            vtt = captions_name(info.relpath, language)
            if files or published is None or vtt not in published.keys:  # else on the target already
                try:
                    files = files | {vtt: _reuse_or_stage(cache_dir, staging, vtt, cues_to_webvtt(caption_cues(a, settings)))}
                except ClipError:  # the narration went unreadable since the clip was made: no captions
                    vtt = None
            captions = a.captions + (({"url": channel.base_url + vtt, "language": language,
                                       "captionType": "CLOSED_CAPTION"},) if vtt else ())
            out.articles.append(dataclasses.replace(a, video=video, trickplay=trickplay, captions=captions))
            out.files[a.id] = files
    return out


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
