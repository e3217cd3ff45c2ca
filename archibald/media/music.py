"""An ambient bed of any length, synthesised with NumPy: a drone under slowly changing
consonant chords, soft bells, and nature ambience (rain, waves, wind, birdsong) from the topic.

Rendered block by block (10 s at a time) from absolute sample times, so joins between
blocks are exact (no clicks) and memory stays flat for hours of audio. The seed decides every
random choice, so the same seed gives the same samples. Toward the end the bed thins (the upper
voices and the bells fall away) and fades; a sleep session's bed falls further, to rest.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, sosfilt

from ..errors import InputError, ValidationError
from .audio import SAMPLE_RATE
from .files import atomic_output

__all__ = ["render_music", "key_root_midi", "ambience_for", "AMBIENCES", "MAX_SECONDS"]

BLOCK_SECONDS = 10
MAX_SECONDS = 4 * 3600
_PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_PENTATONIC = (0, 2, 4, 7, 9)
_HARMONICS = (1.0, 0.35, 0.12)               # a soft, flute-like pad timbre
#: chords over the tonic drone, as semitones above the root: I, vi, IV, Isus2, Iadd9, IVadd9
_CHORDS = ((0, 4, 7), (-3, 0, 4), (5, 9, 12), (0, 2, 7), (4, 7, 14), (5, 9, 14))
#: inharmonic partials of a small bell (ratio, relative level, decay seconds)
_BELL = ((1.0, 1.0, 5.0), (2.76, 0.4, 2.2), (5.4, 0.15, 1.0))
AMBIENCES = ("rain", "waves", "wind", "birdsong")
#: topic words → the nature sounds under the music
_AMBIENCE_WORDS: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "rainy", "storm", "cloud", "clouds", "cozy", "window", "autumn"),
    "waves": ("ocean", "sea", "beach", "wave", "waves", "water", "shore", "lake", "river",
              "tide", "island", "sleep", "night"),
    "wind": ("wind", "mountain", "mountains", "sky", "air", "hill", "hills", "winter", "snow",
             "desert", "space", "valley", "breath", "breathing", "open"),
    "birdsong": ("forest", "garden", "morning", "bird", "birds", "spring", "nature", "meadow",
                 "dawn", "park", "tree", "trees", "walk", "sunrise", "gratitude", "joy"),
}
#: the last part of the bed in which it thins and fades (a sleep session's falls further)
_THIN_SHARE, _THIN_DB, _SLEEP_DB = 0.3, 4.0, 10.0
_CONTROL = SAMPLE_RATE // 100              # samples per step of the slow envelopes
_RING = 7.0                                # seconds a bell sounds (its fundamental: -30 dB)
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


def ambience_for(topic: str) -> tuple[str, ...]:
    """The nature sounds a topic calls for (at most two; soft wind when it names none)."""
    found: list[str] = []
    for word in "".join(c if c.isalnum() else " " for c in topic.lower()).split():
        for name, words in _AMBIENCE_WORDS.items():
            if (word in words or word.rstrip("s") in words) and name not in found:
                found.append(name)
    return tuple(found[:2]) or ("wind",)


@dataclass(frozen=True)
class _Voice:
    """One sustained note: frequency, stereo detune, pan, level and slow swell."""

    freq: float
    detune: float
    pan: float
    level: float
    period: float
    phase: float


@dataclass(frozen=True)
class _Plan:
    """Every random choice of a bed, made once from the seed."""

    drones: list[_Voice]
    pitches: list[_Voice]                 # every note any chord uses
    member: NDArray[np.float32]           # (pitch, chord step): 1 if the chord holds it
    chord_seconds: float
    bells: list[tuple[float, float, float, float]]     # start s, Hz, level, pan
    ambience: tuple[str, ...]
    chirps: list[tuple[float, float, float, float]]    # start s, Hz, length s, level
    noise_phase: float


def _plan(seed: int, key: str, seconds: float, topic: str) -> _Plan:
    rng = np.random.default_rng([seed, 2])
    root = key_root_midi(key)
    drones = [_Voice(_hz(root - 12), 0.0008, 0.0, 0.16, rng.uniform(40, 70), rng.uniform(0, 6.3)),
              _Voice(_hz(root - 5), 0.0010, 0.0, 0.08, rng.uniform(40, 70), rng.uniform(0, 6.3))]
    steps = [int(i) for i in rng.permutation(len(_CHORDS))[:4]]
    notes = sorted({root + 12 + n for c in steps for n in _CHORDS[c]})
    pitches = [_Voice(_hz(m), rng.uniform(0.0008, 0.002), rng.uniform(-0.6, 0.6), 0.06,
                      rng.uniform(22, 50), rng.uniform(0, 2 * math.pi)) for m in notes]
    member = np.array([[1.0 if m - root - 12 in _CHORDS[c] else 0.0 for c in steps]
                       for m in notes], dtype=np.float32)
    bells: list[tuple[float, float, float, float]] = []
    t = rng.uniform(4, 10)
    while t < seconds:
        bells.append((t, _hz(root + 24 + int(rng.choice(_PENTATONIC))),
                      rng.uniform(0.025, 0.05), rng.uniform(-0.5, 0.5)))
        t += rng.uniform(9, 22)
    ambience = ambience_for(topic)
    chirps: list[tuple[float, float, float, float]] = []
    if "birdsong" in ambience:
        t = rng.uniform(2, 8)
        while t < seconds:
            song, base = int(rng.integers(2, 6)), rng.uniform(2600, 4200)
            for k in range(song):
                chirps.append((t + 0.22 * k, base * rng.uniform(0.9, 1.15),
                               rng.uniform(0.08, 0.16), rng.uniform(0.02, 0.04)))
            t += rng.uniform(6, 18)
    return _Plan(drones, pitches, member, float(rng.uniform(20, 30)), bells, ambience, chirps,
                 float(rng.uniform(0, 2 * math.pi)))


def _level(t: _Array, total: float, sleep: bool) -> _Array:
    """The bed's overall gain at ``t``: fades in, thins and falls toward the end, fades out."""
    fin, fout = min(6.0, total / 4), min(10.0, total / 3)
    up = np.clip(t / fin, 0, 1)
    down = np.clip((total - t) / fout, 0, 1)
    fade = (0.5 - 0.5 * np.cos(np.pi * up)) * (0.5 - 0.5 * np.cos(np.pi * down))
    fall = (_SLEEP_DB if sleep else _THIN_DB) * _thinning(t, total)
    return np.asarray(fade * 10 ** (-fall / 20))


def _thinning(t: _Array, total: float) -> _Array:
    """0 until the last _THIN_SHARE of the bed, then rising smoothly to 1 at its end."""
    x = np.clip((t - total * (1 - _THIN_SHARE)) / (total * _THIN_SHARE), 0, 1)
    return np.asarray(x * x * (3 - 2 * x))


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


def _pad(out: NDArray[np.float32], v: _Voice, start: int, t: _Array, slow: _Array,
         gain: _Array | float = 1.0) -> None:
    """Add one slowly swelling, detuned pad note to ``out`` (2, frames).

    The swell (and ``gain``, per ``slow`` control point) change over tens of seconds, so
    they are computed at the control rate and interpolated: one pass instead of five.
    """
    frames = len(t)
    h0, h1, h2 = (np.complex64(h) for h in _HARMONICS)
    swell = (0.55 + 0.45 * np.sin(2 * np.pi * slow / v.period + v.phase)) ** 2 * gain
    envelope = np.interp(t, slow, swell).astype(np.float32)
    left_gain, right_gain = math.sqrt(0.5 * (1 - v.pan)), math.sqrt(0.5 * (1 + v.pan))
    for ch, (ratio, pan) in enumerate(((1 - v.detune, left_gain), (1 + v.detune, right_gain))):
        z = _osc(v.freq * ratio, start, frames)
        tone = (z * (h0 + z * (h1 + h2 * z))).imag          # sin x + sin 2x + sin 3x, weighted
        tone *= envelope
        out[ch] += np.float32(v.level * pan) * tone


def _bells(out: NDArray[np.float32], plan: _Plan, t: _Array, total: float) -> None:
    """Add the bell strikes sounding in this block; they fall away as the bed thins."""
    t0, t1 = float(t[0]), float(t[-1])
    for start, freq, level, pan in plan.bells:
        if start > t1 or start + _RING < t0:
            continue
        keep = 1.0 - float(_thinning(np.array([start]), total)[0])
        first = max(0, int(np.searchsorted(t, start)))
        last = int(np.searchsorted(t, start + _RING))
        if last <= first or keep <= 0.05:
            continue
        s = (t[first:last] - start).astype(np.float32)
        ring = sum(np.float32(lv) * np.exp(-s / np.float32(decay))
                   * np.sin(np.float32(2 * np.pi * freq * ratio) * s)
                   for ratio, lv, decay in _BELL) * np.minimum(np.float32(1.0), s / 0.01)
        for ch, g in enumerate((math.sqrt(0.5 * (1 - pan)), math.sqrt(0.5 * (1 + pan)))):
            out[ch, first:last] += np.float32(level * keep * g) * ring


class _Nature:
    """Filtered noise and chirps for the bed's ambience, continuous across blocks."""

    def __init__(self, plan: _Plan, seed: int) -> None:
        self.plan, self.seed = plan, seed
        rate = SAMPLE_RATE
        self.filters = {
            "rain": butter(2, [900, 7000], btype="bandpass", fs=rate, output="sos"),
            "waves": butter(2, 500, fs=rate, output="sos"),
            "wind": butter(2, [180, 900], btype="bandpass", fs=rate, output="sos"),
            "drops": butter(2, [2500, 5000], btype="bandpass", fs=rate, output="sos"),
        }
        self.state = {name: np.zeros((sos.shape[0], 2, 2)) for name, sos in self.filters.items()}

    def _filtered(self, name: str, noise: NDArray[np.float32]) -> _Array:
        out = np.empty(noise.shape)
        for ch in range(2):
            out[:, ch], self.state[name][:, ch] = sosfilt(self.filters[name], noise[:, ch],
                                                          zi=self.state[name][:, ch])
        return out

    def block(self, index: int, t: _Array) -> _Array:
        frames = len(t)
        rng = np.random.default_rng([self.seed, 5, index])
        out = np.zeros((frames, 2))
        phase = self.plan.noise_phase
        slow = t[::_CONTROL]                               # slow envelopes at 100 Hz

        def white() -> NDArray[np.float32]:
            # uniform, scaled to unit variance: after the filters it is as good as Gaussian,
            # and three times cheaper to draw
            noise = rng.random((frames, 2), dtype=np.float32)
            noise -= np.float32(0.5)
            noise *= np.float32(math.sqrt(12))
            return noise

        def envelope(values: _Array) -> _Array:
            return np.interp(t, slow, values)[:, None]

        for name in self.plan.ambience:
            if name == "rain":
                patter = 0.8 + 0.2 * np.sin(2 * np.pi * slow / 13.0 + phase)
                out += 0.05 * self._filtered("rain", white()) * envelope(patter)
                drops = np.zeros((frames, 2), dtype=np.float32)
                count = int(rng.poisson(frames * 2 * 0.0004))
                drops.ravel()[rng.integers(0, frames * 2, count)] = rng.standard_normal(count)
                out += 0.25 * self._filtered("drops", drops)
            elif name == "waves":
                swell = 0.5 - 0.5 * np.cos(2 * np.pi * slow / 10.5 + phase)
                out += 0.22 * self._filtered("waves", white()) * envelope(0.15 + swell ** 2)
            elif name == "wind":
                gust = 0.6 + 0.25 * np.sin(2 * np.pi * slow / 17.0 + phase) \
                    + 0.15 * np.sin(2 * np.pi * slow / 7.3 + 2 * phase)
                out += 0.09 * self._filtered("wind", white()) * envelope(gust)
            elif name == "birdsong":
                self._chirps(out, t)
        return out

    def _chirps(self, out: _Array, t: _Array) -> None:
        t0, t1 = float(t[0]), float(t[-1])
        for start, freq, length, level in self.plan.chirps:
            if start > t1 or start + length < t0:
                continue
            inside = (t >= start) & (t < start + length)
            s = t[inside] - start
            # rising a quarter over the chirp, with a 28 Hz warble: the phase in closed form,
            # so a chirp across two blocks joins exactly
            phase = 2 * np.pi * freq * (s + 0.125 * s * s / length) \
                - 120 / 28 * np.cos(2 * np.pi * 28 * s)
            tone = level * np.sin(np.pi * s / length) ** 2 * np.sin(phase)
            out[inside, 0] += tone * 0.8
            out[inside, 1] += tone


def _block(start: int, frames: int, total: float, plan: _Plan, nature: _Nature, index: int,
           binaural_hz: float | None, sleep: bool) -> _Array:
    """Samples ``start .. start + frames`` of the bed as a (frames, 2) array."""
    out = np.zeros((2, frames), dtype=np.float32)
    t = np.arange(start, start + frames, dtype=np.float64) / SAMPLE_RATE
    slow = np.append(t[::_CONTROL], t[-1])                   # slow changes at 100 Hz
    for v in plan.drones:
        _pad(out, v, start, t, slow)
    steps = plan.member.shape[1]
    u = slow / plan.chord_seconds
    now = np.floor(u).astype(np.int64)
    x = np.clip((u - now - 0.7) / 0.3, 0, 1)                  # the last 30% crossfades
    toward = x * x * (3 - 2 * x)
    upper = 1 - _thinning(slow, total)                        # the top notes fall away
    for i, v in enumerate(plan.pitches):
        held = plan.member[i][now % steps] * (1 - toward) + plan.member[i][(now + 1) % steps] \
            * toward
        if i >= len(plan.pitches) // 2:
            held = held * upper
        if held.any():
            _pad(out, v, start, t, slow, held)
    _bells(out, plan, t, total)
    if binaural_hz:
        carrier = 200.0
        for ch, f in enumerate((carrier, carrier + binaural_hz)):
            out[ch] += np.float32(0.05) * _osc(f, start, frames).imag
    result = out.T.astype(np.float64) + nature.block(index, t)
    slow = np.append(t[::_CONTROL], t[-1])
    level = _level(slow, total, sleep)
    if np.all(level == 1.0):
        return result
    return np.asarray(result * np.interp(t, slow, level)[:, None])


def render_music(seconds: float, out: Path, *, seed: int = 0, key: str = "D",
                 binaural_hz: float | None = None, topic: str = "", sleep: bool = False) -> Path:
    """Render ``seconds`` of ambient bed in ``key`` to a 48 kHz stereo 16-bit WAV at ``out``.

    ``topic`` chooses the nature sounds (:func:`ambience_for`); ``sleep`` lets the end fall
    further. ``binaural_hz`` adds a quiet binaural beat (200 Hz left, 200 + beat right; needs
    headphones).
    """
    if not (seconds > 0) or seconds > MAX_SECONDS:
        raise InputError(f"music length must be between 0 and {MAX_SECONDS // 60} minutes, "
                         f"not {seconds / 60:g}")
    if binaural_hz is not None and not 0.5 <= binaural_hz <= 40:
        raise InputError(f"binaural beat must be 0.5–40 Hz, not {binaural_hz}")
    plan = _plan(seed, key, seconds, topic)
    nature = _Nature(plan, seed)
    total_frames = int(round(seconds * SAMPLE_RATE))
    # the loudest the sum can be: drones, the notes of the fullest chord, a bell, the nature
    bound = sum(v.level for v in plan.drones) * sum(_HARMONICS) \
        + 3 * 0.06 * sum(_HARMONICS) + 0.05 * 1.55 + (0.05 if binaural_hz else 0) + 0.3
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
                samples = gain * _block(start, frames, seconds, plan, nature, index,
                                        binaural_hz, sleep)
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
