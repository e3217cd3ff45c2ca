"""The topic's heart, one setting, one scene (issue 25 items 2, 3 and 6), on topics outside the
issue's examples: the key nouns in the opening, the body and the close; one setting whose
imagery never mixes with another's; counted breaths as sentences; the picture's scene is the
script's setting; tags and description from the work, never the calendar."""

from __future__ import annotations

import re

import pytest

from archibald.media.scene import SCENES, build_scene, scene_kind
from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.setting import (SETTINGS, key_nouns, mixed_settings,
                                                    names_nouns, topic_setting)
from archibald.pipelines.meditation.stages import scene_of
from archibald.pipelines.meditation.writer import write_script
from archibald.pipelines.youtube.metadata import build_metadata, calendar_words
from archibald.script.model import Script, timeline

TOPICS = ("Calm before a dentist appointment", "Grief after losing a dog",
          "Resting on a sailboat at anchor", "Focus before a chess tournament",
          "Unwinding in a mountain cabin during a snowstorm",
          "Morning gratitude in a city apartment")


def _script(topic: str, minutes: float = 5, seed: int = 0, month: int = 12) -> tuple[object, Script]:
    concept = make_concept(topic, minutes, research(topic, month=month, seed=seed), seed=seed)
    return concept, write_script(concept, seed=seed)


def _said(text: str) -> str:
    return " ".join(x for x in timeline(text) if isinstance(x, str))


@pytest.mark.parametrize(("topic", "nouns"), [
    ("Calm before a dentist appointment", ("calm", "dentist", "appointment")),
    ("Grief after losing a dog", ("grief", "dog")),
    ("Resting on a sailboat at anchor", ("sailboat", "anchor")),
    ("Focus before a chess tournament", ("focus", "chess", "tournament")),
    ("Unwinding in a mountain cabin during a snowstorm", ("mountain", "cabin", "snowstorm")),
    ("Morning gratitude in a city apartment", ("morning", "gratitude", "city", "apartment")),
])
def test_key_nouns_are_read_generally(topic: str, nouns: tuple[str, ...]) -> None:
    assert key_nouns(topic) == nouns


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("seed", [0, 3])
def test_the_topic_is_named_in_opening_body_and_close(topic: str, seed: int) -> None:
    _, script = _script(topic, seed=seed)
    nouns = key_nouns(topic)
    practice = next(s for s in script.sections if s.kind == "practice")
    for part in (script.sections[0], practice, script.sections[-1]):
        assert names_nouns(_said(part.text), nouns), (part.kind, part.text)
    # in a sentence, not pasted: each naming sentence starts with a capital and ends with a stop
    for sentence in script.sentences():
        if all(n in sentence.lower() for n in nouns):
            assert re.match(r"^[A-Z].*[.?!]$", sentence), sentence


@pytest.mark.parametrize("topic", TOPICS)
def test_one_setting_never_mixed_with_another(topic: str) -> None:
    _, script = _script(topic)
    setting = SETTINGS[script.setting]
    assert setting is topic_setting(topic, setting_goal(topic))
    assert mixed_settings(_said(script.spoken_text()), setting, topic) == []


def setting_goal(topic: str) -> str:
    from archibald.pipelines.meditation.topic import read_topic
    return read_topic(topic).goal


@pytest.mark.parametrize(("topic", "setting", "scene"), [
    ("Resting on a sailboat at anchor", "sea", "water"),
    ("Unwinding in a mountain cabin during a snowstorm", "cabin", "hills"),
    ("Morning gratitude in a city apartment", "city", "sky"),
    ("A slow evening beside a river in the hills", "river", "river"),
    ("Resting on a night train through the countryside", "train", "train"),
])
def test_the_topic_names_the_setting_and_the_picture_draws_it(topic: str, setting: str,
                                                              scene: str) -> None:
    _, script = _script(topic)
    assert script.setting == setting
    assert scene_of(script.setting, topic) == (setting, scene)
    # a river flows, it has no waves; a train is a train
    text = _said(script.spoken_text()).lower()
    if setting == "river":
        assert not re.search(r"\b(waves?|tide|ocean|shore)\b", text)
    if setting == "train":
        assert not re.search(r"\b(cabin|fire|waves?|forest)\b", text)


def test_new_scenes_are_drawn() -> None:
    assert {"river", "train"} <= set(SCENES)
    assert scene_kind("Resting on a night train") == "train"
    assert scene_kind("Sitting by a river") == "river"
    for kind in ("river", "train"):
        frame = build_scene(kind, 160, 90, 1).frame(0.25)
        assert frame.shape == (90, 160, 3) and frame.std() > 3


@pytest.mark.parametrize("topic", TOPICS)
def test_counted_breaths_read_as_sentences(topic: str) -> None:
    _, script = _script(topic)
    for sentence in script.sentences():
        if re.search(r"\btwo, three\b", sentence):
            # "Breathe in, two, three, four." -- never a noun between the verb and the count
            # ("First, breathe in room, two, three, four.")
            head = sentence.split(", two,")[0].lower()
            assert not re.search(r"\b(?:breathe|breathing|take) (?:in|out) (?!through\b|again\b)"
                                 r"[a-z]", head), sentence
            assert not re.search(r"\b(?:of|with|release|fill up with) (?!it\b)[a-z]+$", head), \
                sentence
            assert len(head.split()) <= 7, sentence


@pytest.mark.parametrize("topic", TOPICS)
def test_the_visualisation_runs_once(topic: str) -> None:
    _, script = _script(topic)
    practice = _said(next(s for s in script.sections if s.kind == "practice").text)
    setting = SETTINGS[script.setting]
    assert practice.count(setting.place) <= 2  # arrived once, maybe left once: not restarted


@pytest.mark.parametrize("topic", TOPICS)
def test_metadata_from_the_work(topic: str) -> None:
    concept, script = _script(topic, month=12)  # December: no "winter" unless the topic says
    meta = build_metadata(concept, script, [(0.0, "Settling In"), (30.0, "Breathing"),
                                            (90.0, "Practice"), (200.0, "Return")])
    tags = [t.lower() for t in meta["tags"]]
    topic_words = set(re.findall(r"[a-z]+", topic.lower()))
    calendar = calendar_words() - topic_words
    assert not [t for t in tags if set(t.split()) & calendar]
    setting = SETTINGS[script.setting]
    assert f"{setting.name} meditation" in tags
    assert mixed_settings(" ".join(tags), setting, topic) == []
    assert all(n in tags for n in key_nouns(topic) if n not in calendar)
    description = meta["description"]
    assert "0:00 Settling In" in description and "not medical advice" in description
    assert setting.place in description and topic.lower() in description.lower()
