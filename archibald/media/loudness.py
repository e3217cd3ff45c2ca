"""Loudness by the book: BS.1770 integrated loudness (pyloudnorm) and 4x-oversampled true peak."""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import resample_poly

from .audio import Samples

__all__ = ["integrated_lufs", "sample_peak_dbfs", "true_peak_dbtp", "normalise"]

_BLOCK = 1 << 18   # frames per true-peak block
_EDGE = 64         # frames of context either side of a block, for the polyphase filter
_HEADROOM = 10 ** (6 / 20)  # 6 dB: far above any inter-sample overshoot of real audio


def integrated_lufs(samples: Samples, rate: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, gated); -inf for silence or < 0.4 s."""
    import pyloudnorm

    if samples.shape[0] < int(0.4 * rate) + 1:
        return float("-inf")
    meter = pyloudnorm.Meter(rate)
    value = float(meter.integrated_loudness(samples.astype(np.float64)))
    return value if math.isfinite(value) else float("-inf")


def sample_peak_dbfs(samples: Samples) -> float:
    """Largest absolute sample value in dBFS."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def true_peak_dbtp(samples: Samples, oversample: int = 4) -> float:
    """True peak in dBTP: the peak of the signal oversampled ``oversample`` times (BS.1770 Annex 2).

    Works in blocks with a little overlap, so hours of audio never need 4x the memory, and
    oversamples only the blocks that can hold the peak: an inter-sample peak of a band-limited
    signal exceeds its block's sample peak by well under ``_HEADROOM``, so a block whose sample
    peak times that margin stays below the largest peak found so far cannot change the answer.
    """
    data = samples if samples.ndim == 2 else samples[:, None]
    n = data.shape[0]
    if not data.size:
        return float("-inf")
    starts = list(range(0, n, _BLOCK))
    block_peaks = [float(np.max(np.abs(data[s:s + _BLOCK]))) for s in starts]
    peak = max(block_peaks)
    for start, sample_peak in sorted(zip(starts, block_peaks), key=lambda t: -t[1]):
        if sample_peak * _HEADROOM <= peak and sample_peak < peak:
            break
        lo = max(0, start - _EDGE)
        hi = min(n, start + _BLOCK + _EDGE)
        up = resample_poly(data[lo:hi].astype(np.float32), oversample, 1, axis=0)
        core = up[(start - lo) * oversample:(min(n, start + _BLOCK) - lo) * oversample]
        if core.size:
            peak = max(peak, float(np.max(np.abs(core))))
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def normalise(samples: Samples, rate: int, *, target_lufs: float = -16.0,
              ceiling_dbtp: float = -1.5) -> Samples:
    """Scale linearly to ``target_lufs``, then limit peaks so true peak ≤ ``ceiling_dbtp``.

    The limiter is a smooth gain envelope (fast attack, slow release) applied only where the
    oversampled peak would cross the ceiling; a final linear trim guarantees the ceiling.
    """
    out = samples.astype(np.float32)
    ceiling = 10 ** ((ceiling_dbtp - 0.3) / 20)
    for _ in range(4):
        loud = integrated_lufs(out, rate)
        if not math.isfinite(loud):
            return out
        out = (out * 10 ** ((target_lufs - loud) / 20)).astype(np.float32)
        if true_peak_dbtp(out) <= ceiling_dbtp - 0.05:
            return out
        out = _limit(out, rate, ceiling)       # peaks down; the next pass brings loudness up
    tp = true_peak_dbtp(out)
    if tp > ceiling_dbtp - 0.05:
        out = (out * 10 ** ((ceiling_dbtp - 0.1 - tp) / 20)).astype(np.float32)
    return out


def _limit(samples: Samples, rate: int, ceiling: float) -> Samples:
    """Reduce gain around samples whose magnitude exceeds ``ceiling`` (look-ahead, smoothed)."""
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    level = np.max(np.abs(samples), axis=1)
    need = np.minimum(1.0, ceiling / np.maximum(level, 1e-9))
    hold = int(0.005 * rate)
    gain = -maximum_filter1d(-need, size=2 * hold + 1)       # min over ±5 ms (look-ahead)
    gain = uniform_filter1d(gain, size=hold + 1)              # smooth the edges
    gain = np.minimum(gain, -maximum_filter1d(-need, size=3))  # never above what is needed
    return np.asarray(samples * gain[:, None], dtype=np.float32)
