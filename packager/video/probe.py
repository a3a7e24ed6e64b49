"""What a video file is, measured with PyAV: nothing is taken from the article."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

MAX_FPS = 60  # Roku plays up to 60 frames a second; faster footage (slow motion) is thinned
MIN_FPS = 1


class VideoError(Exception):
    """Why a video can't be packaged; the caller names the article and the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Probe:
    duration: float  # seconds of video
    width: int  # coded size
    height: int
    sar: Fraction  # sample aspect ratio
    fps: Fraction  # the source's average frame rate
    video_codec: str
    rotation: int  # degrees to turn the picture clockwise for display: 0, 90, 180, 270
    audio_codec: str | None
    audio_channels: int
    audio_rate: int
    start: float  # the video stream's first timestamp, seconds
    audio_start: float
    pix_fmt: str

    @property
    def display(self) -> tuple[int, int]:
        """The picture as it is shown: pixel aspect and rotation applied."""
        w = round(self.width * self.sar) if self.sar > 0 else self.width
        return (self.height, w) if self.rotation in (90, 270) else (w, self.height)

    @property
    def out_fps(self) -> Fraction:
        """The packaged frame rate: the source's, thinned to at most MAX_FPS."""
        step = max(1, -(-self.fps // MAX_FPS))
        return self.fps / step

    @property
    def frames(self) -> int:
        return max(1, round(self.duration * self.out_fps))


def probe(path: Path, source=None) -> Probe:
    """`source`: the file's bytes or a path (default `path`); `path` names it in messages."""
    import av  # noqa: PLC0415 (heavy)

    name = path.name
    try:
        with av.open(_open_arg(source if source is not None else path), metadata_errors="ignore") as c:
            if not c.streams.video:
                raise VideoError("video", f"{name} has no video stream; give a video file (MP4, MOV)")
            v = c.streams.video[0]
            ctx = v.codec_context
            rate = v.average_rate or v.guessed_rate or v.base_rate
            a = c.streams.audio[0] if c.streams.audio else None
            duration = _duration(c, v)
            first = None
            for frame in c.decode(v):
                first = frame
                break
    except VideoError:
        raise
    except FileNotFoundError:
        raise VideoError("video.file", f"{name} not found") from None
    except Exception as e:  # PyAV's InvalidDataError and friends: not a video we can read
        raise VideoError("video.file", f"{name} can't be read as a video ({_reason(e)}); "
                                       "give an MP4 or MOV the newsroom can play") from None
    if first is None:
        raise VideoError("video.file", f"{name} has no decodable picture (truncated?); export it again")
    if not rate or rate <= 0:
        raise VideoError("video.file", f"{name}: can't tell its frame rate; export it at a constant rate (e.g. 30 fps)")
    fps = Fraction(rate).limit_denominator(1001 * 1000)
    if fps < MIN_FPS:
        raise VideoError("video.file", f"{name}: {float(fps):.3g} frames a second is too slow to package; "
                                       "export it at 24-60 fps")
    turn = (-int(first.rotation or 0)) % 360  # PyAV: counter-clockwise; ours: clockwise
    if turn % 90:
        raise VideoError("video.file", f"{name} is rotated {turn}°, not a quarter turn; export it upright")
    if not duration or duration <= 0:
        raise VideoError("video.file", f"{name}: can't tell its length (truncated?); export it again")
    if ctx.width < 16 or ctx.height < 16:
        raise VideoError("video.file", f"{name}: {ctx.width}x{ctx.height} is too small to package")
    sar = Fraction(ctx.sample_aspect_ratio) if ctx.sample_aspect_ratio else Fraction(1)
    return Probe(duration=duration, width=ctx.width, height=ctx.height, sar=sar if sar > 0 else Fraction(1),
                 fps=fps, video_codec=ctx.name, rotation=turn,
                 audio_codec=a.codec_context.name if a is not None else None,
                 audio_channels=a.codec_context.channels if a is not None else 0,
                 audio_rate=a.codec_context.sample_rate if a is not None else 0,
                 start=float(v.start_time * v.time_base) if v.start_time is not None else 0.0,
                 audio_start=float(a.start_time * a.time_base) if a is not None and a.start_time is not None else 0.0,
                 pix_fmt=ctx.format.name if ctx.format else "?")


def _duration(c, v) -> float:
    if v.duration:
        return float(v.duration * v.time_base)
    if v.frames and (v.average_rate or 0) > 0:
        return float(v.frames / v.average_rate)
    return c.duration / 1_000_000 if c.duration else 0.0


def _open_arg(source):
    import io  # noqa: PLC0415 (only with bytes)

    return io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else str(source)


def _reason(e: Exception) -> str:
    text = str(e).split(":")[-1].strip() if str(e) else ""
    return text[:60] or type(e).__name__
