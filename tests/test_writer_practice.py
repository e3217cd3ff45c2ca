"""A topic that asks for a practice by name ("Body scan for ...", "Metta for ...") gets that
practice: the technique, a title and thumbnail that say it as the topic does, and heart lines
that say what the session is. The topics here are the test's own."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.practices import named_practice
from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import thumbnail_words
from archibald.pipelines.meditation.writer import write_script
from archibald.quality.text import check_script, check_title

#: topic -> the technique it asks for
ASKED = {
    "Muscle relaxation after a hard shift at the depot": "body-scan",
    "Belly breathing for panic": "breath-counting",
    "Metta for a difficult colleague": "loving-kindness",
    "Guided visualization of a quiet beach": "place",
    "Breath work before a race": "breath-counting",
    "Compassion meditation for my dad": "loving-kindness",
}


def _concept(topic: str):  # type: ignore[no-untyped-def]
    return make_concept(topic, 5, research(topic, month=5, seed=4), seed=4)


@pytest.mark.parametrize("topic,technique", ASKED.items())
def test_the_practice_asked_for_is_the_one_done(topic: str, technique: str) -> None:
    concept = _concept(topic)
    assert concept.technique == technique, concept
    practice = named_practice(topic)
    assert practice is not None and practice.leads
    name = practice.name
    assert concept.title.lower().startswith(name), concept.title
    assert "stress relief" not in concept.title.lower(), concept.title
    assert check_title(concept.title, topic=topic, minutes=5.0)[0] == 1.0, concept.title
    assert " ".join(thumbnail_words(topic)).lower().startswith(name), thumbnail_words(topic)
    assert 2 <= len(thumbnail_words(topic)) <= 4, thumbnail_words(topic)
    opening, body, close = heart_lines(topic, concept.sleep)
    assert opening.startswith(f"This session is a {name}") or \
        opening.startswith(f"This session is an {name}"), opening
    assert name in close, close


@pytest.mark.parametrize("topic", list(ASKED)[:3])
def test_the_script_of_a_practice_asked_for_still_checks_well(topic: str) -> None:
    script = write_script(_concept(topic), seed=4)
    score, details = check_script(script, topic=topic, minutes=5)
    assert score >= 0.85 and not details["contradictions"], (score, details["parts"])


def test_a_practice_named_later_in_the_topic_is_still_done_and_named_once() -> None:
    concept = _concept("Drifting off with yoga nidra")
    assert concept.technique == "body-scan"
    assert concept.title.lower().count("yoga nidra") == 1, concept.title


@pytest.mark.parametrize("topic", ["Pranayama", "Yoga nidra"])
def test_a_practice_alone_is_titled_with_what_it_brings(topic: str) -> None:
    title = _concept(topic).title
    assert title.startswith(topic.title() + ": ") and " for " in title, title
    assert "Stress Relief" not in title, title


@pytest.mark.parametrize("topic", ["Breathing through grief", "Scanning job ads all night",
                                   "Water in the basement"])
def test_a_topic_that_only_shares_a_word_with_a_practice_asks_for_none(topic: str) -> None:
    assert named_practice(topic) is None


@pytest.mark.parametrize("topic,said", [
    ("Guided visualization of a harbour at dawn", "This session is a guided visualization of"),
    ("Metta for a neighbour", "This session is a metta practice for")])
def test_a_practice_is_said_as_what_it_is(topic: str, said: str) -> None:
    """"a guided visualization", never "a guided visualization practice"; a name that says no
    kind ("metta") is said as a practice."""
    opening, _, _ = heart_lines(topic, False)
    assert opening.startswith(said), opening
