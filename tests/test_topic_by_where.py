""""By" a place is where, and a plain verb first is what the session helps the listener do.

"Rest by the river" was titled "Deep Rest for the River" and "Sleep by the fire" "Deep Sleep
for the Fire": the place after "by" became what the session was for. "Read by the fire" and
"Write in my journal" were "This session is for read by the fire" (a verb read as a thing).
"By" after a participle stays who or what did it ("Haunted by the past" is never "by the
Past"). Most topics here are not the ones the rule was made on."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.concept import make_concept, topic_subject
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import heart_lines


def _title(topic: str) -> str:
    return make_concept(topic, 10, research(topic)).title


@pytest.mark.parametrize(("topic", "said"), [
    ("Rest by the river", "by the River"), ("Sleep by the fire", "by the Fire"),
    ("Quiet near the ocean", "near the Ocean"), ("Breathe beside the lake", "beside the Lake"),
    ("Calm under the stars", "under the Stars"),
])
def test_a_place_after_by_near_or_beside_is_where(topic: str, said: str) -> None:
    title = _title(topic).lower()  # (a title capitalises "Near", "Under")
    assert said.lower() in title and "for the " + said.split()[-1].lower() not in title


@pytest.mark.parametrize("topic", ["Haunted by the past", "Surrounded by nature",
                                   "Shaken by the news"])
def test_by_after_a_participle_is_never_where(topic: str) -> None:
    assert not topic_subject(topic).startswith("by ")


@pytest.mark.parametrize(("topic", "first"), [
    ("Read by the fire", "This session is here to help you read by the fire."),
    ("Write in my journal", "This session is here to help you write in your journal."),
    ("Read a few pages before bed", "This session is here to help you read a few pages "
     "before bed."),
    ("Sit with my thoughts", "This session is here to help you sit with your thoughts."),
])
def test_a_plain_verb_first_is_what_the_session_helps_with(topic: str, first: str) -> None:
    assert heart_lines(topic, False)[0] == first
