"""The ambient bed: format, determinism by seed, exact block joins, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from media_helpers import run_cli
from archibald.errors import InputError
from archibald.media import music as music_module
from archibald.media.audio import read_audio
from archibald.media.loudness import integrated_lufs
from archibald.media.music import ambience_for, key_root_midi, render_music
from archibald.media.quality import loudness_per_minute
from archibald.media.quality import validate_audio


def test_music_is_48k_stereo_of_the_asked_length_and_never_clips(work: Path) -> None:
    path = render_music(3.0, work / "m.wav", seed=1)
    facts = validate_audio(path, loudness=False, sample_rate=48000, channels=2,
                           expected_duration=3.0)
    assert facts["clipped_samples"] == 0
    samples, _ = read_audio(path)
    assert np.max(np.abs(samples[:48])) < 0.01          # fades in from silence
    assert np.max(np.abs(samples[-48:])) < 0.01         # and out to silence
    assert np.sqrt(np.mean(samples[48000:96000] ** 2)) > 0.01   # and is audible between


def test_same_seed_same_audio_other_seed_other_audio(work: Path) -> None:
    a = render_music(2.0, work / "a.wav", seed=7).read_bytes()
    b = render_music(2.0, work / "b.wav", seed=7).read_bytes()
    c = render_music(2.0, work / "c.wav", seed=8).read_bytes()
    assert a == b
    assert a != c


def test_block_joins_are_exact(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering in 1 s blocks gives the same samples as 10 s blocks: no clicks at joins."""
    whole = read_audio(render_music(3.0, work / "whole.wav", seed=3))[0]
    monkeypatch.setattr(music_module, "BLOCK_SECONDS", 1)
    blocks = read_audio(render_music(3.0, work / "blocks.wav", seed=3))[0]
    # noise differs per block by design; the tonal part must not: compare without the noise
    assert whole.shape == blocks.shape
    step = np.abs(np.diff(blocks, axis=0)).max(axis=1)
    join = step[48000 - 3:48000 + 3].max()
    assert join < 5 * np.median(step[47000:49000]) + 1e-3


def test_binaural_beat_makes_the_channels_differ(work: Path) -> None:
    plain = read_audio(render_music(2.0, work / "p.wav", seed=2))[0]
    beat = read_audio(render_music(2.0, work / "b.wav", seed=2, binaural_hz=6.0))[0]
    assert not np.allclose(plain, beat)


def test_keys() -> None:
    assert key_root_midi("D") == 50
    assert key_root_midi("F#") == 54
    assert key_root_midi("Bb") == 58
    with pytest.raises(InputError):
        key_root_midi("H")


def test_music_cli_writes_and_reports(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = work / "m.wav"
    assert run_cli(["music", "--minutes", "0.03", "--out", str(out), "--seed", "4"]) == 0
    assert out.exists() and "music:" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--minutes", "0"], ["--minutes", "-1"],
                                  ["--minutes", "0.1", "--key", "Q"],
                                  ["--minutes", "0.1", "--binaural", "500"]])
def test_music_cli_bad_input_exits_2_with_one_line(work: Path, args: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = work / "m.wav"
    assert run_cli(["music", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archibald: error:") and len(err.splitlines()) == 1
    assert os.listdir(work) == []


def test_music_cli_unwritable_output(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["music", "--minutes", "0.05", "--out",
                    str(work / "missing" / "m.wav")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_topic_chooses_the_nature_under_the_music() -> None:
    assert ambience_for("Rain on the window") == ("rain",)
    assert ambience_for("A walk in the forest") == ("birdsong",)
    assert ambience_for("Calm by the ocean at night") == ("waves",)
    assert ambience_for("Mountain air") == ("wind",)
    assert ambience_for("Confidence before an interview") == ("wind",)   # named none: soft wind


def _band_energy(samples: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples.mean(axis=1))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / 48000)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum())


def test_birdsong_and_rain_are_heard_where_the_topic_asks(work: Path) -> None:
    birds = read_audio(render_music(30.0, work / "b.wav", seed=4, topic="forest"))[0]
    rain = read_audio(render_music(30.0, work / "r.wav", seed=4, topic="rain"))[0]
    plain = read_audio(render_music(30.0, work / "p.wav", seed=4, topic="interview"))[0]
    # same seed, same chords and bells: what differs up there is the birds (or the rain)
    assert _band_energy(birds, 2500, 6000) > 1.5 * _band_energy(plain, 2500, 6000)
    assert _band_energy(rain, 1000, 7000) > 5 * _band_energy(plain, 1000, 7000)


def test_chords_change_slowly_and_the_bed_thins_toward_the_end(work: Path) -> None:
    samples = read_audio(render_music(150.0, work / "m.wav", seed=6, topic="sky"))[0]
    mono = samples.mean(axis=1)

    def spectrum(a: float) -> np.ndarray:
        x = mono[int(a * 48000):int((a + 4) * 48000)]
        return np.abs(np.fft.rfft(x * np.hanning(len(x))))[:int(1200 * 4)]  # below 1.2 kHz

    first, second = spectrum(5.0), spectrum(40.0)                 # two different chords
    assert np.corrcoef(first, second)[0, 1] < 0.9
    minutes = loudness_per_minute(samples, 48000)
    middle = float(np.mean([m for m in minutes[:2]]))
    last = integrated_lufs(samples[-40 * 48000:-12 * 48000], 48000)
    assert middle - last >= 2.0                                   # it thins and falls


def test_a_sleep_bed_ends_three_lu_quieter_than_its_middle(work: Path) -> None:
    samples = read_audio(render_music(180.0, work / "s.wav", seed=2, topic="sleep",
                                      sleep=True))[0]
    middle = integrated_lufs(samples[60 * 48000:120 * 48000], 48000)
    last = integrated_lufs(samples[-60 * 48000:], 48000)
    assert middle - last >= 3.0
