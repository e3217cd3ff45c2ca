"""The music's gain course through a mix: the one measure of the ducking (issue 21).

A mix is the music bed under a slowly moving gain, plus the voice, then scaled and peak-limited.
:func:`music_gain_db` reads that gain back from the written samples, window by window, by least
squares: the mix is fitted as ``g · bed`` (+ ``h · voice`` when the voice is known), and ``g``
in dB is the music's gain there. The bed's own swells cancel (they are in ``bed`` too), and what
the voice leaves is the fit's remainder: windows where it outweighs the music are NaN, as are
those where the bed is silent. The mixer's own account, the mix check, the tests and the
benchmarks all read the ducking through it; :func:`gain_rate` says how fast it moves and
:func:`gap_rises` how far the music rises in each pause of the voice.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..media.audio import SAMPLE_RATE, Samples, fit_length, frame_power, resample, to_stereo

__all__ = ["music_gain_db", "gain_rate", "gap_rises", "speaking_windows", "WINDOW"]

#: seconds per measured window
WINDOW = 0.1


def _frame_dot(a: Samples, b: Samples, hop: int) -> NDArray[np.float64]:
    """Per window of ``hop`` samples: the mean over samples and channels of ``a · b``."""
    n = (min(len(a), len(b)) // hop) * hop
    width = hop * a.shape[1]
    # summed in float64 window by window: no float64 copy of a whole track (27x faster)
    return np.asarray(np.einsum("ij,ij->i", a[:n].reshape(-1, width), b[:n].reshape(-1, width),
                                dtype=np.float64) / width, dtype=np.float64)


def _placed(samples: Samples, rate: int, total: int, start: float = 0.0) -> Samples:
    """``samples`` at the mix's rate, stereo, starting ``start`` s into a ``total``-sample
    track (zeros elsewhere)."""
    out = np.zeros((total, 2), dtype=np.float32)
    s = to_stereo(resample(samples, rate, SAMPLE_RATE) if rate != SAMPLE_RATE else samples)
    lead = int(round(start * SAMPLE_RATE))
    out[lead:lead + len(s)] = s[:max(0, total - lead)]
    return out


def music_gain_db(mix: Samples, rate: int, bed: Samples, bed_rate: int, *,
                  voice: tuple[Samples, int] | None = None, lead_in: float = 0.0,
                  window: float = WINDOW) -> NDArray[np.float64]:
    """The music's gain (dB) through ``mix`` per ``window`` s, measured from the samples.

    ``bed`` is the music file the mix was made from (looped or cut to the mix's length as the
    mixer does); ``voice`` (samples, rate), if known, is placed ``lead_in`` s in and fitted
    out with it. NaN where the bed is silent or where what the fit leaves (the voice, when it
    is not given) is louder than the music itself.
    """
    if rate != SAMPLE_RATE:
        mix, rate = resample(mix, rate, SAMPLE_RATE), SAMPLE_RATE
    mix = to_stereo(mix)
    total = len(mix)
    b = fit_length(to_stereo(resample(bed, bed_rate, SAMPLE_RATE)
                             if bed_rate != SAMPLE_RATE else bed), total, SAMPLE_RATE)
    hop = max(1, int(window * SAMPLE_RATE))
    mm, bb, mb = (_frame_dot(mix, mix, hop), _frame_dot(b, b, hop), _frame_dot(mix, b, hop))
    with np.errstate(divide="ignore", invalid="ignore"):
        if voice is None:
            g = mb / bb
            vv = np.zeros_like(mm)
            rest = mm - g * mb                                   # what the bed leaves
        else:
            v = _placed(voice[0], voice[1], total, lead_in)
            vv, vb, mv = _frame_dot(v, v, hop), _frame_dot(v, b, hop), _frame_dot(mix, v, hop)
            det = bb * vv - vb * vb
            speaks = vv > 1e-12
            g = np.where(speaks, (mb * vv - mv * vb) / np.where(speaks, det, 1.0), mb / bb)
            h = np.where(speaks, (mv * bb - mb * vb) / np.where(speaks, det, 1.0), 0.0)
            rest = mm - g * mb - h * mv
        music = g * g * bb
        gain = 10 * np.log10(np.maximum(g, 1e-10) ** 2)
    bad = (bb < 1e-8) | ~(g > 0) | (rest > music)
    if voice is not None:                   # under speech the limiter leaves a trace of it
        bad |= vv > float(vv.max()) * 1e-6
    gain[bad] = np.nan
    return np.asarray(gain, dtype=np.float64)


def gain_rate(gain_db: NDArray[np.float64], window: float = WINDOW, *,
              smooth: float = 0.5) -> float:
    """The fastest the gain course moves, in dB per second.

    The course first goes through a running median over ``smooth`` s (a lone window does not
    count as the gain moving), then a short average; NaN windows take their neighbours'
    values. ``smooth=0`` reads a planned curve as it is.
    """
    from scipy.ndimage import median_filter, uniform_filter1d

    curve = np.asarray(gain_db, dtype=np.float64)
    known = np.flatnonzero(np.isfinite(curve))
    if len(known) < 2:
        return 0.0
    curve = np.interp(np.arange(len(curve)), known, curve[known])
    size = max(1, int(round(smooth / window)))
    if size > 1:
        curve = uniform_filter1d(median_filter(curve, size=size, mode="nearest"),
                                 size=max(1, size // 2), mode="nearest")
    return float(np.max(np.abs(np.diff(curve))) / window)


def speaking_windows(voice: Samples, voice_rate: int, total_seconds: float, *,
                     lead_in: float = 0.0, window: float = WINDOW,
                     below_db: float = -40.0) -> NDArray[np.bool_]:
    """Per ``window`` s of a mix ``total_seconds`` long: does the voice (placed ``lead_in`` s
    in) sound there, i.e. is it within ``below_db`` of its loudest window?"""
    hop = max(1, int(window * voice_rate))
    level = frame_power(voice, hop, partial=True)
    peak = float(level.max()) if level.size else 0.0
    on = level > peak * 10 ** (below_db / 10) if peak > 0 else np.zeros(len(level), bool)
    n = int(round(total_seconds / window))
    out = np.zeros(n, dtype=bool)
    first = int(round(lead_in / window))
    out[first:first + len(on)] = on[:max(0, n - first)]
    return out


def gap_rises(gain_db: NDArray[np.float64], speaking: NDArray[np.bool_],
              window: float = WINDOW) -> list[tuple[float, float]]:
    """Each pause between two spoken windows as (its length in s, how far the music rose in it
    in dB: highest gain in the pause over the lower of the gains at its two ends)."""
    n = min(len(gain_db), len(speaking))
    spoken = np.flatnonzero(speaking[:n])
    if spoken.size < 2:
        return []
    out = []
    for a, b in zip(spoken[:-1], spoken[1:]):
        if b - a < 2:
            continue
        inside = gain_db[a + 1:b]
        known = inside[np.isfinite(inside)]
        if known.size == 0:
            continue
        ends = min(float(np.mean(known[:2])), float(np.mean(known[-2:])))
        out.append((round((b - a - 1) * window, 2), round(float(known.max()) - ends, 2)))
    return out
