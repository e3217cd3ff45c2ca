"""A topic's sentence shape: a passive, a request's object, a bare subject, a present state,
and a past spelled as its present without a time.

"Cut off by my best friend" was an order ("here to help you cut off by your best friend"): a
participle with "by" and who did it is what befell the listener ("for the day you were cut
off by your best friend", "After Being Cut Off by Your Best Friend"). "Help me get over my
fear of flying" had the thumbnail "Get Over": a verb cut from its object says nothing.
"Wedding got cancelled" was "a wedding": a bare subject the listener has is theirs. "Exams
finished today" and "My knees hurt" were "for exams finished today" and "for your knees
hurt": a subject, a past verb and a time is an event, a subject and a present verb a state.
"Cut my screen time" was "After Cutting Your Screen Time": without a time (or a sign it
happened) it is what the listener means to do. Most topics here are not the ones the fixes
were made on: the rules are general."""

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


# -- a participle, "by" and who did it: what befell the listener -----------------------------
@pytest.mark.parametrize("topic,past,thumb", [
    ("Cut off by my best friend", "cut off by your best friend", "Cut Off by Friend"),
    ("Let down by my family", "let down by your family", "Let Down by Family"),
    ("Put down by my boss", "put down by your boss", "Put Down by Boss"),
    ("Ghosted by someone I loved", "ghosted by someone you loved", "Ghosted by Someone"),
    ("Betrayed by a friend", "betrayed by a friend", "Betrayed by a Friend"),
    ("Left out by my classmates", "left out by your classmates", "Left Out by Classmates"),
    ("Told off by my boss", "told off by your boss", "Told Off by Boss"),
    ("Bitten by a dog", "bitten by a dog", "Bitten by a Dog"),
    ("Ignored by my coworkers", "ignored by your coworkers", "Ignored by Coworkers")])
def test_a_passive_is_what_befell_the_listener(topic: str, past: str, thumb: str) -> None:
    opening, body, close = heart_lines(topic, False)
    assert opening == f"This session is for the day you were {past}.", opening
    assert body == f"You came here after being {past}.", body
    assert "help you" not in " ".join((opening, body, close))  # never an order
    head = " ".join(w if w in ("by", "a") else w.capitalize() for w in past.split())
    assert _title(topic).startswith(f"After Being {head}: 10-Minute"), _title(topic)
    assert _thumb(topic) == thumb


def test_a_passive_long_behind_the_listener_is_said_after() -> None:
    topic = "Hit by a car last week"
    happened = past_event(topic)
    assert happened is not None and not happened.day
    assert heart_lines(topic, False)[:2] == (
        "This session is for you, after you were hit by a car last week.",
        "You came here after being hit by a car last week.")
    assert _title(topic).startswith("After Being Hit by a Car: 10-Minute"), _title(topic)
    assert _thumb(topic) == "Hit by a Car"


@pytest.mark.parametrize("topic", [
    "Stop by the sea", "Stop by the lake", "Learn to sit by the fire", "Surrounded by nature",
    "Lulled by the waves", "Overwhelmed by wedding planning", "Hurt by my best friend",
    "Consumed by worry", "Calm by a pond at dusk"])
def test_no_passive_is_read_where_there_is_none(topic: str) -> None:
    # "stop" and "sit" are no participles; a feeling a session gives, a state of the
    # listener's ("overwhelmed", "hurt") or a trouble ("worry") is how they are, no event
    assert past_event(topic) is None
    assert "you were" not in heart_lines(topic, False)[0]
    assert not _title(topic).startswith("After Being"), _title(topic)


def test_an_order_by_a_place_keeps_its_reading() -> None:
    assert heart_lines("Stop by the sea", False) == (
        "This session is here to help you stop by the sea.", "You came here to stop by the sea.",
        "This time to stop by the sea is ending; take it with you.")
    assert _title("Stop by the sea").startswith("Stop by the Sea: 10-Minute"), \
        _title("Stop by the sea")
    assert _thumb("Stop by the sea") == "Stop by the Sea"
    assert heart_lines("Learn to sit by the fire", False)[0] == \
        "This session is here to help you learn to sit by the fire."


# -- a request's thumbnail never cuts its verb from its object --------------------------------
@pytest.mark.parametrize("topic,thumb", [
    ("Help me get over my fear of flying", "Fear of Flying"),
    ("Help me get through my fear of heights", "Fear of Heights"),
    ("Help me get over my fear of public speaking", "Fear of Public Speaking"),
    ("Help me let go of my ex", "Let Go of Ex"),  # as before
    ("Help me let go of my old job", "Let Go")])  # cut at "of", not at its object: as before
def test_a_requests_thumbnail_names_what_it_is_about(topic: str, thumb: str) -> None:
    assert _thumb(topic) == thumb


# -- a bare subject takes the article it has --------------------------------------------------
@pytest.mark.parametrize("topic,said", [
    ("Wedding got cancelled", "your wedding got cancelled"),
    ("Flight got delayed", "your flight got delayed"),
    ("Surgery got postponed", "your surgery got postponed"),
    ("Car broke down", "your car broke down"),
    ("Power went out", "the power went out"),
    ("Bad dream woke me up", "a bad dream woke you up"),  # as before: new to the listener
    ("A bad dream woke me up", "a bad dream woke you up")])
def test_a_bare_subject_takes_its_article(topic: str, said: str) -> None:
    happened = past_event(topic)
    assert happened is not None and happened.past_bare == said
    opening = heart_lines(topic, False)[0]
    assert opening.endswith(f" {said}."), opening
    assert _title(topic).lower().startswith(f"after {said}: 10-minute"), _title(topic)


# -- a subject, a past verb and a time: an event ---------------------------------------------
@pytest.mark.parametrize("topic,said,title", [
    ("Exams finished today", "your exams finished", "After Your Exams Finished"),
    ("Plans cancelled today", "your plans were cancelled", "After Your Plans Were Cancelled"),
    ("Flight delayed yesterday", "your flight was delayed", "After Your Flight Was Delayed"),
    ("Meeting ended early today", "your meeting ended early",
     "After Your Meeting Ended Early")])
def test_a_subject_a_past_and_a_time_is_an_event(topic: str, said: str, title: str) -> None:
    opening, body, _ = heart_lines(topic, False)
    assert opening == f"This session is for the day {said}.", opening
    assert body.startswith(f"You came here after {said} "), body
    assert _title(topic).startswith(f"{title}: 10-Minute"), _title(topic)
    assert thumbnail_words(topic)[0] == "After"


@pytest.mark.parametrize("topic", ["Flight delayed", "Plans cancelled"])
def test_without_a_time_such_a_subject_is_still_no_event(topic: str) -> None:
    assert past_event(topic) is None


# -- a subject and a present verb: a state ---------------------------------------------------
@pytest.mark.parametrize("topic,said", [
    ("My knees hurt", "your knees hurt"), ("My head aches", "your head aches"),
    ("My back hurts", "your back hurts"),
    ("My heart races at night", "your heart races at night"),
    ("My shoulders ache", "your shoulders ache"), ("My eye twitches", "your eye twitches"),
    ("My hands shake", "your hands shake"), ("Heart races at night", "your heart races at night")])
def test_a_subject_and_a_present_verb_is_a_state(topic: str, said: str) -> None:
    opening, body, close = heart_lines(topic, False)
    assert opening == f"This session is for when {said}.", opening
    assert body == f"You came here because {said}.", body
    assert close == f"This time is ending; take it with you for the next time {said}."
    assert f"for when {said}:" in _title(topic).lower(), _title(topic)


@pytest.mark.parametrize("topic", ["My panic attacks", "My mood swings", "My back pain"])
def test_a_noun_in_s_is_no_present_verb(topic: str) -> None:
    assert "for when" not in heart_lines(topic, False)[0]


# -- a past spelled as its present: a wish without a time, an event with one ----------------
@pytest.mark.parametrize("topic,act", [
    ("Cut my screen time", "cut your screen time"),
    ("Quit my sugar habit", "quit your sugar habit"),
    ("Cut my caffeine", "cut your caffeine")])
def test_such_a_verb_on_the_listeners_own_without_a_time_is_a_wish(topic: str,
                                                                   act: str) -> None:
    assert past_event(topic) is None
    opening, body, _ = heart_lines(topic, False)
    assert opening == f"This session is here to help you {act}.", opening
    assert body == f"You came here to {act}.", body
    assert not _title(topic).startswith("After "), _title(topic)
    assert thumbnail_words(topic)[0] != "After"


@pytest.mark.parametrize("topic,past", [
    ("Cut my hair yesterday", "you cut your hair"), ("Quit my job today", "you quit your job"),
    ("Cut my finger while cooking", "you cut your finger while cooking"),
    ("Hurt my back", "you hurt your back")])
def test_such_a_verb_with_a_time_or_a_hurt_is_still_what_happened(topic: str,
                                                                  past: str) -> None:
    happened = past_event(topic)
    assert happened is not None and happened.past_bare == past
    assert heart_lines(topic, False)[0] == f"This session is for the day {past}."


# -- what stays as it was ---------------------------------------------------------------------
@pytest.mark.parametrize("topic,title,thumb,heart", [
    ("Stop by the sea", "Stop by the Sea: 10-Minute Guided Meditation for Stress Relief",
     "Stop by the Sea", "This session is here to help you stop by the sea."),
    ("Hit the gym", "Hit the Gym: 10-Minute Guided Meditation for Stress Relief",
     "Hit the Gym", "This session is here to help you hit the gym."),
    ("Quit my job today", "After Quitting Your Job: 10-Minute Guided Meditation for Stress "
     "Relief", "After Quitting Your Job", "This session is for the day you quit your job."),
    ("Bad dream woke me up", "After a Bad Dream Woke You Up: 10-Minute Guided Meditation for "
     "Stress Relief", "After a Bad Dream", "This session is for the night a bad dream woke "
     "you up.")])
def test_these_keep_their_outputs(topic: str, title: str, thumb: str, heart: str) -> None:
    assert _title(topic) == title
    assert _thumb(topic) == thumb
    assert heart_lines(topic, False)[0] == heart


def test_a_post_one_leaves_is_left_not_wished() -> None:
    """"Quit my job" is done (a post one leaves); "Cut my screen time" is meant."""
    from archibald.pipelines.meditation.setting import heart_lines

    assert "the day you quit your job" in heart_lines("Quit my job", False)[0]
    assert "the day you quit your band" in heart_lines("Quit my band", False)[0]
    assert "help you cut your screen time" in heart_lines("Cut my screen time", False)[0]


def test_i_was_is_said_you_were() -> None:
    from archibald.pipelines.meditation.words import said_to_listener

    assert said_to_listener("I was let down by my family") == "You were let down by your family"
    assert said_to_listener("I wasn't ready") == "You weren't ready"
