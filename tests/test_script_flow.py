"""Flowing sentences, per-section pace, one setting per script, doubled genitives."""

from __future__ import annotations

from pathlib import Path

import pytest

from archibald.errors import InputError
from archibald.media import voice
from archibald.pipelines.meditation.catalogue import Composer, catalogue
from archibald.pipelines.meditation.checks import doubled_genitive, reads_well, setting_clashes
from archibald.pipelines.meditation.concept import make_concept
from archibald.script.model import Script, Section, section_pace
from archibald.pipelines.meditation.research import research
from archibald.pipelines.meditation.writer import FLOW_WORDS, _join, write_script


def test_doubled_genitive_is_caught() -> None:
    assert doubled_genitive("Notice the sound of the hum of the fridge.")
    assert not reads_well("Notice the sound of the hum of the fridge.")
    assert not doubled_genitive("Notice the scent of pine in the cool air.")


def test_setting_clashes() -> None:
    assert setting_clashes("Imagine yourself in a sunlit clearing. Walk along a shaded forest "
                           "path.") == ["sunlit and shaded"]
    assert setting_clashes("Imagine yourself on a quiet beach. Leave the forest slowly.") == \
        ["forest", "shore"]
    assert setting_clashes("Imagine yourself on a quiet beach. Return to the beach.") == []


def test_joined_sentences_keep_invitations_and_wishes_apart() -> None:
    assert _join("Settle into your chair.", "Let your eyes close.") == \
        "Settle into your chair, and let your eyes close."
    assert _join("Notice your feet.", "Now, feel their weight.") == \
        "Notice your feet, and feel their weight."
    assert _join("Notice your feet.", "There is no hurry.") is None      # its silence stays
    assert _join("May you be well.", "Let the feeling be.") is None       # a wish, a cue
    assert _join("Breathe in, two, three.", "Let go.") is None            # a count
    long = "Let your shoulders drop away from your ears and soften."
    assert _join(long, long.replace("shoulders", "hands")) is None or \
        len(_join(long, long.replace("shoulders", "hands")) or "") <= FLOW_WORDS


def test_one_place_per_script() -> None:
    import random
    theme = catalogue()["themes"]["stress-relief"]
    composer = Composer(random.Random(3), theme)
    assert len({composer.fill("Imagine {place}.") for _ in range(20)}) == 1


@pytest.mark.parametrize("topic", ["Stress relief after a long shift",
                                   "Sleep for new parents after a night feed"])
def test_the_writer_paces_its_sections(topic: str) -> None:
    concept = make_concept(topic, 10, research(topic, seed=0), seed=0)
    script = write_script(concept, seed=0)
    for s in script.sections:
        assert s.pace == section_pace(s.kind, script.sleep)
    assert script.sections[0].pace > 1.0 and script.sections[2].pace == 1.0
    assert not setting_clashes(script.spoken_text())
    assert not any(doubled_genitive(x) for x in script.sentences())
    # fewer, fuller sentences than the craft's shortest: more said, the silence kept
    assert script.word_count() / len(script.sentences()) >= 8.5


def test_section_length_scales_follow_the_sentences(tmp_path: Path) -> None:
    script = Script("t", (Section("A", "One. Two. [pause 3s]", "settling", 1.1),
                          Section("B", "Three.", "practice")))
    assert voice.section_length_scales(script, 1.5) == pytest.approx([1.65, 1.65, 1.5])
    with pytest.raises(InputError, match="one per sentence"):
        voice.synthesize(script.spoken_text(), tmp_path / "v.wav", length_scales=[1.0])
    with pytest.raises(InputError, match="between 0.5 and 3.0"):
        voice.synthesize(script.spoken_text(), tmp_path / "v.wav", length_scales=[1, 1, 9])


@pytest.mark.parametrize("a,b", [
    ("Here is an intention for new parents, and today, for you.", "My body knows how to rest."),
    ("Your hands are warm.", "My shoulders are soft."),
    ("The room is quiet, and the light is low.", "Your breath is slow."),
])
def test_a_join_keeps_the_listeners_own_voice_apart_and_never_runs_on(a: str, b: str) -> None:
    """"..., and today, for you, and my body knows how to sleep.": the listener's own words
    ("my", "I") join only their own, and a sentence that already has its "and" joins none."""
    assert _join(a, b) is None
    assert _join("Your hands are warm.", "Your shoulders are soft.") == \
        "Your hands are warm, and your shoulders are soft."
