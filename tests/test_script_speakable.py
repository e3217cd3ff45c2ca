"""The TTS QA stage's local route: what a voice would misread, spelled out."""

from __future__ import annotations

import pytest

from archibald.script.speakable import number_words, speakable, speakable_with_changes


@pytest.mark.parametrize(("text", "expected"), [
    ("Breathe in for 4, out for 6.", "Breathe in for four, out for six."),
    ("We begin at 7:30.", "We begin at seven thirty."),
    ("At 7:05 pm", "At seven oh five in the evening"),
    ("Wake at 6am", "Wake at six in the morning"),
    ("10% of the day", "ten percent of the day"),
    ("the 1st and 22nd breath", "the first and twenty-second breath"),
    ("since 1998 and 2024", "since nineteen ninety-eight and twenty twenty-four"),
    ("you & me", "you and me"),
    ("in/out", "in or out"),
    ("4+4", "four plus four"),
    ("e.g. the sea", "for example, the sea"),
    ("i.e. now", "that is, now"),
    ("Dr. Lee", "Doctor Lee"),
    ("5 min. of rest", "five minutes of rest"),
    ("1 min", "one minute"),
    ("RELAX now and BREATHE", "Relax now and breathe"),
    ("4-7-8 breathing", "four seven eight breathing"),
    ("4–6 breaths", "four to six breaths"),
    ("1/2 of the breath", "one half of the breath"),
    ("1,500 stars", "one thousand five hundred stars"),
])
def test_conversions(text: str, expected: str) -> None:
    assert speakable(text) == expected


def test_ellipses_and_dashes_become_pauses() -> None:
    assert speakable("Rest... and let go — slowly") == "Rest [pause 1s] and let go [pause 1s] slowly"
    assert speakable("soft – still") == "soft [pause 1s] still"


def test_existing_pause_markup_is_kept_and_not_doubled() -> None:
    text = "Breathe in. [pause 12s] And out. [pause 3.5s] Again"
    assert speakable(text) == text
    assert speakable("Rest... [pause 10s] Now") == "Rest [pause 10s] Now"


def test_changes_are_reported_one_per_conversion() -> None:
    out, changes = speakable_with_changes("Count 4 breaths at 7:30 & RELAX...")
    assert out == "Count four breaths at seven thirty and relax [pause 1s]"
    assert len(changes) == 5
    assert any("'7:30' -> 'seven thirty'" in c for c in changes)
    assert speakable_with_changes("Nothing to change here.") == ("Nothing to change here.", [])


def test_number_words() -> None:
    assert number_words(0) == "zero"
    assert number_words(115) == "one hundred and fifteen"
    assert number_words(2_000_001) == "two million and one"
