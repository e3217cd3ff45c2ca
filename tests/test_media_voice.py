"""The Piper voice: pause markup, real silences, sentence timings, parallel chunks, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from media_helpers import run_cli
from archibald.cli.media import _speakable
from archibald.media.audio import read_audio
from archibald.media.voice import parse_script, synthesize, voice_files


def test_voice_ships_with_a_pip_package() -> None:
    model, config = voice_files()
    assert model.suffix == ".onnx" and model.stat().st_size > 1_000_000
    assert config.name.endswith(".onnx.json")


def test_parse_script_pauses_and_sentences() -> None:
    items = parse_script("Rest here. Breathe in! [pause 4s] And out.\n\nLet go?", 2.0)
    assert items == ["Rest here.", 2.0, "Breathe in!", 4.0, "And out.", 2.0, "Let go?"]
    assert parse_script("[pause 1s][pause 2.5 s] Hello.", 2.0) == [3.5, "Hello."]
    assert parse_script("[pause 3s]", 2.0) == [3.0]
    assert parse_script("Hello. [PAUSE 600s]", 2.0) == ["Hello.", 120.0]   # capped


def test_pauses_are_real_silence_and_timings_are_kept(work: Path) -> None:
    result = synthesize("Breathe in. [pause 1.5s] Breathe out.", work / "v.wav", workers=1,
                        lead=0.25)
    samples, rate = read_audio(result.path)
    assert rate == result.sample_rate == 22050 and samples.shape[1] == 1
    assert result.duration == pytest.approx(len(samples) / rate, abs=1e-3)
    first, second = result.sentences
    assert (first.text, second.text) == ("Breathe in.", "Breathe out.")
    assert 0.25 == pytest.approx(first.start, abs=1e-3) and first.end > first.start + 0.3
    assert second.start - first.end == pytest.approx(1.5, abs=0.01)
    gap = samples[int(first.end * rate) + 10:int(second.start * rate) - 10]
    assert np.max(np.abs(gap)) == 0.0                   # digital silence, not room tone
    speech = samples[int(first.start * rate):int(first.end * rate)]
    assert np.sqrt(np.mean(speech ** 2)) > 0.02
    assert np.max(np.abs(samples)) == pytest.approx(10 ** (-1 / 20), abs=0.01)


def test_long_scripts_are_spoken_in_parallel_with_calm_gaps(work: Path) -> None:
    text = "Rest. Soften. Breathe. Arrive. Be here."
    result = synthesize(text, work / "v.wav", workers=2, sentence_pause=2.5)
    assert [s.text for s in result.sentences] == ["Rest.", "Soften.", "Breathe.", "Arrive.",
                                                  "Be here."]
    for a, b in zip(result.sentences, result.sentences[1:]):
        assert b.start - a.end == pytest.approx(2.5, abs=0.01)
    assert result.sentences[-1].end < result.duration


def test_slower_length_scale_is_longer(work: Path) -> None:
    fast = synthesize("Let the shoulders soften.", work / "a.wav", workers=1, length_scale=0.9)
    slow = synthesize("Let the shoulders soften.", work / "b.wav", workers=1, length_scale=1.5)
    span = [r.sentences[0].end - r.sentences[0].start for r in (fast, slow)]
    assert span[1] > span[0] * 1.3


def test_cli_makes_numbers_speakable() -> None:
    assert "four" in _speakable("Breathe in for 4 counts.")


def test_voice_command(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = work / "s.txt"
    script.write_text("Breathe in for 4 counts. [pause 1s] Rest.", encoding="utf-8")
    out = work / "voice.wav"
    assert run_cli(["voice", "--text-file", str(script), "--out", str(out),
                    "--workers", "1"]) == 0
    assert out.exists() and "2 sentences" in capsys.readouterr().out


@pytest.mark.parametrize("content", [None, b"", b"[pause 3s]", b"\xff\xfe\x00bad utf8 \xff",
                                     "…".encode()])
def test_voice_bad_text_exits_2_one_line_no_file(work: Path, content: bytes | None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    script = work / "s.txt"
    if content is not None:
        script.write_bytes(content)
    out = work / "voice.wav"
    assert run_cli(["voice", "--text-file", str(script), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archibald: error:") and len(err.splitlines()) == 1
    assert not out.exists()
    assert [p for p in os.listdir(work) if p != "s.txt"] == []


def test_voice_bad_length_scale_exits_2(work: Path) -> None:
    script = work / "s.txt"
    script.write_text("Hello.", encoding="utf-8")
    assert run_cli(["voice", "--text-file", str(script), "--out", str(work / "v.wav"),
                    "--length-scale", "9"]) == 2
