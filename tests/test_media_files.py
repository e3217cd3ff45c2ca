"""The media plumbing: all-or-nothing outputs, input checks, the injectable ffmpeg runner."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archibald.errors import InputError, MediaError
from archibald.media import ffmpeg
from archibald.media.audio import read_audio, write_wav
from archibald.media.files import atomic_output, check_input, check_output
from archibald.media.loudness import integrated_lufs, normalise, true_peak_dbtp
from archibald.media.probe import probe_audio


def test_atomic_output_renames_only_on_success(work: Path) -> None:
    out = work / "x.txt"
    with atomic_output(out) as tmp:
        assert tmp.parent == work and tmp != out
        tmp.write_text("hello")
        assert not out.exists()
    assert out.read_text() == "hello"
    assert os.listdir(work) == ["x.txt"]


def test_atomic_output_leaves_nothing_on_failure(work: Path) -> None:
    out = work / "x.txt"
    with pytest.raises(RuntimeError), atomic_output(out) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("boom")
    assert os.listdir(work) == []


def test_atomic_output_keeps_an_old_file_on_failure(work: Path) -> None:
    out = work / "x.txt"
    out.write_text("old")
    with pytest.raises(MediaError), atomic_output(out):
        pass                                            # nothing written
    assert out.read_text() == "old"


@pytest.mark.parametrize("make", ["missing", "empty", "folder"])
def test_check_input_refuses_unusable_files(work: Path, make: str) -> None:
    p = work / "in.wav"
    if make == "empty":
        p.touch()
    elif make == "folder":
        p.mkdir()
    with pytest.raises(InputError):
        check_input(p)


def test_check_output_refuses_missing_folder_wrong_suffix_and_directories(work: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        check_output(work / "nope" / "a.wav")
    with pytest.raises(InputError, match="must end in"):
        check_output(work / "a.mp3", (".wav",))
    with pytest.raises(InputError, match="directory"):
        check_output(work)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_check_output_refuses_read_only_folder(work: Path) -> None:
    ro = work / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(InputError, match="not writable"):
            check_output(ro / "a.wav")
    finally:
        ro.chmod(0o700)


def test_runner_is_injectable_and_failures_become_media_errors() -> None:
    seen: list[list[str]] = []

    def fake(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        seen.append(list(argv))
        return subprocess.CompletedProcess(argv, 1, b"", b"line one\nInvalid data found\n")

    with pytest.raises(MediaError, match="Invalid data found"):
        ffmpeg.run(["-i", "x"], runner=fake)
    assert seen[0][0] == ffmpeg.executable() and seen[0][-2:] == ["-i", "x"]
    old = ffmpeg.set_runner(fake)
    try:
        with pytest.raises(MediaError):
            ffmpeg.run(["-version"])
    finally:
        ffmpeg.set_runner(old)
    assert len(seen) == 2


def test_real_ffmpeg_runs() -> None:
    result = ffmpeg.run(["-version"])
    assert b"libx264" in result.stdout or b"--enable-libx264" in result.stdout


def test_wav_round_trip_and_probe(work: Path) -> None:
    t = np.arange(4800) / 48000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    path = write_wav(work / "t.wav", np.stack([tone, -tone], axis=1), 48000)
    samples, rate = read_audio(path)
    assert rate == 48000 and samples.shape == (4800, 2)
    assert np.max(np.abs(samples[:, 0] - tone)) < 1e-4
    facts = probe_audio(path)
    assert (facts.sample_rate, facts.channels) == (48000, 2)
    assert facts.duration == pytest.approx(0.1)


def test_corrupt_and_header_only_audio_are_input_errors(work: Path) -> None:
    junk = work / "junk.wav"
    junk.write_bytes(b"RIFF not really a wave file at all" * 10)
    with pytest.raises(InputError):
        read_audio(junk)
    empty = write_wav(work / "empty.wav", np.zeros((0, 2), np.float32), 48000)
    with pytest.raises(InputError, match="zero length|no audio"):
        probe_audio(empty)
    with pytest.raises(InputError):
        read_audio(empty)


def test_normalise_hits_loudness_and_true_peak() -> None:
    rng = np.random.default_rng(0)
    rate = 48000
    x = rng.standard_normal((rate * 3, 2)).astype(np.float32) * 0.05
    x[rate] = 0.99                                      # a spike that must be limited
    y = normalise(x, rate, target_lufs=-16.0, ceiling_dbtp=-1.5)
    assert integrated_lufs(y, rate) == pytest.approx(-16.0, abs=1.0)
    assert true_peak_dbtp(y) <= -1.5


def test_true_peak_sees_intersample_peaks() -> None:
    # a sine at a quarter of the rate, sampled 45° off its peaks: samples at 0.707, true peak 1
    n = np.arange(4800)
    x = np.sin(np.pi / 2 * n + np.pi / 4).astype(np.float32)[:, None]
    assert float(np.max(np.abs(x))) == pytest.approx(0.7071, abs=1e-3)
    assert true_peak_dbtp(x) > -0.6


def _speechlike(rate: int, seconds: float, channels: int, seed: int) -> np.ndarray:
    """Bursts of harmonics with silences between: peaks well above the loudness, gaps to gate."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    x = np.zeros((t.size, channels), dtype=np.float32)
    for start in np.arange(0.2, seconds - 1.0, 1.3):
        on = (t >= start) & (t < start + rng.uniform(0.4, 0.9))
        f0 = rng.uniform(90, 240)
        tone = sum(np.sin(2 * np.pi * f0 * k * t[on] + rng.uniform(0, 6)) / k for k in range(1, 9))
        for ch in range(channels):
            x[on, ch] = (rng.uniform(0.1, 0.6) * tone / 3).astype(np.float32)
    x += rng.standard_normal(x.shape).astype(np.float32) * 1e-3
    return x


@pytest.mark.parametrize("rate,channels", [(48000, 2), (22050, 1), (44100, 2)])
def test_loudness_agrees_with_pyloudnorm(rate: int, channels: int) -> None:
    import pyloudnorm

    for seed in range(3):
        x = _speechlike(rate, 9.37, channels, seed)
        ours = integrated_lufs(x, rate)
        theirs = pyloudnorm.Meter(rate).integrated_loudness(x.astype(np.float64))
        assert ours == pytest.approx(theirs, abs=1e-6)
    assert integrated_lufs(np.zeros((rate * 2, channels), dtype=np.float32), rate) == -np.inf
    assert integrated_lufs(x[: rate // 4], rate) == -np.inf          # shorter than one block


def test_true_peak_agrees_with_full_oversampling() -> None:
    from scipy.signal import resample_poly

    rng = np.random.default_rng(3)
    for seed in range(4):
        x = _speechlike(48000, 6.0, 2, seed)
        # intersample peaks: a burst of a quarter-rate sine sampled between its crests
        at = int(rng.integers(1000, x.shape[0] - 1000))
        x[at:at + 200, seed % 2] = 0.6 * np.sin(np.pi / 2 * np.arange(200) + np.pi / 4)
        full = 20 * np.log10(np.max(np.abs(resample_poly(x.astype(np.float64), 4, 1, axis=0))))
        assert true_peak_dbtp(x) == pytest.approx(full, abs=1e-6)
        assert true_peak_dbtp(x) > 20 * np.log10(np.max(np.abs(x))) + 2.5


def test_normalise_limits_true_peaks_of_speech_and_keeps_the_rest() -> None:
    rate = 48000
    x = _speechlike(rate, 20.0, 2, 7)
    y = normalise(x, rate, target_lufs=-16.0, ceiling_dbtp=-1.5)
    assert integrated_lufs(y, rate) == pytest.approx(-16.0, abs=0.1)
    assert true_peak_dbtp(y) <= -1.5
    # the limiter only touches the loud moments: quiet samples keep their ratio to the input
    gain = 10 ** ((-16.0 - integrated_lufs(x, rate)) / 20)
    quiet = np.abs(x[:, 0]) < 0.02
    ratio = y[quiet, 0] / np.where(x[quiet, 0] == 0, 1, x[quiet, 0])
    assert np.median(ratio) == pytest.approx(gain, rel=0.2)


def test_a_folder_that_refuses_new_files_is_an_input_error() -> None:
    """sysfs refuses new files even to root, so this runs anywhere."""
    with pytest.raises(InputError, match="cannot write"), atomic_output("/sys/archibald-t.png"):
        pass
