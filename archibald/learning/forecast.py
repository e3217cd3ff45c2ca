"""Predictive cost and time for the next videos, from what earlier videos cost.

The unit is the video: stage records that carry a ``video`` key are summed per video first.
For the next video the interval is a *prediction* interval (where one more video will land),
not a confidence interval for the mean: ``mean ± t·s·sqrt(1 + 1/n)``, on the log scale when
every value is positive (costs and times are skewed to the right). For the total of the next
``N`` videos the spread of ``N`` videos and the uncertainty of the mean both count:
``N·mean ± t·s·sqrt(N + N²/n)`` — the second term is what makes a forecast from three videos
honestly wide. With a single video there is no spread to measure, so a coefficient of
variation of 1 is assumed and the note says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from ..errors import InputError

__all__ = ["Forecast", "forecast", "per_video"]

#: assumed coefficient of variation when one video is all the history there is
SINGLE_VIDEO_CV = 1.0


@dataclass(frozen=True)
class Forecast:
    """Predicted cost (USD) and time (seconds) per video and for ``videos`` videos in all."""

    videos: int
    history: int
    level: float
    per_video_mean: float
    per_video_interval: tuple[float, float]
    total_mean: float
    total_interval: tuple[float, float]
    seconds_mean: float
    seconds_interval: tuple[float, float]
    total_seconds_mean: float
    total_seconds_interval: tuple[float, float]
    note: str


def _num(record: Mapping[str, object], key: str) -> float:
    value = record.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def per_video(history: Sequence[Mapping[str, object]]) -> tuple[np.ndarray, np.ndarray]:
    """(cost, seconds) per video; records with a ``video`` key are summed per video."""
    if any("video" in r for r in history):
        cost: dict[object, float] = {}
        secs: dict[object, float] = {}
        for r in history:
            v = r.get("video")
            cost[v] = cost.get(v, 0.0) + _num(r, "cost")
            secs[v] = secs.get(v, 0.0) + _num(r, "seconds")
        return np.array(list(cost.values())), np.array(list(secs.values()))
    return (np.array([_num(r, "cost") for r in history]),
            np.array([_num(r, "seconds") for r in history]))


def _one(x: np.ndarray, level: float) -> tuple[float, tuple[float, float]]:
    """Mean and prediction interval for one more value like those in ``x``."""
    n = len(x)
    mean = float(x.mean())
    if n == 1:
        t = float(st.t.ppf(0.5 + level / 2, 1))
        half = t * SINGLE_VIDEO_CV * abs(mean) * math.sqrt(2)
        return mean, (max(0.0, mean - half), mean + half)
    t = float(st.t.ppf(0.5 + level / 2, n - 1))
    if (x > 0).all():
        logs = np.log(x)
        m, s = float(logs.mean()), float(logs.std(ddof=1))
        half = t * s * math.sqrt(1 + 1 / n)
        return mean, (math.exp(m - half), math.exp(m + half))
    s = float(x.std(ddof=1))
    half = t * s * math.sqrt(1 + 1 / n)
    return mean, (max(0.0, mean - half), mean + half)


def _total(x: np.ndarray, videos: int, level: float) -> tuple[float, tuple[float, float]]:
    """Mean and prediction interval for the sum of ``videos`` more values like those in ``x``."""
    n = len(x)
    mean = float(x.mean())
    if n == 1:
        s, df = SINGLE_VIDEO_CV * abs(mean), 1
    else:
        s, df = float(x.std(ddof=1)), n - 1
    t = float(st.t.ppf(0.5 + level / 2, df))
    half = t * s * math.sqrt(videos + videos**2 / n)
    total = videos * mean
    return total, (max(0.0, total - half), total + half)


def forecast(
    history: Sequence[Mapping[str, object]], n_videos: int, *, level: float = 0.9
) -> Forecast:
    """Forecast the cost and time of ``n_videos`` more videos from earlier ones."""
    if n_videos < 1:
        raise InputError(f"forecast needs at least 1 video to plan, got {n_videos}")
    if not 0 < level < 1:
        raise InputError(f"interval level must be between 0 and 1, got {level}")
    cost, secs = per_video(history)
    if len(cost) == 0:
        raise InputError("no finished videos in memory to forecast from; produce one first "
                         "(archibald produce)")
    c_mean, c_int = _one(cost, level)
    t_mean, t_int = _total(cost, n_videos, level)
    s_mean, s_int = _one(secs, level)
    ts_mean, ts_int = _total(secs, n_videos, level)
    n = len(cost)
    if n == 1:
        note = "from 1 video only: no spread measured, a 100% variation assumed; a wide guess"
    elif n < 5:
        note = f"from {n} videos only: the interval is wide; it narrows as videos are made"
    else:
        note = f"from {n} videos"
    return Forecast(n_videos, n, level, c_mean, c_int, t_mean, t_int, s_mean, s_int,
                    ts_mean, ts_int, note)
