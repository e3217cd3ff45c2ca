"""Market research, local route: angles for a topic from the catalogue.

Themes, techniques and audiences are scored by keyword matches against the topic and a seasonal
angle by the month (or a season the topic names). The channel's history is not an input: it
holds no real performance data (views are not fetched back), and the same topic and seed must
give the same session whatever ran before (history changes routing, never content).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from archibald.errors import InputError
from archibald.pipelines.meditation.catalogue import catalogue
from archibald.pipelines.meditation.practices import named_practice
from archibald.pipelines.meditation.topic import read_topic

__all__ = ["ResearchBrief", "research"]

#: the technique that suits each goal best (a body scan to sleep, kind wishes in grief,
#: roots before a hard moment, counting to focus, water to let go)
_GOAL_TECHNIQUES = {"sleep": "body-scan", "grief": "loving-kindness", "confidence": "grounding",
                    "focus": "breath-counting", "energy": "light", "gratitude": "loving-kindness",
                    "letting-go": "water", "kindness": "loving-kindness", "rest": "body-scan",
                    "calm": "place"}
#: the theme that serves each goal of the topic's reading (archibald.pipelines.meditation.topic)
_GOAL_THEMES = {"sleep": "sleep", "grief": "self-compassion", "confidence": "confidence",
                "focus": "focus", "energy": "morning-energy", "gratitude": "gratitude",
                "letting-go": "letting-go", "kindness": "self-compassion", "rest": "evening-calm",
                "calm": "stress-relief"}


@dataclass(frozen=True)
class ResearchBrief:
    """Ranked angles for a topic: (catalogue id, score), best first."""

    topic: str
    keywords: tuple[str, ...]
    themes: tuple[tuple[str, float], ...]
    techniques: tuple[tuple[str, float], ...]
    audiences: tuple[tuple[str, float], ...]
    season: str | None
    sleep: bool
    notes: tuple[str, ...]

    @property
    def theme(self) -> str:
        return self.themes[0][0]

    @property
    def technique(self) -> str:
        return self.techniques[0][0]

    @property
    def audience(self) -> str:
        return self.audiences[0][0]


def _matches(text: str, keywords: list[str]) -> list[str]:
    return [k for k in keywords if re.search(rf"\b{re.escape(k.lower())}\b", text)]


def _season(text: str, month: int | None, themes: dict[str, float]) -> tuple[str | None, str]:
    seasons: dict[str, dict[str, Any]] = catalogue()["seasons"]
    named = [(len(_matches(text, s["keywords"])), sid) for sid, s in seasons.items()]
    best = max(named)
    if best[0]:
        return best[1], f"the topic names the season {seasons[best[1]]['name']!r}"
    if month is None:
        return None, "no month given: no seasonal angle"
    if not 1 <= month <= 12:
        raise InputError(f"month must be 1–12, not {month}")
    candidates = [sid for sid, s in seasons.items()
                  if month in s["months"] and not s.get("keyword_only")]
    if not candidates:
        return None, f"no seasonal angle for month {month}"
    top = max(themes, key=lambda t: themes[t])
    candidates.sort(key=lambda sid: top not in seasons[sid]["themes"])
    return candidates[0], f"month {month} is {seasons[candidates[0]]['name']}"


def research(topic: str, *, month: int | None = None, seed: int = 0) -> ResearchBrief:
    """Angles for the topic, ranked: themes, techniques, audiences, and a seasonal angle."""
    if not topic.strip():
        raise InputError("the topic is empty: give a few words, e.g. --topic 'evening calm'")
    cat = catalogue()
    rng = random.Random(f"research|{seed}|{topic}")
    text = " ".join(re.findall(r"[a-z0-9'-]+", topic.lower()))
    notes: list[str] = []
    keywords: list[str] = []

    themes: dict[str, float] = {}
    for tid, theme in cat["themes"].items():
        hits = _matches(text, theme["keywords"])
        keywords += hits
        themes[tid] = sum(2.0 if " " in h else 1.0 for h in hits) + rng.random() * 1e-3
        if hits:
            notes.append(f"theme {tid}: topic mentions {', '.join(hits)}")
    reading = read_topic(topic)
    goal_theme = _GOAL_THEMES.get(reading.goal)
    if goal_theme in themes:  # what the session is for outweighs a word that names a theme
        themes[goal_theme] += 1.5
        notes.append(f"theme {goal_theme}: the topic asks for {reading.goal}")
    season, why = _season(text, month, themes)
    notes.append(why)
    if season:
        for tid in cat["seasons"][season]["themes"]:
            themes[tid] += 0.5
    ranked_themes = sorted(themes.items(), key=lambda kv: -kv[1])
    top_theme = cat["themes"][ranked_themes[0][0]]

    techniques: dict[str, float] = {}
    for kid, tech in cat["techniques"].items():
        hits = _matches(text, tech["keywords"])
        keywords += hits
        suited = 0.6 if kid in top_theme["techniques"] else 0.0
        techniques[kid] = len(hits) + suited + rng.random() * 1e-3

    goal_technique = _GOAL_TECHNIQUES.get(reading.goal)
    if goal_technique in techniques:
        techniques[goal_technique] += 1.0
    practice = named_practice(topic)
    if practice is not None:  # "Body scan for chronic pain": asked for by name, it is done
        techniques[practice.technique] += 10.0
        notes.append(f"technique {practice.technique}: the topic asks for "
                     f"{practice.name!r} by name")
    audiences: dict[str, float] = {}
    for aid, audience in cat["audiences"].items():
        hits = _matches(text, audience["keywords"])
        audiences[aid] = len(hits) + (0.5 if aid == "everyone" else 0.0)

    sleep = bool(top_theme.get("sleep")) or reading.sleep
    return ResearchBrief(
        topic=topic.strip(),
        keywords=tuple(dict.fromkeys(keywords)),
        themes=tuple((k, round(v, 4)) for k, v in ranked_themes),
        techniques=tuple((k, round(v, 4)) for k, v in sorted(techniques.items(),
                                                            key=lambda kv: -kv[1])),
        audiences=tuple(sorted(audiences.items(), key=lambda kv: -kv[1])),
        season=season,
        sleep=sleep,
        notes=tuple(notes),
    )
