"""The video build step: every article naming a local video file gets it packaged (or
reused), and comes out with its HLS master playlist as its video, its captions and BIF
files, and a poster frame as its photo when it has none.

Names: video/<hash>/… where the hash covers the pipeline's version, the source's bytes and
every setting that changes the output (the ladder as sized for this source, segment length,
preset, audio, loudness, trick play); captions are named by their own bytes. A package an
earlier build wrote (in dist/) or the target already holds (the bucket is the cache) is not
rendered again: its files' names all follow from the plan, so both are checked by name."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shutil
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from packager.config import Channel, Rung, VideoSettings
from packager.dp import SHORT_FORM_MAX_SECONDS
from packager.errors import ArticleError
from packager.executor import Executor, LocalExecutor, Task
from packager.model import Article, Published, Video, VideoFile
from packager.video.bif import bif_bytes
from packager.video.captions import CaptionError, to_webvtt
from packager.video.encode import (
    AudioOut,
    Plan,
    RangeOut,
    VideoFailure,
    VideoRendition,
    encode_audio,
    encode_range,
    init_segment,
    poster_frame,
)
from packager.video.fmp4 import Variant, avc_codec, master_playlist, media_playlist
from packager.video.probe import Probe, VideoError, probe

VIDEO_PIPELINE = "video-1"
VIDEO_DIR = "video"
MASTER = "master.m3u8"
# A Dask worker gets the source's bytes with each task (it may not see this disk), so a
# window of tasks holds that many copies: larger files are packaged on the local pool.
DASK_MAX_SOURCE = 512 * 1024 * 1024


def plan_for(p: Probe, settings: VideoSettings) -> Plan:
    """The ladder sized for this source: each rung's height is the picture's short side
    (so a portrait phone video's 1080p is 1080 wide), none taller than the source; a source
    smaller than every rung is packaged once at its own size."""
    dw, dh = p.display
    short, long_ = min(dw, dh), max(dw, dh)
    rungs = [r for r in settings.ladder if r.height <= short] or [Rung(short - short % 2, settings.ladder[-1].bitrate_kbps)]
    renditions = []
    for r in rungs:
        other = max(2, round(long_ * r.height / short / 2) * 2)
        w, h = (other, r.height) if dw >= dh else (r.height, other)
        renditions.append(VideoRendition(f"{r.height}p", w, h, r.bitrate_kbps))
    fps = p.out_fps
    return Plan(fps=fps, frames=p.frames, segment_frames=max(1, round(settings.segment_seconds * fps)),
                rotation=p.rotation, start=p.start, audio_start=p.audio_start, renditions=tuple(renditions),
                preset=settings.preset, audio_kbps=settings.audio_kbps, loudness=settings.loudness,
                has_audio=p.audio_channels > 0, trick_seconds=settings.trickplay_interval if settings.trickplay else None)


def package_name(digest: bytes, plan: Plan, settings: VideoSettings) -> str:
    h = hashlib.sha256(VIDEO_PIPELINE.encode() + digest)
    h.update(json.dumps([repr(plan), settings.mp4], sort_keys=True).encode())
    return f"{VIDEO_DIR}/{h.hexdigest()[:24]}"


def _segment(name: str, j: int) -> str:
    return f"{name}/seg-{j + 1:05d}.m4s"


def package_files(folder: str, plan: Plan, mp4: bool) -> list[str]:
    """Every file of a package, as the plan names them."""
    tracks = [r.name for r in plan.renditions] + (["audio"] if plan.has_audio else [])
    files = [f"{folder}/{MASTER}"]
    for t in tracks:
        files += [f"{folder}/{t}.m3u8", f"{folder}/{t}/init.mp4"] + [f"{folder}/{_segment(t, j)}" for j in range(plan.segments)]
    if mp4:
        files += [f"{folder}/{r.name}.mp4" for r in plan.renditions]
    if plan.trick_seconds:
        files += [f"{folder}/trickplay-hd.bif", f"{folder}/trickplay-sd.bif"]
    return files


@dataclass
class Job:
    article: Article
    file: VideoFile
    probe: Probe
    plan: Plan
    folder: str
    local: bool  # tasks read the file by its path here; elsewhere (Dask) they are sent its bytes
    ranges: dict[int, StagedRange] = field(default_factory=dict)
    audio: AudioOut | None = None
    poster: bytes | None = None
    poster_path: Path | None = None
    failure: VideoFailure | None = None
    files: dict[str, Path] = field(default_factory=dict)


@dataclass
class PackagedArticles:
    articles: list[Article]
    files: dict[str, dict[str, Path]] = field(default_factory=dict)  # article id -> {relpath: file}
    errors: list[ArticleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def make_videos(channel: Channel, articles: list[Article], cache_dir: Path | None, staging: Path,
                executor: Executor | None = None, published: Published | None = None) -> PackagedArticles:
    """Package (or reuse) every article's local video on the executor; one line for each
    article whose video or captions can't be used."""
    result = PackagedArticles([])
    local = executor is None or isinstance(executor, LocalExecutor)
    jobs, tasks, posters = _plan_jobs(channel.video, articles, cache_dir, published, local, result)
    own = executor is None
    executor = executor if executor is not None else LocalExecutor()
    try:
        _run_tasks(jobs, tasks, posters, executor, staging)
    finally:
        if own:
            executor.close()
    for a in articles:
        job = jobs.get(a.id)
        if a.video_file is None:
            result.articles.append(a)
        elif job is not None:  # else its error is in result.errors
            _finish(channel, a, job, staging, published, result)
    return result


def _plan_jobs(settings, articles: list[Article], cache_dir: Path | None, published: Published | None, local: bool,
               result: PackagedArticles) -> tuple[dict[str, Job], list[Task], list[Task]]:
    """Each video file's job, and the tasks it needs: none for a package an earlier build has
    (linked) or the target has (only the poster frame, whose bytes name the artwork)."""
    jobs: dict[str, Job] = {}
    tasks: list[Task] = []
    posters: list[Task] = []
    for a in articles:
        if a.video_file is None:
            continue
        try:
            job = _job(a, settings, local)
        except VideoError as e:
            result.errors.append(ArticleError(a.source, e.field, str(e)))
            continue
        jobs[a.id] = job
        wanted = package_files(job.folder, job.plan, settings.mp4)
        if cache_dir is not None and all((cache_dir / f).is_file() for f in wanted) and (
                a.photo is not None or (cache_dir / job.folder / "poster.jpg").is_file()):
            job.files = {f: cache_dir / f for f in wanted}  # an earlier build's: linked, not rendered
            if a.photo is None:
                job.files[f"{job.folder}/poster.jpg"] = cache_dir / job.folder / "poster.jpg"
            continue
        remote = published is not None and all(f in published.keys for f in wanted)
        if not remote:
            # The audio first: it is short, and the ranges then share the slots to the end.
            if job.plan.has_audio:
                tasks.append(Task((a.id, "audio", 0), encode_audio, lambda j=job: (_source(j), j.plan)))
            for first, end in job.plan.ranges():
                tasks.append(Task((a.id, "range", first), encode_range, lambda j=job, f=first, e=end: (_source(j), j.plan, f, e)))
        if a.photo is None:
            # Even a package on the target needs its poster's bytes here: artwork is named by them.
            posters.append(Task((a.id, "poster", 0), poster_frame, lambda j=job: (_source(j), j.plan)))
    return jobs, tasks, posters


def _run_tasks(jobs: dict[str, Job], tasks: list[Task], posters: list[Task], executor: Executor, staging: Path) -> None:
    """Each task's output onto its job (a range staged on disk at once); a job's first
    failure is kept and the rest of its outputs dropped."""
    for (aid, part, first), out in chain(executor.run(tasks, "video task"), executor.run(posters, "poster frame")):
        job = jobs[aid]
        if isinstance(out, OSError):
            out = VideoFailure("video.file", f"{job.file.path.name} can't be read: {out.strerror or out}")
        if isinstance(out, VideoFailure):
            job.failure = job.failure or out
        elif job.failure is not None:
            continue
        elif part == "range":
            try:
                job.ranges[first] = _stage_range(job, out, staging)  # on disk now: memory holds one range
            except OSError as e:
                job.failure = _disk_full(job, e)
        elif part == "audio":
            job.audio = out
        else:
            job.poster = out


def _finish(channel: Channel, a: Article, job: Job, staging: Path, published: Published | None,
            result: PackagedArticles) -> None:
    """One article's package written (playlists, poster, captions) and the article pointed at
    it; or its one line."""
    if job.failure is not None:
        result.errors.append(ArticleError(a.source, job.failure.field, f"{job.file.path.name}: {job.failure.message}"))
        return
    try:
        if job.ranges:
            job.files = _write_package(job, staging, channel.video, channel.language)
        if job.poster is not None:
            rel = f"{job.folder}/poster.jpg"
            job.poster_path = _stage(staging, rel, job.poster)
            if published is None or rel not in published.keys:  # else on the target already
                job.files[rel] = job.poster_path
        captions = _captions(job, staging)
    except CaptionError as e:
        result.errors.append(ArticleError(a.source, "video.captions", str(e)))
        return
    except OSError as e:  # a full disk: that video's line, nothing of it kept
        failure = _disk_full(job, e)
        result.errors.append(ArticleError(a.source, failure.field, f"{job.file.path.name}: {failure.message}"))
        return
    result.articles.append(_packaged(channel, a, job, captions))
    result.files[a.id] = job.files
    if job.audio is not None and job.audio.gain < channel.video.loudness - job.audio.measured - 0.5:
        result.warnings.append(f"{a.source}: video: the sound is {job.audio.measured:.1f} LKFS and peaks too "
                               f"high to reach {channel.video.loudness:g} LKFS by gain alone; "
                               f"raised {job.audio.gain:+.1f} dB")


def package_clips(channel: Channel, articles: list[Article], files: dict[str, dict[str, Path]], cache_dir: Path | None,
                  staging: Path, executor: Executor | None = None, published: Published | None = None) -> PackagedArticles:
    """[clips] format = "hls": each rendered clip packaged like a video file (the ladder up to
    the clip's height; no second BIF: the clip's own covers the same pictures). The clip's
    MP4 stays in the feed after the stream, for players without HLS."""
    wanted = []
    for a in articles:
        clip = next((p for rel, p in files.get(a.id, {}).items() if rel.startswith("clips/") and rel.endswith(".mp4")), None)
        wanted.append(a if clip is None else dataclasses.replace(
            a, video=None, video_file=VideoFile(clip), extra_videos=(a.video,) + a.extra_videos))
    settings = dataclasses.replace(channel.video, trickplay=False, mp4=False)
    out = make_videos(dataclasses.replace(channel, video=settings), wanted, cache_dir, staging, executor, published)
    out.files = {aid: files.get(aid, {}) | out.files.get(aid, {}) for aid in set(files) | set(out.files)}
    return out


def _job(a: Article, settings: VideoSettings, local: bool) -> Job:
    path = a.video_file.path
    try:
        size = path.stat().st_size
    except OSError as e:
        raise VideoError("video.file", f"{path.name} can't be read: {e.strerror or e}") from None
    if size > settings.max_bytes:
        raise VideoError("video.file", f"{path.name} is {size / 1e9:.1f} GB, more than [video] max_bytes "
                                       f"({settings.max_bytes / 1e9:.1f} GB); raise it or trim the video")
    if size == 0:
        raise VideoError("video.file", f"{path.name} is empty; export the video again")
    if not local and size > DASK_MAX_SOURCE:
        raise VideoError("video.file", f"{path.name} is {size / 1e9:.1f} GB: too large to send to Dask workers with "
                                       f"each task (at most {DASK_MAX_SOURCE / 1e9:.1f} GB); build it with --executor local")
    p = probe(path)
    plan = plan_for(p, settings)
    try:
        digest = _digest(path)  # streamed: the photo memo would read a video whole
    except OSError as e:
        raise VideoError("video.file", f"{path.name} can't be read: {e.strerror or e}") from None
    return Job(a, a.video_file, p, plan, package_name(digest, plan, settings), local)


def _source(job: Job):
    """What a task opens: the path on this machine; the bytes, read as the task is sent, for a
    Dask worker (which may not see this disk)."""
    return str(job.file.path) if job.local else job.file.path.read_bytes()


def _digest(path: Path) -> bytes:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").digest()


def _stage(staging: Path, relpath: str, data: bytes) -> Path:
    dest = staging / relpath
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest


def _disk_full(job: Job, e: OSError) -> VideoFailure:
    return VideoFailure("video.file", f"can't be packaged: {e.strerror or e} while writing; free some disk space")


@dataclass(frozen=True)
class StagedRange:
    """A range task's result once its fragments are written to the staging folder."""
    first: int
    sizes: dict[str, list[int]]  # rendition name -> its fragments' sizes
    params: dict[str, tuple[bytes, bytes]]
    thumbs: list[tuple[int, bytes, bytes]]


def _stage_range(job: Job, out: RangeOut, staging: Path) -> StagedRange:
    sizes = {}
    for name, frags in out.fragments.items():
        sizes[name] = []
        for j, frag in enumerate(frags, out.first):
            rel = f"{job.folder}/{_segment(name, j)}"
            job.files[rel] = _stage(staging, rel, frag)
            sizes[name].append(len(frag))
    return StagedRange(out.first, sizes, out.params, out.thumbs)


def _write_package(job: Job, staging: Path, settings: VideoSettings, language: str) -> dict[str, Path]:
    """The playlists, init segments, BIFs and MP4s around the staged fragments."""
    plan, folder = job.plan, job.folder
    files: dict[str, Path] = dict(job.files)

    def put(rel: str, data: bytes) -> None:
        files[f"{folder}/{rel}"] = _stage(staging, f"{folder}/{rel}", data)

    ranges = [job.ranges[f] for f in sorted(job.ranges)]
    seconds = [plan.segment_seconds(j) for j in range(plan.segments)]
    audio_peak = 0
    if job.audio is not None:
        put("audio/init.mp4", job.audio.init)
        for j, frag in enumerate(job.audio.fragments):
            put(_segment("audio", j), frag)
            audio_peak = max(audio_peak, round(len(frag) * 8 / max(job.audio.seconds[j], 1e-3)))
        put("audio.m3u8", media_playlist([(_segment("audio", j), s) for j, s in enumerate(job.audio.seconds)],
                                         "audio/init.mp4"))
    variants = []
    for r in plan.renditions:
        params = {rng.params[r.name] for rng in ranges}
        if len(params) != 1:
            raise RuntimeError(f"{r.name}: the ranges' H.264 parameter sets differ")  # a bug, not an input
        init = init_segment(plan, r, ranges[0].params[r.name])
        sizes = [n for rng in ranges for n in rng.sizes[r.name]]
        if len(sizes) != plan.segments:
            raise RuntimeError(f"{r.name}: {len(sizes)} segments, the plan has {plan.segments}")  # a bug
        put(f"{r.name}/init.mp4", init)
        put(f"{r.name}.m3u8", media_playlist([(_segment(r.name, j), seconds[j]) for j in range(len(sizes))],
                                             f"{r.name}/init.mp4"))
        if settings.mp4:  # a fragmented MP4 is an MP4: the init segment and every fragment
            rel = f"{folder}/{r.name}.mp4"
            dest = staging / rel
            with open(dest, "wb") as f:
                f.write(init)
                for j in range(plan.segments):
                    with open(files[f"{folder}/{_segment(r.name, j)}"], "rb") as seg:
                        shutil.copyfileobj(seg, f)
            files[rel] = dest
        peak = max(n * 8 / s for n, s in zip(sizes, seconds))
        average = sum(sizes) * 8 / plan.seconds
        extra = job.audio is not None and (plan.audio_kbps * 1000)
        variants.append(Variant(f"{r.name}.m3u8", round(peak + (audio_peak or 0)), round(average + (extra or 0)),
                                r.width, r.height, avc_codec(ranges[0].params[r.name][0]), plan.fps))
    if plan.trick_seconds:
        thumbs = sorted(t for rng in ranges for t in rng.thumbs)
        put("trickplay-hd.bif", bif_bytes([t[1] for t in thumbs], plan.trick_seconds * 1000))
        put("trickplay-sd.bif", bif_bytes([t[2] for t in thumbs], plan.trick_seconds * 1000))
    put(MASTER, master_playlist(variants, "audio.m3u8" if job.audio is not None else None, language))
    return files


def _captions(job: Job, staging: Path) -> list[tuple[str, str]]:
    """(relpath, language) of each caption file as WebVTT, named by its own bytes."""
    out = []
    for c in job.file.captions:
        try:
            data = c.path.read_bytes()
        except OSError as e:
            raise CaptionError(f"{c.path.name} can't be read: {e.strerror or e}") from None
        vtt = to_webvtt(data, c.path.name)
        rel = f"{VIDEO_DIR}/captions/{hashlib.sha256(vtt).hexdigest()[:24]}.{c.language}.vtt"
        job.files[rel] = _stage(staging, rel, vtt)
        out.append((rel, c.language))
    return out


def quality_of(height: int) -> str:
    return "FHD" if height >= 1080 else "HD" if height >= 720 else "SD"


def _packaged(channel: Channel, a: Article, job: Job, captions: list[tuple[str, str]]) -> Article:
    plan, base = job.plan, channel.base_url
    top = plan.renditions[0]
    video = Video(url=base + f"{job.folder}/{MASTER}", duration=math.ceil(plan.seconds - 1e-6), video_type="HLS",
                  quality=quality_of(min(top.width, top.height)))
    mp4s = tuple(Video(url=base + f"{job.folder}/{r.name}.mp4", duration=video.duration, video_type="MP4",
                       quality=quality_of(min(r.width, r.height)), bitrate=r.kbps + plan.audio_kbps * plan.has_audio)
                 for r in plan.renditions) if channel.video.mp4 else ()
    # The DP feed takes HD and FHD trick play only; the SD file is there for SDK channels
    # (a content node's SDBifUrl).
    trick = ({"url": base + f"{job.folder}/trickplay-hd.bif", "quality": "HD"},) if plan.trick_seconds else ()
    caption_entries = tuple({"url": base + rel, "language": lang, "captionType": "CLOSED_CAPTION"} for rel, lang in captions)
    kind = a.kind
    if kind == "auto":
        kind = "shortFormVideo" if video.duration <= SHORT_FORM_MAX_SECONDS else "tvSpecial"
    photo = a.photo if a.photo is not None else job.poster_path or job.files.get(f"{job.folder}/poster.jpg")
    return dataclasses.replace(a, video=video, extra_videos=mp4s + a.extra_videos, kind=kind, photo=photo,
                               trickplay=a.trickplay + trick, captions=a.captions + caption_entries)
