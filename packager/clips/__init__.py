"""Text articles become watchable: a short H.264/AAC MP4 from the article's photos.

The clip opens on the title card, then shows each photo with a slow, deterministic
pan/zoom towards its focus point, crossfading between them, with a lower third (headline
and caption) inside the TV title-safe area. Frames are drawn with Pillow on a thread beside
the encoder and encoded in-process by FFmpeg's libx264 (on one thread: see x264_options) and
AAC encoders through PyAV (its wheels bundle FFmpeg, so no system FFmpeg is needed). Clips
are named by a hash of every input and setting, so an unchanged article is never rendered
twice; render_clip_task renders one from its inputs' bytes, on this machine or a worker."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from packager.config import ArtworkSettings, Channel, ClipSettings, TitleCardSettings
from packager.digests import DigestMemo
from packager.errors import ArticleError
from packager.executor import Executor, LocalExecutor, Task
from packager.imaging import PhotoError, RenderSpec, compose, decode, load_font, missing_glyphs, title_card_image, wrap_lines
from packager.model import Article, ClipPhoto, Published, Video
from packager.video.bif import bif_bytes
from packager.video.captions import cues_to_webvtt
from packager.video.encode import stereo_chunks

CLIP_PIPELINE = "clip-2"  # clip-2: photos cropped by content, graphics contained
CLIPS_DIR = "clips"
CROSSFADE = 0.6  # seconds two segments overlap
ZOOM = 1.12  # the most a photo is zoomed during its segment
AUDIO_RATE = 48000
AUDIO_FRAME = 1024


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


# ---------------------------------------------------------------- planning (pure)

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


# ---------------------------------------------------------------- text

def lower_third(headline: str, caption: str | None, size: tuple[int, int], font: Path | None,
                warnings: list[str]) -> tuple[Image.Image, tuple[int, int]] | None:
    """A translucent band in the title-safe area's lower part, with the headline (and the
    photo's caption). Text the font can't draw is left out rather than shown as boxes."""
    w, h = size
    big, small = load_font(font, max(14, h // 22)), load_font(font, max(12, h // 32))
    lines: list[tuple[str, object]] = []
    for text, face, what in ((headline, big, "headline"), (caption, small, "caption")):
        if not text:
            continue
        gone = missing_glyphs(text, face)
        if gone:
            warnings.append(f"the clip font has no glyphs for the {what} ({''.join(gone[:5])}…); it is left out of the clip")
            continue
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        wrapped = wrap_lines(probe, text, face, int(w * 0.76))[:2]
        lines += [(line, face) for line in wrapped]
    if not lines:
        return None
    pad = h // 40
    heights = [round(f.size * 1.3) for _, f in lines]
    band_w, band_h = int(w * 0.8), sum(heights) + 2 * pad
    band = Image.new("RGBA", (band_w, band_h), (0, 0, 0, 170))
    draw = ImageDraw.Draw(band)
    y = pad
    for (line, face), lh in zip(lines, heights):
        draw.text((pad * 2, y), line, font=face, fill=(255, 255, 255, 255))
        y += lh
    # Bottom edge on the title-safe line (10% up from the bottom).
    return band, (int(w * 0.1), int(h * 0.9) - band_h)


# ---------------------------------------------------------------- pictures

# RGB -> BT.709 limited-range Y'CbCr as a 3x4 matrix for Image.convert: frames are drawn
# straight in the encoder's format (luma at full size, chroma at half), so no per-frame
# colour conversion is needed, and the stream is tagged BT.709 as HD players assume.
_BT709 = (0.18259, 0.61423, 0.06201, 16.0,
          -0.10064, -0.33857, 0.43922, 128.0,
          0.43922, -0.39894, -0.04027, 128.0)


@dataclass
class Planes:
    y: Image.Image  # L, full size
    cb: Image.Image  # L, half size
    cr: Image.Image


def planes_of(rgb: Image.Image) -> Planes:
    y, cb, cr = rgb.convert("RGB", _BT709).split()
    half = (max(1, rgb.size[0] // 2), max(1, rgb.size[1] // 2))
    return Planes(y, cb.resize(half, Image.Resampling.BOX), cr.resize(half, Image.Resampling.BOX))


@dataclass
class Overlay:
    rgb: Image.Image  # RGBA band
    at: tuple[int, int]  # even coordinates, so chroma lines up
    planes: Planes
    mask: Image.Image
    mask_half: Image.Image

    @classmethod
    def of(cls, band: Image.Image, at: tuple[int, int]) -> "Overlay":
        at = (at[0] - at[0] % 2, at[1] - at[1] % 2)
        alpha = band.getchannel("A")
        half = (band.size[0] // 2, band.size[1] // 2)
        return cls(band, at, planes_of(band.convert("RGB")), alpha, alpha.resize(half, Image.Resampling.BOX))

    def apply(self, frame: Planes) -> None:
        x, y = self.at
        frame.y.paste(self.planes.y, (x, y), self.mask)
        frame.cb.paste(self.planes.cb, (x // 2, y // 2), self.mask_half)
        frame.cr.paste(self.planes.cr, (x // 2, y // 2), self.mask_half)


@dataclass
class PreparedPhoto:
    base: Image.Image  # RGB cover crop, at most ZOOM x the frame
    planes: Planes
    zoom_max: float
    focus: tuple[float, float]
    overlay: Overlay | None = None


def prepare_photo(photo: ClipPhoto, size: tuple[int, int], max_pixels: int) -> PreparedPhoto:
    w, h = size
    try:
        data = photo.path.read_bytes()
    except FileNotFoundError:
        raise ClipError("photos", f"{photo.path.name} not found") from None
    except OSError as e:
        raise ClipError("photos", f"{photo.path.name} can't be read: {e.strerror or e}") from None
    target = (16 * math.ceil(w * ZOOM / 16), 9 * math.ceil(w * ZOOM / 16))
    # A photo covers the frame; one whose 16:9 crop is under 800x450 (or the frame, whichever
    # is smaller) is padded whole onto a blurred canvas of that size instead of refused. Below
    # the frame it is shown still, never zoomed.
    # As artwork's smart crop: the window follows the faces or the attention (unless the article
    # gives photo_focus), and a graphic (a chart, a transparent PNG) is shown whole on the blur.
    # fit "auto" with the widest tolerance covers every photo and contains only graphics.
    spec = RenderSpec(renditions=(target,), fit="auto", fit_tolerance=0.999, crop="smart", focus=photo.focus,
                      min_size=(min(800, w), min(450, h)), small="pad")
    try:
        im, layout, ow = decode(data, photo.path.suffix, spec, max_pixels)
    except PhotoError as e:
        raise ClipError("photos", f"{photo.path.name} {str(e).split('; use a larger')[0]}; use a larger photo") from None
    base = compose(im, layout, ow, spec)
    zoom = min(ZOOM, base.size[0] / w)
    if base.size[0] < w:
        # Smaller than the frame: shown still at frame size, never zoomed further.
        base, zoom = base.resize(size, Image.Resampling.LANCZOS), 1.0
    return PreparedPhoto(base, planes_of(base), zoom, photo.focus or (0.5, 0.5))


def photo_planes(pp: PreparedPhoto, index: int, p: float, size: tuple[int, int]) -> Planes:
    box = motion_box(index, p, pp.base.size, pp.focus, pp.zoom_max)
    fx, fy = pp.planes.cb.size[0] / pp.base.size[0], pp.planes.cb.size[1] / pp.base.size[1]
    half_box = (box[0] * fx, box[1] * fy, box[2] * fx, box[3] * fy)
    half = (size[0] // 2, size[1] // 2)
    # One resample of a sub-pixel box per plane: the scale stays within 1-1.12, where
    # bilinear is sharp.
    frame = Planes(pp.planes.y.resize(size, Image.Resampling.BILINEAR, box=box),
                   pp.planes.cb.resize(half, Image.Resampling.BILINEAR, box=half_box),
                   pp.planes.cr.resize(half, Image.Resampling.BILINEAR, box=half_box))
    if pp.overlay is not None:
        pp.overlay.apply(frame)
    return frame


def photo_rgb(pp: PreparedPhoto, index: int, p: float, size: tuple[int, int]) -> Image.Image:
    """The same frame in RGB (trick-play thumbnails, tests)."""
    box = motion_box(index, p, pp.base.size, pp.focus, pp.zoom_max)
    frame = pp.base.resize(size, Image.Resampling.BILINEAR, box=box)
    if pp.overlay is not None:
        frame.paste(pp.overlay.rgb, pp.overlay.at, pp.overlay.rgb)
    return frame


class Renderer:
    """Draws frame k of a planned clip, as encoder planes or as RGB."""

    def __init__(self, article: Article, settings: ClipSettings, card: TitleCardSettings, max_pixels: int):
        self.size = (settings.width, settings.height)
        self.fps = settings.fps
        self.segments = plan_segments(article, settings)
        self.warnings: list[str] = []
        self.title = title_card_image(article.title, card, self.size, settings.font)
        gone = missing_glyphs(article.title, load_font(settings.font or card.font, 24))
        if gone:
            self.warnings.append(f"the clip font has no glyphs for the headline ({''.join(gone[:5])}…); "
                                 "it is left out of the clip")
        self.title_planes = planes_of(self.title)
        self.photos: dict[int, PreparedPhoto] = {}
        for seg in self.segments:
            if seg.kind == "photo":
                pp = prepare_photo(seg.photo, self.size, max_pixels)
                band = lower_third(article.title if seg.index == 0 else "", seg.caption, self.size,
                                   settings.font, self.warnings)
                pp.overlay = Overlay.of(*band) if band else None
                self.photos[seg.index] = pp
        self.warnings = list(dict.fromkeys(self.warnings))
        self.spans = timeline(self.segments)

    def stretch_to(self, seconds: float) -> None:
        """Lengthen the photo segments so the pictures last as long as the narration."""
        now = total_seconds(self.segments)
        if seconds > now:
            photos = [s for s in self.segments if s.kind != "intro"]
            for s in photos:
                s.seconds += (seconds - now) / len(photos)
            self.spans = timeline(self.segments)

    @property
    def frame_count(self) -> int:
        return max(1, round(total_seconds(self.segments) * self.fps))

    def _active(self, k: int) -> tuple[float, list[int]]:
        t = k / self.fps
        return t, [i for i, (s, e) in enumerate(self.spans) if s <= t < e] or [len(self.spans) - 1]

    def _segment(self, i: int, t: float, rgb: bool):
        seg = self.segments[i]
        if seg.kind in ("intro", "card"):
            return self.title.copy() if rgb else self.title_planes
        start, end = self.spans[i]
        draw = photo_rgb if rgb else photo_planes
        return draw(self.photos[seg.index], seg.index, (t - start) / (end - start), self.size)

    def _alpha(self, t: float, nxt: int) -> float:
        return min(1.0, max(0.0, (t - self.spans[nxt][0]) / CROSSFADE))

    def frame(self, k: int) -> Planes:
        t, active = self._active(k)
        first = self._segment(active[0], t, False)
        if len(active) == 1:
            return first
        second, a = self._segment(active[1], t, False), self._alpha(t, active[1])
        return Planes(*(Image.blend(p, q, a) for p, q in zip((first.y, first.cb, first.cr), (second.y, second.cb, second.cr))))

    def frame_rgb(self, k: int) -> Image.Image:
        t, active = self._active(k)
        first = self._segment(active[0], t, True)
        if len(active) == 1:
            return first
        return Image.blend(first, self._segment(active[1], t, True), self._alpha(t, active[1]))


def video_frame(planes: Planes, k: int):
    import av  # noqa: PLC0415 (heavy)

    frame = av.VideoFrame(planes.y.size[0], planes.y.size[1], "yuv420p")
    for plane, img in zip(frame.planes, (planes.y, planes.cb, planes.cr)):
        data = img.tobytes()
        if plane.line_size != img.size[0]:  # the encoder's rows may be padded
            pad = b"\0" * (plane.line_size - img.size[0])
            data = b"".join(data[r * img.size[0]:(r + 1) * img.size[0]] + pad for r in range(img.size[1]))
        plane.update(data)
    frame.pts = k
    return frame


# ---------------------------------------------------------------- audio

def _decode_audio(path: Path, what: str):
    import av  # noqa: PLC0415 (heavy)
    import numpy as np  # noqa: PLC0415 (heavy)

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise ClipError(what, f"{path.name} has no audio track")
            chunks = stereo_chunks(container, AUDIO_RATE)
    except ClipError:
        raise
    except FileNotFoundError:
        raise ClipError(what, f"{path.name} not found") from None
    except Exception as e:  # PyAV's InvalidDataError and friends
        raise ClipError(what, f"{path.name} can't be decoded as audio ({type(e).__name__}); use M4A, MP3 or WAV") from None
    if not chunks:
        raise ClipError(what, f"{path.name} holds no audio samples")
    return np.concatenate(chunks, axis=1).astype(np.float32)


def soundtrack(article: Article, settings: ClipSettings, seconds: float, narration=None):
    """Stereo float samples for the whole clip: the narration, else the music looped and
    faded under it at a lower level, else silence."""
    import numpy as np  # noqa: PLC0415 (heavy)

    n = int(round(seconds * AUDIO_RATE))
    out = np.zeros((2, n), dtype=np.float32)
    if narration is not None:
        take = min(n, narration.shape[1])
        out[:, :take] = narration[:, :take]
    elif settings.music is not None:
        music = _decode_audio(settings.music, "[clips] music")
        reps = math.ceil(n / music.shape[1])
        looped = np.tile(music, (1, reps))[:, :n] * 0.35
        fade_in, fade_out = min(n, AUDIO_RATE), min(n, 2 * AUDIO_RATE)
        looped[:, :fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
        looped[:, n - fade_out:] *= np.linspace(1, 0, fade_out, dtype=np.float32)
        out = looped
    return np.clip(out, -1, 1)


# ---------------------------------------------------------------- encoding

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
        extra = _decode_audio(article.audio, "audio").shape[1] / AUDIO_RATE - total_seconds(segments)
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
    narration = _decode_audio(article.audio, "audio") if article.audio is not None else None
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


# ---------------------------------------------------------------- the render task

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


# ---------------------------------------------------------------- the build step

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
