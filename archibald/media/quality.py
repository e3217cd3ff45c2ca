"""Checks and scores for produced media: a missed spec is an error, a score is a number.

``validate_*`` raise :class:`~archibald.errors.ValidationError` on any miss and return the
measured facts; ``score_*`` return ``(score in [0, 1], details)`` for the quality floors.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ArchibaldError, ValidationError

__all__ = [
    "contrast_ratio", "relative_luminance", "validate_video", "validate_audio", "audio_facts",
    "audio_misses",
    "validate_image", "score_audio", "score_image", "score_video", "loudness_per_minute",
]

#: what YouTube's recommended upload settings ask of the assembled MP4
VIDEO_SPEC: dict[str, Any] = {
    "video_codec": "h264", "profile": "High", "pix_fmt": "yuv420p",
    "audio_codec": "aac", "audio_profile": "LC", "sample_rate": 48000,
    "channels": 2, "color_primaries": 1, "color_trc": 1, "colorspace": 1,
}
#: landscape, or portrait for Shorts
VIDEO_SIZES = ((1920, 1080), (1080, 1920))
DURATION_TOLERANCE = 0.1
TARGET_LUFS, LUFS_TOLERANCE, PEAK_CEILING = -16.0, 1.0, -1.5


def _video_misses(facts: dict[str, Any], expected_duration: float | None) -> list[str]:
    misses = [f"{k} is {facts.get(k)!r}, not {v!r}" for k, v in VIDEO_SPEC.items()
              if facts.get(k) != v]
    if (facts.get("width"), facts.get("height")) not in VIDEO_SIZES:
        misses.append(f"size is {facts.get('width')}x{facts.get('height')}, not 1920x1080 "
                      f"or 1080x1920")
    if abs(float(facts.get("fps", 0)) - 30.0) > 0.01:
        misses.append(f"frame rate is {facts.get('fps')}, not 30")
    atoms = facts.get("atoms", [])
    if "moov" not in atoms or "mdat" not in atoms or atoms.index("moov") > atoms.index("mdat"):
        misses.append("moov atom is not before mdat (no +faststart)")
    if not facts.get("first_frame_key"):
        misses.append("the first video frame is not a key frame")
    if expected_duration is not None:
        for key in ("video_duration", "audio_duration"):
            if abs(float(facts.get(key, 0.0)) - expected_duration) > DURATION_TOLERANCE:
                misses.append(f"{key.replace('_', ' ')} is {facts.get(key, 0.0):.3f} s, "
                              f"expected {expected_duration:.3f} ± {DURATION_TOLERANCE} s")
    return misses


def validate_video(path: Path | str, expected_duration: float | None = None) -> dict[str, Any]:
    """Probe an MP4 and check it against YouTube's recommended settings; raise on any miss."""
    from .probe import probe_video

    facts = probe_video(path)
    misses = _video_misses(facts, expected_duration)
    if misses:
        raise ValidationError(f"{path}: " + "; ".join(misses))
    return facts


def score_video(path: Path | str, expected_duration: float | None = None,
                ) -> tuple[float, dict[str, Any]]:
    """Share of the video spec met (1.0 = all), with the facts and misses."""
    from .probe import probe_video

    try:
        facts = probe_video(path)
    except ArchibaldError as exc:
        return 0.0, {"error": str(exc)}
    misses = _video_misses(facts, expected_duration)
    checks = len(VIDEO_SPEC) + 4 + (2 if expected_duration is not None else 0)
    return max(0.0, 1.0 - len(misses) / checks), {**facts, "misses": misses}


def audio_facts(samples: NDArray[np.float32], rate: int, *, loudness: bool = True,
                ) -> dict[str, Any]:
    """What the checks look at in ``samples``: length, level, clipping, silence holes.

    ``loudness=False`` leaves out the BS.1770 measures (integrated loudness, true peak).
    """
    from .audio import frame_power
    from .loudness import integrated_lufs, sample_peak_dbfs, true_peak_dbtp

    frames, channels = samples.shape
    hop = max(1, rate // 10)                       # 100 ms windows
    power = frame_power(samples, hop, partial=False)
    silent = np.concatenate([[False], np.sqrt(power) < 10 ** (-70 / 20), [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))
    longest = int(np.max(edges[1::2] - edges[::2])) if edges.size else 0
    peak = max(float(np.max(np.abs(samples[:, ch]))) for ch in range(channels)) \
        if frames else 0.0
    facts: dict[str, Any] = {
        "duration": frames / rate, "sample_rate": rate, "channels": channels,
        "sample_peak_dbfs": sample_peak_dbfs(np.array([peak])),
        "clipped_samples": int(sum(np.count_nonzero(np.abs(samples[:, ch]) >= 0.9999)
                                   for ch in range(channels))) if peak >= 0.9999 else 0,
        "longest_silence": longest * hop / rate,
    }
    if loudness:
        facts["lufs"] = integrated_lufs(samples, rate)
        facts["true_peak_dbtp"] = true_peak_dbtp(samples)
    return facts


def _audio_facts(path: Path | str, *, loudness: bool = True) -> dict[str, Any]:
    from .audio import read_audio

    samples, rate = read_audio(path)
    return audio_facts(samples, rate, loudness=loudness)


def audio_misses(facts: dict[str, Any], *, loudness: bool = True,
                 sample_rate: int | None = None, channels: int | None = None,
                 expected_duration: float | None = None) -> list[str]:
    """How measured ``facts`` (see :func:`audio_facts`) miss the given spec; empty if none."""
    misses: list[str] = []
    if sample_rate is not None and facts["sample_rate"] != sample_rate:
        misses.append(f"sample rate is {facts['sample_rate']}, not {sample_rate}")
    if channels is not None and facts["channels"] != channels:
        misses.append(f"{facts['channels']} channels, not {channels}")
    if facts["clipped_samples"]:
        misses.append(f"{facts['clipped_samples']} clipped samples")
    if loudness:
        if not abs(facts["lufs"] - TARGET_LUFS) <= LUFS_TOLERANCE:
            misses.append(f"integrated loudness {facts['lufs']:.2f} LUFS, not "
                          f"{TARGET_LUFS} ± {LUFS_TOLERANCE}")
        if facts["true_peak_dbtp"] > PEAK_CEILING:
            misses.append(f"true peak {facts['true_peak_dbtp']:.2f} dBTP > {PEAK_CEILING}")
    if expected_duration is not None and abs(facts["duration"] - expected_duration) > 0.05:
        misses.append(f"duration {facts['duration']:.3f} s, expected {expected_duration:.3f}")
    return misses


def validate_audio(path: Path | str, *, loudness: bool = True, sample_rate: int | None = None,
                   channels: int | None = None, expected_duration: float | None = None,
                   ) -> dict[str, Any]:
    """Measure an audio file; raise ValidationError if it misses the given spec.

    ``loudness`` checks −16 LUFS ± 1 integrated and true peak ≤ −1.5 dBTP.
    """
    facts = _audio_facts(path, loudness=loudness)
    misses = audio_misses(facts, loudness=loudness, sample_rate=sample_rate, channels=channels,
                          expected_duration=expected_duration)
    if misses:
        raise ValidationError(f"{path}: " + "; ".join(misses))
    return facts


def score_audio(path: Path | str, *, max_silence: float | None = None, loudness: bool = True,
                ) -> tuple[float, dict[str, Any]]:
    """Score audio: loudness on target, no clipping, no silence holes, some length.

    ``loudness=False`` (a raw narration, not yet normalised) scores the rest only.

    A hole is digital silence longer than ``max_silence`` seconds; by default 2 s for a
    stereo mix (music should fill every pause) and 30 s for a mono narration, whose pauses
    are deliberate (10–30 s after an invitation to breathe is the genre's norm).
    """
    try:
        facts = _audio_facts(path, loudness=loudness)
    except ArchibaldError as exc:
        return 0.0, {"error": str(exc)}
    if max_silence is None:
        max_silence = 2.0 if facts["channels"] > 1 else 30.0
    parts: dict[str, float] = {}
    if loudness:
        lufs_off = abs(facts["lufs"] - TARGET_LUFS) if math.isfinite(facts["lufs"]) else 99.0
        parts["loudness"] = max(0.0, 1.0 - max(0.0, lufs_off - LUFS_TOLERANCE) / 5.0)
        parts["peak"] = 1.0 if facts["true_peak_dbtp"] <= PEAK_CEILING else \
            max(0.0, 1.0 - (facts["true_peak_dbtp"] - PEAK_CEILING) / 3.0)
    parts |= {
        "clipping": 1.0 if facts["clipped_samples"] == 0 else 0.0,
        "silence": 1.0 if facts["longest_silence"] <= max_silence else
        max(0.0, 1.0 - (facts["longest_silence"] - max_silence) / 10.0),
        "duration": 1.0 if facts["duration"] >= 1.0 else 0.0,
    }
    score = float(np.prod(list(parts.values())) ** (1 / len(parts)))
    return score, {**facts, "parts": parts}


def loudness_per_minute(samples: NDArray[np.float32], rate: int) -> list[float]:
    """Integrated loudness (LUFS) of each whole or final partial minute (≥ 0.4 s) of a track."""
    from .loudness import integrated_lufs

    minute = 60 * rate
    return [integrated_lufs(samples[i:i + minute], rate) for i in range(0, len(samples), minute)
            if len(samples) - i > int(0.4 * rate)]


def relative_luminance(rgb: NDArray[Any]) -> NDArray[np.float64]:
    """WCAG 2.x relative luminance of sRGB values in 0..255 (last axis = R, G, B)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.asarray(lin @ np.array([0.2126, 0.7152, 0.0722]), dtype=np.float64)


def contrast_ratio(lum_a: float, lum_b: float) -> float:
    """WCAG contrast ratio of two relative luminances (1..21)."""
    hi, lo = max(lum_a, lum_b), min(lum_a, lum_b)
    return (hi + 0.05) / (lo + 0.05)


def validate_image(path: Path | str, size: tuple[int, int], *, max_bytes: int | None = None,
                   fmt: str | None = None) -> dict[str, Any]:
    """Check an image's size, format and byte count; raise ValidationError on a miss."""
    from PIL import Image

    p = Path(path)
    try:
        with Image.open(p) as im:
            im.load()
            facts: dict[str, Any] = {"size": im.size, "format": im.format, "mode": im.mode}
    except OSError as exc:
        raise ValidationError(f"{p} cannot be read as an image: {exc}") from exc
    facts["bytes"] = p.stat().st_size
    misses = []
    if tuple(facts["size"]) != tuple(size):
        misses.append(f"size {facts['size'][0]}x{facts['size'][1]}, not {size[0]}x{size[1]}")
    if fmt and facts["format"] != fmt:
        misses.append(f"format {facts['format']}, not {fmt}")
    if max_bytes is not None and facts["bytes"] > max_bytes:
        misses.append(f"{facts['bytes']} bytes > {max_bytes}")
    if misses:
        raise ValidationError(f"{p}: " + "; ".join(misses))
    return facts


def score_image(path: Path | str, *, contrast: float | None = None,
                ) -> tuple[float, dict[str, Any]]:
    """Score an artwork or thumbnail: right size, calm (not noisy), text contrast if known."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB").resize((320, 180)), dtype=np.float64)
            size = im.size
    except OSError as exc:
        return 0.0, {"error": str(exc)}
    lum = relative_luminance(rgb)
    roughness = float(np.mean(np.abs(np.diff(lum, axis=1))))   # pixel-to-pixel change
    spread = float(np.std(lum))
    parts = {
        "size": 1.0 if size in ((1920, 1080), (1280, 720)) else 0.5,
        "calm": max(0.0, min(1.0, 1.0 - (roughness - 0.02) / 0.08)),
        "not_flat": min(1.0, spread / 0.02),
    }
    if contrast is not None:
        parts["contrast"] = min(1.0, contrast / 4.5)
    score = float(np.prod(list(parts.values())) ** (1 / len(parts)))
    return score, {"size": size, "roughness": roughness, "spread": spread, "parts": parts}
