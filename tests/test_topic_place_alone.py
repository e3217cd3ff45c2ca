"""A place or a scene named alone ("Ocean", "Forest", "Library") is where the session takes
the listener: the place as the topic says it, else as the script's imagery draws it (the
setting its words name); never "This session is for ocean. You came here for ocean."."""

from __future__ import annotations

import pytest

from archibald.pipelines.meditation.setting import heart_lines, topic_setting


@pytest.mark.parametrize(("topic", "opening"), [
    ("Library", "This session is a quiet time in the library."),
    ("Beach", "This session is a quiet time on the beach."),
    ("Kitchen", "This session is a quiet time in your kitchen."),
])
def test_a_place_alone_is_where_the_time_is(topic: str, opening: str) -> None:
    said = heart_lines(topic, False)
    assert said[0] == opening
    assert said[1] == "You came here for a quiet while there."


@pytest.mark.parametrize("topic", ["Ocean", "Forest", "Clouds", "Waves", "Lakeside",
                                   "Snowstorm", "Riverbank", "Ocean waves", "Mountains"])
def test_a_scene_alone_is_where_its_imagery_takes_the_listener(topic: str) -> None:
    opening, body, close = heart_lines(topic, False)
    assert opening == f"This session takes you to {topic_setting(topic).place}."
    assert f"for {topic.lower()}" not in body.lower()
    assert heart_lines(topic, True)[2] == "Let this place carry you gently toward sleep."


@pytest.mark.parametrize("topic", ["Stormy sea", "Light sleeper", "Hospital waiting room",
                                   "Retirement", "Jet lag", "Walking in the snow"])
def test_anything_else_keeps_its_reading(topic: str) -> None:
    opening = heart_lines(topic, False)[0]
    assert "takes you to" not in opening and "a quiet time in" not in opening
