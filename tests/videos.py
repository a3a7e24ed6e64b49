"""Tiny test videos made with PyAV, shaped like a newsroom's: an edited MP4 package (H.264 +
AAC, B-frames, a GOP longer than our segments), a phone's portrait .mov (stored landscape
with a display matrix turning it a quarter, variable frame timing, mono sound), and broken
ones. Moving pictures (a drifting gradient and a bouncing box), so every frame differs and
a player can be seen to advance."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def _picture(k: int, w: int, h: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = (x * 255 // max(1, w - 1) + k * 3) % 256
    img[..., 1] = (y * 255 // max(1, h - 1)) % 256
    img[..., 2] = 90
    bx = (k * 7) % max(1, w - w // 5)
    img[h // 3:h // 3 + h // 5, bx:bx + w // 5] = (250, 250, 250)
    return img


def make_video(path: Path, seconds: float = 3.0, size=(320, 180), fps=25, rotation: int | None = None,
               audio_channels: int = 2, tone_db: float = -12.0, codec="libx264", gop: int = 50,
               jitter: bool = False) -> Path:
    """A video file; `rotation`: the display matrix's counter-clockwise degrees (a phone held
    upright records landscape pixels with -90); `jitter`: variable frame timing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    with av.open(str(path), "w") as c:
        v = c.add_stream(codec, rate=fps)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.codec_context.time_base = Fraction(1, fps * 100)
        if codec == "libx264":
            v.options = {"preset": "ultrafast", "g": str(gop), "bf": "2", "x264-params": "threads=1"}
        if rotation is not None:
            v.set_display_rotation(rotation)
        a = None
        if audio_channels:
            a = c.add_stream("aac", rate=48000, layout="mono" if audio_channels == 1 else "stereo")
        n = round(seconds * fps)
        for k in range(n):
            frame = av.VideoFrame.from_ndarray(_picture(k, w, h), format="rgb24")
            frame.pts = k * 100 + (37 if jitter and k % 3 == 1 else 0)
            frame.time_base = Fraction(1, fps * 100)
            for p in v.encode(frame):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        if a is not None:
            t = np.arange(round(seconds * 48000)) / 48000
            amp = 10 ** (tone_db / 20)
            wave = (amp * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
            layout = "mono" if audio_channels == 1 else "stereo"
            for pos in range(0, len(wave), 1024):
                chunk = wave[pos:pos + 1024]
                arr = np.tile(chunk, (1 if audio_channels == 1 else 2, 1))
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(arr), format="fltp", layout=layout)
                frame.sample_rate, frame.pts = 48000, pos
                for p in a.encode(frame):
                    c.mux(p)
            for p in a.encode():
                c.mux(p)
    return path
