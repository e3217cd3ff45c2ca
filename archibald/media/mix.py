"""Voice over music: ducking under speech, music before the first word and after the last,
normalised to −16 LUFS integrated with true peak ≤ −1.5 dBTP, 48 kHz stereo.

The ducking breathes instead of pumping: the music goes down ahead of the voice and rises only
in silences of :data:`RELEASE_AFTER` seconds or more (the craft's 3–5 s between sentences stay
down; the 10–30 s after an invitation open), and its gain never moves faster than
:data:`DUCK_RATE` dB per second (ramps of 2–3 s at the default depth). A sleep session winds
down: the whole track falls by ``wind_down_db`` over the minutes up to its last word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, ValidationError
from .audio import (fit_length, SAMPLE_RATE, Samples, frame_power, read_audio, resample, to_pcm16,
                    to_stereo, write_pcm16)
from .files import atomic_output
from .loudness import integrated_lufs, normalise

__all__ = ["MixResult", "mix", "fit_length", "duck_curve", "DUCK_RATE", "RELEASE_AFTER"]

#: the music's loudness, before ducking, relative to the speech (the voice stays on top)
MUSIC_BELOW_VOICE_DB = 6.0
#: default ducking: 6 + 14 = 20 dB under the voice while it speaks (the craft says 15–25)
DUCK_DB = 14.0
#: fastest the music's gain may move, dB/s: 14 dB in 2.5 s (issue 12 asks for ≤ 6)
DUCK_RATE = 5.5
#: the music rises only in silences at least this long (shorter pauses stay ducked). At 4 s
#: the craft's 4–5 s pauses between sentences swelled 10–14 dB (issue 25): a pause must leave
#: room for a rise worth hearing, and a sentence's pause is not an invitation's
RELEASE_AFTER = 8.0
#: how long the music waits after the last word before it starts to rise
RELEASE_HOLD = 0.6
#: a sleep session's track winds down over its last WIND_DOWN_SECONDS (or third, if shorter)
WIND_DOWN_SECONDS = 180.0
FRAME = 0.02                         # seconds per activity frame
MAX_PAD = 600.0                      # seconds: the longest lead-in or tail a mix takes


@dataclass(frozen=True)
class MixResult:
    """A written, measured mix."""

    path: Path
    duration: float
    lufs: float
    true_peak_dbtp: float
    #: the fastest the music's gain moved (ducking and wind-down), dB per second, measured
    #: on the written samples by :func:`archibald.quality.gain.music_gain_db`
    music_gain_rate: float = 0.0


def _per_sample(values: NDArray[np.float64], hop: int, frames: int) -> NDArray[np.float32]:
    """Per-frame ``values`` (frame k at sample k·hop) linearly interpolated to every sample."""
    count = -(-frames // hop)
    v = np.concatenate([values[:count], np.full(count + 1 - min(count, len(values)),
                                                 values[-1] if len(values) else 0.0)])
    step = np.arange(hop, dtype=np.float32) / np.float32(hop)
    start = v[:count].astype(np.float32)[:, None]
    slope = np.diff(v[:count + 1]).astype(np.float32)[:, None]
    return (start + slope * step[None, :]).ravel()[:frames]


def _speaking(voice: Samples, rate: int, threshold_db: float = -40.0) -> NDArray[np.bool_]:
    """Per FRAME: does the voice speak (RMS within ``threshold_db`` of its loudest frame)?"""
    rms = np.sqrt(frame_power(voice, max(1, int(FRAME * rate))))
    peak = float(rms.max()) if rms.size else 0.0
    return np.asarray(rms > peak * 10 ** (threshold_db / 20) if peak > 0 else rms > 1)


def duck_curve(speaking: NDArray[np.bool_], frame: float, duck_db: float, *,
               rate: float = DUCK_RATE, release_after: float = RELEASE_AFTER,
               hold: float = RELEASE_HOLD) -> NDArray[np.float64]:
    """The music's gain in dB per frame: ``-duck_db`` while the voice speaks and in pauses
    shorter than ``release_after`` s, 0 dB in longer silences (from ``hold`` s after the last
    word), never changing faster than ``rate`` dB/s.

    The curve is the highest one under those targets whose slope stays within ``rate``: it
    is already down when a word starts (the ramp runs ahead of the voice, which we know in
    advance) and rises only where the silence leaves room for it.
    """
    n = len(speaking)
    target = np.zeros(n)
    if not speaking.any():
        return target
    spoken = np.flatnonzero(speaking)
    target[spoken[0]:spoken[-1] + 1] = -duck_db              # ducked from first to last word
    change = np.diff(speaking.astype(np.int8))
    quiet_from = np.flatnonzero(change == -1) + 1             # first silent frame of a pause
    speaks_from = np.flatnonzero(change == 1) + 1             # first frame of speech after it
    for end, start in zip(quiet_from[quiet_from < spoken[-1]],
                          speaks_from[speaks_from > spoken[0]]):
        if (start - end) * frame >= release_after:            # a long silence: open it
            target[end + int(hold / frame):start] = 0.0
    target[spoken[-1] + 1:spoken[-1] + 1 + int(hold / frame)] = -duck_db
    step = rate * frame
    k = np.arange(n) * step
    forward = np.minimum.accumulate(target - k) + k          # min over j ≤ i of t[j] + r|i-j|
    backward = (np.minimum.accumulate((target + k)[::-1]) - k[::-1])[::-1]
    return np.asarray(np.minimum(forward, backward), dtype=np.float64)


def _wind_down(times: NDArray[np.float64], total: float, depth_db: float) -> NDArray[np.float64]:
    """dB per time: 0, then falling linearly to ``-depth_db`` by ``total`` s (the last word),
    over the minutes before it; the tail after it stays down (issue 25: ending the fall at
    the track's end left a 3-minute sleep session's last minute only 2.5 LU down)."""
    span = min(WIND_DOWN_SECONDS, total / 3)
    if depth_db <= 0 or span <= 0:
        return np.zeros_like(times)
    return np.asarray(-depth_db * np.clip((times - (total - span)) / span, 0, 1))


def _ramp(times: NDArray[np.float64], total: float, fade_in: float,
          fade_out: float) -> NDArray[np.float64]:
    """A gain at ``times`` (s): up over ``fade_in`` s (raised cosine), down over the last
    ``fade_out`` s of ``total`` (a quarter sine: a raised cosine over a sleep session's long,
    wound-down tail left its last 6 s under −70 dBFS, a hole to the mix check)."""
    g = np.ones_like(times)
    if fade_in > 0:
        g *= 0.5 - 0.5 * np.cos(np.pi * np.clip(times / fade_in, 0, 1))
    if fade_out > 0:
        g *= np.sin(0.5 * np.pi * np.clip((total - times) / fade_out, 0, 1))
    return g


def mix(voice: Path, music: Path | None, out: Path, *, lead_in: float = 3.0,
        tail: float = 15.0, duck_db: float = DUCK_DB, wind_down_db: float = 0.0) -> MixResult:
    """Mix ``voice`` over ``music`` (or alone) into a 48 kHz stereo WAV at ``out``.

    Music plays ``lead_in`` s before the first word and fades over ``tail`` s after the last;
    under speech and short pauses it is ducked by ``duck_db`` (see :func:`duck_curve`).
    ``wind_down_db`` (a sleep session) lowers voice and music together over the minutes up
    to the last word, and the tail stays that low.
    The result is −16 LUFS, true peak ≤ −1.5 dBTP, measured on the exact 16-bit samples
    written (the file is checked to hold them).
    """
    from ..quality.gain import gain_rate, music_gain_db
    from .quality import audio_facts, audio_misses

    if not (0 <= lead_in <= MAX_PAD and 0 <= tail <= MAX_PAD and 0 <= duck_db <= 60
            and 0 <= wind_down_db <= 30):
        raise InputError(f"lead-in and tail must be 0–{MAX_PAD:g} s, ducking 0–60 dB and "
                         f"wind-down 0–30 dB, not {lead_in:g} s, {tail:g} s, {duck_db:g} dB "
                         f"and {wind_down_db:g} dB")
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
    hop = int(FRAME * SAMPLE_RATE)
    times = np.arange(-(-total // hop) + 1, dtype=np.float64) * FRAME   # frame k at k·FRAME s
    wind = _wind_down(times, (lead + len(v)) / SAMPLE_RATE, wind_down_db)
    if wind_down_db > 0:
        track *= _per_sample(10 ** (wind / 20), hop, total)[:, None]
    music_rate = gain_rate(wind, FRAME, smooth=0)
    m: Samples | None = None
    if music is not None:
        m_samples, m_rate = read_audio(music, "music file")
        m = fit_length(to_stereo(resample(m_samples, m_rate)), total, SAMPLE_RATE)
        music_lufs = integrated_lufs(m, SAMPLE_RATE)
        if np.isfinite(music_lufs) and music_lufs > -70:
            level = 10 ** ((speech_lufs - MUSIC_BELOW_VOICE_DB - music_lufs) / 20)
            spoken = _speaking(v_native, v_rate)
            at = np.round((times - lead_in) * v_rate).astype(np.int64) // max(1, int(FRAME
                                                                                * v_rate))
            speaking = np.where((at >= 0) & (at < len(spoken)),
                                spoken[np.clip(at, 0, len(spoken) - 1)], False)
            gain_db = duck_curve(speaking, FRAME, duck_db) + wind
            gain = level * 10 ** (gain_db / 20) \
                * _ramp(times, total / SAMPLE_RATE, min(2.0, lead_in / 2), tail)
            track += m * _per_sample(gain, hop, total)[:, None]
    track = normalise(track, SAMPLE_RATE, target_lufs=-16.0, ceiling_dbtp=-1.5)
    pcm = to_pcm16(track)
    if m is not None:            # what was written, from after the fade-in to the last word
        course = music_gain_db(pcm.astype(np.float32) / np.float32(32768.0), SAMPLE_RATE,
                               m, SAMPLE_RATE, voice=(v, SAMPLE_RATE), lead_in=lead_in)
        music_rate = gain_rate(course[int(min(2.0, lead_in / 2) / 0.1) + 1:
                                      int((lead + len(v)) / SAMPLE_RATE / 0.1)], 0.1)
    facts = audio_facts(pcm.astype(np.float32) / np.float32(32768.0), SAMPLE_RATE)
    misses = audio_misses(facts, sample_rate=SAMPLE_RATE, channels=2,
                          expected_duration=total / SAMPLE_RATE)
    if misses:
        raise ValidationError(f"{out}: the mix " + "; ".join(misses))
    with atomic_output(out, (".wav",)) as tmp:
        write_pcm16(tmp, pcm, SAMPLE_RATE)
        _check_written(tmp, pcm, SAMPLE_RATE)
    return MixResult(Path(out), total / SAMPLE_RATE, float(facts["lufs"]),
                     float(facts["true_peak_dbtp"]), round(music_rate, 3))


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
