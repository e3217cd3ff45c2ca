"""A past spelled as its present ("quit", "hit", "cut", "split") and a request with a phrasal
verb ("let go of", "wind down").

"Quit my job today" was an order: titled "Quit Your Job Today: ..." and "here to help you quit
your job today". Acting on the listener's own ("my job") or with a time behind them ("last
week", "yesterday") it is what they did, said as "Lost my job today" is; with neither it stays
an order ("Quit overthinking", "Hit the gym"). "Help me let go of my ex" had the thumbnail "Go
for Help": a request's thumbnail says its act, its phrasal verb whole. The topics here are
not the ones the fixes were made on: the rules are general."""

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


# -- a past spelled as its present, with what it acts on and a time, or the listener's own --
@pytest.mark.parametrize("topic,past,doing,after", [
    ("Hurt my knee this morning", "you hurt your knee", "hurting your knee this morning",
     "After Hurting Your Knee"),
    ("Upset my best friend yesterday", "you upset your best friend",
     "upsetting your best friend yesterday", "After Upsetting Your Best Friend"),
    ("Hit my head on the cupboard yesterday", "you hit your head on the cupboard",
     "hitting your head on the cupboard yesterday", "After Hitting Your Head on the Cupboard"),
    ("Cut my finger while cooking", "you cut your finger while cooking",
     "cutting your finger while cooking", "After Cutting Your Finger While Cooking"),
    ("Split up with my fiance today", "you split up with your fiance",
     "splitting up with your fiance today", "After Splitting Up with Your Fiance"),
    ("Quit my band this afternoon", "you quit your band", "quitting your band this afternoon",
     "After Quitting Your Band"),
    ("Quit my job today", "you quit your job", "quitting your job today",
     "After Quitting Your Job"),
    ("Cut my hair too short today", "you cut your hair too short",
     "cutting your hair too short today", "After Cutting Your Hair Too Short"),
])
def test_a_past_spelled_as_its_present_is_what_happened(topic: str, past: str, doing: str,
                                                         after: str) -> None:
    happened = past_event(topic)
    assert happened is not None and happened.past_bare == past and happened.day
    opening, body, close = heart_lines(topic, False)
    assert opening == f"This session is for the day {past}."
    assert body == f"You came here after {doing}."
    assert "help you" not in " ".join((opening, body, close))  # never an order
    assert _title(topic).startswith(f"{after}: 10-Minute"), _title(topic)
    thumb = thumbnail_words(topic)
    assert 2 <= len(thumb) <= 4 and after.split()[1] in thumb, thumb
    short = make_short_concept(topic, 45, _brief(topic, 0))
    assert f"Reset {after}" in str(short["title"]), short["title"]


@pytest.mark.parametrize("topic,past,doing,thumb", [
    ("Quit drinking two months ago", "you quit drinking two months ago",
     "quitting drinking two months ago", "After Quitting Drinking"),
    ("Split with my business partner last year",
     "you split with your business partner last year",
     "splitting with your business partner last year", "Splitting with Business Partner"),
    ("Quit smoking last week", "you quit smoking last week", "quitting smoking last week",
     "After Quitting Smoking"),
])
def test_a_time_long_past_of_such_a_verb_is_no_day(topic: str, past: str, doing: str,
                                                   thumb: str) -> None:
    happened = past_event(topic)
    assert happened is not None and not happened.day
    assert heart_lines(topic, False)[:2] == (f"This session is for you, after {past}.",
                                             f"You came here after {doing}.")
    assert _title(topic).startswith(f"After {doing.split()[0].title()} "), _title(topic)
    assert " ".join(thumbnail_words(topic)) == thumb


@pytest.mark.parametrize("topic", [
    "Quit scrolling", "Cut the chatter", "Shut off my brain", "Let my mind rest",
    "Put my phone away", "Set an intention for today", "Set an intention today",
    "Quit sugar tonight", "Hit the snooze button", "Cut yourself some slack",
    "Cut off my friend", "Read my journal", "Hit the gym", "Shut down your mind",
    "Quit overthinking", "Cut the noise"])
def test_such_a_verb_with_no_past_time_is_still_an_order(topic: str) -> None:
    # no time behind the listener, and not their own (or a verb said to one's own: "Let my
    # mind rest", "Shut off my brain"): what they tell themselves to do, as before
    assert past_event(topic) is None
    opening, body, _ = heart_lines(topic, False)
    assert "the day you" not in opening and not body.startswith("You came here after")
    assert not _title(topic).startswith("After "), _title(topic)
    assert thumbnail_words(topic)[0] != "After", thumbnail_words(topic)


@pytest.mark.parametrize("topic,title", [
    ("Quit scrolling", "Quit Scrolling: 10-Minute Guided Meditation"),
    ("Shut off my brain", "Shut Off Your Brain: 10-Minute Guided Meditation"),
    ("Let my mind rest", "Let Your Mind Rest: 10-Minute Guided Meditation")])
def test_an_order_keeps_its_title(topic: str, title: str) -> None:
    assert _title(topic).startswith(title), _title(topic)


@pytest.mark.parametrize("topic,helped", [
    ("Hit the snooze button less", "hit the snooze button less"),
    ("Cut the chatter", "cut the chatter"), ("Put your worries aside", "put your worries aside"),
    ("Set boundaries with my sister", "set boundaries with your sister"),
    ("Learn patience", "learn patience"), ("Choose joy", "choose joy"),
    ("Trust yourself", "trust yourself"), ("Drop expectations", "drop expectations")])
def test_an_order_is_said_as_what_the_session_helps_with(topic: str, helped: str) -> None:
    # these were "This session is for hit the snooze button less." ("hit", "cut", "put",
    # "set" were no verbs of an order; "learn", "choose" read as naming a thing)
    opening, body, _ = heart_lines(topic, False)
    assert opening == f"This session is here to help you {helped}.", opening
    assert body == f"You came here to {helped}.", body


@pytest.mark.parametrize("topic", ["Slow mornings", "Calm seas", "Quiet evenings",
                                   "Trust issues"])
def test_a_thing_that_starts_like_an_order_is_still_a_thing(topic: str) -> None:
    opening, _, _ = heart_lines(topic, False)
    assert "here to help you" not in opening, opening


# -- a request's thumbnail says its act, a phrasal verb whole --------------------------------
@pytest.mark.parametrize("topic,thumb", [
    ("Help me cool off after an argument", "Cool Off after Argument"),
    ("Help me open up to my partner", "Open Up to Partner"),
    ("Help me switch off my busy mind tonight", "Switch Off Busy Mind"),
    ("Help me get over my ex", "Get Over Your Ex"),
    ("Teach me to let go of the past", "Let Go of Past"),
    ("Help me let go of my old job", "Let Go"),  # four words at most: to its first "of"
    ("I want to stop thinking about work at night", "Stop Thinking"),
    ("Help me let go of my ex", "Let Go of Ex"),
    ("Help me calm down before bed", "Calm Down before Bed"),
    ("Help me move on from him", "Move on from Him"),
    ("Help me wind down after work", "Wind Down after Work"),
    ("Help me give up sugar", "Give Up Sugar"),
])
def test_a_requests_thumbnail_says_its_act(topic: str, thumb: str) -> None:
    words = thumbnail_words(topic)
    assert " ".join(words).lower() == thumb.lower(), words  # its small words' case aside
    assert words[-1] != "Help" and words[0] != "Go", words  # never "Go for Help"


# -- a thumbnail cases a long preposition as it cases the others ----------------------------
def test_during_is_cased_as_before_and_after() -> None:
    # "Sleep during Pregnancy": the thumbnail keeps its prepositions small, as "Calm before
    # Surgery" and "Sleep after Night Shift" do (and as a title does inside a phrase: "Letting
    # Go of Anger during Pregnancy"); its nouns and its head in capitals
    assert thumbnail_words("Insomnia during pregnancy") == ["Sleep", "during", "Pregnancy"]
    preps = [thumbnail_words(f"Calm {p} exams")[1] for p in ("during", "before", "after")]
    assert len({p[0].isupper() for p in preps}) == 1, preps
