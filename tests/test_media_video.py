"""Assembly: the MP4 meets YouTube's spec (probed), bad input exits 2, failures leave nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from media_helpers import run_cli
from archibald.errors import MediaError, ValidationError
from archibald.media import ffmpeg
from archibald.media.audio import write_wav
from archibald.media.probe import frame_at, probe_video, top_level_atoms
from archibald.media.quality import score_video, validate_video
from archibald.media.art import render_loop
from archibald.media.video import assemble, check_loop, segment_seconds

AUDIO_SECONDS = 3.2


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    y, x = np.mgrid[0:1080, 0:1920]
    rgb = np.stack([x / 1920 * 120 + 60, y / 1080 * 100 + 80, 200 - x / 1920 * 60], axis=-1)
    image = folder / "bg.png"
    Image.fromarray(rgb.astype(np.uint8)).save(image)
    t = np.arange(int(AUDIO_SECONDS * 44100)) / 44100
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    audio = write_wav(folder / "audio.wav", tone, 44100)          # mono 44.1 kHz on purpose
    return image, audio


@pytest.fixture(scope="module")
def video(inputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One assembly through the command line, shared by the spec checks."""
    image, audio = inputs
    out = tmp_path_factory.mktemp("video") / "out.mp4"
    assert run_cli(["assemble", "--image", str(image), "--audio", str(audio),
                    "--out", str(out)]) == 0
    return out


def test_video_meets_youtube_spec(video: Path) -> None:
    facts = probe_video(video)
    assert (facts["video_codec"], facts["profile"], facts["pix_fmt"]) == \
        ("h264", "High", "yuv420p")
    assert (facts["width"], facts["height"], facts["fps"]) == (1920, 1080, 30.0)
    assert (facts["color_primaries"], facts["color_trc"], facts["colorspace"]) == (1, 1, 1)
    assert (facts["audio_codec"], facts["audio_profile"]) == ("aac", "LC")
    assert (facts["sample_rate"], facts["channels"]) == (48000, 2)
    assert facts["video_duration"] == pytest.approx(AUDIO_SECONDS, abs=0.1)
    assert facts["audio_duration"] == pytest.approx(AUDIO_SECONDS, abs=0.1)
    atoms = top_level_atoms(video)
    assert atoms.index("moov") < atoms.index("mdat")              # +faststart
    assert facts["first_frame_key"]
    validate_video(video, AUDIO_SECONDS)
    assert score_video(video, AUDIO_SECONDS)[0] == 1.0


def test_validation_rejects_the_designs_yuv444p_output(inputs: tuple[Path, Path],
                                                       work: Path) -> None:
    image, audio = inputs
    design = work / "design.mp4"
    ffmpeg.run(["-y", "-loop", "1", "-i", str(image), "-i", str(audio), "-t", "1",
                "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
                "-vf", "scale=1920:1080,fps=30", str(design)])
    with pytest.raises(ValidationError, match="yuv444p"):
        validate_video(design, 1.0)
    score, details = score_video(design, 1.0)
    assert score < 1.0 and details["misses"]


def test_segment_is_ten_seconds_for_long_audio_and_short_for_short() -> None:
    assert segment_seconds(600) == 10 and segment_seconds(3600) == 10
    assert segment_seconds(300) == 5 and segment_seconds(120) == 2
    assert segment_seconds(1.0) == 1 and segment_seconds(30) == 1


def _bad(work: Path, kind: str, inputs: tuple[Path, Path]) -> tuple[Path, Path]:
    image, audio = inputs
    bad = work / "in"
    bad.mkdir()
    if kind == "missing image":
        return bad / "nope.png", audio
    if kind == "corrupt image":
        (bad / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
        return bad / "x.png", audio
    if kind == "odd-sized image":
        Image.new("RGB", (1081, 1081), (10, 20, 30)).save(bad / "sq.png")
        return bad / "sq.png", audio
    if kind == "missing audio":
        return image, bad / "nope.wav"
    if kind == "zero-length audio":
        return image, write_wav(bad / "z.wav", np.zeros((0, 2), np.float32), 48000)
    if kind == "empty audio file":
        (bad / "e.m4a").touch()
        return image, bad / "e.m4a"
    if kind == "corrupt audio":
        (bad / "c.mp3").write_bytes(os.urandom(4000))
        return image, bad / "c.mp3"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing image", "corrupt image", "odd-sized image",
                                  "missing audio", "zero-length audio", "empty audio file",
                                  "corrupt audio"])
def test_assemble_bad_input_exits_2_one_line_no_file(work: Path, inputs: tuple[Path, Path],
                                                     kind: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    image, audio = _bad(work, kind, inputs)
    out = work / "out.mp4"
    assert run_cli(["assemble", "--image", str(image), "--audio", str(audio),
                    "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archibald: error:") and len(err.splitlines()) == 1, err
    assert sorted(os.listdir(work)) == ["in"]


@pytest.mark.parametrize("out", ["missing/out.mp4", "out.mov", ".", "/sys/archibald-test.mp4"])
def test_assemble_unwritable_output_exits_2(work: Path, inputs: tuple[Path, Path], out: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    image, audio = inputs
    assert run_cli(["assemble", "--image", str(image), "--audio", str(audio),
                    "--out", str(work / out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert os.listdir(work) == []


def test_ffmpeg_failure_is_a_media_error_and_leaves_nothing(work: Path,
                                                            inputs: tuple[Path, Path]) -> None:
    image, audio = inputs

    def failing(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(argv, 187, b"", b"Conversion failed!")

    with pytest.raises(MediaError, match="Conversion failed"):
        assemble(image, audio, work / "out.mp4", runner=failing)
    assert os.listdir(work) == []


def test_a_result_that_misses_the_spec_is_an_error_and_leaves_nothing(
        work: Path, inputs: tuple[Path, Path]) -> None:
    """A runner that drops +faststart: validation fails, nothing appears at the output."""
    image, audio = inputs

    def no_faststart(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        argv = [a for a in argv if a not in ("-movflags", "+faststart")]
        return ffmpeg.subprocess_runner(argv, **kwargs)

    with pytest.raises(ValidationError, match="faststart"):
        assemble(image, audio, work / "out.mp4", runner=no_faststart)
    assert os.listdir(work) == []


@pytest.mark.parametrize("seconds", [57.0666, 57.02, 12.51])
def test_audio_lengths_across_a_frame_boundary_assemble(work: Path, inputs: tuple[Path, Path],
                                                        seconds: float) -> None:
    """Issue 16 item 8: a stream copy cut by ``-t`` kept frames past the audio (B-frames)."""
    image, _ = inputs
    t = np.arange(int(round(seconds * 48000))) / 48000
    audio = write_wav(work / "a.wav", (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32),
                      48000)
    info = assemble(image, audio, work / "out.mp4")
    facts = probe_video(info.path)
    assert facts["video_duration"] == pytest.approx(seconds, abs=1 / 30 + 1e-6)
    assert facts["frames"] == round(seconds * 30)


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_loop("ocean calm", tmp_path_factory.mktemp("loop") / "loop.mp4", seed=2)


def test_a_moving_loop_repeats_to_five_minutes_within_spec_and_frames_differ(
        work: Path, loop: Path) -> None:
    assert check_loop(loop) == (1920, 1080)
    seconds = 301.0
    t = np.arange(int(seconds * 48000)) / 48000
    audio = write_wav(work / "a.wav", (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
                      48000)
    info = assemble(None, audio, work / "moving.mp4", loop=loop)
    facts = validate_video(info.path, seconds)                       # the spec still holds
    assert (facts["width"], facts["height"], facts["profile"]) == (1920, 1080, "High")
    f0, f30, f300 = (frame_at(info.path, s).astype(float) for s in (0.0, 30.0, 300.0))
    for a, b in ((f0, f30), (f0, f300), (f30, f300)):
        assert np.mean(np.abs(a - b)) > 0.3


def test_the_loop_joins_without_a_jump(loop: Path) -> None:
    import av

    steps: list[float] = []
    with av.open(str(loop)) as c:
        first = previous = middle = None
        for i, frame in enumerate(c.decode(video=0)):
            pixels = frame.to_ndarray(format="rgb24")[::4, ::4].astype(np.int16)
            if previous is not None and i % 7 == 0:
                steps.append(float(np.mean(np.abs(pixels - previous))))
            first = pixels if first is None else first
            middle = pixels if i == 165 else middle
            previous = pixels
    assert i + 1 == 11 * 30 and first is not None and middle is not None
    wrap = float(np.mean(np.abs(first - previous)))     # the last frame, then the first again
    assert wrap < 1.0 and wrap < float(np.mean(np.abs(first - middle)))
    assert float(np.median(steps)) < 1.0


def test_a_portrait_picture_makes_a_portrait_video(work: Path) -> None:
    tall = work / "tall.png"
    Image.new("RGB", (1080, 1920), (80, 110, 150)).save(tall)
    t = np.arange(int(2.0 * 48000)) / 48000
    audio = write_wav(work / "a.wav", (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
                      48000)
    info = assemble(tall, audio, work / "short.mp4")
    assert (info.width, info.height) == (1080, 1920)


def test_a_loop_that_is_not_to_spec_is_refused(work: Path, inputs: tuple[Path, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    image, audio = inputs
    bad = work / "bad.mp4"
    ffmpeg.run(["-y", "-f", "lavfi", "-i", "color=c=blue:s=640x360:d=1", "-pix_fmt",
                "yuv444p", "-c:v", "libx264", str(bad)])
    out = work / "out.mp4"
    assert run_cli(["assemble", "--loop", str(bad), "--audio", str(audio),
                    "--out", str(out)]) == 2
    assert "loop" in capsys.readouterr().err and not out.exists()
