"""Topics read as what they say: "looking after" someone is what the listener is doing, not a
time after someone ("Looking after my dad with dementia" was "10-Minute Guided Meditation for
Calm After Your Dad", thumbnail "Calm after Dad"); a feeling felt at something is the title."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import read_topic, thumbnail_words
from archibald.pipelines.meditation.words import doing


@pytest.mark.parametrize("topic,whom", [
    ("Looking after my dad with dementia", "your dad"),
    ("Looking after a newborn", "a newborn"),
    ("Looking after my sick husband", "your sick husband"),
    ("Looking after twins", "twins")])
def test_looking_after_someone_is_what_the_listener_does(topic: str, whom: str) -> None:
    assert read_topic(topic).situation == "" and read_topic(topic).event == ""
    assert doing(topic).startswith(f"looking after {whom}")
    concept = make_concept(topic, 10, research(topic))
    assert concept.title.startswith(f"Looking After {whom.title().replace('A ', 'a ')}")
    assert "Calm After" not in concept.title
    assert heart_lines(topic, concept.sleep)[0].startswith(
        "This session is for the times you are looking after")
    assert thumbnail_words(topic)[:2] == ["Looking", "after"]


def test_a_time_after_looking_after_someone_is_still_a_time() -> None:
    reading = read_topic("Calm after looking after the kids all day")
    assert reading.situation.startswith("after")


@pytest.mark.parametrize("topic,said", [
    ("Angry at my ex", "When You Feel Angry at Your Ex"),
    ("Frustrated with my teenager", "When You Feel Frustrated with Your Teenager"),
    ("Overwhelmed by wedding planning", "When You Feel Overwhelmed by Wedding Planning"),
    ("Stuck in traffic", "When You Feel Stuck in Traffic"),
    ("Upset over a text from my sister", "When You Feel Upset Over a Text from Your Sister"),
    ("Furious with my landlord", "When You Feel Furious with Your Landlord")])
def test_a_feeling_toward_something_is_the_title(topic: str, said: str) -> None:
    """A feeling tied to what it is felt at ("Angry at my ex") was titled "10-Minute Guided
    Meditation for Stress Relief" (the topic lost) or "Stress Relief with Your Teenager"."""
    concept = make_concept(topic, 10, research(topic))
    assert said in concept.title, concept.title


@pytest.mark.parametrize("topic", ["Calm with my kids", "Calm in a storm"])
def test_a_wanted_state_is_no_feeling_to_ease(topic: str) -> None:
    assert "When You Feel" not in make_concept(topic, 10, research(topic)).title


@pytest.mark.parametrize("topic,act", [
    ("Dreading the school run", "dreading the school run"),
    ("Unwinding after a late shift", "unwinding after a late shift")])
def test_dreading_and_unwinding_are_what_the_listener_is_doing(topic: str, act: str) -> None:
    """"This session is for dreading Monday morning" read as a thing had: it is the times
    the listener is dreading it."""
    assert doing(topic) == act
    concept = make_concept(topic, 10, research(topic))
    assert heart_lines(topic, concept.sleep)[0] == f"This session is for the times you are {act}."
