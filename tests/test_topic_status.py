"""A topic that says where the listener's life stands ("Divorced", "Recently retired",
"Pregnant", "Adopted") is said of them as it is, never as a feeling ("for the times you feel
retired") nor as a thing ("This session is for pregnant"); its title names it, and its
thumbnail never makes a noun of it ("Calm for Pregnant")."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.listener import felt_phrase, status_clause
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import thumbnail_words


def _title(topic: str) -> str:
    return make_concept(topic, 10, research(topic)).title


@pytest.mark.parametrize(("topic", "clause"), [
    ("Divorced", "you are divorced"),
    ("Recently widowed", "you are recently widowed"),
    ("Just retired", "you are just retired"),
    ("Pregnant", "you are pregnant"),
    ("Unemployed", "you are unemployed"),
    ("Newly engaged", "you are newly engaged"),
    ("Separated after 20 years", "you are separated after 20 years"),
    ("Retired at 62", "you are retired at 62"),
    ("Widowed in my fifties", "you are widowed in your fifties"),
    ("Pregnant and exhausted", "you are pregnant and exhausted"),
    ("Adopted", "you were adopted"),
])
def test_where_a_life_stands_is_said_of_the_listener(topic: str, clause: str) -> None:
    assert status_clause(topic) == clause
    opening, body, close = heart_lines(topic, False)
    assert clause in opening
    for line in (opening, body, close):
        assert "you feel" not in line and "feeling" not in line
    assert not opening.startswith(f"This session is for {topic.split()[0].lower()}")
    status = next(w for w in clause.split()[2:] if w not in ("newly", "recently", "just"))
    assert thumbnail_words(topic)[-1].lower() != status  # never "Calm for Pregnant"


@pytest.mark.parametrize(("topic", "title"), [
    ("Divorced", "When You're Divorced"),
    ("Recently unemployed", "When You're Recently Unemployed"),
    ("Married at last", "When You're Married at Last"),
    ("Adopted", "If You Were Adopted: "),
])
def test_its_title_names_it(topic: str, title: str) -> None:
    assert felt_phrase(topic).startswith(title.rstrip(": "))
    assert title in _title(topic)
    assert "for If" not in _title(topic)


def test_sleep_closes_toward_sleep() -> None:
    assert heart_lines("Newly divorced", True)[2] == "Let this time carry you gently toward sleep."


@pytest.mark.parametrize("topic", [
    "Retired teachers",  # people, not the listener's status
    "Married couples", "Divorce", "After my divorce", "Getting divorced",
    "Betrayed", "Exhausted", "Divorced parents and holidays", "Retired and bored of it all",
])
def test_anything_else_is_left_to_its_own_reading(topic: str) -> None:
    assert status_clause(topic) == ""
