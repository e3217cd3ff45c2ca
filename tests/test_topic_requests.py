"""Topics read as what they ask or name: a request said to the app is the listener's wish ("Help
me fall asleep" was "This session is for help you fall asleep.", titled "Help You Fall Asleep"),
a word typed in capitals for emphasis is never shouted back ("NOW"), an activity practised
mindfully is the activity ("Mindful dishwashing" was "the times you feel mindful dishwashing"),
a meditation the topic names is the session, never the listener's trouble ("You came here for
meditation before school"), and a thumbnail says what the topic says ("I can't stop crying"
was "Calm Meditation")."""

from __future__ import annotations

import re

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import thumbnail_words
from archibald.pipelines.meditation.wishes import activity, gerund, named_session, wish
from archibald.pipelines.short.concept import _brief, _hook_for, make_short_concept


def _read(topic: str) -> tuple[str, str, tuple[str, str, str]]:
    concept = make_concept(topic, 10, research(topic))
    return concept.title, " ".join(thumbnail_words(topic)), heart_lines(topic, concept.sleep)


@pytest.mark.parametrize("topic,act", [
    ("Help me get back to sleep", "get back to sleep"),
    ("I need to slow down", "slow down"),
    ("Need to unwind PLEASE", "unwind"),
    ("I want to feel rested", "feel rested"),
    ("Teach me to let go", "let go"),
    ("Want to stop overthinking", "stop overthinking"),
    ("How to switch off", "switch off"),
    ("Please help me relax before my flight", "relax before your flight"),
    ("I really need to focus right now", "focus")])
def test_a_request_is_the_wish_it_says(topic: str, act: str) -> None:
    found = wish(topic)
    assert found is not None and found.act == act
    title, thumb, heart = _read(topic)
    assert heart[:2] == (f"This session is here to help you {act}.", f"You came here to {act}.")
    assert not re.search(r"\b(?:for help you|for need|for want|for teach)\b", " ".join(heart))
    assert "Help You" not in title and "Teach You" not in title and not title.startswith(
        ("Need to", "Want to", "I "))
    assert 2 <= len(thumb.split()) <= 4
    assert thumb not in ("Calm Meditation", "Calm for Help", "Calm for Need") and \
        not thumb.endswith((" for Help", " for Need", " for Teach", " Meditation"))


@pytest.mark.parametrize("topic,head", [
    ("Help me get back to sleep", "Help to Get Back to Sleep: 10-Minute Sleep Meditation"),
    ("I need to slow down", "Help to Slow Down: 10-Minute Guided Meditation"),
    ("Teach me to let go", "Learning to Let Go: 10-Minute Guided Meditation"),
    ("I want to feel rested", "Feeling Rested: 10-Minute Guided Meditation"),
    ("How to switch off", "How to Switch Off: 10-Minute Guided Meditation")])
def test_a_request_is_titled_as_the_help_it_asks_for(topic: str, head: str) -> None:
    title, _, _ = _read(topic)
    assert title.startswith(head), title


def test_the_benefit_is_not_said_again_after_the_wish() -> None:
    title, _, _ = _read("Teach me to let go")
    assert title == "Learning to Let Go: 10-Minute Guided Meditation"


@pytest.mark.parametrize("topic", ["I need to breathe RIGHT NOW", "Need to unwind PLEASE",
                                   "Help me calm down NOW"])
def test_a_word_in_capitals_for_emphasis_is_never_shouted(topic: str) -> None:
    title, thumb, heart = _read(topic)
    short = make_short_concept(topic, 45, _brief(topic, 0))
    for said in (title, thumb, *heart, short["title"], short["hook"], " ".join(short["words"])):
        assert not re.search(r"\b(?:NOW|RIGHT|PLEASE)\b", said), said


def test_an_acronym_keeps_its_capitals_in_a_request() -> None:
    title, _, heart = _read("Help me sleep before my MRI")
    assert "MRI" in title and heart[0] == "This session is here to help you sleep before your MRI."


def test_help_through_something_is_the_help_itself() -> None:
    _, thumb, heart = _read("Help me through exam week")
    assert heart[:2] == ("This session is here to help you through exam week.",
                         "You came here for help through exam week.")
    assert thumb == "Help Through Exam Week"


@pytest.mark.parametrize("topic", ["Trying to sleep", "How do I stop worrying?",
                                   "I need a hug", "Helping my mum move house",
                                   "Wanting more from life", "Help"])
def test_what_is_no_request_is_read_as_before(topic: str) -> None:
    assert wish(topic) is None


def test_a_request_in_a_short_is_what_it_wishes() -> None:
    short = make_short_concept("Need to unwind PLEASE", 45, _brief("Need to unwind PLEASE", 0))
    # help to it, as the long title says; never a promise to unwind in 45 seconds
    assert short["title"] == "Help to Unwind in 45 Seconds #Shorts"
    asked = "Help me through a bad night"  # a help through: its thumbnail says it too
    assert make_short_concept(asked, 45, _brief(asked, 0))["words"] == [
        "Help", "Through", "Bad", "Night"]
    assert _hook_for("I need to slow down", 0) == "Need to slow down?"
    assert _hook_for("I want to feel rested", 0) == "Want to feel rested?"


@pytest.mark.parametrize("verb,ing", [("fall", "falling"), ("breathe", "breathing"),
                                      ("let", "letting"), ("lie", "lying"), ("be", "being"),
                                      ("see", "seeing"), ("stop", "stopping"),
                                      ("focus", "focusing"), ("open", "opening"),
                                      ("quit", "quitting"), ("relax", "relaxing")])
def test_gerund(verb: str, ing: str) -> None:
    assert gerund(verb) == ing


@pytest.mark.parametrize("topic,head", [
    ("Mindful gardening", "Mindful Gardening"),
    ("Mindful ironing", "Mindful Ironing"),
    ("Peaceful knitting by the fire", "Peaceful Knitting by the Fire"),
    ("Slow mindful walking in the rain", "Slow Mindful Walking in the Rain")])
def test_an_activity_practised_mindfully_is_the_activity(topic: str, head: str) -> None:
    title, thumb, heart = _read(topic)
    said = head[:1] + head[1:].lower()
    assert activity(topic).lower() == said.lower()
    assert heart[0] == f"This session is for {said.lower()}.", heart
    assert "feel" not in heart[0] and " a " + said.lower() not in heart[1]
    assert title.startswith(f"{head}: 10-Minute Guided Meditation"), title
    assert thumb.startswith(" ".join(head.split()[:2])), thumb


@pytest.mark.parametrize("topic", ["Nervous flying", "Slow mornings", "A peaceful evening",
                                   "Tired after running"])
def test_a_feeling_or_a_thing_is_no_activity(topic: str) -> None:
    assert activity(topic) == ""


@pytest.mark.parametrize("topic,thumb", [
    ("A paddle on a quiet river", "Paddle on Quiet River"),
    ("A swim in a cold lake", "Swim in Cold Lake")])
def test_a_thing_where_it_is_keeps_both_in_its_thumbnail(topic: str, thumb: str) -> None:
    assert " ".join(thumbnail_words(topic)) == thumb


@pytest.mark.parametrize("topic,who", [
    ("Lunchtime meditation for office workers", "office workers"),
    ("Sunrise meditation for new dads", "new dads")])
def test_a_named_meditation_for_someone_is_theirs(topic: str, who: str) -> None:
    title, _, heart = _read(topic)
    kind = named_session(topic)
    assert kind is not None
    assert heart[0] == f"This session is for you, {who}."
    assert heart[1] == f"You came here for a {kind.kind}."
    assert title.startswith(f"10-Minute {kind.kind.title()} for {who.title()}"), title


def test_a_meditation_for_someone_before_something_is_the_pause_before_it() -> None:
    _, _, heart = _read("Meditation for students before exams")
    assert heart == ("This session is for you, students, before exams.",
                     "You came here for a pause before exams.",
                     "This quiet time before exams is ending; take it with you.")


@pytest.mark.parametrize("topic,title,said", [
    ("Breathing meditation on the beach", "10-Minute Breathing Meditation on the Beach",
     "a breathing meditation on the beach"),
    ("A meditation before my driving test", "10-Minute Guided Meditation Before Your Driving",
     "a meditation before your driving test"),
    ("Sunday meditation", "10-Minute Sunday Meditation", "a Sunday meditation")])
def test_a_named_meditation_is_the_session(topic: str, title: str, said: str) -> None:
    made, _, heart = _read(topic)
    assert made.startswith(title), made
    assert made.lower().count("meditation") == 1
    assert heart[:2] == (f"This session is {said}.", f"You came here for {said}.")
    short = make_short_concept(topic, 45, _brief(topic, 0))
    assert "While" not in short["title"] and short["title"].lower().count("meditation") == 1


@pytest.mark.parametrize("topic", ["Meditation", "Tired of meditation apps",
                                   "Yoga nidra for sleep"])
def test_a_topic_that_names_no_session_of_its_own(topic: str) -> None:
    assert named_session(topic) is None


@pytest.mark.parametrize("topic,thumb", [
    ("I can't stop shivering", "Can't Stop Shivering"),
    ("My mind won't switch off", "Mind Won't Switch Off"),
    ("Why can't I relax", "Can't Relax"),
    ("Why do I wake up at 4am", "Wake Up at 4am"),
    ("Why do I feel so anxious", "Feeling So Anxious")])
def test_a_thumbnail_says_what_the_listener_says_or_asks(topic: str, thumb: str) -> None:
    assert " ".join(thumbnail_words(topic)) == thumb
