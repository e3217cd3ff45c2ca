"""The review and polish editors fix each seeded flaw and report it; the quality gate sees it."""

from __future__ import annotations

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.editors import gap_floors, parse, polish, review
from archibald.script.model import Script, Section, pause_floors
from archibald.pipelines.meditation.scoring import score_script
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.writer import write_script


def _good(minutes: float = 10, topic: str = "evening calm", seed: int = 0) -> Script:
    return write_script(make_concept(topic, minutes, research(topic), seed=seed), seed=seed)


def _flawed(good: Script, index: int, text: str) -> Script:
    return good.with_section(index, text + " " + good.sections[index].text)


def test_clinical_and_absolute_words_are_replaced() -> None:
    script = _flawed(_good(), 2, "You will feel no stress ever again. Notice any pain in your back. "
                                 "This cures your anxiety disorder. Let each symptom fade.")
    assert score_script(script, 10)[1]["banned"]
    result = review(script, 10)
    text = result.script.spoken_text().lower()
    for word in ("pain", "disorder", "symptom", "cures", "you will feel no stress"):
        assert word not in text
    assert "discomfort" in text and "you may feel a little lighter" in text
    assert sum("replaced" in c for c in result.changes) >= 4
    assert score_script(result.script, 10)[1]["banned"] == []


def test_the_same_sentence_twice_in_a_row_is_removed() -> None:
    script = _flawed(_good(), 1, "Breathe softly. [pause 3s] Breathe softly. [pause 4s]")
    result = review(script, 10)
    sentences = [s for s, _ in parse(result.script.sections[1].text)]
    assert sentences.count("Breathe softly.") == 1
    assert any("removed a repeated sentence" in c for c in result.changes)


def test_runs_of_the_same_opening_word_are_varied() -> None:
    script = _flawed(_good(), 2, "Notice your feet. Notice your hands. Notice your back. "
                                 "Notice your face.")
    result = review(script, 10)
    firsts = [s.split()[0] for s, _ in parse(result.script.sections[2].text)[:4]]
    assert firsts[:2] == ["Notice", "Notice"] and firsts[2] != "Notice"
    assert any("varied the opening" in c for c in result.changes)
    assert score_script(result.script, 10)[1]["same_opening_runs"] == 0


def test_long_sentences_are_split() -> None:
    long = ("Let your attention travel slowly from the soles of your feet, and up through your "
            "legs and your hips, while the breath moves softly in and out of your body.")
    result = review(_flawed(_good(), 2, long), 10)
    assert long not in result.script.spoken_text()
    assert any("split a" in c for c in result.changes)
    assert all(len(s.split()) <= 18 for s in result.script.sentences())


def test_a_short_script_is_extended_to_the_target() -> None:
    short = _good(minutes=5)
    assert short.estimated_seconds() < 0.6 * 600
    result = review(short, 10)
    assert result.script.word_count() > short.word_count()
    assert abs(result.script.estimated_seconds() - 600) <= 60
    assert any("added" in c for c in result.changes)


def test_a_long_script_is_trimmed_to_the_target() -> None:
    long = _good(minutes=15)
    result = review(long, 10)
    assert result.script.word_count() < long.word_count()
    assert abs(result.script.estimated_seconds() - 600) <= 60
    assert any("trimmed" in c for c in result.changes)


def test_a_good_script_passes_review_almost_untouched() -> None:
    good = _good()
    result = review(good, 10)
    assert len(result.changes) <= 3
    assert score_script(result.script, 10)[0] >= 0.9


def test_polish_calms_punctuation_and_pauses_invitations() -> None:
    good = _good()
    script = _flawed(good, 1, "Breathe in deeply!  Notice the air . Rest. [pause 90s]")
    result = polish(script, 10)
    text = result.script.sections[1].text
    assert "!" not in text and "air ." not in text
    assert "[pause 90s]" not in text
    assert any("tidied" in c for c in result.changes)
    assert any("a 10s pause after the invitation 'Notice the air.'" in c
               for c in result.changes)
    assert dict(parse(text))["Notice the air."] >= 10
    assert abs(result.script.estimated_seconds() - 600) <= 0.05 * 600


def _below_floor(script: Script) -> list[tuple[str, float, float]]:
    table = pause_floors(script.sleep, script.minutes)
    last = len(script.sections) - 1
    out = []
    for i, section in enumerate(script.sections):
        items = parse(section.text)
        floors = gap_floors(items, table, "" if i == last else "section")
        out += [(x, p, f) for (x, p), f in zip(items[:-1] if i == last else items, floors)
                if p < f - 0.05]
    return out


def test_polish_never_squeezes_pauses_below_their_floors() -> None:
    """Once, polish rescaled 163 s of pauses to 110 s to fit the time. Now a script too long
    for its time keeps every pause at its floor or more (review says less instead), and a
    script with room spreads it over the pauses."""
    good = _good(10)
    assert not _below_floor(good)
    squeezed = polish(good, 8).script
    assert not _below_floor(squeezed)
    assert squeezed.pause_seconds() < good.pause_seconds()  # what was above the floors went
    reviewed = review(good, 8).script
    assert reviewed.word_count() < good.word_count()  # review says less
    fitted = polish(reviewed, 8).script
    assert not _below_floor(fitted)
    assert abs(fitted.estimated_seconds() - 480) <= 0.05 * 480
    roomy = polish(good, 12).script
    assert not _below_floor(roomy) and roomy.pause_seconds() > good.pause_seconds()


def test_quality_separates_good_from_broken() -> None:
    for topic, minutes, seed in [("evening calm", 10, 0), ("deep sleep", 10, 1),
                                 ("loving kindness", 5, 2), ("focus", 3, 3)]:
        score, details = score_script(_good(minutes, topic, seed), minutes)
        assert score >= 0.8, details
    broken = Script("x", (Section("Body", "You will feel no stress. This cures your anxiety "
                                          "disorder. Notice the pain. Notice the pain. "
                                          "Notice your feet. Notice your hands.", "practice"),))
    score, details = score_script(broken, 10)
    assert score < 0.5
    assert details["parts"]["arc"] < 0.5 and details["parts"]["length"] == 0
    assert details["same_sentence_in_a_row"] == 1 and details["banned"]
