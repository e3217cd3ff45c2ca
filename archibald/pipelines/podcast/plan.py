"""Research and outline: the offline brief and outline, the adopters that read a model's
markdown answer into the same shapes, and their route-blind checks."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Mapping, Sequence
from ...core.tasks import Context, Task
from ...providers.local_model import HOW_TO_GET_ONE
from .catalogue import _ANGLE, _ANGLES, _HOOKS, _TITLES, _fill, _rng, _segment_count
from .text import _focus, _keywords, _norm, _sentences, _title_case, _topic_phrase, _words, target_words


# --------------------------------------------------------------------------- research

#: what the podcast says when its offline writer makes the episode (no model answered)
OFFLINE_NOTICE = ("podcast: no language model wrote this episode's research, the offline "
                  "writer did; an offline episode is a structural demo (template words about "
                  f"the topic, no researched content). For real content {HOW_TO_GET_ONE}, or "
                  "set an API key such as DEEPSEEK_API_KEY or ANTHROPIC_API_KEY")

def _brief(topic: str, minutes: float, seed: int) -> dict[str, Any]:
    rng = _rng(seed, topic, "angles")
    # the mechanics and the stakes belong in every episode; the rest are the seed's choice
    core = ["mechanics", "stakes"]
    rest = [a[0] for a in _ANGLES if a[0] not in core]
    rng.shuffle(rest)
    keys = core + rest[:3]
    order = {"origins": 0, "mechanics": 1, "people": 2, "stakes": 3, "tradeoffs": 4,
             "myths": 5, "questions": 6, "practice": 7}
    keys.sort(key=lambda k: order[k])
    angles = []
    for key in keys:
        _, title, lens, questions, takeaway, _lines = _ANGLE[key]
        angles.append({"key": key, "title": title, "lens": lens,
                       "questions": [_fill(q, topic) for q in questions],
                       "takeaway": _fill(takeaway, topic)[0].lower()
                       + _fill(takeaway, topic)[1:]})
    return {"topic": _topic_phrase(topic), "keywords": _keywords(topic), "focus": _focus(topic),
            "minutes": float(minutes), "angles": angles, "sources": [],
            "offline": True}


def _brief_markdown(brief: Mapping[str, Any]) -> str:
    lines = [f"# Research brief: {brief.get('topic', '')}", ""]
    if brief.get("offline"):
        lines += ["Offline brief: angles and the questions each should answer. It cites no "
                  "sources, so the script makes no factual claims it cannot support.", ""]
    for angle in brief.get("angles", []):
        lines.append(f"## {angle.get('title', '')}")
        for q in angle.get("questions", []) or angle.get("points", []):
            lines.append(f"- {q}")
        if angle.get("takeaway"):
            lines.append(f"- Takeaway: {angle['takeaway']}")
        lines.append("")
    for src in brief.get("sources", []):
        lines.append(f"- Source: {src}")
    return "\n".join(lines).strip() + "\n"


async def research(task: Task, context: Context) -> dict[str, Any]:
    """Offline research: the angles an episode on the topic can take, with their questions."""
    brief = _brief(str(task.inputs["topic"]), float(task.inputs.get("minutes", 5)),
                   context.seed)
    print(OFFLINE_NOTICE, file=sys.stderr)  # the episode's start: said once, and in report.md
    return {"brief": brief, "notes": _brief_markdown(brief), "notice": OFFLINE_NOTICE}


def _md_blocks(text: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """``# title`` and ``## heading`` blocks of a markdown answer, each with its lines."""
    title, blocks = "", []  # type: ignore[var-annotated]
    for raw in text.replace("\r\n", "\n").splitlines():
        line = raw.rstrip()
        m = re.match(r"^\s*(#{1,4})\s+(.*?)\s*#*\s*$", line)
        bold = re.match(r"^\s*\*\*(.+?)\*\*:?\s*$", line)
        if m and len(m.group(1)) == 1 and not title and not blocks:
            title = _plain(m.group(2))
        elif m or bold:
            blocks.append((_plain(m.group(2) if m else bold.group(1)), []))  # type: ignore
        elif blocks:
            blocks[-1][1].append(line)
        elif line.strip() and not title and line.lower().startswith("title:"):
            title = _plain(line.split(":", 1)[1])
    return title, blocks


def _plain(text: str) -> str:
    """Markdown emphasis, links and code marks removed."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split()).strip(" :")


def _bullets(lines: Sequence[str]) -> list[str]:
    out = []
    for line in lines:
        m = re.match(r"^\s*(?:[-*+•]|\d+[.)])\s+(.*)$", line)
        if m and _plain(m.group(1)):
            out.append(_plain(m.group(1)))
    return out


def research_from_text(task: Task, text: str) -> dict[str, Any]:
    """A model's research answer (markdown: ``## Angle`` headings with bullets) as a brief."""
    topic = str(task.inputs.get("topic", ""))
    _, blocks = _md_blocks(text)
    angles = []
    for heading, lines in blocks:
        points = _bullets(lines) or [s for s in _sentences(" ".join(lines)) if s]
        if not points or heading.lower().startswith(("source", "reference")):
            continue
        takeaway = next((p.split(":", 1)[1].strip() for p in points
                         if p.lower().startswith("takeaway:")), "")
        points = [p for p in points if not p.lower().startswith("takeaway:")]
        angles.append({"key": "", "title": heading, "lens": heading[:1].lower() + heading[1:],
                       "questions": points, "takeaway": takeaway})
    if not angles:                                    # plain prose: one angle per paragraph
        for para in [p for p in re.split(r"\n\s*\n", text) if _words(p)][:6]:
            sents = _sentences(_plain(para))
            angles.append({"key": "", "title": _plain(" ".join(_words(sents[0])[:6])),
                           "lens": "", "questions": sents, "takeaway": ""})
    sources = re.findall(r"https?://[^\s)>\]]+", text)
    brief = {"topic": _topic_phrase(topic) if topic else "", "keywords": _keywords(topic),
             "focus": _focus(topic) if topic else "", "minutes": float(task.inputs.get(
                 "minutes", 5)), "angles": angles, "sources": sorted(set(sources)),
             "offline": False}
    return {"brief": brief, "notes": text.strip() + "\n"}


def check_research(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """At least three distinct angles, each with questions or points, on the topic."""
    brief = artifact.get("brief") or {}
    angles = [a for a in brief.get("angles", []) if isinstance(a, Mapping)]
    titles = {_norm(str(a.get("title", ""))) for a in angles}
    with_points = sum(1 for a in angles if len(a.get("questions") or []) >= 2)
    keys = _keywords(str(task.inputs.get("topic", "")))
    notes = str(artifact.get("notes", "")).lower()
    on_topic = (sum(1 for k in keys if k in notes) / len(keys)) if keys else 1.0
    parts = {"angles": min(1.0, len(titles) / 3), "points": min(1.0, with_points / 3),
             "on_topic": on_topic}
    return round(sum(parts.values()) / len(parts), 3), {**parts, "count": len(angles)}


# --------------------------------------------------------------------------- outline

def _outline(topic: str, minutes: float, host: str, brief: Mapping[str, Any],
             seed: int) -> dict[str, Any]:
    rng = _rng(seed, topic, "outline")
    angles = [a for a in brief.get("angles", []) if isinstance(a, Mapping)]
    count = min(_segment_count(minutes), max(1, len(angles)))
    known = [a for a in angles if a.get("key") in _ANGLE]
    if len(known) >= count:
        # keep the brief's order; drop the seed's choice of the extra angles
        chosen_keys = {"mechanics", "stakes"} & {str(a["key"]) for a in known}
        others = [a for a in known if a["key"] not in chosen_keys]
        rng.shuffle(others)
        pick = {*chosen_keys, *(str(a["key"]) for a in others[:count - len(chosen_keys)])}
        chosen = [a for a in known if a["key"] in pick][:count]
    else:
        chosen = angles[:count]
    total = target_words(minutes)
    intro, recap, outro = (int(total * s) for s in (0.12, 0.09, 0.05))
    each = max(40, (total - intro - recap - outro) // max(1, len(chosen)))
    segments = [{"key": str(a.get("key") or ""), "title": str(a.get("title", "")),
                 "lens": str(a.get("lens") or a.get("title", "")).strip() or "this part",
                 "points": list(a.get("questions") or []),
                 "takeaway": str(a.get("takeaway") or ""), "words": each} for a in chosen]
    t = _topic_phrase(topic)
    title = _title_case(rng.choice(_TITLES).format(T=t))
    hook = [_fill(line, topic) for line in rng.choice(_HOOKS)]
    return {"title": title, "host": host, "topic": t, "minutes": float(minutes),
            "target_words": total, "hook": hook, "segments": segments,
            "intro_words": intro, "recap_words": recap, "outro_words": outro}


def _outline_markdown(o: Mapping[str, Any]) -> str:
    lines = [f"# {o.get('title', '')}", "",
             f"Host: {o.get('host', '')}. Length: {o.get('minutes', 0):g} minutes, about "
             f"{o.get('target_words', 0)} words.", "", "## Intro"]
    lines += [f"- {h}" for h in o.get("hook", [])]
    for s in o.get("segments", []):
        lines += ["", f"## {s.get('title', '')}"]
        lines += [f"- {p}" for p in s.get("points", [])]
        if s.get("takeaway"):
            lines.append(f"- Takeaway: {s['takeaway']}")
    lines += ["", "## Recap", "- One line per segment's takeaway.", "", "## Outro",
              "- A question to carry away, and a sign-off."]
    return "\n".join(lines) + "\n"


async def outline(task: Task, context: Context) -> dict[str, Any]:
    """Offline outline: title, hook, 3–4 segments with a word budget each, recap, outro."""
    o = _outline(str(task.inputs["topic"]), float(task.inputs.get("minutes", 5)),
                 str(task.inputs.get("host") or "Alex"), task.inputs.get("brief") or
                 _brief(str(task.inputs["topic"]), float(task.inputs.get("minutes", 5)),
                        context.seed), context.seed)
    return {"outline": o, "markdown": _outline_markdown(o)}


_FRAME_NAMES = ("intro", "introduction", "opening", "cold open", "hook", "welcome", "recap",
                "summary", "wrap-up", "wrap up", "outro", "closing", "conclusion", "sign-off",
                "sign off")


def _kind_of(title: str) -> str:
    t = title.lower()
    if any(w in t for w in ("intro", "opening", "cold open", "hook", "welcome")):
        return "intro"
    if any(w in t for w in ("recap", "summary", "wrap")):
        return "recap"
    if any(w in t for w in ("outro", "closing", "conclusion", "sign-off", "sign off",
                            "goodbye")):
        return "outro"
    return "segment"


def outline_from_text(task: Task, text: str) -> dict[str, Any]:
    """A model's outline (``# Title``, ``## Segment`` headings with bullets) as an outline."""
    topic = str(task.inputs.get("topic", ""))
    minutes = float(task.inputs.get("minutes", 5))
    title, blocks = _md_blocks(text)
    hook: list[str] = []
    segments: list[dict[str, Any]] = []
    for heading, lines in blocks:
        points = _bullets(lines) or _sentences(_plain(" ".join(lines)))
        heading = re.sub(r"^(segment|part|chapter)\s*\d*\s*[:.\-–—]\s*", "", heading,
                         flags=re.I).strip() or heading
        kind = _kind_of(heading)
        if kind == "intro":
            hook += points
        elif kind == "segment":
            takeaway = next((p.split(":", 1)[1].strip() for p in points
                             if p.lower().startswith(("takeaway:", "key point:"))), "")
            segments.append({"key": "", "title": heading, "lens": heading[:1].lower()
                             + heading[1:], "takeaway": takeaway,
                             "points": [p for p in points if not p.lower().startswith(
                                 ("takeaway:", "key point:"))]})
    total = target_words(minutes)
    intro, recap, outro = (int(total * s) for s in (0.12, 0.09, 0.05))
    each = max(40, (total - intro - recap - outro) // max(1, len(segments)))
    for seg in segments:
        seg["words"] = each
    o = {"title": title or _title_case(_topic_phrase(topic)) if topic else title,
         "host": str(task.inputs.get("host") or "Alex"),
         "topic": _topic_phrase(topic) if topic else "", "minutes": minutes,
         "target_words": total, "hook": hook, "segments": segments, "intro_words": intro,
         "recap_words": recap, "outro_words": outro}
    return {"outline": o, "markdown": text.strip() + "\n"}


def check_outline(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A title, a hook, 3–4 distinct segments with points, on the topic."""
    o = artifact.get("outline") or {}
    segs = [s for s in o.get("segments", []) if isinstance(s, Mapping)]
    titles = {_norm(str(s.get("title", ""))) for s in segs}
    keys = _keywords(str(task.inputs.get("topic", "")))
    text = json.dumps(o).lower()
    parts = {
        "title": 1.0 if str(o.get("title", "")).strip() else 0.0,
        "hook": 1.0 if o.get("hook") else 0.5,
        "segments": 1.0 if 3 <= len(segs) <= 4 else (0.5 if len(segs) in (2, 5, 6) else 0.0),
        "distinct": len(titles) / len(segs) if segs else 0.0,
        "points": (sum(1 for s in segs if s.get("points")) / len(segs)) if segs else 0.0,
        "on_topic": (sum(1 for k in keys if k in text) / len(keys)) if keys else 1.0,
    }
    return round(sum(parts.values()) / len(parts), 3), {**parts, "segments_count": len(segs)}
