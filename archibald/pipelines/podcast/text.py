"""The podcast's words: its speaking rate and mix levels, and how a topic and its sentences
are read (phrases, keywords, the focus, counting words)."""

from __future__ import annotations

import re


#: the speaking rate a script is written for (a podcast host's natural pace)
WPM = 150.0
#: sentences longer than this are split by the review
LONG_SENTENCE = 32
#: the voice: Piper's pace and the silences between sentences and between sections
LENGTH_SCALE = 1.1
SENTENCE_PAUSE = 0.45
SECTION_PAUSE = 1.2
#: the mix: music alone before the first word, the intro bed fading under the first lines,
#: the outro bed entering under the last lines and ringing out after the last word
LEAD_IN = 5.0
INTRO_UNDER = 6.0
OUTRO_UNDER = 4.0
TAIL = 9.0
DUCK_DB = 16.0
TARGET_LUFS = -16.0
MAX_TRUE_PEAK = -1.0

_WORD = re.compile(r"[A-Za-z0-9']+(?:-[A-Za-z0-9']+)*")
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_STOP = frozenset("""a an and are as at be but by can do does for from has have how i in into
is it its me my of on or our so than that the their them then there these they this to too
was we what when where which who why will with you your about after all also any because
been before being between both each few more most much not now only other over same should
some such through under until very vs versus""".split())
#: words too general to stand for the topic on their own
_GENERIC = frozenset("""history future science art story stories work works working guide
basics introduction intro world life way ways thing things today modern new old power role
rise fall making make makes explained explainer case""".split())


# --------------------------------------------------------------------------- the topic

def _topic_phrase(topic: str) -> str:
    """The topic as it reads inside a sentence: tidied, "Sleep and memory" -> "sleep and
    memory" (a capital that only marks the start of the phrase is dropped)."""
    t = " ".join(str(topic).split()).strip().rstrip(".?!;:").strip()
    if not t:
        raise ValueError("the topic is empty; give a topic such as 'the history of coffee'")
    words = t.split()
    first = words[0]
    if (len(words) > 1 and first[:1].isupper() and first[1:].islower()
            and all(not w[:1].isupper() for w in words[1:])):
        t = first[:1].lower() + t[1:]
    return t


def _plural(phrase: str) -> bool:
    """Does the topic read as a plural subject ("solar panels", "sleep and memory")?"""
    words = phrase.lower().split()
    if not words or words[0] in ("how", "why", "what", "when", "where", "whether", "who"):
        return False
    if " and " in f" {phrase.lower()} ":
        return True
    head = phrase.lower().split(" of ")[0].split()
    last = head[-1] if head else words[-1]
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "ics", "news"))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    small = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the",
             "to", "vs", "with"}
    out = []
    for i, w in enumerate(text.split()):
        if w.isupper() and len(w) > 1:
            out.append(w)
        elif i and w.lower() in small:
            out.append(w.lower())
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def _keywords(topic: str) -> list[str]:
    """The topic's content words, in order, without repeats."""
    seen: list[str] = []
    for w in _WORD.findall(topic.lower()):
        if len(w) >= 3 and w not in _STOP and w not in seen:
            seen.append(w)
    return seen


def _focus(topic: str) -> str:
    """A short name for the topic's subject ("coffee" for "the history of coffee")."""
    words = _WORD.findall(topic)
    specific = [w for w in words if w.lower() not in _STOP and w.lower() not in _GENERIC
                and len(w) >= 3]
    if specific:
        run = [specific[-1]]
        for w in reversed(words[:words.index(specific[-1])]):
            if w not in specific:
                break
            run.insert(0, w)
        phrase = " ".join(run[-2:])
        return phrase if phrase[:1].isupper() and phrase[1:2].isupper() or any(
            c.isupper() for c in phrase[1:]) else phrase.lower()
    return _topic_phrase(topic)


def target_words(minutes: float) -> int:
    """Words a script of ``minutes`` holds at the host's pace."""
    return max(60, int(round(float(minutes) * WPM)))


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _sentences(text: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n", text):
        out += [s.strip() for s in _SENTENCE.split(" ".join(para.split())) if s.strip()]
    return out


def _norm(sentence: str) -> str:
    return " ".join(w.lower() for w in _words(sentence))


def _number_words(n: int) -> str:
    from ...script.speakable import number_words

    return number_words(n)
