"""Topics that are no feeling of the listener's own: what happened to them, a sore part of the
body, the one who looks after a baby or someone else, and a feeling toward someone.

"Lost my job today" was "This session is for the times you feel lost your job today", titled
"Lost Your Job Today: ..." with a thumbnail "Calm Meditation"; "Sore back after gardening"
was "Calm After Gardening" ("you feel sore back"); "Burnt out from caring for twins" was
"Stress Relief for Twins"; "Bedtime for a restless toddler" said "This session is for you, a
restless toddler"; "Homesick at boarding school" had the thumbnail "Calm in the School". The
topics here are mostly not those: the rules are general."""

from __future__ import annotations

import re

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.listener import body_state, felt_phrase, past_event
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines
from archibald.pipelines.meditation.topic import read_topic, thumbnail_words
from archibald.pipelines.short.concept import _brief, make_short_concept


def _title(topic: str) -> str:
    return make_concept(topic, 10, research(topic)).title


def _short(topic: str) -> dict[str, object]:
    return make_short_concept(topic, 45, _brief(topic, 0))


# -- what happened --------------------------------------------------------------------------
@pytest.mark.parametrize("topic,past,doing,after", [
    ("Lost my job today", "you lost your job", "losing your job today",
     "After Losing Your Job"),
    ("Crashed my car this morning", "you crashed your car", "crashing your car this morning",
     "After Crashing Your Car"),
    ("Argued with my sister", "you argued with your sister", "arguing with your sister",
     "After Arguing with Your Sister"),
    ("Fell off my bike", "you fell off your bike", "falling off your bike",
     "After Falling Off Your Bike"),
    ("Dropped out of college", "you dropped out of college", "dropping out of college",
     "After Dropping Out of College"),
    ("Got fired today", "you got fired", "getting fired today", "After Getting Fired"),
    ("Made a mistake at work", "you made a mistake at work", "making a mistake at work",
     "After Making a Mistake at Work"),
    ("Cried at my desk", "you cried at your desk", "crying at your desk",
     "After Crying at Your Desk"),
    ("Bombed my job interview", "you bombed your job interview",
     "bombing your job interview", "After Bombing Your Job Interview"),
])
def test_a_past_event_is_what_happened_not_a_feeling(topic: str, past: str, doing: str,
                                                      after: str) -> None:
    opening, body, close = heart_lines(topic, False)
    assert opening == f"This session is for the day {past}."
    assert body == f"You came here after {doing}."
    assert "feel" not in " ".join((opening, body, close))
    assert _title(topic).startswith(f"{after}: 10-Minute")
    thumb = thumbnail_words(topic)
    assert 2 <= len(thumb) <= 4 and after.split()[1] in thumb, thumb  # the event's own verb
    assert thumb[0] in ("After", after.split()[1]), thumb  # "After Losing", "Dropping Out"
    short = _short(topic)
    assert f"Reset {after}" in str(short["title"]), short["title"]
    assert after.split()[1] in short["words"], short["words"]  # type: ignore[operator]


def test_a_time_long_past_is_no_day() -> None:
    opening, body, _ = heart_lines("Lost my dad a few years ago", False)
    assert opening == "This session is for you, after you lost your dad a few years ago."
    assert body == "You came here after losing your dad a few years ago."
    assert _title("Lost my dad a few years ago").startswith("After Losing Your Dad: ")
    assert thumbnail_words("Lost my dad a few years ago") == ["After", "Losing", "Your", "Dad"]


@pytest.mark.parametrize("topic", [
    "Lost and lonely", "Stressed out about exams", "Relieved the exam is over",
    "Left out at school", "Overwhelmed by wedding planning", "Scared of the dark",
    "Excited about my trip", "Tired eyes after screens", "Grief after losing my grandmother",
    "Burnt out from caring for twins", "Lost in thought"])
def test_a_state_is_no_past_event(topic: str) -> None:
    assert past_event(topic) is None


# -- a part of the body ---------------------------------------------------------------------
@pytest.mark.parametrize("topic,said,part", [
    ("Stiff neck from desk work", "a stiff neck from desk work", "Neck"),
    ("Sore throat before a big speech", "a sore throat before a big speech", "Throat"),
    ("Aching back after moving house", "an aching back after moving house", "Back"),
    ("Throbbing head after a long meeting", "a throbbing head after a long meeting", "Head"),
    ("Sore knees after running", "sore knees after running", "Knees"),
    ("Aching feet after a long shift", "aching feet after a long shift", "Feet"),
])
def test_a_sore_part_of_the_body_keeps_its_noun(topic: str, said: str, part: str) -> None:
    assert body_state(topic) == said
    opening, body, _ = heart_lines(topic, False)
    assert said in opening and said in body, (opening, body)  # with its article: never
    assert "you feel" not in opening  # "you feel sore back", "for stiff neck"
    assert part in _title(topic).split(), _title(topic)  # never "Calm After Running"
    assert part in thumbnail_words(topic), thumbnail_words(topic)
    short = _short(topic)
    assert part in str(short["title"]).split() and part in short["words"], short  # type: ignore


# -- the one who looks after someone --------------------------------------------------------
@pytest.mark.parametrize("topic,doing", [
    ("Exhausted from looking after a newborn", ["Looking", "after", "a", "Newborn"]),
    ("Worn out from caring for my mum", ["Caring", "for", "Your", "Mum"]),
    ("Drained from caring for my grandad", ["Caring", "for", "Your", "Grandad"]),
])
def test_the_carer_is_the_listener(topic: str, doing: list[str]) -> None:
    title = _title(topic)
    felt = felt_phrase(topic)
    assert felt.startswith("When You Feel ") and felt in title, title
    assert not re.search(r"(?:Stress Relief|Calm) for (?:Your |a )?\w+$", title), title
    assert thumbnail_words(topic) == doing or thumbnail_words(topic)[0] in (
        "Exhausted", "Worn", "Drained"), thumbnail_words(topic)
    assert "Calm for" not in " ".join(thumbnail_words(topic))


@pytest.mark.parametrize("topic,with_", [
    ("Patience for a teething baby", "with a teething baby"),
    ("Calm for a crying newborn", "with a crying newborn"),
    ("Sleep for a colicky baby", "with a colicky baby"),
])
def test_a_baby_is_never_the_listener(topic: str, with_: str) -> None:
    assert read_topic(topic).audience == "" and read_topic(topic).person == ""
    lines = heart_lines(topic, False)
    assert with_ in lines[0] and "for you, a" not in lines[0], lines
    assert with_.title().replace("With A", "with a") in _title(topic), _title(topic)
    assert "for" not in [w.lower() for w in thumbnail_words(topic)], thumbnail_words(topic)


@pytest.mark.parametrize("topic", ["Caring for a newborn", "A lullaby for my baby"])
def test_a_baby_a_verb_or_a_song_is_for_stays_so(topic: str) -> None:
    assert "with" not in heart_lines(topic, False)[0]


# -- thumbnails that keep what the topic is about -------------------------------------------
@pytest.mark.parametrize("topic,words", [
    ("Scared of the dark", "Fear of the Dark"),
    ("Fear of public speaking", "Fear of Public Speaking"),
    ("Fear of heights", "Fear of Heights"),
    ("Afraid of my boss", "Afraid of Your Boss"),
    ("Envious of my sister", "Envious of Your Sister"),
    ("Jealous of my best friend", "Jealous of Best Friend"),
    ("Lonely at university", "Lonely at University"),
    ("Homesick at summer camp", "Homesick at Summer Camp"),
    ("Stuck in traffic", "Stuck in Traffic"),
    ("Overwhelmed by wedding planning", "Overwhelmed by Wedding Planning"),
    ("Frustrated with my teenager", "Frustrated with Your Teenager"),
    ("Burnt out from caring for twins", "Caring for Twins"),
])
def test_a_thumbnail_keeps_what_the_feeling_is_about(topic: str, words: str) -> None:
    assert " ".join(thumbnail_words(topic)) == words


@pytest.mark.parametrize("topic", ["Jealous of my best friend", "Envious of my older brother",
                                   "Resentful of my old boss"])
def test_a_shorts_cover_never_ends_on_a_word_that_needs_the_next(topic: str) -> None:
    cover = list(_short(topic)["words"])  # type: ignore[call-overload]
    assert 2 <= len(cover) <= 4 and cover[-1].lower() not in ("best", "older", "old"), cover


# -- losing someone is grief; losing something is not ---------------------------------------
@pytest.mark.parametrize("topic", ["Lost my grandad in the spring", "Losing our old cat",
                                   "Lost a baby at twenty weeks", "Lost my best friend",
                                   "Lost my brother two years ago"])
def test_losing_someone_is_comforted_as_grief(topic: str) -> None:
    assert read_topic(topic).goal == "grief"
    assert _title(topic).endswith("Comfort in Grief")


@pytest.mark.parametrize("topic", ["Lost my wallet on the train", "Lost my temper at work",
                                   "Losing my hair", "Lost my place in the team"])
def test_losing_something_is_no_grief(topic: str) -> None:
    assert read_topic(topic).goal != "grief"


@pytest.mark.parametrize("topic,when", [("Lost my sister a year ago", "a year ago"),
                                        ("Failed my exam 3 days ago", "3 days ago"),
                                        ("Crashed my bike a couple of weeks ago",
                                         "a couple of weeks ago")])
def test_a_time_ago_is_said_in_the_heart_and_left_out_of_title_and_thumbnail(
        topic: str, when: str) -> None:
    happened = past_event(topic)
    assert happened is not None and not happened.day
    assert when not in happened.past_bare
    assert when.split()[-2] not in " ".join(thumbnail_words(topic)).lower()
    assert when not in _title(topic).lower()


@pytest.mark.parametrize("topic,hook", [
    ("Fell out with my neighbour", "Just fell out?"),
    ("Burned the dinner for my guests", "Burned the dinner?"),
    ("Dented my dad's car last night", "Dented your dad's car?"),
    ("Messed up a presentation at work", "Messed up a presentation?")])
def test_a_past_events_hook_is_said_short_enough_to_ask(topic: str, hook: str) -> None:
    from archibald.pipelines.short.concept import _hook_for

    assert _hook_for(topic, 0) == hook
