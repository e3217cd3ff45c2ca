"""The mix: loudness and true peak measured, ducking, lead-in and tail, looping, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from media_helpers import run_cli
from archibald.media.audio import read_audio, write_wav
from archibald.media.mix import duck_curve, fit_length, mix
from archibald.media.music import render_music
from archibald.media.quality import loudness_per_minute, score_audio
from archibald.quality.gain import gain_rate, music_gain_db


def _voice(path: Path, rate: int = 22050) -> Path:
    """A speech-like stand-in: 1 s bursts of modulated tone and noise, 1 s gaps, mono 22 kHz."""
    rng = np.random.default_rng(5)
    t = np.arange(int(4.0 * rate)) / rate
    burst = (np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
             + 0.2 * rng.standard_normal(len(t)))
    on = ((t % 2.0) < 1.0).astype(float)
    return write_wav(path, (0.5 * burst * on).astype(np.float32), rate)


@pytest.fixture(scope="module")
def music_bed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_music(4.0, tmp_path_factory.mktemp("bed") / "music.wav", seed=1)


def _true_peak_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.max(np.abs(resample_poly(x, 4, 1, axis=0)))))


def test_mix_meets_loudness_peak_and_format(work: Path, music_bed: Path) -> None:
    voice = _voice(work / "voice.wav")
    result = mix(voice, music_bed, work / "mix.wav", lead_in=1.0, tail=2.0)
    samples, rate = read_audio(result.path)
    assert rate == 48000 and samples.shape[1] == 2
    assert result.duration == pytest.approx(1.0 + 4.0 + 2.0, abs=0.01)
    assert len(samples) / rate == pytest.approx(result.duration, abs=0.01)
    # measured here independently: BS.1770 (pyloudnorm) and 4x-oversampled peak
    lufs = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
    assert lufs == pytest.approx(-16.0, abs=1.0)
    assert _true_peak_db(samples) <= -1.5
    assert np.max(np.abs(samples)) < 0.99
    assert result.lufs == pytest.approx(lufs, abs=0.05)
    score, details = score_audio(result.path)
    assert score > 0.9, details


def _tone_level(x: np.ndarray, rate: int, hz: float) -> float:
    """Amplitude of the ``hz`` component of a mono window (windowed DFT at one bin)."""
    n = np.arange(len(x))
    w = np.hanning(len(x))
    return float(abs(np.sum(x * w * np.exp(-2j * np.pi * hz * n / rate))) / np.sum(w) * 2)


def _phrases(path: Path, spans: list[tuple[float, float]], seconds: float,
             rate: int = 22050) -> Path:
    """A voice stand-in: a 180 Hz tone (nothing near the music's 3 kHz) during ``spans``."""
    t = np.arange(int(seconds * rate)) / rate
    envelope = np.zeros(len(t))
    for a, b in spans:                                    # each phrase swells and fades
        inside = (t >= a) & (t < b)
        envelope[inside] = 0.3 + 0.7 * np.sin(np.pi * (t[inside] - a) / (b - a))
    tone = np.sin(2 * np.pi * 180 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3.1 * t))
    return write_wav(path, (0.4 * tone * envelope).astype(np.float32), rate)


def test_music_breathes_ducked_through_short_pauses_rising_only_in_long_silences(
        work: Path) -> None:
    rate = 48000
    t = np.arange(int(40 * rate)) / rate
    write_wav(work / "tone.wav", (0.2 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32), rate)
    # phrases 1.5 s long with 2 s gaps (the old mix pumped up in each), a 12 s silence, more
    spans = [(0.0, 1.5), (3.5, 5.0), (7.0, 8.5), (20.5, 22.0), (24.0, 25.5)]
    voice = _phrases(work / "voice.wav", spans, 26.0)
    result = mix(voice, work / "tone.wav", work / "mix.wav", lead_in=4.0, tail=6.0)
    samples, _ = read_audio(result.path)
    window = 0.1
    v, v_rate = read_audio(voice)
    tone, tone_rate = read_audio(work / "tone.wav")
    # the one measure of the music's gain: the voice fitted out, the bed compared
    music_db = music_gain_db(samples, rate, tone, tone_rate, voice=(v, v_rate), lead_in=4.0)

    def level(a: float, b: float) -> float:
        return float(np.nanmedian(music_db[int((4.0 + a) / window):int((4.0 + b) / window)]))

    before = level(-2.1, -1.9)                             # the lead-in: music before a word
    assert abs(level(1.6, 3.4) - level(5.1, 6.9)) < 1.0    # 2 s pauses stay ducked
    assert before - level(1.8, 3.2) > 8
    assert level(13.0, 16.0) - level(1.8, 3.2) == pytest.approx(14.0, abs=1.5)  # 12 s opens
    # the gain never moves faster than 6 dB/s from the first word to the tail's fade
    assert gain_rate(music_db[int(4.0 / window):int(30.0 / window)], window) <= 6.0
    assert result.music_gain_rate <= 6.0


def test_duck_curve_moves_at_most_its_rate_and_is_down_whenever_the_voice_speaks() -> None:
    rng = np.random.default_rng(3)
    speaking = rng.random(3000) < 0.3                     # 60 s of 20 ms frames, speech-ish
    speaking[1000:1500] = False                           # one 10 s silence
    gain = duck_curve(speaking, 0.02, 14.0)
    assert np.allclose(gain[speaking], -14.0)
    assert np.max(np.abs(np.diff(gain))) / 0.02 <= 5.5 + 1e-9
    assert gain[1250] == pytest.approx(0.0)               # open in the long silence only
    assert gain[200:900].max() == pytest.approx(-14.0)


def test_a_sleep_session_winds_down_three_lu_below_its_middle(work: Path,
                                                               music_bed: Path) -> None:
    spans = [(s, s + 2.5) for s in np.arange(0.5, 230.0, 6.0)]
    voice = _phrases(work / "voice.wav", spans, 232.0, rate=16000)
    result = mix(voice, music_bed, work / "sleep.wav", lead_in=3.0, tail=15.0,
                 wind_down_db=8.0)
    samples, rate = read_audio(result.path)
    minutes = loudness_per_minute(samples, rate)
    assert len(minutes) == 5
    assert minutes[1] - minutes[-1] >= 3.0, minutes
    assert result.lufs == pytest.approx(-16.0, abs=1.0)


def test_voice_alone_and_music_looped_to_length(work: Path, music_bed: Path) -> None:
    voice = _voice(work / "voice.wav")
    alone = mix(voice, None, work / "alone.wav", lead_in=0.5, tail=0.5)
    assert alone.lufs == pytest.approx(-16.0, abs=1.0) and alone.true_peak_dbtp <= -1.5
    m = read_audio(music_bed)[0]
    looped = fit_length(m, 3 * len(m), 48000)
    assert looped.shape == (3 * len(m), 2)
    long_mix = mix(voice, music_bed, work / "long.wav", lead_in=1.0, tail=6.0)  # > 4 s bed
    assert long_mix.duration == pytest.approx(11.0, abs=0.01)


def test_mix_command(work: Path, music_bed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    voice = _voice(work / "voice.wav")
    out = work / "mix.wav"
    assert run_cli(["mix", "--voice", str(voice), "--music", str(music_bed), "--out", str(out),
                    "--lead-in", "1", "--tail", "1"]) == 0
    assert "LUFS" in capsys.readouterr().out and out.exists()


@pytest.mark.parametrize("kind", ["missing", "empty-file", "zero-length", "corrupt", "silent"])
def test_mix_bad_voice_exits_2_one_line_no_file(work: Path, music_bed: Path, kind: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    voice = work / "voice.wav"
    if kind == "empty-file":
        voice.touch()
    elif kind == "zero-length":
        write_wav(voice, np.zeros((0, 1), np.float32), 22050)
    elif kind == "corrupt":
        voice.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk" * 50)
    elif kind == "silent":
        write_wav(voice, np.zeros((22050, 1), np.float32), 22050)
    out = work / "mix.wav"
    assert run_cli(["mix", "--voice", str(voice), "--music", str(music_bed),
                    "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archibald: error:") and len(err.splitlines()) == 1
    assert not out.exists()
    assert all(not p.startswith(".mix") for p in os.listdir(work))


def test_mix_bad_music_and_unwritable_output_exit_2(work: Path) -> None:
    voice = _voice(work / "voice.wav")
    bad = work / "music.wav"
    bad.write_bytes(b"not audio" * 100)
    assert run_cli(["mix", "--voice", str(voice), "--music", str(bad),
                    "--out", str(work / "m.wav")]) == 2
    assert run_cli(["mix", "--voice", str(voice), "--out", str(work / "no" / "m.wav")]) == 2
    assert sorted(os.listdir(work)) == ["music.wav", "voice.wav"]


def test_silence_holes_are_judged_by_kind_of_track(work: Path) -> None:
    rate = 48000
    t = np.arange(rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    gap = np.zeros(6 * rate, np.float32)
    mono = write_wav(work / "narration.wav", np.concatenate([tone, gap, tone]), rate)
    stereo = write_wav(work / "mix.wav",
                       np.stack([np.concatenate([tone, gap, tone])] * 2, axis=1), rate)
    assert score_audio(mono)[1]["parts"]["silence"] == 1.0       # a deliberate pause
    assert score_audio(stereo)[1]["parts"]["silence"] < 1.0      # a hole in a mix
    assert score_audio(mono, max_silence=2.0)[1]["parts"]["silence"] < 1.0
