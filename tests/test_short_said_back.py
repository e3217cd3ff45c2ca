"""A Short's title, hook and cover say the viewer's topic back to them: "my" is "your", a
hook asks how they are in their own words, and a cover never ends on a word that needs the
next one ("Grief After Losing My")."""

from __future__ import annotations

import pytest

from archibald.pipelines.short.concept import _brief, _dangles, make_short_concept


def _short(topic: str) -> dict:
    return make_short_concept(topic, 45, _brief(topic, 0))


@pytest.mark.parametrize("topic", [
    "Grief after losing my grandmother", "Nervous before my driving test",
    "Regret after shouting at my partner", "Calm before my wedding speech",
    "Worried about my son", "Missing my cat", "Stressed about my thesis"])
def test_the_title_and_hook_say_your_for_my(topic: str) -> None:
    short = _short(topic)
    assert " My " not in f" {short['title']} " and " my " not in f" {short['hook']} "
    assert "Your" in short["title"] or "your" in short["hook"]


@pytest.mark.parametrize("topic,hook", [
    ("Caring for my grandad", "Caring for your grandad?"),
    ("Waiting for my visa", "Waiting for your visa?"),
    ("Feeling flat", "Feeling flat?"),
    ("Worried about my son", "Worried about your son?")])
def test_a_hook_asks_how_the_viewer_is_in_their_own_words(topic: str, hook: str) -> None:
    assert _short(topic)["hook"] == hook


@pytest.mark.parametrize("topic", ["My cat died", "My hamster died", "My dog is sick"])
def test_what_happened_is_never_asked_back(topic: str) -> None:
    assert not _short(topic)["hook"].startswith("Your ")


@pytest.mark.parametrize("topic", [
    "Grief after losing my grandmother", "Bored out of my mind", "My dog is sick",
    "Anxious about my daughter's operation", "Heartbroken after my fiance left",
    "Sad about my brother moving abroad", "Caring for my mum", "Waiting for test results",
    "Calm before my first day at a new job", "Nervous about my dog's surgery"])
def test_a_cover_never_ends_on_a_word_that_needs_the_next(topic: str) -> None:
    words = _short(topic)["words"]
    assert 2 <= len(words) <= 4, words
    assert not _dangles(words[-1]), words
    # a title's small words stay small on the cover ("Caring for Your Mum")
    assert all(w not in ("For", "At", "The", "Of", "To") for w in words[1:]), words
