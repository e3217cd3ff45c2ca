"""The offline writer on topics no other test names ("general, not tuned"): how the listener
feels is never woven in as a thing, tags are nouns or noun phrases, a place the topic names is
the script's place, the title names what the topic is about, and the route-blind check still
scores the script well. The word lists here are the test's own, not the writer's."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from archibald.pipelines.meditation.concept import Concept, make_concept
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import (SETTINGS, key_nouns, mixed_settings,
                                                    topic_setting)
from archibald.pipelines.meditation.topic import read_topic
from archibald.pipelines.meditation.writer import write_script
from archibald.pipelines.youtube.metadata import build_metadata
from archibald.quality.text import check_script
from archibald.script.model import Script, timeline

#: topic -> the place it names outside the nine settings ("" when it names none)
TOPICS = {
    "Jittery before my driving test tomorrow": "",
    "Heartbroken after a breakup in the rain": "",
    "Ashamed after a mistake at the office": "office",
    "Sleepless in a hotel room before a wedding": "hotel",
    "Panicky on a crowded subway": "subway",
    "Anxious in the dentist's waiting room": "waiting room",
    "Drained after caring for a sick parent": "",
    "A rainy morning in a bookshop": "bookshop",
    "Worried about money on a Sunday evening": "",
    "Restless on a long plane journey": "plane",
    "Sore and impatient after knee surgery": "",
    "Grumpy in a taxi stuck in traffic": "taxi",
    "Scared before a blood test at the clinic": "clinic",
    "Lonely at a quiet campsite": "campsite",
    "Insecure before a first date in a restaurant": "restaurant",
    "Exhausted after marathon training": "",
    "Riding a night tram home after a late shift": "tram",
    "Unsettled in a new job": "",
    "Irritable in a noisy open-plan office": "office",
    "Peaceful evening on a sandy beach": "beach",
    "Gloomy afternoon in the garden": "garden",
    "Numb after bad news at the hospital": "hospital",
    "Frazzled after a chaotic family dinner": "",
    "Stage fright before a school play": "",
    "Tense shoulders at the gym": "gym",
}
#: how a listener may feel, in these topics: never a thing a sentence holds
FEELINGS = frozenset("""jittery heartbroken ashamed sleepless panicky crowded anxious drained sick
worried restless long sore impatient grumpy stuck scared lonely quiet insecure first exhausted
unsettled new irritable noisy peaceful sandy gloomy numb bad chaotic tense rainy""".split())
#: verbs these topics and the catalogue's keywords say
VERBS = frozenset("imagine relax release escape forgive caring feel stuck wake start".split())


@lru_cache(maxsize=None)
def _made(topic: str) -> tuple[Concept, Script, dict[str, object]]:
    concept = make_concept(topic, 5, research(topic, month=5, seed=3), seed=3)
    script = write_script(concept, seed=3)
    meta = build_metadata(concept, script, [(0.0, "Settling In"), (30.0, "Breathing"),
                                            (90.0, "Practice"), (200.0, "Return")])
    return concept, script, meta


def _said(script: Script) -> str:
    return " ".join(x for x in timeline(script.spoken_text()) if isinstance(x, str))


def test_the_topics_are_new_and_many() -> None:
    assert len(TOPICS) >= 20 and sum(bool(p) for p in TOPICS.values()) >= 10


@pytest.mark.parametrize("topic", TOPICS)
def test_a_feeling_is_never_a_thing(topic: str) -> None:
    """No adjective or verb of the topic is a key noun, a tag or a noun slot ("the stuck",
    "your jittery", "The passed away is done")."""
    _, script, meta = _made(topic)
    assert not set(key_nouns(topic)) & (FEELINGS | VERBS), key_nouns(topic)
    event = read_topic(topic).event.split()[-1:]
    assert not set(event) & (FEELINGS | VERBS), read_topic(topic).event
    text = _said(script).lower()
    for word in FEELINGS & set(re.findall(r"[a-z]+", topic.lower())):
        # an adjective as a noun: after an article or "your", before a stop or a verb
        assert not re.search(rf"\b(?:the|your|a|an|my) {word}\b(?=[.,;!?]| (?:is|are|was|"
                             rf"can|will|and|of|in)\b)", text), (word, topic)
    for sentence in script.sentences():  # the topic is said in a sentence, to the listener
        assert not re.search(r"\bfor (?:before|after|during)\b", sentence.lower()), sentence
        assert not re.search(r"\b(?:for|feel|feeling) (?:my|i)\b", sentence.lower()), sentence


@pytest.mark.parametrize("topic", TOPICS)
def test_tags_are_nouns_or_noun_phrases(topic: str) -> None:
    _, _, meta = _made(topic)
    tags = [str(t).lower() for t in meta["tags"]]  # type: ignore[attr-defined]
    assert "place" not in tags
    for tag in tags:
        head = tag.removesuffix(" meditation").split()
        assert head, tag
        assert not (len(head) == 1 and head[0] in FEELINGS | VERBS), tag
        assert head[0] not in VERBS, tag
    nouns = [n for n in key_nouns(topic)]
    assert any(n in tags for n in nouns), (nouns, tags)


@pytest.mark.parametrize("topic", [t for t, place in TOPICS.items() if place])
def test_the_place_named_is_the_scripts_place(topic: str) -> None:
    place = TOPICS[topic]
    _, script, meta = _made(topic)
    setting = topic_setting(topic, read_topic(topic).goal)
    assert setting.name == script.setting
    assert place in setting.place, setting.place
    text = _said(script).lower()
    # no other place said: not the base setting's own, not another setting's imagery
    for other in SETTINGS.values():
        if other.place != setting.place:
            assert other.place not in text, (other.name, topic)
    assert mixed_settings(text, setting, topic) == [], topic
    if setting.name == "room":  # an office or a clinic has no candle burning in it
        assert "candle" not in text, topic
    assert setting.place in str(meta["description"])


@pytest.mark.parametrize("topic", TOPICS)
def test_the_title_names_the_topic(topic: str) -> None:
    concept, _, _ = _made(topic)
    words = set(re.findall(r"[a-z]+", concept.title.lower()))
    assert any(n in words or n.rstrip("s") in words for n in key_nouns(topic)), \
        (concept.title, key_nouns(topic))
    assert not re.search(r"\b(?:at|in|on|for|with)\s+(?:the\s+)?(?:" +
                         "|".join(FEELINGS) + r")\s*(?::|$)", concept.title.lower())
    # a title speaks to its viewer: the topic's "my" is "your", never the writer's voice
    assert not re.search(r"\b(?:my|i|i'm|me)\b", concept.title.lower()), concept.title


def test_a_title_from_the_listeners_situation_speaks_to_them() -> None:
    concept, _, _ = _made("Heavy-hearted after my grandfather's funeral")
    assert "Your Grandfather" in concept.title and "My" not in concept.title.split()


@pytest.mark.parametrize("topic", TOPICS)
def test_the_route_blind_check_scores_them_well(topic: str) -> None:
    _, script, _ = _made(topic)
    score, details = check_script(script, topic=topic, minutes=5)
    assert score >= 0.85, (topic, details["parts"], details["contradictions"])
    assert details["parts"]["coverage"] >= 0.9, details["coverage"]
    assert not details["contradictions"], details["contradictions"]
