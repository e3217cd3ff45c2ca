"""A topic that says what is going on around the listener, one thing doing something
("Baby crying all night", "Partner snoring", "Heart racing"), is the time the session is
for ("This session is for when your baby is crying all night."), never a thing the listener
came for ("This session is for baby crying all night")."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.setting import heart_lines


@pytest.mark.parametrize(("topic", "said"), [
    ("Baby crying all night", "your baby is crying all night"),
    ("Partner snoring", "your partner is snoring"),
    ("Heart racing before a speech", "your heart is racing before a speech"),
    ("Neighbour's dog barking at 5am", "your neighbour's dog is barking at 5am"),
    ("The world falling apart", "the world is falling apart"),
    ("Wind howling outside", "the wind is howling outside"),
])
def test_what_goes_on_around_the_listener_is_when_the_session_is_for(
        topic: str, said: str) -> None:
    opening, body, _ = heart_lines(topic, False)
    assert opening == f"This session is for when {said}."
    assert body == f"You came here while {said}."


@pytest.mark.parametrize("topic", [
    "Nurses working nights",  # several: the listeners themselves
    "Morning stretching", "Evening unwinding",  # a time and what is done in it
    "Hospital waiting room", "Swimming pool anxiety",  # one thing named in two words
    "Insomnia during pregnancy", "Mindful walking",
])
def test_anything_else_keeps_its_reading(topic: str) -> None:
    assert not heart_lines(topic, False)[0].startswith("This session is for when")


@pytest.mark.parametrize(("topic", "title"), [
    ("Baby crying all night", "When Your Baby Is Crying All Night"),
    ("My son leaving for college", "When Your Son Is Leaving for College"),
    ("Snow falling softly", "When the Snow Is Falling Softly"),
])
def test_its_title_says_when(topic: str, title: str) -> None:
    from archibald.pipelines.meditation.concept import make_concept
    from archibald.pipelines.meditation.research import research

    made = make_concept(topic, 10, research(topic)).title
    assert title in made and "in the College" not in made


@pytest.mark.parametrize("topic", ["Job hunting", "Job hunting at 50", "House hunting",
                                   "Dream journaling", "People pleasing", "Stress eating",
                                   "Anxiety rising"])
def test_a_noun_before_an_ing_word_is_mostly_what_is_done(topic: str) -> None:
    from archibald.pipelines.meditation.listener import scene_clause

    assert scene_clause(topic) == ""  # never "the job is hunting"
