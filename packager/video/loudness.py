"""ITU-R BS.1770-4 integrated loudness (LKFS), for ATSC A/85's -24 LKFS target.

No library in our dependencies measures it, so it is here in numpy: the K-weighting filter
(a high shelf, then a high pass, as the two biquads BS.1770 gives for 48 kHz), mean square
over 400 ms blocks overlapping by 75%, the absolute gate at -70 LKFS and the relative gate
10 LU below the ungated level. The IIR cascade is applied as its impulse response (it has
decayed below 1e-10 after 8192 samples) by FFT convolution, block by block."""

from __future__ import annotations

from functools import cache

RATE = 48000
# BS.1770-4 Table 1 and 2 (48 kHz): pre-filter (shelf) and RLB high pass.
_SHELF = ((1.53512485958697, -2.69169618940638, 1.19839281085285), (1.0, -1.69065929318241, 0.73248077421585))
_HIGHPASS = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))
_TAPS = 8192
SILENCE = -70.0  # the absolute gate


@cache
def _impulse_response():
    import numpy as np  # noqa: PLC0415 (heavy)

    x = np.zeros(_TAPS)
    x[0] = 1.0
    for (b0, b1, b2), (_, a1, a2) in (_SHELF, _HIGHPASS):
        y = np.zeros(_TAPS)
        x1 = x2 = y1 = y2 = 0.0
        for n in range(_TAPS):
            xn = x[n]
            yn = b0 * xn + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            y[n] = yn
            x2, x1, y2, y1 = x1, xn, y1, yn
        x = y
    return x


def k_weighted(samples):
    """Each channel (rows of a float array at 48 kHz) through the K-weighting filter."""
    import numpy as np  # noqa: PLC0415 (heavy)

    h = _impulse_response()
    n = samples.shape[1]
    size = 1 << 16  # a power of two: the FFT's fast size
    block = size - _TAPS
    fft_h = np.fft.rfft(h, size)
    out = np.zeros((samples.shape[0], n + _TAPS), dtype=np.float64)
    for start in range(0, n, block):
        part = samples[:, start:start + block].astype(np.float64)
        conv = np.fft.irfft(np.fft.rfft(part, size, axis=1) * fft_h, size, axis=1)
        out[:, start:start + size] += conv[:, :min(size, out.shape[1] - start)]
    return out[:, :n]


def integrated_loudness(samples) -> float:
    """LKFS of stereo (or mono) float samples at 48 kHz; SILENCE when nothing passes the gate."""
    import numpy as np  # noqa: PLC0415 (heavy)

    if samples.shape[1] < RATE * 4 // 10:
        return SILENCE
    z = k_weighted(samples)
    step = RATE // 10  # 400 ms blocks in 100 ms hops: each block is 4 hops
    hops = z.shape[1] // step
    hop_sums = np.einsum("cij,cij->i", z[:, :hops * step].reshape(z.shape[0], hops, step),
                         z[:, :hops * step].reshape(z.shape[0], hops, step))  # channel weights 1.0 (L, R)
    power = np.convolve(hop_sums, np.ones(4), mode="valid") / (4 * step)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(power)
    kept = power[loud > SILENCE]
    if not kept.size:
        return SILENCE
    relative = -0.691 + 10 * np.log10(kept.mean()) - 10
    gated = kept[-0.691 + 10 * np.log10(kept) > relative]
    return float(-0.691 + 10 * np.log10(gated.mean())) if gated.size else SILENCE


def normalising_gain(samples, target: float, ceiling_db: float = -1.0) -> tuple[float, float]:
    """(gain in dB, measured LKFS): the gain that brings the programme to `target`, held so
    that no sample peaks above `ceiling_db` (a plain gain: the mix itself is not changed).
    Rounded to 0.01 dB, so the floating point of another machine can't change the bytes."""
    import numpy as np  # noqa: PLC0415 (heavy)

    measured = integrated_loudness(samples)
    if measured <= SILENCE:
        return 0.0, measured
    peak = float(np.abs(samples).max())
    headroom = ceiling_db - 20 * np.log10(peak) if peak > 0 else 0.0
    return round(min(target - measured, headroom), 2), measured
