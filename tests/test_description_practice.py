"""The YouTube description says the practice in its place, with the place last (a place
such as "a quiet room where a single candle burns" once burned "with a 4-7-8 breathing
practice"), and a practice the topic named is not named again as "a ... practice"."""

from __future__ import annotations

import re

import pytest

from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.practices import named_practice
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.writer import write_script
from archibald.pipelines.youtube.metadata import build_metadata


@pytest.mark.parametrize("topic", [
    "Box breathing for exam nerves", "4 7 8 breathing before a night flight",
    "PMR for sore shoulders", "Yoga nidra after a double shift", "Grieving my father",
    "Calm before a job interview", "Sleep after a long-haul flight", "Feeling stuck"])
def test_the_description_says_the_practice_in_its_place(topic: str) -> None:
    concept = make_concept(topic, 10, research(topic, month=5, seed=3), seed=3)
    script = write_script(concept, seed=3)
    doing = build_metadata(concept, script, [])["description"].split("\n\n")[1]
    step = re.search(r"then (begin the (.+) itself|move into an? (.+) practice) in (.+), and "
                     r"close with a few quiet words", doing)
    assert step, doing
    assert " with a " not in step.group(4)  # the place is the clause's end
    named = named_practice(topic)
    if named is not None and named.technique == concept.technique:
        assert step.group(2) == named.said  # the practice the opening named, as it said it
    else:
        assert step.group(3)
