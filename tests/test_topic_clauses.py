"""A topic's grammar kept whole: a degree ("too", "so"), a time's article, and a clause with a
subject of its own.

"Too tired to sleep" was titled "Tired to Sleep": without its "too" it says the reverse. A
"too" or "so" a state hangs on is kept everywhere (title, thumbnail, heart), while one that
only strengthens the state is still dropped ("Really nervous tonight"). "Night before chemo"
was "for night before chemo": a time before, after or of something takes "the", a counted
one ("first day") is the listener's own. "Bad dream woke me up" was "for a bad dream woke you
up": a clause with its own subject and a past verb is said as what happened ("for the night a
bad dream woke you up", "After a Bad Dream Woke You Up"). What the listener says of their own
("My parrot died", "I can't stop shaking") stays as it was. The topics here are not the ones
the fixes were made on: the rules are general."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.listener import past_event
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import thumbnail_words
from archibald.pipelines.short.concept import _brief, make_short_concept


def _title(topic: str) -> str:
    return make_concept(topic, 10, research(topic)).title


def _thumb(topic: str) -> str:
    return " ".join(thumbnail_words(topic))


# -- "too" + a state + "to" + a verb, and "so" + a state + a clause: the degree is the meaning --
@pytest.mark.parametrize("topic,said,thumb", [
    ("Too nervous to speak", "too nervous to speak", "Too Nervous to Speak"),
    ("Too stressed to think", "too stressed to think", "Too Stressed to Think"),
    ("Too scared to drive", "too scared to drive", "Too Scared to Drive"),
    ("So anxious I feel sick", "so anxious you feel sick", "So Anxious, Feel Sick"),
    ("So wired I can't rest", "so wired you can't rest", "So Wired, Can't Rest")])
def test_a_degree_the_state_hangs_on_is_kept_everywhere(topic: str, said: str,
                                                        thumb: str) -> None:
    opening, body, close = heart_lines(topic, sleep=False)
    assert opening == f"This session is for the times you feel {said}."
    assert body == f"You came here feeling {said}."
    assert f"feeling {said}" in close
    head = said[:1].upper() + said[1:]
    assert _title(topic).lower().startswith(head.lower() + ":"), _title(topic)
    assert _thumb(topic) == thumb


@pytest.mark.parametrize("topic", ["Too upset to eat anything", "Too sore to get out of bed"])
def test_a_cover_too_long_for_the_degree_never_drops_it(topic: str) -> None:
    """Five words or more: the cover says something else, never "Upset to Eat"."""
    words = thumbnail_words(topic)
    state = topic.split()[1].capitalize()
    assert 2 <= len(words) <= 4, words
    said = " ".join(words)  # "Easing Upset", "Calm in Bed": not the reverse of the topic
    assert f"{state} to" not in said or said.startswith("Too "), said
    assert _title(topic).startswith(f"Too {state} to "), _title(topic)


@pytest.mark.parametrize("topic,said,thumb", [
    ("Too many tabs open", "there are too many tabs open", "Too Many Tabs Open"),
    ("Too much to do", "there is too much to do", "Too Much to Do")])
def test_too_much_of_something_is_said_as_there_being_it(topic: str, said: str,
                                                        thumb: str) -> None:
    opening, body, _ = heart_lines(topic, sleep=False)
    assert opening == f"This session is for when {said}."
    assert body == f"You came here with {said.split(' ', 2)[2]}."
    assert _thumb(topic) == thumb


@pytest.mark.parametrize("topic,said", [("Really nervous tonight", "nervous tonight"),
                                        ("Too nervous", "nervous")])
def test_a_word_that_only_strengthens_the_state_is_still_dropped(topic: str, said: str) -> None:
    assert heart_lines(topic, sleep=False)[0] == f"This session is for the times you feel {said}."


# -- a time the topic names bare takes its article ------------------------------------------
@pytest.mark.parametrize("topic,said", [
    ("Night before my exam", "the night before your exam"),
    ("Morning of the race", "the morning of the race"),
    ("Week before the wedding", "the week before the wedding"),
    ("Evening after the move", "the evening after the move"),
    ("Last day at my old job", "your last day at your old job"),
    ("First night in a new house", "your first night in a new house")])
def test_a_time_before_after_or_of_something_takes_its_article(topic: str, said: str) -> None:
    opening, body, close = heart_lines(topic, sleep=False)
    assert opening == f"This session is for {said}."
    assert body == f"You came here for {said}."
    assert close.startswith(f"This time for {said} ")


def test_a_time_after_an_adjective_keeps_its_own_article() -> None:
    assert heart_lines("Quiet evening at home", sleep=False)[0] == \
        "This session is for a quiet evening at home."


# -- a clause with a subject of its own and a past verb: what happened -----------------------
@pytest.mark.parametrize("topic,when,past,title,thumb", [
    ("A loud noise woke me up", "night", "a loud noise woke you up",
     "After a Loud Noise Woke You Up", "After a Loud Noise"),
    ("Panic attack woke me at 2am", "night", "a panic attack woke you at 2am",
     "After a Panic Attack Woke You at 2am", "After a Panic Attack"),
    ("Our landlord evicted us", "day", "your landlord evicted you",
     "After Your Landlord Evicted You", "After Landlord Evicted You"),
    ("The interview went badly", "day", "the interview went badly",
     "After the Interview Went Badly", "After Interview Went Badly"),
    ("The biopsy results came back", "day", "the biopsy results came back",
     "After the Biopsy Results Came Back", "Biopsy Results Came Back"),
    ("My sister shouted at me", "day", "your sister shouted at you",
     "After Your Sister Shouted at You", "After Sister Shouted")])
def test_a_clause_with_its_own_subject_is_said_as_what_happened(
        topic: str, when: str, past: str, title: str, thumb: str) -> None:
    opening, body, close = heart_lines(topic, sleep=False)
    assert opening == f"This session is for the {when} {past}."
    assert body == f"You came here after {past}."
    assert past not in close
    assert _title(topic).startswith(f"{title}: 10-Minute "), _title(topic)
    assert _thumb(topic) == thumb
    happened = past_event(topic)
    assert happened is not None and happened.subject and happened.past == past


def test_a_clause_long_behind_the_listener_is_said_after() -> None:
    opening, body, _ = heart_lines("My engagement ended last year", sleep=False)
    assert opening == "This session is for you, after your engagement ended last year."
    assert body == "You came here after your engagement ended last year."
    assert _title("My engagement ended last year").startswith("After Your Engagement Ended:")


@pytest.mark.parametrize("topic", ["A loud noise woke me up", "Our landlord evicted us"])
def test_what_befell_the_viewer_is_never_asked_back_in_a_short(topic: str) -> None:
    short = make_short_concept(topic, 45, _brief(topic, 0))
    assert not short["hook"].lower().startswith(("a loud", "your ")), short["hook"]
    assert short["title"].startswith("A 45-Second Reset After "), short["title"]
    assert short["words"] == thumbnail_words(topic)  # never "After Loud Noise Woke You"


@pytest.mark.parametrize("topic", ["Work related stress", "Plans cancelled",
                                   "Stressed mum needs rest", "Aching legs after the gym"])
def test_no_clause_is_read_where_there_is_none(topic: str) -> None:
    assert past_event(topic) is None


# -- what the listener says of their own stays as it was --------------------------------------
@pytest.mark.parametrize("topic,opening,thumb", [
    ("My parrot died", "This session is for you, now that your parrot died.",
     "Your Parrot Died"),
    ("My grandpa is in hospital", "This session is for you, now that your grandpa is in "
     "hospital.", "Grandpa Is in Hospital"),
    ("I can't stop shaking", "This session is for when you can't stop shaking.",
     "Can't Stop Shaking")])
def test_a_clause_the_listener_says_of_their_own_is_unchanged(topic: str, opening: str,
                                                              thumb: str) -> None:
    assert heart_lines(topic, sleep=False)[0] == opening
    assert _thumb(topic) == thumb
    assert past_event(topic) is None


@pytest.mark.parametrize("topic,opening,thumb", [
    ("The neighbours partied all night", "This session is for when the neighbours partied all "
     "night.", None),
    ("My toddler screamed all day", "This session is for when your toddler screamed all day.",
     None),
    ("A thunderstorm woke me", None, "After Thunderstorm Woke You"),
    ("Sirens woke me at dawn", None, "After Sirens")])
def test_a_day_or_night_is_said_once_and_a_cover_is_said_to_someone(
        topic: str, opening: str | None, thumb: str | None) -> None:
    # "for the day the kids fought all day" said the day twice; "Panic Attack Woke You" was
    # said to no one
    if opening is not None:
        assert heart_lines(topic, sleep=False)[0] == opening
    if thumb is not None:
        assert _thumb(topic) == thumb
