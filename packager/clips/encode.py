"""A clip's name (a hash of its inputs' bytes and settings), its captions and trick-play
files, and the MP4 itself: frames and sound encoded by libx264 and AAC through PyAV."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from packager.clips.audio import AUDIO_FRAME, AUDIO_RATE, decode_audio, soundtrack
from packager.clips.pictures import Renderer, video_frame
from packager.clips.plan import CROSSFADE, ClipInfo, plan_segments, timeline, total_seconds
from packager.config import ArtworkSettings, ClipSettings, TitleCardSettings
from packager.model import Article
from packager.video.bif import bif_bytes

CLIP_PIPELINE = "clip-2"  # clip-2: photos cropped by content, graphics contained
CLIPS_DIR = "clips"

# Settings that don't change a clip's pictures or sound, or that are hashed by content.
_NOT_IN_NAME = ("render", "music", "font", "trickplay", "trickplay_interval")


def clip_name(article: Article, settings: ClipSettings, card: TitleCardSettings, photo_digest=None) -> str:
    """clips/<hash>.mp4 over the bytes of every input (photos, narration, music, font, logo)
    and the settings that change the pictures or sound: never a path, so the same channel
    checked out anywhere names its clips the same. `photo_digest(path) -> hex` may come from
    the digest memo, so unchanged photos aren't read again."""
    h = hashlib.sha256(CLIP_PIPELINE.encode())
    spec = {k: v for k, v in settings.__dict__.items() if k not in _NOT_IN_NAME}
    # Trick-play files are named after the clip: their interval is part of the name.
    spec["trickplay"] = settings.trickplay_interval if settings.trickplay else None
    h.update(json.dumps([spec, article.title, [card.background, card.color]], sort_keys=True, default=list).encode())
    for p in article.photos:
        h.update(json.dumps([p.caption, p.focus]).encode())
        try:
            h.update(bytes.fromhex(photo_digest(p.path)) if photo_digest else _digest(p.path))
        except OSError:
            h.update(_digest(p.path))  # unreadable: the render says what is wrong
    for path in (article.audio, settings.music, settings.font or card.font, card.logo):
        h.update(b"\0" + (_digest(path) if path is not None else b"-"))
    return f"{CLIPS_DIR}/{h.hexdigest()[:24]}.mp4"


def caption_cues(article: Article, settings: ClipSettings) -> list[tuple[float, float, str]]:
    """What a clip shows, as caption cues (start, end, text): the headline over the title
    card, then each photo's lower third (the headline with the first, then its caption),
    timed as the clip plays them (lengthened to the narration as the renderer does: from the
    plan, not from a file, so a clip reused from the bucket gets the same bytes); neighbours
    meet at the middle of their crossfade, and a repeated text is one cue."""
    segments = plan_segments(article, settings)
    photos = [s for s in segments if s.kind == "photo"]
    if article.audio is not None:
        extra = decode_audio(article.audio, "audio").shape[1] / AUDIO_RATE - total_seconds(segments)
        for s in photos if extra > 0 else ():
            s.seconds += extra / len(photos)
    seconds = max(1, round(total_seconds(segments) * settings.fps)) / settings.fps
    spans = timeline(segments)
    cues: list[tuple[float, float, str]] = []
    for i, (seg, (start, end)) in enumerate(zip(segments, spans)):
        text = article.title if seg.kind == "intro" else "\n".join(
            t for t in ((article.title if seg.index == 0 else ""), seg.caption or "") if t)
        start = start + CROSSFADE / 2 if i else 0.0
        end = min(seconds, end - CROSSFADE / 2 if i < len(segments) - 1 else seconds)
        if cues and cues[-1][2] == text:
            cues[-1] = (cues[-1][0], end, text)
        elif text and end > start:
            cues.append((start, end, text))
    return cues


def captions_name(clip: str, language: str) -> str:
    """The clip's WebVTT captions beside it: clips/<hash>.<language>.vtt."""
    return clip.removesuffix(".mp4") + f".{language}.vtt"


def trickplay_name(clip: str) -> str:
    """The BIF trick-play file beside a clip: clips/<hash>-hd.bif."""
    return clip.removesuffix(".mp4") + "-hd.bif"


def _digest(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").digest()
    except OSError:
        return b"unreadable"  # the render will say what is wrong (never a path: names stay portable)


def write_bif(frames: list[Image.Image], interval_s: int, path: Path) -> None:
    """Roku BIF trick-play file of the frames, as JPEGs."""
    images = []
    for im in frames:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=70)
        images.append(buf.getvalue())
    path.write_bytes(bif_bytes(images, interval_s * 1000))


def x264_options(settings: ClipSettings) -> dict[str, str]:
    """One encoder thread, always: x264's rate control (the bitrate target, and the VBV cap
    under it) reads how far the *other* threads have got with their frames (frame threads:
    `b_thread_active` and `frame_size_estimated` in ratecontrol.c; sliced threads: the other
    slices' estimates), so with more than one thread the quantisers, and so the bytes,
    depend on timing: a busy machine gave different clips from the same inputs. Speed comes
    from drawing frames on another thread and from rendering several clips at once."""
    kbps = settings.bitrate_kbps
    return {"preset": settings.preset, "profile": "high", "maxrate": f"{int(kbps * 1.5)}k",
            "bufsize": f"{kbps * 2}k", "g": str(settings.fps * 2),
            "x264-params": "threads=1:colorprim=bt709:transfer=bt709:colormatrix=bt709:range=tv"}


def render_clip(article: Article, settings: ClipSettings, card: TitleCardSettings, out_dir: Path,
                relpath: str, max_pixels: int = ArtworkSettings.max_pixels, jobs: int | None = None) -> ClipInfo:
    import av  # noqa: PLC0415 (heavy)

    renderer = Renderer(article, settings, card, max_pixels)
    narration = decode_audio(article.audio, "audio") if article.audio is not None else None
    if narration is not None:
        renderer.stretch_to(narration.shape[1] / AUDIO_RATE)
    frames_total = renderer.frame_count
    seconds = frames_total / settings.fps
    samples = soundtrack(article, settings, seconds, narration)

    dest = out_dir / relpath
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    bif_frames, bif_every = [], settings.trickplay_interval * settings.fps
    workers = max(1, jobs or os.cpu_count() or 1)
    container = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
    try:
        video = container.add_stream("libx264", rate=settings.fps)
        video.width, video.height, video.pix_fmt = settings.width, settings.height, "yuv420p"
        kbps = settings.bitrate_kbps
        video.bit_rate = kbps * 1000
        video.options = x264_options(settings)
        audio = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        audio.bit_rate = 128_000
        # Frames are drawn ahead on worker threads (Pillow releases the GIL) while this
        # thread feeds the encoder; at most `window` frames are in flight.
        window = workers * 3
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque = deque()
            submitted = 0
            while submitted < frames_total or pending:
                while submitted < frames_total and len(pending) < window:
                    pending.append((submitted, pool.submit(lambda k: video_frame(renderer.frame(k), k), submitted)))
                    submitted += 1
                k, future = pending.popleft()
                frame = future.result()
                if settings.trickplay and k % bif_every == 0:
                    bif_frames.append(renderer.frame_rgb(k).resize((320, 180), Image.Resampling.BILINEAR))
                for packet in video.encode(frame):
                    container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        for pos in range(0, samples.shape[1], AUDIO_FRAME):
            chunk = samples[:, pos:pos + AUDIO_FRAME]
            af = av.AudioFrame.from_ndarray(chunk.copy(order="C"), format="fltp", layout="stereo")
            af.sample_rate = AUDIO_RATE
            af.pts = pos
            for packet in audio.encode(af):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    except BaseException:
        container.close()
        tmp.unlink(missing_ok=True)
        raise
    container.close()
    os.replace(tmp, dest)

    trick = None
    if settings.trickplay:
        trick = trickplay_name(relpath)
        write_bif(bif_frames, settings.trickplay_interval, out_dir / trick)
    info = probe(dest, relpath)
    return ClipInfo(info.relpath, info.duration, info.bitrate_kbps, info.width, info.height, trick,
                    tuple(renderer.warnings))


def probe(path: Path, relpath: str) -> ClipInfo:
    """Duration, bitrate and size measured from the file itself."""
    import av  # noqa: PLC0415 (heavy)

    with av.open(str(path)) as container:
        v = container.streams.video[0]
        duration = container.duration / 1_000_000 if container.duration else float(v.duration * v.time_base)
        width, height = v.codec_context.width, v.codec_context.height
    kbps = round(path.stat().st_size * 8 / duration / 1000)
    return ClipInfo(relpath, duration, kbps, width, height)
