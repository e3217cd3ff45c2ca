"""The script and its review: the offline writer, the adopters of a model's script, the review
that splits long sentences and trims repeats, and their route-blind checks."""

from __future__ import annotations

import random
import re
from typing import Any, Mapping, Sequence
from ...core.tasks import Context, Task
from .text import LONG_SENTENCE, _cap, _focus, _keywords, _norm, _number_words, _sentences, _title_case, _topic_phrase, _words, target_words
from .catalogue import _ANGLE, _CLOSERS, _CLOSING, _DEEPER, _GREETINGS, _OPENERS, _ORDINALS, _PROMISES, _STARTS, _fill, _rng
from .plan import _brief, _kind_of, _md_blocks, _outline, _plain


# --------------------------------------------------------------------------- script

class _Lines:
    """The lines a script may still use: every line at most once per script."""

    def __init__(self, rng: random.Random) -> None:
        self.used: set[str] = set()
        self.deeper = list(_DEEPER)
        rng.shuffle(self.deeper)

    def take(self, line: str) -> bool:
        key = _norm(line)
        if key in self.used:
            return False
        self.used.add(key)
        return True

    def deepen(self, topic: str, lens: str) -> str | None:
        while self.deeper:
            line = _fill(self.deeper.pop(), topic, lens=lens)
            if self.take(line):
                return line
        return None


def _spoken_point(point: str, i: int) -> str:
    p = point.strip().rstrip(".")
    if p.endswith("?"):
        frames = ("A question worth asking here: {p}", "So ask yourself: {p}",
                  "Here's one to sit with: {p}")
        return frames[i % len(frames)].format(p=p[:1].lower() + p[1:] if not
                                              p[:2].isupper() else p)
    return _cap(p) + "."


def _lens(seg: Mapping[str, Any]) -> str:
    """How the host names a segment in a sentence ("how it actually works")."""
    lens = str(seg.get("lens") or "").strip()
    if lens:
        return lens
    title = str(seg.get("title") or "this part").strip()
    return title if title[:2].isupper() or title.istitle() and len(title.split()) == 1 \
        else title[:1].lower() + title[1:]


def _segment_text(seg: Mapping[str, Any], index: int, count: int, topic: str,
                  lines: _Lines, rng: random.Random, closer: bool = True) -> str:
    key = str(seg.get("key") or "")
    lens = _lens(seg)
    budget = int(seg.get("words") or 120)
    slot = 0 if index == 0 else (3 if index == count - 1 else min(index, 2))
    opener = _fill(rng.choice(_OPENERS[slot]), topic, lens=lens)
    out = [opener]
    lines.take(opener)
    if key in _ANGLE:
        body = [_fill(x, topic) for x in _ANGLE[key][5]]
    else:
        body = [_spoken_point(p, i) for i, p in enumerate(seg.get("points") or [])]
    takeaway = str(seg.get("takeaway") or "").strip().rstrip(".")
    ending = _fill(_CLOSERS[(index + rng.randrange(len(_CLOSERS))) % len(_CLOSERS)], topic,
                   takeaway=takeaway) if takeaway and closer else ""
    least = 3 if budget >= 90 else 1
    reserve = len(_words(ending))
    count_words = len(_words(opener))
    # a deeper line between the body's lines now and then (in a long segment)
    every = 4
    exhausted = True
    for i, line in enumerate(body):
        if i >= least and count_words + len(_words(line)) + reserve > budget * 1.08:
            exhausted = False
            break
        if lines.take(line):
            out.append(line)
            count_words += len(_words(line))
        if budget > 160 and i % every == every - 1 and count_words + reserve < budget * 0.9:
            extra = lines.deepen(topic, lens)
            if extra:
                out.append(extra)
                count_words += len(_words(extra))
    while exhausted and count_words + reserve < budget * 0.92:
        extra = lines.deepen(topic, lens)
        if extra is None:
            break
        out.insert(max(2, len(out) - 1), extra)
        count_words += len(_words(extra))
    if ending:
        out.append(ending)
    return " ".join(out)


def _write(o: Mapping[str, Any], topic: str, seed: int) -> dict[str, Any]:
    rng = _rng(seed, topic, "script")
    lines = _Lines(rng)
    host = str(o.get("host") or "Alex")
    minutes = float(o.get("minutes") or 5)
    segs = [s for s in o.get("segments", []) if isinstance(s, Mapping)]
    titles = [str(s.get("title", "")) for s in segs]
    # intro: greeting, hook, the road map, a promise, off we go
    short = int(o.get("target_words") or target_words(minutes)) < 450
    intro = [_fill(rng.choice(_GREETINGS), topic, h=host)]
    intro += [_fill(h, topic) for h in (o.get("hook") or [])][:0 if minutes < 2 else
                                                              1 if short else 3]
    span = ("the next minute or so" if minutes < 2 else
            f"the next {_number_words(int(round(minutes)))} minutes")
    if segs:
        names = [_lens(s) for s in segs]
        road = ", ".join(names[:-1]) + (", and " if len(names) > 2 else " and ") + names[-1] \
            if len(names) > 1 else names[0]
        intro.append(f"Over {span}, we'll cover {_number_words(len(names))} things: {road}.")
    if not short:
        intro.append(rng.choice(_PROMISES))
    intro.append(rng.choice(_STARTS))
    for line in intro:
        lines.take(line)
    sections = [{"title": "Intro", "kind": "intro", "text": " ".join(intro)}]
    # recap: one line per segment
    recap = [rng.choice(("Let's recap.", "So, a quick recap.", "Let's bring it together."))]
    for i, seg in enumerate(segs if not short or minutes >= 2 else segs[:0]):
        take = str(seg.get("takeaway") or "").strip().rstrip(".")
        if not take:
            take = f"we looked at {str(seg.get('lens') or titles[i]).strip()}"
        lead = "And finally" if i == len(segs) - 1 and i > 0 else _ORDINALS[min(i, 4)]
        recap.append(f"{lead}, {take}.")
    if len(recap) == 1:                        # a one-minute episode: the recap in one breath
        names = [_lens(s) for s in segs]
        recap = [f"So, to recap: we looked at {', '.join(names[:-1])} and {names[-1]}."
                 if len(names) > 1 else f"So, to recap: we looked at {names[0]}."]
    sections.append({"title": "Recap", "kind": "recap", "text": " ".join(recap)})
    t = _topic_phrase(topic)
    outro = [
        rng.choice((f"That's it for today's episode on {t}.",
                    f"And that brings us to the end of today's look at {t}.")),
        *([] if short else [
            rng.choice((f"Here's something to think about before next time: where do you run "
                        f"into {_focus(topic)} in your week, and what would you look at "
                        f"differently now?",
                        "Before you go, pick one idea from today and try it out in the next "
                        "few days.")),
            "If this was useful, share it with someone who'd enjoy it."]),
        f"Thanks for listening. I'm {host}, and I'll talk to you next time.",
    ]
    sections.append({"title": "Outro", "kind": "outro", "text": " ".join(outro)})
    fixed = sum(len(_words(str(x["text"]))) for x in sections)
    total = int(o.get("target_words") or target_words(minutes))
    each = max(30, (total - fixed) // max(1, len(segs)))
    for i, seg in enumerate(segs):
        sections.insert(1 + i, {"title": titles[i], "kind": "segment", "text": _segment_text(
            {**seg, "words": each}, i, len(segs), topic, lines, rng, closer=not short)})
    return {"title": str(o.get("title") or _title_case(t)), "host": host, "topic": t,
            "minutes": minutes, "sections": sections}


def _script_value(s: Mapping[str, Any], **more: Any) -> dict[str, Any]:
    sections = list(s.get("sections", []))
    text = "\n\n".join(str(x["text"]).strip() for x in sections)
    md = [f"# {s.get('title', '')}", ""]
    for x in sections:
        md += [f"## {x['title']}", "", str(x["text"]).strip(), ""]
    return {"script": dict(s), "text": text, "markdown": "\n".join(md).strip() + "\n",
            "words": len(_words(text)), **more}


async def script(task: Task, context: Context) -> dict[str, Any]:
    """Offline script: a single host speaking through the outline, about the topic."""
    topic = str(task.inputs["topic"])
    o = task.inputs.get("outline")
    if not o:
        minutes = float(task.inputs.get("minutes", 5))
        o = _outline(topic, minutes, str(task.inputs.get("host") or "Alex"),
                     _brief(topic, minutes, context.seed), context.seed)
    o = {**o, "minutes": float(task.inputs.get("minutes", o.get("minutes", 5))),
         "host": str(task.inputs.get("host") or o.get("host") or "Alex")}
    return _script_value(_write(o, topic, context.seed))


_SPEAKER = re.compile(r"^\s*(?:[A-Z][A-Z .']{1,30}|Host|Narrator|Speaker(?: \d)?)\s*:\s+(?=\S)")
_DIRECTION = re.compile(r"\[(?!pause\b)[^\]]*\]|\((?:music|sfx|sound|laugh|pause|beat|intro|"
                        r"outro)[^)]*\)", re.I)


def _spoken(lines: Sequence[str]) -> str:
    """Markdown body lines as the words a host says: no stage directions, speaker labels,
    bullets or emphasis."""
    out = []
    for line in lines:
        if re.match(r"^\s*(?:---+|\*\*\*+|>?\s*$)", line):
            continue
        line = _DIRECTION.sub(" ", line)
        line = re.sub(r"^\s*(?:[-*+•>]|\d+[.)])\s+", "", line)
        line = _SPEAKER.sub("", _plain(line))
        if _words(line):
            out.append(line)
    return " ".join(out)


def _script_from_markdown(text: str, title: str, host: str, minutes: float,
                          topic: str) -> dict[str, Any]:
    head, blocks = _md_blocks(text)
    sections = []
    for heading, lines in blocks:
        body = _spoken(lines)
        if body:
            sections.append({"title": heading, "kind": _kind_of(heading), "text": body})
    if not sections:                                  # no headings: paragraphs as sections
        paras = [_spoken(p.splitlines()) for p in re.split(r"\n\s*\n", text)]
        sections = [{"title": f"Part {i + 1}", "kind": "segment", "text": p}
                    for i, p in enumerate(x for x in paras if x)]
    if sections and sections[0]["kind"] == "segment" and len(sections) > 2:
        sections[0]["kind"] = "intro"
    if sections and sections[-1]["kind"] == "segment" and len(sections) > 2:
        sections[-1]["kind"] = "outro"
    return {"title": head or title, "host": host, "topic": topic, "minutes": minutes,
            "sections": sections}


def script_from_text(task: Task, text: str) -> dict[str, Any]:
    """A model's script (markdown, ``## Section`` headings) as the local script's shape."""
    o = task.inputs.get("outline") or {}
    topic = str(task.inputs.get("topic", ""))
    s = _script_from_markdown(text, str(o.get("title") or _title_case(_topic_phrase(topic))),
                              str(task.inputs.get("host") or o.get("host") or "Alex"),
                              float(task.inputs.get("minutes", 5)),
                              _topic_phrase(topic) if topic else "")
    return _script_value(s)


def _score_script(s: Mapping[str, Any], topic: str, minutes: float
                  ) -> tuple[float, dict[str, Any]]:
    sections = [x for x in s.get("sections", []) if isinstance(x, Mapping)]
    text = " ".join(str(x.get("text", "")) for x in sections)
    words = len(_words(text))
    target = target_words(minutes)
    ratio = words / target if target else 0.0
    length = 1.0 if 0.8 <= ratio <= 1.2 else max(0.0, 1 - (abs(ratio - 1) - 0.2) / 0.6)
    kinds = [str(x.get("kind", "")) for x in sections]
    segs = kinds.count("segment")
    shape = (0.5 * (1.0 if 3 <= segs <= 4 else 0.5 if segs in (2, 5) else 0.0)
             + 0.25 * (kinds[:1] == ["intro"]) + 0.25 * bool(kinds and kinds[-1] == "outro"))
    sents = _sentences(text)
    normed = [_norm(x) for x in sents if _norm(x)]
    repeats = len(normed) - len(set(normed))
    long = sum(1 for x in sents if len(_words(x)) > LONG_SENTENCE + 3)
    openers = {" ".join(n.split()[:2]) for n in normed}
    keys = _keywords(topic)
    low = text.lower()
    covered = (sum(1 for k in keys if k in low) / len(keys)) if keys else 1.0
    mentions = sum(low.count(k) for k in keys) if keys else segs
    on_topic = covered * min(1.0, mentions / max(1, segs + 1))
    parts = {
        "length": round(length, 3), "shape": round(shape, 3), "on_topic": round(on_topic, 3),
        "no_repeats": max(0.0, 1 - 5 * repeats / max(1, len(normed))),
        "sentence_length": max(0.0, 1 - 3 * long / max(1, len(sents))),
        "variety": min(1.0, len(openers) / max(1, len(normed)) / 0.7),
    }
    score = sum(parts.values()) / len(parts)
    if words == 0:
        score = 0.0
    return round(score, 3), {**parts, "words": words, "target_words": target,
                             "segments": segs, "repeated_sentences": repeats,
                             "long_sentences": long}


def check_script(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """Length near the target, intro/3–4 segments/outro, on the topic, no repeats, sentences
    a voice can say, varied openings."""
    return _score_script(artifact.get("script") or {}, str(task.inputs.get("topic", "")),
                         float(task.inputs.get("minutes", 5)))


# --------------------------------------------------------------------------- review

_SPLIT_AT = (r";\s+", r",\s+(?:and|but|so|because|which|while|although)\s+", r",\s+",
             r"\s+(?:and|but|so)\s+")


def _split_long(sentence: str) -> list[str]:
    """An overlong sentence cut in two near its middle at a clause break (or left alone)."""
    n = len(_words(sentence))
    if n <= LONG_SENTENCE:
        return [sentence]
    best: tuple[float, int, int] | None = None
    for pattern in _SPLIT_AT:
        for m in re.finditer(pattern, sentence):
            left = len(_words(sentence[:m.start()]))
            if min(left, n - left) < 6:
                continue
            cost = abs(left - n / 2)
            if best is None or cost < best[0]:
                best = (cost, m.start(), m.end())
        if best is not None:
            break
    if best is None:
        return [sentence]
    head = sentence[:best[1]].rstrip(" ,;") + "."
    tail = sentence[best[2]:].strip()
    tail = re.sub(r"^(?:and|but|so|because|which|while|although)\s+", "", tail, flags=re.I)
    tail = _cap(tail)
    return [*_split_long(head), *_split_long(tail)]


def _review(s: Mapping[str, Any], topic: str, minutes: float,
            seed: int) -> tuple[dict[str, Any], list[str]]:
    changes: list[str] = []
    sections = [dict(x) for x in s.get("sections", []) if isinstance(x, Mapping)]
    seen: set[str] = set()
    for x in sections:
        kept: list[str] = []
        for sentence in _sentences(str(x.get("text", ""))):
            key = _norm(sentence)
            if not key:
                continue
            if key in seen:
                changes.append(f"{x['title']}: removed a repeated sentence "
                               f"(\"{_short(sentence)}\")")
                continue
            seen.add(key)
            parts = _split_long(sentence)
            if len(parts) > 1:
                changes.append(f"{x['title']}: split a {len(_words(sentence))}-word sentence "
                               f"into {len(parts)}")
            kept += parts
        x["text"] = " ".join(kept)
    target = target_words(minutes)
    words = sum(len(_words(str(x["text"]))) for x in sections)
    segs = [x for x in sections if x.get("kind") == "segment"]
    if words > target * 1.15 and segs:
        # trim the longest segment's second-to-last line (its closing line stays) until close
        cut = 0
        while words > target * 1.1:
            longest = max(segs, key=lambda x: len(_words(str(x["text"]))))
            sents = _sentences(str(longest["text"]))
            if len(sents) <= 3:
                break
            gone = sents.pop(-2 if _CLOSING.match(sents[-1]) else -1)
            longest["text"] = " ".join(sents)
            words -= len(_words(gone))
            cut += 1
        if cut:
            changes.append(f"trimmed {cut} sentence(s) from the longest segments to come "
                           f"within 10% of {target} words")
    elif words < target * 0.85 and segs:
        lines = _Lines(_rng(seed, topic, "review"))
        for x in sections:
            for sentence in _sentences(str(x["text"])):
                lines.take(sentence)
        added = 0
        while words < target * 0.9:
            shortest = min(segs, key=lambda x: len(_words(str(x["text"]))))
            extra = lines.deepen(topic, str(shortest.get("title", "this part")).lower())
            if extra is None:
                break
            sents = _sentences(str(shortest["text"]))
            sents.insert(max(1, len(sents) - 1), extra)
            shortest["text"] = " ".join(sents)
            words += len(_words(extra))
            added += 1
        if added:
            changes.append(f"added {added} sentence(s) to the shortest segments toward "
                           f"{target} words")
        if words < target * 0.85:
            changes.append(f"still short: {words} of {target} words (the offline writer has no "
                           f"more to say without repeating itself)")
    return {**s, "sections": sections}, changes


def _short(sentence: str, n: int = 8) -> str:
    w = sentence.split()
    return " ".join(w[:n]) + ("…" if len(w) > n else "")


async def review(task: Task, context: Context) -> dict[str, Any]:
    """Repairs a script: repeated sentences removed, overlong ones split, length brought
    toward the target; reports every change."""
    s = task.inputs["script"]
    fixed, changes = _review(s, str(task.inputs.get("topic") or s.get("topic") or ""),
                             float(task.inputs.get("minutes", s.get("minutes", 5))),
                             context.seed)
    return _script_value(fixed, changes=changes)


def review_from_text(task: Task, text: str) -> dict[str, Any]:
    """A model's reviewed script (markdown) in the script's shape, with the sections it
    changed listed as changes."""
    before = task.inputs.get("script") or {}
    s = _script_from_markdown(text, str(before.get("title", "")),
                              str(before.get("host") or task.inputs.get("host") or "Alex"),
                              float(task.inputs.get("minutes", before.get("minutes", 5))),
                              str(before.get("topic", "")))
    old = {_norm(str(x.get("title", ""))): _norm(str(x.get("text", "")))
           for x in before.get("sections", [])}
    changes = []
    for x in s["sections"]:
        key = _norm(str(x["title"]))
        if key not in old:
            changes.append(f"{x['title']}: new section")
        elif old[key] != _norm(str(x["text"])):
            changes.append(f"{x['title']}: revised")
    return _script_value(s, changes=changes)


def check_review(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """The reviewed script, scored as a script."""
    return _score_script(artifact.get("script") or {}, str(task.inputs.get("topic", "")),
                         float(task.inputs.get("minutes", 5)))
