"""Predictive cost and time for the next videos, from what earlier videos cost, scaled by length.

The unit is the video: stage records that carry a ``video`` key are summed per video first.
A 10-minute video costs and takes more than a 2-minute one, so when the length of the videos
to plan is given the forecast is a regression on the video's length in minutes:

- videos of at least two lengths in the history: ordinary least squares ``y = a + b·minutes``
  and its prediction interval ``ŷ ± t(n-2)·s·sqrt(1 + 1/n + (x0 - x̄)²/Sxx)``;
- videos of one length only: cost and time per minute, scaled in proportion to the length
  asked for, ``x0·(r̄ ± t(n-1)·s_r·sqrt(1 + 1/n))``.

Without a length the videos are taken as alike (``mean ± t·s·sqrt(1 + 1/n)``, on the log scale
when every value is positive). These are *prediction* intervals (where one more video will
land), not confidence intervals for the mean. For the total of the next ``N`` videos the spread
of ``N`` videos and the uncertainty of the fit both count: ``N·ŷ ± t·s·sqrt(N + N²·h)`` with
``h`` the fit's own share (``1/n``, plus the leverage term for a regression), which is what makes
a forecast from few videos honestly wide and narrows it as videos are made. Fewer than
:data:`MIN_HISTORY` videos give no interval at all: "not enough history".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from ..errors import InputError

__all__ = ["Forecast", "forecast", "per_video", "MIN_HISTORY"]

#: fewer finished videos than this: no interval, "not enough history"
MIN_HISTORY = 3


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
    minutes: float | None = None
    #: how the history was scaled: "by length (regression)", "per minute", "unscaled"
    model: str = "unscaled"


def _num(record: Mapping[str, object], key: str) -> float:
    value = record.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _minutes(record: Mapping[str, object]) -> float:
    value = record.get("minutes")
    return float(value) if isinstance(value, (int, float)) and value > 0 else math.nan


def per_video(history: Sequence[Mapping[str, object]]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cost, seconds, minutes) per video; records with a ``video`` key are summed per video.
    A video whose length was not recorded has minutes NaN."""
    if any("video" in r for r in history):
        cost: dict[object, float] = {}
        secs: dict[object, float] = {}
        mins: dict[object, float] = {}
        for r in history:
            v = r.get("video")
            cost[v] = cost.get(v, 0.0) + _num(r, "cost")
            secs[v] = secs.get(v, 0.0) + _num(r, "seconds")
            mins.setdefault(v, _minutes(r))
        return (np.array(list(cost.values())), np.array(list(secs.values())),
                np.array(list(mins.values())))
    return (np.array([_num(r, "cost") for r in history]),
            np.array([_num(r, "seconds") for r in history]),
            np.array([_minutes(r) for r in history]))


@dataclass(frozen=True)
class _Fit:
    """A point prediction for one video, its residual spread ``s``, the fit's own share of the
    variance of a prediction (``h``) and the degrees of freedom of t. With ``log_centre`` the
    one-video interval is taken on the log scale (``s`` is then the spread of the logs)."""

    mean: float
    s: float
    h: float
    df: int
    log_centre: float | None = None

    def _t(self, level: float) -> float:
        return float(st.t.ppf(0.5 + level / 2, self.df))

    def one(self, level: float) -> tuple[float, tuple[float, float]]:
        half = self._t(level) * self.s * math.sqrt(1 + self.h)
        if self.log_centre is not None:
            return self.mean, (math.exp(self.log_centre - half),
                               math.exp(self.log_centre + half))
        return self.mean, (max(0.0, self.mean - half), self.mean + half)

    def total(self, videos: int, level: float, spread: float) -> tuple[float, tuple[float, float]]:
        """The sum of ``videos`` more videos; ``spread`` is one video's spread in USD or s."""
        half = self._t(level) * spread * math.sqrt(videos + videos ** 2 * self.h)
        total = videos * self.mean
        return total, (max(0.0, total - half), total + half)


def _alike(y: np.ndarray) -> tuple[_Fit, float]:
    """Videos taken as alike: the mean, on the log scale when every value is positive."""
    n = len(y)
    s = float(y.std(ddof=1))
    if (y > 0).all():
        logs = np.log(y)
        return _Fit(float(y.mean()), float(logs.std(ddof=1)), 1 / n, n - 1,
                    float(logs.mean())), s
    return _Fit(float(y.mean()), s, 1 / n, n - 1), s


def _per_minute(y: np.ndarray, x: np.ndarray, x0: float) -> tuple[_Fit, float]:
    """Videos of one length: the rate per minute, scaled to ``x0`` minutes."""
    r = y / x
    n = len(r)
    s = x0 * float(r.std(ddof=1))
    return _Fit(x0 * float(r.mean()), s, 1 / n, n - 1), s


def _regression(y: np.ndarray, x: np.ndarray, x0: float) -> tuple[_Fit, float]:
    """Least squares on the length; the prediction at ``x0`` with its leverage."""
    n = len(y)
    xm = float(x.mean())
    sxx = float(((x - xm) ** 2).sum())
    b = float(((x - xm) * (y - y.mean())).sum()) / sxx
    a = float(y.mean()) - b * xm
    resid = y - (a + b * x)
    s = math.sqrt(float((resid ** 2).sum()) / (n - 2))
    return _Fit(max(0.0, a + b * x0), s, 1 / n + (x0 - xm) ** 2 / sxx, n - 2), s


def _fit(y: np.ndarray, x: np.ndarray | None, x0: float | None) -> tuple[_Fit, float, str]:
    if x is None or x0 is None:
        return (*_alike(y), "unscaled")
    if len(np.unique(x)) >= 2 and len(y) >= 3:
        return (*_regression(y, x, x0), "by length (regression)")
    return (*_per_minute(y, x, x0), "per minute")


def forecast(history: Sequence[Mapping[str, object]], n_videos: int, *, level: float = 0.9,
             minutes: float | None = None) -> Forecast:
    """Forecast the cost and time of ``n_videos`` more videos of ``minutes`` minutes each (or
    like the earlier ones, when ``minutes`` is None) from earlier videos.

    Raises InputError when there is no history, or fewer than :data:`MIN_HISTORY` videos
    (with a recorded length, when ``minutes`` is given): "not enough history".
    """
    if n_videos < 1:
        raise InputError(f"forecast needs at least 1 video to plan, got {n_videos}")
    if not 0 < level < 1:
        raise InputError(f"interval level must be between 0 and 1, got {level}")
    if minutes is not None and not minutes > 0:
        raise InputError(f"video length must be positive, got {minutes:g} minutes")
    cost, secs, mins = per_video(history)
    if len(cost) == 0:
        raise InputError("no finished runs of this pipeline in memory to forecast from; run "
                         "one first (archibald run, or produce)")
    left_out = ""
    x: np.ndarray | None = None
    known = ~np.isnan(mins)
    if minutes is not None and known.sum() < MIN_HISTORY <= len(cost):
        # a history from before lengths were recorded: better unscaled than nothing
        left_out = (f"; not scaled by length: {int((~known).sum())} run(s) have no "
                    f"recorded length")
        minutes = None
    elif minutes is not None:
        if not known.all():
            left_out = f"; {int((~known).sum())} run(s) without a recorded length left out"
        cost, secs, x = cost[known], secs[known], mins[known]
    n = len(cost)
    if n < MIN_HISTORY:
        raise InputError(f"not enough history: {n} finished run(s){left_out}; an interval "
                         f"needs at least {MIN_HISTORY}")
    c_fit, c_spread, model = _fit(cost, x, minutes)
    s_fit, s_spread, _ = _fit(secs, x, minutes)
    c_mean, c_int = c_fit.one(level)
    t_mean, t_int = c_fit.total(n_videos, level, c_spread)
    s_mean, s_int = s_fit.one(level)
    ts_mean, ts_int = s_fit.total(n_videos, level, s_spread)
    note = f"from {n} videos" + (", scaled " + model if minutes is not None else "")
    if n < 5:
        note += "; the interval is wide and narrows as videos are made"
    return Forecast(n_videos, n, level, c_mean, c_int, t_mean, t_int, s_mean, s_int,
                    ts_mean, ts_int, note + left_out, minutes, model)
