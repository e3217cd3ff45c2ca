"""A verb done to a person is an event even with no one named and no "I was" before it.

"Fired today" was "for the times you feel fired today" under the title "10-Minute Guided
Meditation for Stress Relief"; "Dumped last night" was "After Dumping" (the listener did the
dumping) and "Dumped by text message" "Stress Relief for Text Message" (the means read as
what the session is for). A participle of a verb done to people ("fired", "dumped",
"ghosted", "evicted", "laid off") alone, with "again", or with how it was done ("by text",
"over the phone", "via email") is what happened to the listener: "the day you were fired",
"After Being Fired Over the Phone". Any other lone participle is how they were left feeling
("Betrayed": "When You Feel Betrayed"), and where a life stands ("Divorced") or a feeling a
session gives ("Surrounded by nature") is no event. Most topics here are not the ones the
rule was made on."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.listener import past_event
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import thumbnail_words


def _title(topic: str) -> str:
    return make_concept(topic, 10, research(topic)).title


def _thumb(topic: str) -> str:
    return " ".join(thumbnail_words(topic))


@pytest.mark.parametrize(("topic", "first", "title", "thumb"), [
    ("Sacked yesterday", "This session is for the day you were sacked.", "After Being Sacked:",
     "After Being Sacked"),
    ("Mugged on the way home", "This session is for the day you were mugged on the way "
     "home.", "After Being Mugged on the Way Home:", "After Being Mugged"),
    ("Fired from my job", "This session is for the day you were fired from your job.",
     "After Being Fired from Your Job:", "After Being Fired"),
    ("Dumped last night", "This session is for the day you were dumped.",
     "After Being Dumped:", "After Being Dumped"),
    ("Burgled last month", "This session is for you, after you were burgled last month.",
     "After Being Burgled:", "After Being Burgled"),
    ("Evicted", "This session is for the day you were evicted.", "After Being Evicted:",
     "After Being Evicted"),
    ("Made redundant by letter", None, None, None),
    ("Ghosted again", "This session is for the day you were ghosted again.",
     "After Being Ghosted Again:", "After Being Ghosted Again"),
    ("Kicked out today", "This session is for the day you were kicked out.",
     "After Being Kicked Out:", "After Being Kicked Out"),
    ("Dumped by email", "This session is for the day you were dumped by email.",
     "After Being Dumped by Email:", "Dumped by Email"),
    ("Dismissed over the phone", "This session is for the day you were dismissed over the "
     "phone.", "After Being Dismissed Over the Phone:", "Dismissed Over the Phone"),
    ("Humiliated over text", "This session is for the day you were humiliated over text.",
     "After Being Humiliated Over Text:", "Humiliated Over Text"),
    ("Broken up with by text", "This session is for the day you were broken up with by text.",
     "After Being Broken Up with by Text:", "After Being Broken Up"),
    ("Laid off via video call", "This session is for the day you were laid off via video "
     "call.", "After Being Laid Off Via Video Call:", "After Being Laid Off"),
])
def test_a_verb_done_to_the_listener_is_what_happened_to_them(
        topic: str, first: str | None, title: str | None, thumb: str | None) -> None:
    if first is None:  # not this rule's shape: whatever else reads it, never "you feel"
        assert "feel " + topic.split()[0].lower() not in heart_lines(topic, False)[0]
        return
    happened = past_event(topic)
    assert happened is not None and happened.passive
    assert heart_lines(topic, False)[0] == first
    assert _title(topic).startswith(title or "")
    assert _thumb(topic) == thumb


@pytest.mark.parametrize(("topic", "title"), [
    ("Betrayed", "for When You Feel Betrayed"),
    ("Humiliated", "for When You Feel Humiliated"),
    ("Abandoned", "for When You Feel Abandoned"),
    ("Unappreciated", "for When You Feel Unappreciated"),
    ("Insulted", "for When You Feel Insulted"),
    ("Overwhelmed by emails", "for When You Feel Overwhelmed by Emails"),
])
def test_any_other_lone_participle_is_how_the_listener_was_left_feeling(
        topic: str, title: str) -> None:
    assert past_event(topic) is None
    assert title in _title(topic)


@pytest.mark.parametrize("topic", ["Divorced", "Surrounded by nature", "Stop by the sea",
                                   "Consumed by worry", "Driven by ambition", "Tired",
                                   "Fired up for the day", "Fired up", "Laid back",
                                   "Let go of anger"])
def test_what_no_one_did_to_the_listener_is_no_such_event(topic: str) -> None:
    happened = past_event(topic)
    assert happened is None or not happened.passive
    assert "you feel divorced" not in _title(topic).lower()
    assert not _title(topic).startswith("After Being")  # (no event in its title either)


@pytest.mark.parametrize(("topic", "title"), [
    ("Bullied as a child", "After Being Bullied as a Child:"),
    ("Abused as a kid", "Abused as a Kid:"),
    ("Hurt as a teenager", "Hurt as a Teenager:"),
])
def test_as_a_child_after_a_participle_is_when_not_for_whom(topic: str, title: str) -> None:
    assert _title(topic).startswith(title)
    assert "Children" not in _title(topic) and "Kids" not in _title(topic)
    assert ", a child" not in heart_lines(topic, False)[0]


def test_a_time_of_life_after_a_done_to_verb_is_no_day() -> None:
    assert heart_lines("Bullied at school", False)[0] == \
        "This session is for you, after you were bullied at school."


@pytest.mark.parametrize(("topic", "title"), [
    ("Insulted at a family dinner", "After Being Insulted at a Family Dinner"),
    ("Humiliated in a meeting", "After Being Humiliated in a Meeting"),
    ("Rejected at the audition", "After Being Rejected at the Audition"),
])
def test_a_feeling_done_on_one_occasion_is_what_was_done(topic: str, title: str) -> None:
    assert _title(topic).startswith(title)
    assert "you feel" not in heart_lines(topic, False)[0]


@pytest.mark.parametrize("topic", ["Ignored at work", "Criticised in class", "Rejected"])
def test_where_it_is_often_felt_it_stays_a_feeling(topic: str) -> None:
    happened = past_event(topic)
    assert happened is None or not happened.passive
    assert "you feel" in heart_lines(topic, False)[0]
