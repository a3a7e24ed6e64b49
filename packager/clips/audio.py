"""A clip's sound: the narration, else the music looped and faded under it, else silence."""

from __future__ import annotations

import math
from pathlib import Path

from packager.clips.plan import ClipError
from packager.config import ClipSettings
from packager.model import Article
from packager.video.encode import stereo_chunks

AUDIO_RATE = 48000
AUDIO_FRAME = 1024


def decode_audio(path: Path, what: str):
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
        music = decode_audio(settings.music, "[clips] music")
        reps = math.ceil(n / music.shape[1])
        looped = np.tile(music, (1, reps))[:, :n] * 0.35
        fade_in, fade_out = min(n, AUDIO_RATE), min(n, 2 * AUDIO_RATE)
        looped[:, :fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
        looped[:, n - fade_out:] *= np.linspace(1, 0, fade_out, dtype=np.float32)
        out = looped
    return np.clip(out, -1, 1)
