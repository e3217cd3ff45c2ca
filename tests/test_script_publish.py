"""Metadata (title, chapters, safety line, tags) and SRT subtitles."""

from __future__ import annotations

import re

import pytest

from archibald.errors import InputError
from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.youtube.metadata import (SAFETY_LINE, build_metadata, chapters_from_sections,
                                       parse_chapters, tags_length, timestamp)
from archibald.pipelines.meditation.scoring import score_metadata
from archibald.pipelines.meditation.research import research
from archibald.script.subtitles import build_srt, srt_time
from archibald.pipelines.meditation.writer import write_script


def _made(topic: str = "evening calm", minutes: float = 10):  # type: ignore[no-untyped-def]
    concept = make_concept(topic, minutes, research(topic))
    return concept, write_script(concept)


def test_metadata_follows_youtube_rules() -> None:
    concept, script = _made()
    meta = build_metadata(concept, script, script.section_starts(), tags_extra=("calm music",))
    assert 0 < len(meta["title"]) <= 100
    lines = meta["description"].splitlines()
    assert lines[0] and lines[1] and not lines[0].startswith("0:00")
    chapters, problems = parse_chapters(meta["description"])
    assert problems == [] and chapters[0][0] == 0 and len(chapters) >= 3
    assert meta["description"].rstrip().endswith(SAFETY_LINE)
    assert "driving" in SAFETY_LINE and "not medical advice" in SAFETY_LINE
    assert tags_length(meta["tags"]) <= 500 and "calm music" in meta["tags"]
    assert meta["categoryId"] == "26" and meta["defaultLanguage"] == "en"
    assert score_metadata(meta)[0] == 1.0


def test_tags_stay_under_500_characters() -> None:
    concept, script = _made()
    extra = tuple(f"extra tag number {i}" for i in range(60))
    meta = build_metadata(concept, script, script.section_starts(), tags_extra=extra)
    assert tags_length(meta["tags"]) <= 500


def test_chapters_merge_short_ones_and_start_at_zero() -> None:
    chapters = chapters_from_sections([(3, "a"), (6, "b"), (60, "c"), (64, "d"), (200, "e")],
                                      total_seconds=205)
    assert chapters[0][0] == 0
    assert all(b[0] - a[0] >= 10 for a, b in zip(chapters, chapters[1:]))
    assert [name for _, name in chapters] == ["b", "d"]
    assert timestamp(0) == "0:00" and timestamp(754) == "12:34" and timestamp(3723) == "1:02:03"


def test_too_few_chapters_are_left_out_and_the_check_sees_it() -> None:
    concept, script = _made()
    meta = build_metadata(concept, script, [(0, "Start"), (5, "Too soon")])
    assert "0:00" not in meta["description"]
    score, details = score_metadata(meta)
    assert score < 1.0 and details["chapter_problems"]
    bad = {**meta, "title": "x" * 120, "tags": ["t" * 60] * 10}
    assert score_metadata(bad)[0] < score


def test_srt_format_and_limits() -> None:
    sentences = [
        (2.0, 3.1, "Welcome. [pause 3s]"),
        (6.5, 6.9, "Rest."),
        (7.0, 22.0, "Now let your attention travel slowly through your body, from the soles of "
                    "your feet to the crown of your head, noticing every place where you feel "
                    "warmth or weight."),
        (25.0, 27.0, "Breathe in [pause 12s]"),
    ]
    srt = build_srt(sentences)
    blocks = srt.strip().split("\n\n")
    times = []
    for n, block in enumerate(blocks, 1):
        lines = block.splitlines()
        assert lines[0] == str(n)
        m = re.fullmatch(r"(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})", lines[1])
        assert m
        start, end = (_secs(x) for x in m.groups())
        assert 1.0 <= end - start <= 7.0 + 1e-6, block
        times.append((start, end))
        assert 1 <= len(lines[2:]) <= 2 and all(len(x) <= 42 for x in lines[2:])
        assert "[pause" not in block
    assert all(a[1] <= b[0] and a[0] < b[0] for a, b in zip(times, times[1:]))
    assert "warmth or weight." in srt and "Welcome." in srt
    assert srt_time(3723.4567) == "01:02:03,457"


def test_srt_rejects_a_sentence_that_ends_before_it_starts() -> None:
    with pytest.raises(InputError):
        build_srt([(5.0, 4.0, "Backwards.")])


def _secs(stamp: str) -> float:
    h, m, rest = stamp.split(":")
    s, ms = rest.split(",")
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def test_chapters_come_from_where_the_voice_started_each_section() -> None:
    from archibald.pipelines.youtube import chapters_for

    _, script = _made()
    names = [s.name for s in script.sections]
    measured = [[0.5 + 40.0 * i + 3.3, name] for i, name in enumerate(names)]
    chapters = chapters_for(script, {"duration": 580.0, "section_starts": measured}, 3.0)
    assert [n for _, n in chapters] == names
    assert chapters[0][0] == 0.0                               # YouTube: the first at 0:00
    assert [t for t, _ in chapters[1:]] == pytest.approx([3.0 + t for t, _ in measured[1:]])
    # a voice that did not measure them (e.g. a provider's): the estimate, scaled to its length
    estimated = script.section_starts()
    scale = 2 * script.estimated_seconds() / script.estimated_seconds()
    chapters = chapters_for(script, {"duration": 2 * script.estimated_seconds()}, 3.0)
    assert chapters[1][0] == pytest.approx(3.0 + estimated[1][0] * scale)
