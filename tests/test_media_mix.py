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
from archibald.media.mix import fit_length, mix, speech_activity
from archibald.media.music import render_music
from archibald.media.quality import score_audio


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


def test_music_plays_before_the_first_word_and_ducks_under_speech(work: Path) -> None:
    rate = 48000
    t = np.arange(int(12 * rate)) / rate
    write_wav(work / "tone.wav", (0.2 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), rate)
    tv = np.arange(int(4.0 * 22050)) / 22050
    speech = 0.5 * np.sin(2 * np.pi * 180 * tv) * ((tv >= 0.5) & (tv < 1.5))   # one phrase
    voice = write_wav(work / "voice.wav", speech.astype(np.float32), 22050)
    result = mix(voice, work / "tone.wav", work / "mix.wav", lead_in=2.0, tail=3.0,
                 duck_db=18.0)
    samples, _ = read_audio(result.path)
    mono = samples.mean(axis=1)

    def level(a: float, b: float) -> float:
        return _tone_level(mono[int(a * rate):int(b * rate)], rate, 1000.0)

    before = level(1.1, 1.9)                      # lead-in: music alone, voice not yet in
    under = level(2.0 + 0.7, 2.0 + 1.3)           # while the phrase is spoken
    after = level(2.0 + 3.0, 2.0 + 3.6)           # in the silence after it
    assert 20 * np.log10(before / under) == pytest.approx(18.0, abs=2.0)
    assert 20 * np.log10(after / under) == pytest.approx(18.0, abs=2.0)
    assert np.max(np.abs(samples[-480:])) < 1e-3   # faded out by the end
    env = speech_activity(read_audio(voice)[0], 22050)
    assert env.max() == pytest.approx(1.0) and env[-100:].max() == pytest.approx(0.0, abs=1e-6)


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
