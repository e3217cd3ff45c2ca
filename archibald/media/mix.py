"""Voice over music: ducking under speech, music before the first word and after the last,
normalised to −16 LUFS integrated with true peak ≤ −1.5 dBTP, 48 kHz stereo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from ..errors import InputError, ValidationError
from .audio import SAMPLE_RATE, Samples, frame_power, read_audio, resample, to_pcm16, to_stereo, write_pcm16
from .files import atomic_output
from .loudness import integrated_lufs, normalise

__all__ = ["MixResult", "mix", "speech_activity", "fit_length"]

#: the music's loudness, before ducking, relative to the speech (the voice stays on top)
MUSIC_BELOW_VOICE_DB = 6.0
CROSSFADE = 3.0
FRAME = 0.02                         # seconds per activity frame
MAX_PAD = 600.0                      # seconds: the longest lead-in or tail a mix takes


@dataclass(frozen=True)
class MixResult:
    """A written, measured mix."""

    path: Path
    duration: float
    lufs: float
    true_peak_dbtp: float


def _activity_frames(voice: Samples, rate: int, *, threshold_db: float = -40.0,
                     before: float = 0.4, after: float = 1.0) -> NDArray[np.float64]:
    """0..1 speech activity per FRAME-long frame of ``voice``, held and smoothed."""
    rms = np.sqrt(frame_power(voice, max(1, int(FRAME * rate))))
    loud = rms > (rms.max() * 10 ** (threshold_db / 20)) if rms.max() > 0 else rms > 1
    act = loud.astype(np.float64)
    b, a = int(before / FRAME), int(after / FRAME)
    act = maximum_filter1d(act, size=b + a + 1, origin=(a - b) // 2)
    return np.asarray(uniform_filter1d(act, size=max(1, int(0.3 / FRAME))), dtype=np.float64)


def speech_activity(voice: Samples, rate: int, *, threshold_db: float = -40.0,
                    before: float = 0.4, after: float = 1.0) -> NDArray[np.float64]:
    """Per-sample 0..1 envelope of where the voice speaks, held and smoothed.

    A frame speaks if its RMS is within ``threshold_db`` of the loudest frame; the envelope
    opens ``before`` s ahead of speech and closes ``after`` s behind it, with smooth ramps.
    """
    data = voice if voice.ndim == 2 else voice[:, None]
    act = _activity_frames(data, rate, threshold_db=threshold_db, before=before, after=after)
    return _per_sample(act, max(1, int(FRAME * rate)), data.shape[0]).astype(np.float64)


def _per_sample(values: NDArray[np.float64], hop: int, frames: int) -> NDArray[np.float32]:
    """Per-frame ``values`` (frame k at sample k·hop) linearly interpolated to every sample."""
    count = -(-frames // hop)
    v = np.concatenate([values[:count], np.full(count + 1 - min(count, len(values)),
                                                 values[-1] if len(values) else 0.0)])
    step = np.arange(hop, dtype=np.float32) / np.float32(hop)
    start = v[:count].astype(np.float32)[:, None]
    slope = np.diff(v[:count + 1]).astype(np.float32)[:, None]
    return (start + slope * step[None, :]).ravel()[:frames]


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


def _ramp(times: NDArray[np.float64], total: float, fade_in: float,
          fade_out: float) -> NDArray[np.float64]:
    """A raised-cosine gain at ``times`` (s): up over ``fade_in`` s, down over the last
    ``fade_out`` s of ``total``."""
    g = np.ones_like(times)
    if fade_in > 0:
        g *= 0.5 - 0.5 * np.cos(np.pi * np.clip(times / fade_in, 0, 1))
    if fade_out > 0:
        g *= 0.5 - 0.5 * np.cos(np.pi * np.clip((total - times) / fade_out, 0, 1))
    return g


def mix(voice: Path, music: Path | None, out: Path, *, lead_in: float = 3.0,
        tail: float = 15.0, duck_db: float = 18.0) -> MixResult:
    """Mix ``voice`` over ``music`` (or alone) into a 48 kHz stereo WAV at ``out``.

    Music plays ``lead_in`` s before the first word and fades over ``tail`` s after the last;
    under speech it is ducked by ``duck_db``. The result is −16 LUFS, true peak ≤ −1.5 dBTP,
    measured on the exact 16-bit samples written (the file is checked to hold them).
    """
    from .quality import audio_facts, audio_misses

    if not (0 <= lead_in <= MAX_PAD and 0 <= tail <= MAX_PAD and 0 <= duck_db <= 60):
        raise InputError(f"lead-in and tail must be 0–{MAX_PAD:g} s and ducking 0–60 dB, not "
                         f"{lead_in:g} s, {tail:g} s and {duck_db:g} dB")
    v_native, v_rate = read_audio(voice, "voice file")
    # loudness and speech activity at the voice's own rate; a mono voice played on two
    # channels is 3.01 dB louder (BS.1770 sums the channels' power)
    speech_lufs = integrated_lufs(v_native, v_rate)
    if v_native.shape[1] == 1:
        speech_lufs += 10 * np.log10(2)
    if not np.isfinite(speech_lufs) or speech_lufs < -70:
        raise InputError(f"voice file {voice} is silent; give a voice recording")
    v = resample(v_native[:, :2], v_rate)
    lead, end = int(lead_in * SAMPLE_RATE), int(tail * SAMPLE_RATE)
    total = lead + len(v) + end
    track = np.zeros((total, 2), dtype=np.float32)
    track[lead:lead + len(v)] = v                    # a mono voice goes to both channels
    if music is not None:
        m_samples, m_rate = read_audio(music, "music file")
        m = fit_length(to_stereo(resample(m_samples, m_rate)), total, SAMPLE_RATE)
        music_lufs = integrated_lufs(m, SAMPLE_RATE)
        if np.isfinite(music_lufs) and music_lufs > -70:
            level = 10 ** ((speech_lufs - MUSIC_BELOW_VOICE_DB - music_lufs) / 20)
            hop = int(FRAME * SAMPLE_RATE)
            times = np.arange(-(-total // hop) + 1, dtype=np.float64) * FRAME   # k at k·FRAME s
            voice_frames = _activity_frames(v_native, v_rate)
            activity = np.interp(times - lead_in, np.arange(len(voice_frames)) * FRAME,
                                 voice_frames, left=0.0, right=0.0)
            gain = level * 10 ** (-duck_db * activity / 20) \
                * _ramp(times, total / SAMPLE_RATE, min(2.0, lead_in / 2), tail)
            track += m * _per_sample(gain, hop, total)[:, None]
    track = normalise(track, SAMPLE_RATE, target_lufs=-16.0, ceiling_dbtp=-1.5)
    pcm = to_pcm16(track)
    facts = audio_facts(pcm.astype(np.float32) / np.float32(32768.0), SAMPLE_RATE)
    misses = audio_misses(facts, sample_rate=SAMPLE_RATE, channels=2,
                          expected_duration=total / SAMPLE_RATE)
    if misses:
        raise ValidationError(f"{out}: the mix " + "; ".join(misses))
    with atomic_output(out, (".wav",)) as tmp:
        write_pcm16(tmp, pcm, SAMPLE_RATE)
        _check_written(tmp, pcm, SAMPLE_RATE)
    return MixResult(Path(out), total / SAMPLE_RATE, float(facts["lufs"]),
                     float(facts["true_peak_dbtp"]))


def _check_written(path: Path, pcm: NDArray[np.int16], rate: int) -> None:
    """The WAV at ``path`` holds exactly ``pcm`` at ``rate`` (header and a sample of data)."""
    import wave

    try:
        with wave.open(str(path), "rb") as w:
            shape = (w.getnframes(), w.getnchannels(), w.getframerate(), w.getsampwidth())
            w.setpos(max(0, shape[0] - 4800))
            last = np.frombuffer(w.readframes(4800), dtype="<i2")
    except (wave.Error, EOFError, OSError) as exc:
        raise ValidationError(f"{path}: the mix could not be read back ({exc})") from exc
    if shape != (pcm.shape[0], pcm.shape[1], rate, 2) or \
            not np.array_equal(last, pcm[max(0, len(pcm) - 4800):].ravel()):
        raise ValidationError(f"{path}: the mix was not written in full")
