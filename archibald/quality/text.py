"""Route-blind checks of text: a script against its topic, a title, research notes.

Each check reads only the artifact and the task's brief (topic, minutes), never who made it,
and answers ``(score in [0, 1], details)``. They separate good work from bad on measurable
grounds: the topic's own words (its situation and audience, not a keyword that picked a theme),
statements that contradict it, sentences and sentence frames repeated, whether each part of the
arc says what that part is for, pace and pauses, and the language rules of the genre
(/work/shared/reference/meditation-craft.md).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..script.measures import CONTRADICTIONS, contradictions, is_count
from ..script.model import Script, words
from ..pipelines.meditation.scoring import score_script

__all__ = ["topic_terms", "coverage", "contradictions", "repetition", "coherence", "language",
           "check_script", "check_title", "check_research", "CONTRADICTIONS"]

_STOP = set("""a an the and or but for of after before during when while with without to in on
at by from into onto about over under your you my our their his her its this that these those
is are be being been it as so than then very just more most less some any all every each one
meditation guided session minute minutes min practice video audio calm calming
i i'm i've i'll i'd me we us you're you've you'll you'd""".split())


def _stem(word: str) -> str:
    w = word.lower().strip("'")
    for suffix in ("ing", "ers", "ies", "es", "ed", "er", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _content(text: str) -> list[str]:
    return [_stem(w) for w in words(text) if w.lower() not in _STOP and not w.isdigit()]


def topic_terms(topic: str) -> dict[str, list[str]]:
    """The topic's content words, and the words of the situation and the audience it names
    ("after a night shift", "for nurses")."""
    t = topic.lower()
    audience = re.search(r"\bfor ([^,.;:()]+)$", t)
    situation = re.search(r"\b(?:after|before|during|when|while|at|on) ([^,.;:()]+?)"
                          r"(?= for\b|$)", t)
    return {"content": list(dict.fromkeys(_content(topic))),
            "situation": list(dict.fromkeys(_content(situation.group(1)))) if situation else [],
            "audience": list(dict.fromkeys(_content(audience.group(1)))) if audience else []}


def coverage(text: str, topic: str) -> tuple[float, dict[str, Any]]:
    """Share of the topic's content words the text says, with its situation and audience
    weighed apart: a text that names neither is about something else."""
    present = {_stem(w) for w in words(text)}
    terms = topic_terms(topic)
    parts: dict[str, float] = {}
    missing: list[str] = []
    for key, stems in terms.items():
        if not stems:
            continue
        found = [s for s in stems if s in present]
        missing += [s for s in stems if s not in present]
        parts[key] = len(found) / len(stems)
    score = sum(parts.values()) / len(parts) if parts else 1.0
    return score, {"parts": {k: round(v, 3) for k, v in parts.items()},
                   "missing": sorted(set(missing))}


def _norm(sentence: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in words(sentence))


def _counts_once(sentences: list[str]) -> list[str]:
    """The sentences, a counted breath said again left out ("Hold, two, three, four." each
    round of box breathing): the practice, not a repeat, and no sentence to the listener."""
    seen: set[str] = set()
    out = []
    for s in sentences:
        if is_count(s) and s.lower() in seen:
            continue
        seen.add(s.lower())
        out.append(s)
    return out


def repetition(script: Script) -> tuple[float, dict[str, Any]]:
    """Distinct sentences and sentence frames. A frame is a sentence with one word free ("Let
    it be vivid, quietly" / "…, kindly"): more than two uses of one frame per ten minutes reads
    machine-made. Affirmations and breath counts repeat by design and are left out (a count
    said again is no repeat either: "Hold, two, three, four." is the practice)."""
    all_sentences = [_norm(s) for s in _counts_once(script.sentences())]
    all_sentences = [s for s in all_sentences if s]
    distinct = len(set(all_sentences)) / len(all_sentences) if all_sentences else 0.0
    framed = [_norm(s) for sec in script.sections if sec.kind != "affirmations"
              for s in Script("", (sec,)).sentences() if not is_count(s)]
    framed = [s for s in framed if len(s) >= 4]
    groups: Counter[tuple[str, ...]] = Counter()
    keys = [{s[:i] + ("_",) + s[i + 1:] for i in range(len(s))} for s in framed]
    for ks in keys:
        groups.update(ks)
    allowed = 2 * max(1.0, (script.minutes or 10.0) / 10.0)
    over = [s for s, ks in zip(framed, keys) if max(groups[k] for k in ks) > allowed]
    over_share = len(over) / len(framed) if framed else 0.0
    worst = [" ".join(k) for k, n in groups.most_common(3) if n > allowed]
    score = max(0.0, min(1.0, (distinct - 0.7) / 0.25)) * max(0.0, 1.0 - 2.5 * over_share)
    return score, {"distinct_share": round(distinct, 3), "frames_allowed": allowed,
                   "sentences_over_frame_limit": len(over), "overused_frames": worst}


#: what each part of the arc talks about (meditation-craft.md, "Arc")
CUES: dict[str, str] = {
    "settling": r"\b(arriv\w*|settl\w*|comfortabl\w*|posture|pillow|chair|seat\w*|support\w*"
                r"|eyes (?:close|soften)|let your eyes|this time|just for you|slow down)\b",
    "breath": r"\b(breath\w*|inhal\w*|exhal\w*|in for|out for|ribs|belly)\b",
    "practice": r"\b(imagin\w*|pictur\w*|visuali[sz]\w*|scan\w*|place|light|water|glow|fire"
                r"|waves?|forest|garden|meadow|sky|stars?)\b",
    "affirmations": r"(?:^|\s)I\b|\bmy\b|\bmyself\b",
    "return": r"\b(fingers?|toes|room|return\w*|come back|open your eyes|carry|bring your "
              r"(?:awareness|attention) back)\b",
    "fade": r"\b(drift\w*|sleep\w*|fade\w*|let go|rest now|heavier)\b",
}


def coherence(script: Script) -> tuple[float, dict[str, Any]]:
    """Does each part say what it is for? Of the sentences that carry a cue of some part of
    the arc, the share in the section of that part (a shuffled script scores low)."""
    votes = own = 0
    per: dict[str, float] = {}
    for sec in script.sections:
        kind = "fade" if sec.kind == "fade" else sec.kind
        if kind not in CUES:
            continue
        mine = total = 0
        for s in Script("", (sec,)).sentences():
            hits = {k for k, rx in CUES.items() if re.search(rx, s, re.IGNORECASE)}
            if hits:
                total += 1
                mine += kind in hits
        votes += total
        own += mine
        per[sec.kind] = round(mine / total, 3) if total else 0.0
    score = own / votes if votes else 0.0
    return min(1.0, score / 0.7), {"own_cue_share": round(score, 3), "sections": per}


_ABSOLUTES = (r"\byou will (feel|be) no\b|\bnever again\b|\bcompletely (free|cured)\b"
              r"|\bguarantee\w*\b|\bforever free\b|\ball your (stress|worries) (is|are) gone\b")
_MEDICAL = (r"\bcures?\b|\bheals? your\b|\btreat(s|ment)?\b|\btherap\w+\b|\bclinically\b"
            r"|\b(lower|reduce)s? (your )?(blood pressure|anxiety|depression)\b")


def language(script: Script) -> tuple[float, dict[str, Any]]:
    """The genre's language rules: second person, invitational; no clinical or alarming words,
    no absolutes, no promise of a medical effect; nothing a voice misreads (digits, symbols,
    words in capitals)."""
    from ..pipelines.meditation.editors import BANNED

    text = script.spoken_text()
    spoken = re.sub(r"\[pause [\d.]+s\]", "", text)
    sentences = _counts_once(script.sentences())  # "Hold, two, three." once
    second = sum(1 for s in sentences if re.search(r"\b(you|your)\b", s, re.I))
    share = second / len(sentences) if sentences else 0.0
    clinical = sorted({m.group(0).lower() for p, _ in BANNED[:-2]
                       for m in re.finditer(p, spoken, re.IGNORECASE)})
    absolutes = [m.group(0) for m in re.finditer(_ABSOLUTES, spoken, re.IGNORECASE)]
    medical = [m.group(0) for m in re.finditer(_MEDICAL, spoken, re.IGNORECASE)]
    misread = re.findall(r"\d|[%&/]|\b[A-Z]{3,}\b", spoken)
    score = max(0.0, 1.0 - 0.34 * len(clinical) - 0.25 * len(absolutes) - 0.25 * len(medical)
                - 0.05 * len(misread)) * min(1.0, share / 0.3)
    return score, {"second_person_share": round(share, 3), "clinical": clinical,
                   "absolutes": absolutes, "medical": medical, "misread": len(misread)}


#: weights of the script check's parts (they sum to 1); contradictions multiply the total
_WEIGHTS = {"coverage": 0.2, "repetition": 0.15, "arc": 0.1, "coherence": 0.1, "pace": 0.1,
            "length": 0.1, "pauses": 0.05, "language": 0.1, "readability": 0.1}
#: silence (marked pauses, gaps, leads) as a share of the running time: "pauses are the
#: substance", but a track that is mostly silence has lost its voice
PAUSE_BUDGET = (0.2, 0.5)


def check_script(script: Script, *, topic: str, minutes: float) -> tuple[float, dict[str, Any]]:
    """A script against its topic and length: coverage, contradictions, repetition, the arc
    and its shares, whether each part says what it is for, pace and pause budget, language."""
    if not script.sentences():
        return 0.0, {"error": "no sentences"}
    _, base = score_script(script, minutes)
    text = script.spoken_text()
    cov, cov_d = coverage(script.title + " " + text, topic)
    rep, rep_d = repetition(script)
    coh, coh_d = coherence(script)
    lang, lang_d = language(script)
    silence = script.silence_seconds() / max(1.0, script.estimated_seconds())
    low, high = PAUSE_BUDGET
    pause_part = 1.0 if low <= silence <= high else max(0.0, 1.0 - min(
        abs(silence - low), abs(silence - high)) / 0.15)
    parts = {"coverage": cov, "repetition": rep, "arc": base["parts"]["arc"],
             "coherence": coh, "pace": base["parts"]["pace"], "length": base["parts"]["length"],
             "pauses": pause_part, "language": lang,
             "readability": base["parts"]["readability"]}
    conflicts = contradictions(text, topic, sleep=script.sleep)
    score = sum(_WEIGHTS[k] * v for k, v in parts.items())
    score *= max(0.0, 1.0 - 0.3 * len(conflicts))
    return round(score, 4), {
        "parts": {k: round(v, 3) for k, v in parts.items()}, "coverage": cov_d,
        "contradictions": conflicts, "repetition": rep_d, "coherence": coh_d,
        "language": lang_d, "silence_share": round(silence, 3), "shares": base["shares"],
        "pace_wpm": base["pace_wpm"], "estimated_seconds": base["estimated_seconds"],
        "target_seconds": base["target_seconds"], "words": base["words"]}


_BENEFITS = r"\b(calm\w*|sleep\w*|rest\w*|relax\w*|peace\w*|eas(?:e|ing)|courage|focus\w*" \
            r"|energ\w*|gratitude|grateful|confiden\w*|kind\w*|heal\w*|stress relief" \
            r"|let(?:ting)? go|unwind\w*|reset|fresh start|compassion\w*|" \
            r"clarity|joy\w*|comfort\w*|recover\w*|balance\w*|grounded|soothe\w*|quiet" \
            r"|motivat\w*|resilien\w*|forgiv\w*|serenity|content(?:ment|ed)|happ(?:y|iness)" \
            r"|self-(?:love|worth)|inspir\w*|hope\w*|strength|patien\w*|stillness" \
            r"|strong|stead(?:y|iness)|safe(?:ty)?|presen(?:t|ce)|brave(?:ry)?|centred" \
            r"|centered|refresh\w*|renew\w*|relief)\b"
_LENGTH = r"\b(\d+(?:\.\d+)?)[- ]?(?:min(?:ute)?s?)\b"
_DANGLING = set("a an the and or but for of to in on at by with from into your my our "
                "after before while".split())


def check_title(title: str, *, topic: str = "", minutes: float | None = None,
                ) -> tuple[float, dict[str, Any]]:
    """A video title: says the benefit and the length, reads as a whole phrase (not cut
    mid-phrase or mid-word), at most 100 characters."""
    t = title.strip()
    if not t:
        return 0.0, {"error": "no title"}
    m = re.search(_LENGTH, t, re.IGNORECASE)
    says_length = 0.0 if m is None else 1.0 if minutes is None or abs(
        float(m.group(1)) - round(minutes)) < 0.51 else 0.5
    on_topic, cov_d = coverage(t, topic) if topic else (1.0, {})
    benefit = 1.0 if re.search(_BENEFITS, t, re.IGNORECASE) else 0.0
    tokens = words(t)
    last = tokens[-1] if tokens else ""
    cut = []
    if last.lower() in _DANGLING:
        cut.append(f"ends on {last!r}")
    if re.search(r"[,:;\-–—&/(]\s*$|\.\.\.$|…$", t):
        cut.append("ends on a mark that leads on")
    if t.count("(") != t.count(")") or t.count('"') % 2:
        cut.append("unbalanced brackets or quotes")
    if len(last) <= 2 and last.isalpha() and last.lower() not in {"me", "us", "it", "go", "up"}:
        cut.append(f"ends on the fragment {last!r}")
    parts = {"length_chars": 1.0 if len(t) <= 100 else 0.0, "says_length": says_length,
             "benefit": 0.5 * benefit + 0.5 * min(1.0, on_topic * 2),
             "whole_phrase": 0.0 if cut else 1.0}
    score = sum(parts.values()) / len(parts)
    return round(score, 4), {"parts": parts, "chars": len(t), "cut": cut, "coverage": cov_d}


def check_research(brief: dict[str, Any], topic: str) -> tuple[float, dict[str, Any]]:
    """Research notes: themes to work from, and findings about this topic, not any topic."""
    themes = brief.get("themes") or []
    text = " ".join(str(v) for v in brief.values())
    cov, cov_d = coverage(text, topic)
    parts = {"themes": 1.0 if themes else 0.0, "coverage": cov}
    return round(0.5 * parts["themes"] + 0.5 * cov, 4), {"parts": parts, "coverage": cov_d}
