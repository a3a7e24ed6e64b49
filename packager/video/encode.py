"""The video render tasks. Each is pure: the source (its bytes, or its path on this machine)
and a Plan in, bytes out, so it can run on the local pool or a Dask worker and give the same
bytes. A range task decodes one range of segments once and encodes it for every rendition
of the ladder (so the source is decoded once overall, as FFmpeg's own ladder does); every
rendition restarts with an IDR frame at each segment start, so keyframes line up across
renditions and a range joins its neighbours exactly. The audio task measures and normalises
the whole programme's loudness, so it is one task. x264 runs on one thread in each task
(its rate control reads other threads' progress, so more threads would make the bytes
depend on timing): parallelism comes from running ranges side by side."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from fractions import Fraction

from packager.video.fmp4 import Sample, audio_init, avc_sample, fragment, video_init
from packager.video.loudness import RATE as AUDIO_RATE
from packager.video.loudness import normalising_gain
from packager.video.probe import VideoError

AAC_FRAME = 1024
HD_THUMB, SD_THUMB = (320, 180), (240, 136)  # Roku's BIF sizes for 16:9
POSTER_MAX = 1920
SEGMENTS_PER_RANGE = 2  # a render task's share: ~8 s of every rendition (part of the bytes: fixed)


@dataclass(frozen=True)
class VideoRendition:
    name: str  # "720p": its playlist and folder
    width: int  # as displayed (rotation applied)
    height: int
    kbps: int


@dataclass(frozen=True)
class Plan:
    """Everything a task needs to know besides the source: all of it goes into the name."""
    fps: Fraction  # output frame rate
    frames: int
    segment_frames: int
    rotation: int  # clockwise degrees
    start: float  # the source's first video timestamp
    audio_start: float
    renditions: tuple[VideoRendition, ...]
    preset: str
    audio_kbps: int
    loudness: float
    has_audio: bool
    trick_seconds: int | None  # seconds between BIF frames; None: no trick play

    @property
    def segments(self) -> int:
        return math.ceil(self.frames / self.segment_frames)

    @property
    def timescale(self) -> int:
        return 90000 if (90000 * self.fps.denominator) % self.fps.numerator == 0 else self.fps.numerator

    @property
    def ticks(self) -> int:
        """One frame in the video timescale."""
        return self.timescale * self.fps.denominator // self.fps.numerator

    def segment_seconds(self, j: int) -> float:
        n = min(self.segment_frames, self.frames - j * self.segment_frames)
        return float(n / self.fps)

    @property
    def seconds(self) -> float:
        return float(self.frames / self.fps)

    def ranges(self) -> list[tuple[int, int]]:
        """(first, end) segment numbers of each range task."""
        return [(j, min(j + SEGMENTS_PER_RANGE, self.segments)) for j in range(0, self.segments, SEGMENTS_PER_RANGE)]

    def trick_frames(self) -> list[int]:
        if not self.trick_seconds:
            return []
        step = self.trick_seconds * self.fps
        return [round(i * step) for i in range(math.ceil(self.frames / step)) if round(i * step) < self.frames]


@dataclass(frozen=True)
class VideoFailure:
    """A VideoError as a value: it crosses to and from a Dask worker intact."""
    field: str
    message: str


@dataclass(frozen=True)
class RangeOut:
    first: int  # segment number of the first fragment
    fragments: dict[str, list[bytes]]  # rendition name -> its fragments, in order
    params: dict[str, tuple[bytes, bytes]]  # rendition name -> (SPS, PPS)
    thumbs: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # (frame, HD JPEG, SD JPEG)


@dataclass(frozen=True)
class AudioOut:
    init: bytes
    fragments: list[bytes]
    seconds: list[float]
    measured: float  # LKFS before the gain
    gain: float  # dB


def _open(source):
    import av  # noqa: PLC0415 (heavy)

    return av.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else str(source),
                   metadata_errors="ignore")


# ---------------------------------------------------------------- pictures

def _rotate(frame, turn: int):
    """A yuv420p frame turned clockwise by a quarter-turn multiple (planes turned in numpy)."""
    import av  # noqa: PLC0415 (heavy)
    import numpy as np  # noqa: PLC0415 (heavy)

    if not turn:
        return frame
    planes = []
    for i, plane in enumerate(frame.planes):
        w, h = (frame.width, frame.height) if i == 0 else (frame.width // 2, frame.height // 2)
        a = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:h, :w]
        planes.append(np.rot90(a, -turn // 90))
    h, w = planes[0].shape
    out = av.VideoFrame.from_ndarray(np.concatenate([p.reshape(-1) for p in planes]).reshape(h * 3 // 2, w),
                                     format="yuv420p")
    return out


def _sized(frame, width: int, height: int, turn: int):
    """The source frame at a rendition's displayed size, upright."""
    w, h = (height, width) if turn in (90, 270) else (width, height)
    return _rotate(frame.reformat(width=w, height=h, format="yuv420p", interpolation="BICUBIC"), turn)


def _thumb(frame, box: tuple[int, int], turn: int) -> bytes:
    """A BIF picture: the frame fitted into the 16:9 box (bars for other shapes), JPEG."""
    from PIL import Image  # noqa: PLC0415 (heavy)

    shown = (frame.height, frame.width) if turn in (90, 270) else (frame.width, frame.height)
    scale = min(box[0] / shown[0], box[1] / shown[1])
    w, h = max(2, round(shown[0] * scale)), max(2, round(shown[1] * scale))
    rw, rh = (h, w) if turn in (90, 270) else (w, h)
    im = frame.reformat(width=rw, height=rh, format="rgb24", interpolation="BILINEAR").to_image()
    if turn:
        im = im.rotate(-turn, expand=True)
    canvas = Image.new("RGB", box)
    canvas.paste(im, ((box[0] - im.size[0]) // 2, (box[1] - im.size[1]) // 2))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def x264_options(plan: Plan, r: VideoRendition) -> dict[str, str]:
    """One thread (see the module's note); a keyframe exactly at each segment start (fixed
    GOP, no scene cuts), closed GOPs; peaks capped at 1.5x the target."""
    s = plan.segment_frames
    return {"preset": plan.preset, "profile": "high", "maxrate": f"{r.kbps * 3 // 2}k", "bufsize": f"{r.kbps * 2}k",
            "g": str(s), "forced-idr": "1",
            "x264-params": f"threads=1:keyint={s}:min-keyint={s}:scenecut=0:open-gop=0"}


def _encoder(plan: Plan, r: VideoRendition):
    import av  # noqa: PLC0415 (heavy)

    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = r.width, r.height, "yuv420p"
    enc.time_base = Fraction(plan.fps.denominator, plan.fps.numerator)
    enc.framerate = plan.fps
    enc.bit_rate = r.kbps * 1000
    enc.options = x264_options(plan, r)
    return enc


def _source_frames(container, plan: Plan, k0: int, k1: int):
    """(k, frame) for every output frame k0..k1-1: the source frame showing at k / fps (the
    latest one up to half a frame later), so variable-rate phone footage plays at a constant
    rate in sync with its sound, and faster footage is thinned."""
    v = container.streams.video[0]
    v.thread_count = 1
    half = 1 / (2 * plan.fps)
    t0 = float(k0 / plan.fps)
    if k0 > 0:
        # To the keyframe at or before a little ahead of t0 (a margin for containers that
        # seek by decode time): only that GOP's head is decoded twice.
        container.seek(int((plan.start + max(0.0, t0 - 0.1)) / v.time_base), stream=v, backward=True)
    k, prev = k0, None
    for frame in container.decode(v):
        if frame.pts is None:
            continue
        t = float(frame.pts * v.time_base) - plan.start
        while k < k1 and t > k / plan.fps + half:
            yield k, prev if prev is not None else frame
            k += 1
        prev = frame
        if k >= k1:
            return
    if prev is None:
        raise VideoError("video.file", f"no pictures after {t0:.1f} s (truncated?); export the video again")
    last = float(prev.pts * v.time_base) - plan.start
    if (k1 - 1) / plan.fps - last > 1.0:
        raise VideoError("video.file", f"the pictures stop at {last:.1f} s of {plan.seconds:.1f} s "
                                       "(the file is truncated?); export the video again")
    while k < k1:
        yield k, prev
        k += 1


def encode_range(source, plan: Plan, first: int, end: int) -> RangeOut | VideoFailure:
    """Segments first..end-1 of every rendition (a render task)."""
    from av.video.frame import PictureType  # noqa: PLC0415 (heavy)

    k0, k1 = first * plan.segment_frames, min(end * plan.segment_frames, plan.frames)
    trick = set(plan.trick_frames())
    encoders = {r.name: _encoder(plan, r) for r in plan.renditions}
    packets: dict[str, list] = {r.name: [] for r in plan.renditions}
    thumbs = []
    try:
        with _open(source) as container:
            for k, frame in _source_frames(container, plan, k0, k1):
                tb = Fraction(plan.fps.denominator, plan.fps.numerator)
                # The encoder takes a frame's picture type as an order: a decoded frame brings
                # the source's (its B-frames, its GOP). Ours: an IDR at each segment start only.
                kind = PictureType.I if k % plan.segment_frames == 0 else PictureType.NONE
                for r in plan.renditions:
                    out = _sized(frame, r.width, r.height, plan.rotation)
                    out.pts, out.time_base = k, tb  # (a frame at the source's size is the source's own)
                    out.pict_type = kind
                    packets[r.name] += [(p.pts, p.dts, p.is_keyframe, bytes(p)) for p in encoders[r.name].encode(out)]
                if k in trick:
                    thumbs.append((k, _thumb(frame, HD_THUMB, plan.rotation), _thumb(frame, SD_THUMB, plan.rotation)))
        for r in plan.renditions:
            packets[r.name] += [(p.pts, p.dts, p.is_keyframe, bytes(p)) for p in encoders[r.name].encode(None)]
    except VideoError as e:
        return VideoFailure(e.field, str(e))
    except Exception as e:  # a decoder giving up on damaged data
        return VideoFailure("video.file", f"can't be decoded at {float(k0 / plan.fps):.1f} s "
                                          f"({str(e)[:60] or type(e).__name__}); export the video again")
    fragments, params = {}, {}
    for r in plan.renditions:
        fragments[r.name], params[r.name] = _fragments(plan, packets[r.name], first, k0)
    return RangeOut(first, fragments, params, thumbs)


def _fragments(plan: Plan, packets: list, first: int, k0: int) -> tuple[list[bytes], tuple[bytes, bytes]]:
    """The encoder's packets as CMAF fragments, one a segment. Decode times are shifted by
    the encoder's B-frame delay so each segment's first (IDR) frame decodes at its own
    presentation time; the frames before it show through negative composition offsets."""
    delay = k0 - packets[0][1]
    by_segment: dict[int, list[Sample]] = {}
    sps = pps = None
    for pts, dts, key, data in packets:
        sample, s, p = avc_sample(data)
        sps, pps = sps or s, pps or p
        d = dts + delay
        by_segment.setdefault(d // plan.segment_frames, []).append(
            Sample(sample, plan.ticks, key, (pts - d) * plan.ticks))
    out = []
    for j in sorted(by_segment):
        samples = by_segment[j]
        if not samples[0].key:
            raise RuntimeError(f"segment {j} doesn't start with a keyframe")  # x264 settings broken: a bug
        out.append(fragment(j + 1, j * plan.segment_frames * plan.ticks, samples))
    return out, (sps, pps)


def init_segment(plan: Plan, r: VideoRendition, params: tuple[bytes, bytes]) -> bytes:
    return video_init(params[0], params[1], r.width, r.height, plan.timescale)


# ---------------------------------------------------------------- sound

def stereo_chunks(container, rate: int = AUDIO_RATE) -> list:
    """The first audio stream, decoded and downmixed by FFmpeg's resampler to `rate` Hz
    stereo float, as planar arrays in order (clips read narration and music the same way)."""
    import av  # noqa: PLC0415 (heavy)

    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
    chunks = []
    for frame in container.decode(audio=0):
        for out in resampler.resample(frame):
            chunks.append(out.to_ndarray())
    for out in resampler.resample(None):
        chunks.append(out.to_ndarray())
    return chunks


def _decode_audio(container, plan: Plan):
    """The first audio stream as 48 kHz stereo float (downmixed by FFmpeg's resampler), on
    the video's timeline: padded or cut at the start by the streams' offset, and to the
    video's length at the end."""
    import numpy as np  # noqa: PLC0415 (heavy)

    chunks = stereo_chunks(container)
    samples = np.concatenate(chunks, axis=1).astype(np.float32) if chunks else np.zeros((2, 0), np.float32)
    offset = round((plan.audio_start - plan.start) * AUDIO_RATE)
    if offset > 0:
        samples = np.concatenate([np.zeros((2, offset), np.float32), samples], axis=1)
    elif offset < 0:
        samples = samples[:, -offset:]
    n = round(plan.seconds * AUDIO_RATE)
    if samples.shape[1] < n:
        samples = np.concatenate([samples, np.zeros((2, n - samples.shape[1]), np.float32)], axis=1)
    return samples[:, :n]


def encode_audio(source, plan: Plan) -> AudioOut | VideoFailure:
    """The one AAC-LC stereo rendition, at the loudness target (a render task)."""
    import av  # noqa: PLC0415 (heavy)
    import numpy as np  # noqa: PLC0415 (heavy)

    try:
        with _open(source) as container:
            samples = _decode_audio(container, plan)
    except Exception as e:
        return VideoFailure("video.file", f"its sound can't be decoded ({str(e)[:60] or type(e).__name__}); "
                                          "export the video again")
    gain, measured = normalising_gain(samples, plan.loudness)
    samples = np.clip(samples * np.float32(10 ** (gain / 20)), -1.0, 1.0)
    enc = av.CodecContext.create("aac", "w")
    enc.sample_rate, enc.layout, enc.format = AUDIO_RATE, "stereo", "fltp"
    enc.bit_rate = plan.audio_kbps * 1000
    enc.time_base = Fraction(1, AUDIO_RATE)
    data = []
    for pos in range(0, samples.shape[1], AAC_FRAME):
        chunk = samples[:, pos:pos + AAC_FRAME]
        if chunk.shape[1] < AAC_FRAME:
            chunk = np.concatenate([chunk, np.zeros((2, AAC_FRAME - chunk.shape[1]), np.float32)], axis=1)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = AUDIO_RATE, pos
        data += [bytes(p) for p in enc.encode(frame)]
    data += [bytes(p) for p in enc.encode(None)]
    # Packet i starts at i * 1024 samples (the encoder's priming frame first: the sound
    # plays 21 ms late, well inside lip-sync tolerance); none starts after the pictures end.
    data = data[:max(1, math.ceil(plan.seconds * AUDIO_RATE / AAC_FRAME))]
    # Fragments follow the video's segments.
    seg = plan.segment_frames / plan.fps * AUDIO_RATE
    groups: list[list[bytes]] = [[] for _ in range(plan.segments)]
    for i, packet in enumerate(data):
        groups[min(plan.segments - 1, int(i * AAC_FRAME / seg))].append(packet)
    for j in range(plan.segments - 1, 0, -1):  # a last video segment shorter than a packet
        if not groups[j] and len(groups[j - 1]) > 1:
            groups[j].append(groups[j - 1].pop())
    fragments, seconds, start = [], [], 0
    for j, group in enumerate(groups):
        fragments.append(fragment(j + 1, start * AAC_FRAME, [Sample(p, AAC_FRAME) for p in group]))
        seconds.append(len(group) * AAC_FRAME / AUDIO_RATE)
        start += len(group)
    return AudioOut(audio_init(AUDIO_RATE, 2, plan.audio_kbps), fragments, seconds, measured, gain)


# ---------------------------------------------------------------- poster

POSTER_CANDIDATES = 12


def poster_frame(source, plan: Plan) -> bytes | VideoFailure:
    """A representative picture (a render task): of frames spread over the video (away from
    the very start and end, where fades are), the sharpest that is neither black nor blank;
    sharpness is the variance of the Laplacian of the luma. JPEG, upright."""
    import numpy as np  # noqa: PLC0415 (heavy)

    best = None  # (score, index, frame)
    try:
        with _open(source) as container:
            v = container.streams.video[0]
            v.thread_count = 1
            for i in range(POSTER_CANDIDATES):
                t = plan.seconds * (0.05 + 0.9 * i / max(1, POSTER_CANDIDATES - 1))
                container.seek(int((plan.start + t) / v.time_base), stream=v, backward=True)
                frame = None
                for f in container.decode(v):
                    frame = f
                    if f.pts is not None and float(f.pts * v.time_base) - plan.start >= t:
                        break
                if frame is None:
                    continue
                small = frame.reformat(width=320, height=max(2, round(320 * frame.height / frame.width)), format="gray")
                y = small.to_ndarray().astype(np.float32)
                lap = 4 * y[1:-1, 1:-1] - y[:-2, 1:-1] - y[2:, 1:-1] - y[1:-1, :-2] - y[1:-1, 2:]
                ok = 24 < y.mean() < 232 and y.std() > 12  # not black, not a blank card
                score = (ok, round(float(lap.var()), 3))
                if best is None or score > best[0]:
                    best = (score, i, frame)
    except Exception as e:
        return VideoFailure("video.file", f"no poster frame can be decoded ({str(e)[:60] or type(e).__name__})")
    if best is None:
        return VideoFailure("video.file", "no poster frame can be decoded; add photo: to the article")
    return _poster_image(best[2], plan.rotation)


def _poster_image(frame, turn: int) -> bytes:
    """The frame upright on a 16:9 canvas of at least 1280x720 (TV artwork): a landscape
    frame fills it; a portrait one (a phone held upright) stands on a blurred, darkened
    enlargement of itself, as TV news shows such footage."""
    from PIL import Image, ImageEnhance, ImageFilter  # noqa: PLC0415 (heavy)

    im = frame.to_image()
    if turn:
        im = im.rotate(-turn, expand=True)
    cw = min(POSTER_MAX, max(1280, im.size[0] // 16 * 16))
    size = (cw, cw * 9 // 16)
    cover = max(size[0] / im.size[0], size[1] / im.size[1])
    back = im.resize((max(size[0], round(im.size[0] * cover)), max(size[1], round(im.size[1] * cover))),
                     Image.Resampling.BICUBIC)
    left, top = (back.size[0] - size[0]) // 2, (back.size[1] - size[1]) // 2
    canvas = back.crop((left, top, left + size[0], top + size[1]))
    fit = min(size[0] / im.size[0], size[1] / im.size[1])
    if abs(fit - cover) > 0.01:  # not 16:9: the picture whole, over its blurred self
        canvas = ImageEnhance.Brightness(canvas.filter(ImageFilter.GaussianBlur(size[0] // 40))).enhance(0.5)
        front = im.resize((round(im.size[0] * fit), round(im.size[1] * fit)), Image.Resampling.BICUBIC)
        canvas.paste(front, ((size[0] - front.size[0]) // 2, (size[1] - front.size[1]) // 2))
    im = canvas
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92)
    return buf.getvalue()
