"""Each route-blind check ranks a good artifact above every damaged copy of it."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest

from archibald.quality.gain import gain_rate, music_gain_db
from archibald.quality.media import MAX_GAIN_RATE, check_image, check_mix, check_voice
from archibald.quality.text import (check_research, check_script, check_title, contradictions,
                                    coverage, repetition)
from archibald.script.model import Script, Section, sentences

TOPIC = "Calm after a night shift for nurses"

_GOOD = {
    "settling": (
        "You have finished a long night shift, and now the morning is yours. [pause 3s] "
        "Let your body settle into the bed or the chair that supports you. "
        "The ward, the alarms and the charts can wait outside this room. [pause 4s] "
        "If it feels right, let your eyes soften or close. "
        "Notice the weight of your arms, heavy after hours of caring for others. [pause 5s]"),
    "breath": (
        "Bring your attention to the breath, just as it is. [pause 3s] "
        "You might breathe in for a count of four. [pause 2s] "
        "Then breathe out slowly for a count of six. [pause 4s] "
        "Each exhale lets a little of the night shift leave your shoulders. "
        "Feel the belly rise and fall under your hands. [pause 6s]"),
    "practice": (
        "Picture a quiet morning garden, washed in soft daylight. [pause 3s] "
        "Imagine warm light on your face, gentle as a cup of tea after work. "
        "Nurses give their attention all night; here, the light gives its attention to you. "
        "Let the light move slowly down your neck and into your tired feet. [pause 5s] "
        "Somewhere a blackbird sings, and the sky is pale and kind. "
        "You may notice the smell of cut grass drifting through the garden. [pause 6s] "
        "Every patient you helped tonight is in good hands now. "
        "Let the warmth of this place hold you while the day begins without you. [pause 8s]"),
    "affirmations": (
        "I did my work with care. [pause 3s] "
        "My rest matters as much as my shift. [pause 3s] "
        "I let the night go. [pause 4s]"),
    "fade": (
        "Let your breathing grow slow and heavy as you sink into sleep. [pause 5s] "
        "Rest now, and drift into the quiet morning. [pause 10s]"),
}


def _script(texts: dict[str, str], *, sleep: bool = True) -> Script:
    names = {"settling": "Arriving", "breath": "Breath", "practice": "Morning garden",
             "affirmations": "Affirmations", "fade": "Into sleep"}
    return Script("Calm after a night shift", tuple(Section(names[k], t, k)
                                                    for k, t in texts.items()),
                  minutes=0.0, sleep=sleep)


GOOD = _script(_GOOD)
MINUTES = GOOD.estimated_seconds() / 60


def _score(script: Script, topic: str = TOPIC) -> float:
    return check_script(dataclasses.replace(script, minutes=MINUTES), topic=topic,
                        minutes=MINUTES)[0]


def _shuffled(script: Script, seed: int = 4) -> Script:
    """The same sentences dealt back into the same sections in a random order."""
    per = [sentences(s.text) for s in script.sections]
    pool = [x for xs in per for x in xs]
    random.Random(seed).shuffle(pool)
    out, i = [], 0
    for s, xs in zip(script.sections, per):
        out.append(dataclasses.replace(s, text=" [pause 3s] ".join(pool[i:i + len(xs)])))
        i += len(xs)
    return dataclasses.replace(script, sections=tuple(out))


def _repeated(script: Script) -> Script:
    practice = script.sections[2]
    first = sentences(practice.text)[0]
    return script.with_section(2, " ".join([first] * 6) + " " + practice.text)


def _off_topic(script: Script) -> Script:
    swap = {"night shift": "long flight", "nurses": "travellers", "Nurses": "Travellers",
            "ward": "airport", "alarms": "announcements", "charts": "suitcases",
            "patient": "passenger", "caring for others": "sitting still", "shift": "trip",
            "night": "flight"}
    out = []
    for s in script.sections:
        text = s.text
        for a, b in swap.items():
            text = text.replace(a, b)
        out.append(dataclasses.replace(s, text=text))
    return dataclasses.replace(script, sections=tuple(out), title="Calm for travellers")


def _contradicting(script: Script) -> Script:
    return script.with_section(4, script.sections[4].text
                               + " Night has come. Now open your eyes and wake up.")


def test_the_script_check_ranks_the_good_script_above_every_damaged_copy() -> None:
    good = _score(GOOD)
    assert good >= 0.8, check_script(GOOD, topic=TOPIC, minutes=MINUTES)[1]
    damaged = {"shuffled": _score(_shuffled(GOOD)), "repeated": _score(_repeated(GOOD)),
               "off-topic": _score(_off_topic(GOOD)),
               "contradicting": _score(_contradicting(GOOD))}
    for name, score in damaged.items():
        assert score < good, (name, score, good)
    assert damaged["contradicting"] < good - 0.2


def test_coverage_wants_the_situation_and_the_audience_not_a_theme_keyword() -> None:
    full, _ = coverage(GOOD.spoken_text(), TOPIC)
    keyword, details = coverage("Calm. Let the night be calm and quiet.", TOPIC)
    assert full == 1.0 and keyword < 0.5
    assert "nurs" in details["missing"]


def test_contradictions_of_the_topic_are_named() -> None:
    said = contradictions("The day is complete. Night has come, and it is time to rest.",
                          TOPIC)
    assert {c["said"] for c in said} == {"The day is complete", "Night has come"}
    assert contradictions("Now open your eyes.", "Deep sleep for students")
    assert not contradictions("Now open your eyes.", "Morning energy for runners")
    # a night bus, a night walk: awake and out at night, not a session to fall asleep in
    for awake in ("Riding a night bus home", "A night walk by the harbour", "Night market nerves",
                  "Unwinding in a laundromat on a Friday night"):
        assert not contradictions("Now open your eyes.", awake), awake
    assert contradictions("Now open your eyes.", "Drifting off after a hard week")


def test_sentence_frames_more_than_twice_in_ten_minutes_are_counted() -> None:
    frame = " ".join(f"Let it be vivid, {w}." for w in ("quietly", "kindly", "softly", "slowly"))
    s = Script("t", (Section("P", frame + " Picture a garden in the morning light.",
                             "practice"),), minutes=10)
    score, details = repetition(s)
    assert details["sentences_over_frame_limit"] == 4 and score < 0.5
    assert repetition(GOOD)[0] == 1.0


@pytest.mark.parametrize("damaged", [
    "10-Minute Guided Meditation for Calm After a Night Sh",       # cut mid-word
    "10-Minute Guided Meditation for Calm After a Night Shift for",  # cut mid-phrase
    "Guided Meditation for Nurses After a Night Shift",             # no length
    "10-Minute Meditation for Nurses After a Night Shift: " + "Rest " * 12,  # > 100 chars
    "10-Minute Session",                                            # no benefit, off-topic
])
def test_the_title_check_ranks_a_whole_title_above_damaged_ones(damaged: str) -> None:
    good, _ = check_title("10-Minute Calm for Nurses After a Night Shift", topic=TOPIC,
                          minutes=10)
    assert good == 1.0
    assert check_title(damaged, topic=TOPIC, minutes=10)[0] < good


def test_research_off_the_topic_scores_lower() -> None:
    on = {"themes": ["rest"], "notes": ["Nurses after a night shift want rest in daylight."]}
    off = {"themes": ["rest"], "notes": ["Students like focus music before exams."]}
    assert check_research(on, TOPIC)[0] > check_research(off, TOPIC)[0]


# -- voice ----------------------------------------------------------------------------------
RATE = 16000


def _narration(script: Script, *, pause_scale: float = 1.0, speed: float = 1.0,
               seed: int = 0) -> np.ndarray:
    """A stand-in narration: each sentence a burst of voiced noise at the script's pace, each
    marked pause silence, one second between unmarked sentences."""
    from archibald.script.model import SPEAKING_WPM, timeline, words

    rng = np.random.default_rng(seed)
    chunks = [np.zeros(int(0.5 * RATE))]
    for item in timeline(script.spoken_text()):
        if isinstance(item, str):
            seconds = len(words(item)) / SPEAKING_WPM * 60 / speed
            n = int(seconds * RATE)
            t = np.arange(n) / RATE
            chunks.append(0.3 * np.sin(2 * np.pi * 140 * t) * (0.6 + 0.4 * rng.random(n)))
        else:
            chunks.append(np.zeros(int(item * pause_scale * RATE)))
    chunks.append(np.zeros(int(0.5 * RATE)))
    return np.concatenate(chunks).astype(np.float32)[:, None]


def test_the_voice_check_ranks_the_good_narration_above_damaged_ones() -> None:
    script = GOOD
    good, details = check_voice(_narration(script), RATE, script)
    assert good >= 0.8, details
    rushed, _ = check_voice(_narration(script, speed=1.6), RATE, script)
    no_pauses, _ = check_voice(_narration(script, pause_scale=0.2), RATE, script)
    stretched, _ = check_voice(_narration(script, pause_scale=3.0), RATE, script)
    assert max(rushed, no_pauses, stretched) < good


# -- mix ------------------------------------------------------------------------------------
MIX_RATE = 8000


def _bed(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * MIX_RATE)) / MIX_RATE
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 13.0)           # the pad's own slow swell
    pad = swell * (np.sin(2 * np.pi * 55 * t) + 0.5 * np.sin(2 * np.pi * 82.5 * t))
    return (0.2 * pad).astype(np.float32)[:, None]


def _mixed(bed: np.ndarray, gain_db: np.ndarray, voice_on: np.ndarray) -> np.ndarray:
    t = np.arange(bed.shape[0]) / MIX_RATE
    voice = 0.25 * np.sin(2 * np.pi * 220 * t) * voice_on
    out = bed[:, 0] * 10 ** (gain_db / 20) + voice
    from archibald.media.loudness import integrated_lufs

    stereo = np.stack([out, out], axis=1).astype(np.float32)
    scale = 10 ** ((-16.0 - integrated_lufs(stereo, MIX_RATE)) / 20)
    return (stereo * scale).astype(np.float32)


def _follow(target: np.ndarray, db_per_s: float) -> np.ndarray:
    """A gain that follows ``target`` no faster than ``db_per_s``."""
    out, g, step = np.empty_like(target), 0.0, db_per_s / MIX_RATE
    for i, want in enumerate(target):
        g += max(-step, min(step, want - g))
        out[i] = g
    return out


def test_the_mix_check_ranks_gentle_ducking_above_pumped_music() -> None:
    seconds = 60.0
    bed = _bed(seconds)
    t = np.arange(bed.shape[0]) / MIX_RATE
    # sentences of 3 s with 1.5 s between them, and a 6 s pause every 20 s
    voice_on = (((t % 20) < 14) & ((t % 4.5) < 3)).astype(np.float64)
    # pumped: the music jumps back up in every gap between sentences (0.25 s ramps)
    pumped = _follow(-12.0 * voice_on, 48.0)
    # gentle: down for the whole passage, up only in the long pauses, 3 dB/s
    gentle = _follow(-12.0 * ((t % 20) < 14.5), 3.0)
    good, details = check_mix(_mixed(bed, gentle, voice_on), MIX_RATE, bed=(bed, MIX_RATE))
    bad, bad_details = check_mix(_mixed(bed, pumped, voice_on), MIX_RATE, bed=(bed, MIX_RATE))
    assert details["gain_change_db_per_s"] <= MAX_GAIN_RATE, details
    assert bad_details["gain_change_db_per_s"] > MAX_GAIN_RATE, bad_details
    assert good > bad
    hole = _mixed(bed, gentle, voice_on)
    hole[MIX_RATE * 12:MIX_RATE * 18] = 0.0                     # six seconds of nothing
    assert check_mix(hole, MIX_RATE, bed=(bed, MIX_RATE))[0] < good


def test_the_gain_rate_ignores_the_beds_own_swell() -> None:
    bed = _bed(30.0)
    flat = np.zeros(bed.shape[0])
    rate = gain_rate(music_gain_db(_mixed(bed, flat, flat), MIX_RATE, bed, MIX_RATE))
    assert rate < 1.0


# -- image and thumbnail --------------------------------------------------------------------
def _thumbnail(path: Path, text: str, *, size: int = 150, fill: tuple[int, int, int] = (255,) * 3,
               dims: tuple[int, int] = (1280, 720)) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    from archibald.media.thumbnail import font_path

    im = Image.new("RGB", dims, (24, 40, 70))
    draw = ImageDraw.Draw(im)
    for y in range(dims[1]):                                    # a soft vertical gradient
        draw.line([(0, y), (dims[0], y)], fill=(24 + y // 20, 40 + y // 16, 70 + y // 12))
    font = ImageFont.truetype(str(font_path()), size)
    draw.text((60, 220), text, font=font, fill=fill)
    im.save(path, quality=92)
    return path


def test_the_thumbnail_check_ranks_big_clear_words_above_damaged_thumbnails(
        tmp_path: Path) -> None:
    words = ["Calm", "Nurses"]
    good, details = check_image(_thumbnail(tmp_path / "good.jpg", "Calm Nurses"),
                                size=(1280, 720), words=words)
    assert good >= 0.8, details
    tiny, _ = check_image(_thumbnail(tmp_path / "tiny.jpg", "Calm Nurses", size=18),
                          size=(1280, 720), words=words)
    faint, _ = check_image(_thumbnail(tmp_path / "faint.jpg", "Calm Nurses",
                                      fill=(60, 78, 110)), size=(1280, 720), words=words)
    wordy_words = "Calm After Your Long Night Shift Nurses".split()
    wordy, _ = check_image(_thumbnail(tmp_path / "wordy.jpg", " ".join(wordy_words), size=60),
                           size=(1280, 720), words=wordy_words)
    small, _ = check_image(_thumbnail(tmp_path / "small.jpg", "Calm Nurses", size=60,
                                      dims=(640, 360)), size=(1280, 720), words=words)
    for name, score in {"tiny": tiny, "faint": faint, "wordy": wordy, "small": small}.items():
        assert score < good, (name, score, good)
