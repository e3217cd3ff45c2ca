"""Route-blind checks of media: a narration, a mix, an image or thumbnail.

Measured from the samples and pixels alone (and, for a voice, the script it reads), in [0, 1]
with details. Loudness, peaks and silence holes reuse :mod:`archibald.media.quality`'s
measurements; what is added here is what a listener or a viewer on a phone notices: how much of
a narration is speech, whether its pauses are where the script marks them, its pace, a music
bed that pumps under the voice, text that cannot be read at phone size.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..media.audio import Samples, frame_power
from ..media.quality import (LUFS_TOLERANCE, PEAK_CEILING, TARGET_LUFS, audio_facts,
                             contrast_ratio, relative_luminance)
from ..script.model import SPEAKING_WPM, Script, pauses

__all__ = ["check_voice", "check_mix", "check_image", "silences",
           "MAX_GAIN_RATE", "MAX_THUMBNAIL_WORDS", "PHONE_SCALE"]

#: how fast the music bed's level may move under the voice (dB per second) before it pumps
MAX_GAIN_RATE = 6.0
#: words a thumbnail carries at most (meditation-craft.md)
MAX_THUMBNAIL_WORDS = 5
#: a phone shows a thumbnail at about this share of its full width
PHONE_SCALE = 1 / 8
#: spoken words per minute, pauses included, that sound calm
PACE = (100.0, 130.0)
_HOP = 0.05  # seconds per level frame


def _within(value: float, low: float, high: float, slack: float) -> float:
    if low <= value <= high:
        return 1.0
    return max(0.0, 1.0 - (low - value if value < low else value - high) / slack)


def _levels_db(samples: Samples, rate: int, hop: float = _HOP) -> NDArray[np.float64]:
    power = frame_power(samples, max(1, int(hop * rate)), partial=False)
    return np.asarray(10 * np.log10(np.maximum(power, 1e-12)), dtype=np.float64)


def silences(samples: Samples, rate: int, *, below_db: float = -40.0,
             at_least: float = 0.3) -> list[float]:
    """Lengths (s) of the stretches quieter than ``below_db`` under the loudest frame."""
    level = _levels_db(samples, rate)
    if level.size == 0:
        return []
    quiet = np.concatenate([[False], level < level.max() + below_db, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    runs = (edges[1::2] - edges[::2]) * _HOP
    return [float(r) for r in runs if r >= at_least]


def check_voice(samples: Samples, rate: int, script: Script) -> tuple[float, dict[str, Any]]:
    """A narration against its script: share of speech, the script's long pauses heard where
    marked (each mark of N s matched by a silence of N s, give or take), words per minute
    (pauses included) calm or as the script planned them."""
    duration = samples.shape[0] / rate if rate else 0.0
    if duration < 1.0:
        return 0.0, {"error": f"{duration:.2f} s of audio"}
    level = _levels_db(samples, rate)
    speech_share = float(np.mean(level >= level.max() - 40.0))
    expected = 1.0 - script.silence_seconds() / max(1.0, script.estimated_seconds())
    heard = sorted(silences(samples, rate, at_least=1.5), reverse=True)
    marks = sorted((p for s in script.sections for p in pauses(s.text) if p >= 2.0),
                   reverse=True)
    matched = 0
    free = list(heard)
    for mark in marks:
        hit = next((h for h in free if abs(h - mark) <= max(1.0, 0.35 * mark)), None)
        if hit is not None:
            matched += 1
            free.remove(hit)
    wpm = script.word_count() / duration * 60.0
    # calm is 100-130; a script that plans a slower (or brisker) pace is read at its own
    planned = script.pace_wpm()
    low, high = min(PACE[0], 0.85 * planned), max(PACE[1], 1.15 * planned)
    # while speaking: the rate the script's timing assumes (a rushed voice is not calm)
    speaking = script.word_count() / max(1e-6, speech_share * duration) * 60.0
    parts = {"speech_share": _within(speech_share, expected - 0.15, expected + 0.15, 0.3),
             "pauses": matched / len(marks) if marks else 1.0,
             "pace": _within(wpm, low, high, 40.0),
             "speaking_rate": _within(speaking, 0.8 * SPEAKING_WPM, 1.2 * SPEAKING_WPM, 60.0)}
    score = float(np.prod(list(parts.values())) ** (1 / len(parts)))
    return round(score, 4), {"parts": {k: round(v, 3) for k, v in parts.items()},
                             "speech_share": round(speech_share, 3),
                             "expected_speech_share": round(expected, 3),
                             "pause_marks": len(marks), "pauses_heard": matched,
                             "wpm": round(wpm, 1), "speaking_wpm": round(speaking, 1),
                             "duration": round(duration, 2)}


def check_mix(samples: Samples, rate: int, *, bed: tuple[Samples, int] | None = None,
              voice: tuple[Samples, int] | None = None, lead_in: float = 0.0,
              max_silence: float = 2.0) -> tuple[float, dict[str, Any]]:
    """A final mix: loudness on target, true peak under the ceiling, no clipping, no silence
    holes, and — given the music ``bed`` (samples, rate) it was made from — ducking that does
    not pump (the bed's gain, :func:`~archibald.quality.gain.music_gain_db`, changing at most
    :data:`MAX_GAIN_RATE` dB/s). Given the ``voice`` too (placed ``lead_in`` s in), the gain
    is read from the first word to the last: the fades in and out are no ducking."""
    from .gain import gain_rate, music_gain_db, speaking_windows

    facts = audio_facts(samples, rate)
    lufs_off = abs(facts["lufs"] - TARGET_LUFS) if math.isfinite(facts["lufs"]) else 99.0
    pump = None
    if bed is not None:
        course = music_gain_db(samples, rate, *bed, voice=voice, lead_in=lead_in)
        if voice is not None:
            spoken = np.flatnonzero(speaking_windows(*voice, samples.shape[0] / rate,
                                                     lead_in=lead_in))
            if spoken.size:
                course = course[spoken[0]:spoken[-1] + 1]
        if np.count_nonzero(np.isfinite(course)) >= 10:
            pump = gain_rate(course)
    parts = {
        "loudness": max(0.0, 1.0 - max(0.0, lufs_off - LUFS_TOLERANCE) / 5.0),
        "true_peak": 1.0 if facts["true_peak_dbtp"] <= PEAK_CEILING else max(
            0.0, 1.0 - (facts["true_peak_dbtp"] - PEAK_CEILING) / 3.0),
        "clipping": 1.0 if facts["clipped_samples"] == 0 else 0.0,
        "silence": 1.0 if facts["longest_silence"] <= max_silence else max(
            0.0, 1.0 - (facts["longest_silence"] - max_silence) / 10.0),
        "ducking": 1.0 if pump is None else _within(pump, 0.0, MAX_GAIN_RATE, 5 * MAX_GAIN_RATE),
    }
    score = float(np.prod(list(parts.values())) ** (1 / len(parts)))
    return round(score, 4), {**facts, "gain_change_db_per_s": None if pump is None
                             else round(pump, 2), "parts": {k: round(v, 3)
                                                            for k, v in parts.items()}}


def _local_range(lum: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per pixel, the luminance range of its 3x3 neighbourhood (as a WCAG contrast ratio)."""
    pad = np.pad(lum, 1, mode="edge")
    stack = np.stack([pad[i:i + lum.shape[0], j:j + lum.shape[1]]
                      for i in range(3) for j in range(3)])
    hi, lo = stack.max(axis=0), stack.min(axis=0)
    return np.asarray((hi + 0.05) / (lo + 0.05), dtype=np.float64)


def check_image(path: Path | str, *, size: tuple[int, int] | None = None,
                words: list[str] | None = None) -> tuple[float, dict[str, Any]]:
    """An artwork or a thumbnail: size, contrast, calm (not noisy); for a thumbnail (``words``
    given) also its words legible at phone size (1/8 of the full width), five at most."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            full = im.convert("RGB")
    except OSError as exc:
        return 0.0, {"error": str(exc)}
    w, h = full.size
    lum = relative_luminance(np.asarray(full.resize((320, 180)), dtype=np.float64))
    spread = float(np.std(lum))
    roughness = float(np.mean(np.abs(np.diff(lum, axis=1))))   # pixel-to-pixel change
    lo, hi = np.percentile(lum, [2, 98])
    contrast = contrast_ratio(float(hi), float(lo))
    parts: dict[str, float] = {
        "size": 1.0 if (size is None and (w, h) in ((1920, 1080), (1280, 720)))
        or (w, h) == size else 0.5,
        "contrast": min(1.0, contrast / 3.0),
        "not_flat": min(1.0, spread / 0.02),
        "calm": max(0.0, min(1.0, 1.0 - (roughness - 0.02) / 0.08)),
    }
    details: dict[str, Any] = {"size": (w, h), "contrast": round(contrast, 2),
                               "spread": round(spread, 4), "roughness": round(roughness, 4)}
    if words is not None:
        phone = full.resize((max(1, round(w * PHONE_SCALE)), max(1, round(h * PHONE_SCALE))),
                            Image.Resampling.BOX)
        small = relative_luminance(np.asarray(phone, dtype=np.float64))
        # the text's strokes are the sharpest edges: their contrast once shrunk to phone size
        legible = float(np.percentile(_local_range(small), 99.5))
        parts["legible_at_phone_size"] = min(1.0, max(0.0, (legible - 1.5) / 3.0))
        parts["words"] = 1.0 if 0 < len(words) <= MAX_THUMBNAIL_WORDS else (
            0.0 if not words else max(0.0, 1.0 - 0.25 * (len(words) - MAX_THUMBNAIL_WORDS)))
        details |= {"phone_contrast": round(legible, 2), "words": len(words)}
    score = float(np.prod(list(parts.values())) ** (1 / len(parts)))
    return round(score, 4), {**details, "parts": {k: round(v, 3) for k, v in parts.items()}}
