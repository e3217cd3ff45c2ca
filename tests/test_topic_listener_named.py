"""A topic that names the listener ("Light sleeper", "Anxious nurses", "Tired teacher before
a school trip") is said to them ("This session is for you, a light sleeper."), never as if
they had come for someone ("You came here for an exhausted nurse"); a thing that is a doing
keeps its -ing word on the thumbnail ("Confidence for Public Speaking", never "... for
Public")."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import thumbnail_words


@pytest.mark.parametrize(("topic", "opening", "body"), [
    ("Light sleeper", "This session is for you, a light sleeper.",
     "You came here just as you are."),
    ("Anxious nurses", "This session is for you, anxious nurses.",
     "You came here just as you are."),
    ("Overworked accountant", "This session is for you, an overworked accountant.",
     "You came here just as you are."),
    ("Tired teacher before a school trip",
     "This session is for you, a tired teacher, before a school trip.",
     "You came here before a school trip, just as you are."),
    ("Single dad at Christmas", "This session is for you, a single dad, at Christmas.",
     "You came here at Christmas, just as you are."),
])
def test_the_listener_named_is_spoken_to(topic: str, opening: str, body: str) -> None:
    said = heart_lines(topic, False)
    assert said[:2] == (opening, body)
    assert "came here for a" not in said[1] and "came here for an" not in said[1]


@pytest.mark.parametrize("topic", ["Help for nurses", "Caring for my mother",
                                   "Burnout as a nurse", "Waiting for a biopsy result"])
def test_a_topic_about_something_else_keeps_its_reading(topic: str) -> None:
    assert "just as you are" not in heart_lines(topic, False)[1]


@pytest.mark.parametrize(("topic", "thumb"), [
    ("Confidence for public speaking", "Confidence for Public Speaking"),
    ("Fear of public speaking", "Fear of Public Speaking"),
    ("Help with binge eating", "Help with Binge Eating"),
])
def test_a_doing_stays_whole_on_the_thumbnail(topic: str, thumb: str) -> None:
    assert " ".join(thumbnail_words(topic)) == thumb


@pytest.mark.parametrize(("topic", "body"), [
    ("Teething baby, no sleep", "You came here with a teething baby and no sleep."),
    ("Crying toddler, no patience", "You came here with a crying toddler and no patience."),
    ("Barking dogs, no peace", "You came here with barking dogs and no peace."),
])
def test_what_one_has_takes_its_article(topic: str, body: str) -> None:
    assert heart_lines(topic, False)[1] == body
