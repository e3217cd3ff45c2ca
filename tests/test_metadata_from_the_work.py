"""Tags come from the work, never from the calendar (issue 25.6)."""

from __future__ import annotations

from archibald.pipelines.meditation.concept import Concept
from archibald.pipelines.youtube.metadata import _tags


def _concept(topic: str, season: str | None) -> Concept:
    return Concept(topic=topic, theme="sleep", technique="body-scan", audience="everyone",
                   minutes=10.0, title="10-Minute Meditation", sleep=True, season=season)


def test_a_month_season_is_no_tag_but_a_named_one_is() -> None:
    assert "winter" not in _tags(_concept("Drifting to sleep on a long train journey",
                                          "winter"), [])
    assert "winter" in _tags(_concept("Calm on a cold winter evening", "winter"), [])
