"""Voice over music: ducking under speech, music before the first word and after the last,
normalised to −16 LUFS integrated with true peak ≤ −1.5 dBTP, 48 kHz stereo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from ..errors import InputError
from .audio import SAMPLE_RATE, Samples, read_audio, resample, to_stereo, write_wav
from .files import atomic_output
from .loudness import integrated_lufs, normalise

__all__ = ["MixResult", "mix", "speech_activity", "fit_length"]

#: the music's loudness, before ducking, relative to the speech (the voice stays on top)
MUSIC_BELOW_VOICE_DB = 6.0
CROSSFADE = 3.0
FRAME = 0.02                         # seconds per activity frame


@dataclass(frozen=True)
class MixResult:
    """A written, measured mix."""

    path: Path
    duration: float
    lufs: float
    true_peak_dbtp: float


def speech_activity(voice: Samples, rate: int, *, threshold_db: float = -40.0,
                    before: float = 0.4, after: float = 1.0) -> NDArray[np.float64]:
    """Per-sample 0..1 envelope of where the voice speaks, held and smoothed.

    A frame speaks if its RMS is within ``threshold_db`` of the loudest frame; the envelope
    opens ``before`` s ahead of speech and closes ``after`` s behind it, with smooth ramps.
    """
    hop = max(1, int(FRAME * rate))
    mono = voice.mean(axis=1)
    frames = -(-len(mono) // hop)
    padded = np.zeros(frames * hop, dtype=np.float64)
    padded[:len(mono)] = mono
    rms = np.sqrt(np.mean(padded.reshape(frames, hop) ** 2, axis=1))
    loud = rms > (rms.max() * 10 ** (threshold_db / 20)) if rms.max() > 0 else rms > 1
    act = loud.astype(np.float64)
    b, a = int(before / FRAME), int(after / FRAME)
    act = maximum_filter1d(act, size=b + a + 1, origin=(a - b) // 2)
    act = uniform_filter1d(act, size=max(1, int(0.3 / FRAME)))
    envelope = np.repeat(act, hop)[:len(mono)]
    return np.asarray(uniform_filter1d(envelope, size=hop), dtype=np.float64)


def fit_length(music: Samples, frames: int, rate: int) -> Samples:
    """``music`` trimmed or looped (with an equal-power crossfade) to exactly ``frames``."""
    if len(music) >= frames:
        return music[:frames]
    fade = min(int(CROSSFADE * rate), len(music) // 3)
    if fade < 1:
        return np.resize(music, (frames, music.shape[1])).astype(np.float32)
    t = np.linspace(0, np.pi / 2, fade)[:, None]
    fade_in, fade_out = np.sin(t), np.cos(t)
    out = music.astype(np.float32).copy()
    while len(out) < frames:
        joined = out[-fade:] * fade_out + music[:fade] * fade_in
        out = np.concatenate([out[:-fade], joined.astype(np.float32), music[fade:]])
    return out[:frames]


def _ramp(frames: int, rate: int, fade_in: float, fade_out: float) -> NDArray[np.float64]:
    """A raised-cosine gain ramp: up over ``fade_in`` s at the start, down over ``fade_out``."""
    g = np.ones(frames)
    n_in, n_out = min(frames, int(fade_in * rate)), min(frames, int(fade_out * rate))
    if n_in:
        g[:n_in] *= 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n_in))
    if n_out:
        g[-n_out:] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, n_out))
    return g


def mix(voice: Path, music: Path | None, out: Path, *, lead_in: float = 3.0,
        tail: float = 15.0, duck_db: float = 18.0) -> MixResult:
    """Mix ``voice`` over ``music`` (or alone) into a 48 kHz stereo WAV at ``out``.

    Music plays ``lead_in`` s before the first word and fades over ``tail`` s after the last;
    under speech it is ducked by ``duck_db``. The result is −16 LUFS, true peak ≤ −1.5 dBTP.
    """
    from .quality import validate_audio

    if lead_in < 0 or tail < 0 or not 0 <= duck_db <= 60:
        raise InputError("lead-in and tail must be ≥ 0 s and ducking 0–60 dB")
    v_samples, v_rate = read_audio(voice, "voice file")
    v = to_stereo(resample(v_samples, v_rate))
    speech_lufs = integrated_lufs(v, SAMPLE_RATE)
    if not np.isfinite(speech_lufs) or speech_lufs < -70:
        raise InputError(f"voice file {voice} is silent; give a voice recording")
    lead, end = int(lead_in * SAMPLE_RATE), int(tail * SAMPLE_RATE)
    total = lead + len(v) + end
    track = np.zeros((total, 2), dtype=np.float32)
    track[lead:lead + len(v)] = v
    if music is not None:
        m_samples, m_rate = read_audio(music, "music file")
        m = fit_length(to_stereo(resample(m_samples, m_rate)), total, SAMPLE_RATE)
        music_lufs = integrated_lufs(m, SAMPLE_RATE)
        if np.isfinite(music_lufs) and music_lufs > -70:
            level = 10 ** ((speech_lufs - MUSIC_BELOW_VOICE_DB - music_lufs) / 20)
            activity = np.zeros(total)
            activity[lead:lead + len(v)] = speech_activity(v, SAMPLE_RATE)
            duck = 10 ** (-duck_db * activity / 20)
            gain = level * duck * _ramp(total, SAMPLE_RATE, min(2.0, lead_in / 2), tail)
            track += (m * gain[:, None]).astype(np.float32)
    track = normalise(track, SAMPLE_RATE, target_lufs=-16.0, ceiling_dbtp=-1.5)
    with atomic_output(out, (".wav",)) as tmp:
        write_wav(tmp, track, SAMPLE_RATE)
        facts = validate_audio(tmp, loudness=True, sample_rate=SAMPLE_RATE, channels=2,
                               expected_duration=total / SAMPLE_RATE)
    return MixResult(Path(out), total / SAMPLE_RATE, float(facts["lufs"]),
                     float(facts["true_peak_dbtp"]))
