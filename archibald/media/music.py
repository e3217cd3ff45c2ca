"""An ambient bed of any length, synthesised with NumPy: drone, slow pads, soft noise, fades.

Rendered block by block (10 s at a time) from absolute sample times, so joins between
blocks are exact (no clicks) and memory stays flat for hours of audio. The seed decides every
random choice, so the same seed gives the same samples.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, lfilter

from ..errors import InputError, ValidationError
from .audio import SAMPLE_RATE
from .files import atomic_output

__all__ = ["render_music", "key_root_midi", "MAX_SECONDS"]

BLOCK_SECONDS = 10
MAX_SECONDS = 4 * 3600
_PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_PENTATONIC = (0, 2, 4, 7, 9)
_HARMONICS = (1.0, 0.35, 0.12)               # a soft, flute-like pad timbre
_Array = NDArray[np.float64]


def key_root_midi(key: str) -> int:
    """MIDI note of the key's root in octave 3 (``"D"`` → 50, ``"F#"`` → 54, ``"Bb"`` → 58)."""
    k = key.strip()
    if not k or k[0].upper() not in _PITCH_CLASSES:
        raise InputError(f"unknown key {key!r}; use a note name such as C, D, F#, Bb")
    pc = _PITCH_CLASSES[k[0].upper()]
    rest = k[1:].replace("♯", "#").replace("♭", "b")
    for ch in rest:
        if ch == "#":
            pc += 1
        elif ch == "b":
            pc -= 1
        elif rest.lower() in ("m", "min", "maj", ""):
            break
        else:
            raise InputError(f"unknown key {key!r}; use a note name such as C, D, F#, Bb")
    return 48 + pc % 12


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


@dataclass(frozen=True)
class _Voice:
    """One sustained note: frequency, stereo detune, pan, level and slow swell."""

    freq: float
    detune: float
    pan: float
    level: float
    period: float
    phase: float


def _plan(seed: int, key: str) -> tuple[list[_Voice], float]:
    """Every random choice of a bed, made once from the seed."""
    rng = np.random.default_rng([seed, 2])
    root = key_root_midi(key)
    pool = [root + o + d for o in (0, 12) for d in _PENTATONIC]
    chosen = sorted(set(rng.choice(pool, size=5, replace=False).tolist()) | {root + 7})
    voices = [_Voice(_hz(root - 12), 0.0008, 0.0, 0.16, rng.uniform(40, 70), rng.uniform(0, 6.3)),
              _Voice(_hz(root - 5), 0.0010, 0.0, 0.08, rng.uniform(40, 70), rng.uniform(0, 6.3))]
    for m in chosen:
        voices.append(_Voice(_hz(m), rng.uniform(0.0008, 0.002), rng.uniform(-0.6, 0.6),
                             0.07, rng.uniform(22, 60), rng.uniform(0, 2 * math.pi)))
    noise_phase = float(rng.uniform(0, 2 * math.pi))
    return voices, noise_phase


def _fade(t: _Array, total: float) -> _Array:
    """Raised-cosine fade in at the start and out at the end."""
    fin = min(6.0, total / 4)
    fout = min(10.0, total / 3)
    up = np.clip(t / fin, 0, 1)
    down = np.clip((total - t) / fout, 0, 1)
    return np.asarray((0.5 - 0.5 * np.cos(np.pi * up)) * (0.5 - 0.5 * np.cos(np.pi * down)))


def _osc(freq: float, start: int, frames: int) -> NDArray[np.complex64]:
    """exp(i·2π·freq·n/rate) for n = start .. start + frames, exact from the absolute index.

    Built as an outer product of two short rotations (about 2·sqrt(frames) complex
    exponentials instead of ``frames`` sines), so a note costs one complex multiply a sample.
    The phases are reduced in double precision, so the result does not drift over hours.
    """
    step = freq / SAMPLE_RATE
    inner = max(1, int(math.isqrt(frames)))
    outer = -(-frames // inner)
    first = (step * start) % 1.0
    rows = np.exp(2j * np.pi * ((first + step * inner * np.arange(outer)) % 1.0))
    cols = np.exp(2j * np.pi * ((step * np.arange(inner)) % 1.0))
    grid = rows.astype(np.complex64)[:, None] * cols.astype(np.complex64)[None, :]
    return np.asarray(grid.ravel()[:frames], dtype=np.complex64)


def _block(start: int, frames: int, total: float, voices: list[_Voice], noise_phase: float,
           binaural_hz: float | None, noise: _Array) -> _Array:
    """Samples ``start .. start + frames`` of the bed as a (frames, 2) array."""
    h0, h1, h2 = (np.complex64(h) for h in _HARMONICS)
    out = np.zeros((2, frames), dtype=np.float32)
    for v in voices:
        lfo = (_osc(1 / v.period, start, frames) * np.complex64(np.exp(1j * v.phase))).imag
        swell = (np.float32(0.55) + np.float32(0.45) * lfo) ** 2
        left_gain, right_gain = math.sqrt(0.5 * (1 - v.pan)), math.sqrt(0.5 * (1 + v.pan))
        for ch, (ratio, gain) in enumerate(((1 - v.detune, left_gain), (1 + v.detune, right_gain))):
            z = _osc(v.freq * ratio, start, frames)
            tone = (z * (h0 + z * (h1 + h2 * z))).imag          # sin x + sin 2x + sin 3x, weighted
            out[ch] += np.float32(v.level * gain) * swell * tone
    if binaural_hz:
        carrier = 200.0
        for ch, f in enumerate((carrier, carrier + binaural_hz)):
            out[ch] += np.float32(0.05) * _osc(f, start, frames).imag
    waves = 0.6 + 0.4 * (_osc(1 / 11.0, start, frames)
                         * np.complex64(np.exp(1j * noise_phase))).imag.astype(np.float64)
    result = out.T.astype(np.float64) + noise * waves[:, None]
    fin, fout = min(6.0, total / 4), min(10.0, total / 3)
    if start < fin * SAMPLE_RATE or start + frames > (total - fout) * SAMPLE_RATE:
        t = np.arange(start, start + frames, dtype=np.float64) / SAMPLE_RATE
        result *= _fade(t, total)[:, None]
    return result


def render_music(seconds: float, out: Path, *, seed: int = 0, key: str = "D",
                 binaural_hz: float | None = None) -> Path:
    """Render ``seconds`` of ambient bed in ``key`` to a 48 kHz stereo 16-bit WAV at ``out``.

    ``binaural_hz`` adds a quiet binaural beat (200 Hz left, 200 + beat right; needs headphones).
    """
    if not (seconds > 0) or seconds > MAX_SECONDS:
        raise InputError(f"music length must be between 0 and {MAX_SECONDS // 60} minutes, "
                         f"not {seconds / 60:g}")
    if binaural_hz is not None and not 0.5 <= binaural_hz <= 40:
        raise InputError(f"binaural beat must be 0.5–40 Hz, not {binaural_hz}")
    voices, noise_phase = _plan(seed, key)
    total_frames = int(round(seconds * SAMPLE_RATE))
    b, a = butter(2, 700 / (SAMPLE_RATE / 2))
    zi = np.zeros((max(len(a), len(b)) - 1, 2))
    bound = sum(v.level * sum(_HARMONICS) for v in voices) + (0.05 if binaural_hz else 0) + 0.1
    gain = min(1.0, 0.7 / bound) * 1.6              # the swells never all peak together
    peak = 0.0
    block = BLOCK_SECONDS * SAMPLE_RATE
    with atomic_output(out, (".wav",)) as tmp:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            for index, start in enumerate(range(0, total_frames, block)):
                frames = min(block, total_frames - start)
                white = np.random.default_rng([seed, 3, index]).standard_normal((frames, 2))
                noise, zi = lfilter(b, a, white * 0.03, axis=0, zi=zi)
                samples = gain * _block(start, frames, seconds, voices, noise_phase,
                                        binaural_hz, noise)
                peak = max(peak, float(np.max(np.abs(samples))))
                if peak >= 0.98:
                    raise ValidationError(f"music bed would clip (peak {peak:.3f}); "
                                          "this is a bug in the mix levels")
                w.writeframes(np.round(samples * 32767).astype("<i2").tobytes())
        with wave.open(str(tmp), "rb") as r:
            if (r.getnframes(), r.getnchannels(), r.getframerate()) != \
                    (total_frames, 2, SAMPLE_RATE):
                raise ValidationError(f"{out}: music bed was not written in full")
    return Path(out)
