"""The meditation concept: theme, technique, audience, length and a title idea."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archibald.errors import InputError
from archibald.script.catalogue import catalogue

if TYPE_CHECKING:
    from archibald.script.research import ResearchBrief

__all__ = ["Concept", "make_concept", "make_title", "TITLE_MAX"]

TITLE_MAX = 100
_CLOSE = 0.5  # candidates within this of the best score are a seeded choice


@dataclass(frozen=True)
class Concept:
    """What the session is: catalogue ids for theme, technique and audience, and its length."""

    topic: str
    theme: str
    technique: str
    audience: str
    minutes: float
    title: str
    sleep: bool = False
    season: str | None = None


def _minutes_label(minutes: float) -> str:
    return str(int(round(minutes))) if abs(minutes - round(minutes)) < 0.05 else f"{minutes:g}"


def make_title(theme: str, technique: str, minutes: float, *, sleep: bool = False,
               audience: str = "everyone", season: str | None = None,
               topic: str = "", rng: random.Random | None = None) -> str:
    """A title with the benefit and the length, at most 100 characters."""
    cat = catalogue()
    rng = rng or random.Random(0)
    m = _minutes_label(minutes)
    benefit = cat["themes"][theme]["benefit"]
    tech = cat["techniques"][technique]["name"]
    if sleep:
        patterns = [f"{m}-Minute Sleep Meditation for {benefit}" if theme != "sleep"
                    else f"{m}-Minute Guided Sleep Meditation",
                    f"{m}-Minute {tech} Sleep Meditation", f"Fall Asleep Fast: {m}-Minute {tech}"]
    else:
        patterns = [f"{m}-Minute Guided Meditation for {benefit}",
                    f"{benefit}: {m}-Minute Guided {tech} Meditation",
                    f"{m}-Minute {tech} Meditation for {benefit}"]
    if season:
        patterns.append(f"{m}-Minute {cat['seasons'][season]['name']} Meditation for {benefit}")
    topic_title = topic.strip().title()
    if 3 <= len(topic_title) <= 50:
        patterns.append(f"{m}-Minute Guided Meditation: {topic_title}")
    title = rng.choice(patterns)
    if audience != "everyone":
        with_audience = f"{title} | for {cat['audiences'][audience]['name'].title()}"
        if len(with_audience) <= 70 and rng.random() < 0.5:
            title = with_audience
    return title[:TITLE_MAX].rstrip()


def _pick(scores: dict[str, float], rng: random.Random) -> str:
    best = max(scores.values())
    close = sorted(k for k, v in scores.items() if v >= best - _CLOSE)
    return rng.choice(close)


def make_concept(topic: str, minutes: float, brief: ResearchBrief, *, seed: int = 0) -> Concept:
    """The concept for a topic: the brief's leading theme, a technique suited to it (a seeded
    choice among near-equals, so seeds vary the session), the audience, and a title."""
    if not 1 <= minutes <= 180:
        raise InputError(f"minutes must be between 1 and 180, not {minutes}")
    cat = catalogue()
    rng = random.Random(f"concept|{seed}|{topic}|{minutes}")
    themes = dict(brief.themes)
    theme = _pick({k: v for k, v in themes.items() if v >= max(themes.values()) - 0.2}, rng)
    suited = cat["themes"][theme]["techniques"]
    techniques = {k: v + (1.0 if k in suited else 0.0) for k, v in brief.techniques}
    technique = _pick(techniques, rng)
    audience = brief.audience
    sleep = brief.sleep or bool(cat["themes"][theme].get("sleep"))
    if sleep and audience == "everyone":
        audience = "sleepers"
    title = make_title(theme, technique, minutes, sleep=sleep, audience=audience,
                       season=brief.season, topic=topic, rng=rng)
    return Concept(topic=topic.strip(), theme=theme, technique=technique, audience=audience,
                   minutes=float(minutes), title=title, sleep=sleep, season=brief.season)
