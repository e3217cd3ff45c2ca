"""What befell the listener, said in the first person or with no subject, is an event.

"I was fired today" was "for when you were fired today" and "for the next time you were fired
today"; "Just got fired" was "for just got fired". A leading "I was", "I got", "I've been",
"I just got", "Was", "Just got" or "Been" before a past participle that is no state (a verb in
-ed such as "fired", "robbed", or an irregular one: "let", "hit", "laid") says what happened:
"for the day you were fired", "After Being Fired", "After Getting Laid Off". A state stays
one ("I was stressed all week", "I got overwhelmed at work", "I was anxious today"), and so
does how long it lasted ("I was married for 20 years"). Most topics here are not the ones the
rule was made on."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.listener import past_event
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.sentences import befell
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import thumbnail_words

_CLOSE = "This time is ending; take its quiet with you into the days ahead."


def _title(topic: str) -> str:
    return make_concept(topic, 10, research(topic)).title


def _thumb(topic: str) -> str:
    return " ".join(thumbnail_words(topic))


def _heart(topic: str) -> tuple[str, ...]:
    return tuple(heart_lines(topic, False))


@pytest.mark.parametrize(("topic", "first", "came", "title", "thumb"), [
    ("I was fired today", "This session is for the day you were fired.",
     "You came here after being fired today.", "After Being Fired:", "After Being Fired"),
    ("Just got fired", "This session is for the day you got fired.",
     "You came here after getting fired.", "After Getting Fired:", "After Getting Fired"),
    ("I got hit by a car", "This session is for the day you got hit by a car.",
     "You came here after getting hit by a car.", "After Getting Hit by a Car:",
     "After Getting Hit"),
    ("Was let go from work", "This session is for the day you were let go from work.",
     "You came here after being let go from work.", "After Being Let Go from Work:",
     "After Being Let Go"),
    ("I was let down by my family", "This session is for the day you were let down by your "
     "family.", "You came here after being let down by your family.",
     "After Being Let Down by Your Family:", "Let Down by Family"),
    # not named when the rule was made
    ("I got laid off", "This session is for the day you got laid off.",
     "You came here after getting laid off.", "After Getting Laid Off:",
     "After Getting Laid Off"),
    ("Was rejected by my dream school", "This session is for the day you were rejected by "
     "your dream school.", "You came here after being rejected by your dream school.",
     "After Being Rejected by Your Dream School:", "Rejected by Dream School"),
    ("Just got diagnosed with diabetes", "This session is for the day you got diagnosed with "
     "diabetes.", "You came here after getting diagnosed with diabetes.",
     "After Getting Diagnosed with Diabetes:", "After Getting Diagnosed"),
    ("I was robbed last night", "This session is for the night you were robbed.",
     "You came here after being robbed last night.", "After Being Robbed:",
     "After Being Robbed"),
    ("Got ghosted again", "This session is for the day you got ghosted again.",
     "You came here after getting ghosted again.", "After Getting Ghosted Again:",
     "After Getting Ghosted Again"),
    ("I've been dumped", "This session is for the day you were dumped.",
     "You came here after being dumped.", "After Being Dumped:", "After Being Dumped"),
    ("I was just diagnosed with ADHD", "This session is for the day you were diagnosed with "
     "ADHD.", "You came here after being diagnosed with ADHD.",
     "After Being Diagnosed with ADHD:", "After Being Diagnosed"),
    ("I got mugged last night", "This session is for the night you got mugged.",
     "You came here after getting mugged last night.", "After Getting Mugged:",
     "After Getting Mugged"),
    ("Been rejected again", "This session is for the day you were rejected again.",
     "You came here after being rejected again.", "After Being Rejected Again:",
     "After Being Rejected Again"),
    ("I got stood up", "This session is for the day you got stood up.",
     "You came here after getting stood up.", "After Getting Stood Up:",
     "After Getting Stood Up"),
])
def test_what_befell_the_listener_is_an_event(topic: str, first: str, came: str, title: str,
                                              thumb: str) -> None:
    assert past_event(topic) is not None
    assert _heart(topic) == (first, came, _CLOSE)
    assert _title(topic).startswith(title)
    assert _thumb(topic) == thumb


def test_a_bare_got_stays_as_it_was() -> None:
    assert _heart("Got dumped by my boyfriend")[0] == \
        "This session is for the day you got dumped by your boyfriend."
    assert _title("Got dumped by my boyfriend").startswith(
        "After Getting Dumped by Your Boyfriend:")
    assert _thumb("Got dumped by my boyfriend") == "After Getting Dumped"
    assert _thumb("Got laid off") == "After Getting Laid Off"  # never "After Getting Laid"


@pytest.mark.parametrize(("topic", "said", "title", "thumb"), [
    ("I was stressed all week", "you were stressed all week", "You Were Stressed All Week",
     "Calm Meditation"),
    ("I got overwhelmed at work", "you got overwhelmed at work",
     "You Got Overwhelmed at Work", "Calm at Work"),
    ("I was anxious today", "you were anxious today", "You Were Anxious Today",
     "Calm Meditation"),
    ("I was married for 20 years", "you were married for 20 years",
     "You Were Married for 20 Years", None),
    ("I was bullied for years", "you were bullied for years", "You Were Bullied for Years",
     None),
])
def test_a_state_stays_a_state(topic: str, said: str, title: str, thumb: str | None) -> None:
    assert past_event(topic) is None
    assert befell(topic) == ("", "")
    assert _heart(topic) == (f"This session is for when {said}.",
                             f"You came here because {said}.",
                             f"This time is ending; take it with you for the next time {said}.")
    assert _title(topic) == f"10-Minute Guided Meditation for When {title}: Stress Relief"
    if thumb is not None:
        assert _thumb(topic) == thumb


def test_got_tired_stays_as_it_was() -> None:
    assert _heart("Got tired of waiting")[0] == \
        "This session is for the day you got tired of waiting."
    assert _thumb("Got tired of waiting") == "After Getting Tired"


@pytest.mark.parametrize(("topic", "expected"), [
    ("I was fired today", ("were", "fired today")),
    ("I've been let go", ("were", "let go")),
    ("I have been betrayed by my best friend", ("were", "betrayed by my best friend")),
    ("I just got laid off", ("got", "laid off")),
    ("Just got dumped", ("got", "dumped")),
    ("Got dumped", ("", "")),  # read as a past already
    ("I was so tired", ("", "")),
    ("I got lost", ("", "")),
    ("I can't sleep", ("", "")),
])
def test_befell(topic: str, expected: tuple[str, str]) -> None:
    assert befell(topic) == expected


@pytest.mark.parametrize("topic,said", [
    ("I was bullied at school", "for you, after you were bullied at school"),
    ("I was neglected growing up", "for you, after you were neglected growing up"),
    ("I was bullied in college", "for you, after you were bullied in college"),
])
def test_a_stretch_of_the_past_is_no_day(topic: str, said: str) -> None:
    """What befell the listener over a stretch of their past is not 'the day' it did."""
    first = heart_lines(topic, False)[0]
    assert said in first and "the day" not in first


def test_as_a_child_in_the_past_is_when_not_who() -> None:
    """'I was abused as a child' is no session for children: it says when."""
    concept = make_concept("I was abused as a child", 10, research("I was abused as a child"))
    assert "Child" in concept.title and "Children" not in concept.title
    assert " as a Child" in concept.title  # "as" is small in a title
    first = heart_lines("I was abused as a child", False)[0]
    assert first == "This session is for you, after you were abused as a child."
    assert heart_lines("Sleep as a new mum", True)[0] == "This session is for you, a new mum."


@pytest.mark.parametrize("topic", ["Was I wrong", "Was it my fault", "Were we too late"])
def test_was_before_its_subject_asks(topic: str) -> None:
    """'Was I wrong' is a question the listener asks ('was you wrong' was an order)."""
    assert heart_lines(topic, False)[0] == \
        f"This session is for the moments you ask yourself: {topic[0].lower()}{topic[1:]}?"
