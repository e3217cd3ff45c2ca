"""Sentence-level checks that do not know who wrote the script: frames, similes, doubled words.

The writer uses them to reject a filled pattern before it is said; the offline-quality benchmark
uses them to measure any script, a model's included. A *frame* is how a sentence is built,
seen from outside: its first three words and its last three (counts left out, so "Breathing in,
two, three." and "Breathing in, two, three, four." are one frame). Two sentences sharing either
end share a frame: "Perhaps there is warmth, or nothing at all." and "Perhaps there is
stillness, or nothing at all." are one frame said twice, as a listener hears it.
"""

from __future__ import annotations

import re
from collections import Counter

# one measure each, shared with the route-blind script check (archibald.quality.text)
from archibald.script.measures import CONTRADICTIONS, NUMBER_WORDS, contradictions, is_count

__all__ = ["frame_keys", "max_frame_repeats", "simile_ok", "doubled_word", "reads_well",
           "FRAME_LIMIT", "is_count", "is_invitation", "invitation_ends", "contradictions",
           "CONTRADICTIONS", "doubled_genitive", "setting_clashes"]

#: no frame more often than this in ten minutes
FRAME_LIMIT = 2
_NUMBERS = NUMBER_WORDS
_WORD = re.compile(r"[a-z']+")
# what is heavy and what is light, for "heavy, like a feather" and "light, like a stone"
_HEAVY_SAYS = re.compile(r"\b(heav(?:y|ier|iness)|sink(?:s|ing)?|sank|weigh(?:s|t|ted)?|"
                         r"anchor(?:ed)?|sett?l(?:e|es|ing) (?:down|deep))\b")
_LIGHT_SAYS = re.compile(r"\b(light(?:er|ness)?|float(?:s|ing)?|lift(?:s|ing)?|rise|rising|"
                         r"weightless|buoyant)\b")
_HEAVY_THINGS = re.compile(r"\blike (?:a |an |the )?[^,.;]*\b(stone|rock|anchor|blanket|snow|"
                           r"sand|honey|earth|sea bed|roots?|mountain|boulder|log|iron|"
                           r"lead|sandbag)\b")
_LIGHT_THINGS = re.compile(r"\blike (?:a |an |the )?[^,.;]*\b(feather|cloud|leaf|bubble|breeze|"
                           r"petal|balloon|mist|dandelion|butterfly|sunlight|light|afternoon|"
                           r"morning|dawn|sunrise|window|smile)\b")
_WARM_SAYS = re.compile(r"\b(warm(?:th|s|ing)?|glow(?:s|ing)?|heat)\b")
_WARM_THINGS = re.compile(r"\blike (?:a |an |the )?[^,.;]*\b(sun|sunlight|sunshine|fire|hearth|honey|"
                          r"hand|blanket|tea|bath|sand|candle|flame|embers?|lamp|light|glow|"
                          r"summer|cup|bread|hug|home|welcome)\b")
# words that may come twice in one sentence on purpose ("breathe in calm, breathe out tension")
_PARALLEL = frozenset({"breathe", "breathing", "breath", "let", "and", "the", "your", "you",
                       "into", "with", "that", "this", "from", "then", "more", "little",
                       "each", "again", "every", "there", "here", "what", "whatever", "when",
                       "away", "down", "out", "in", "may", "feel", "notice", "wish", "one",
                       "slowly", "just", "where", "which", "like", "have", "is", "are", "any",
                       "its", "all", "now", "for", "not", "are", "it", "a", "of", "to", "as",
                       "so", "be", "at", "on", "or", "if", "i", "am", "me", "my", "we", "us",
                       "our", "no", "do", "can", "by", "up", "some", "than", "will", "go"})


def _words(sentence: str) -> list[str]:
    return _WORD.findall(sentence.lower())


_INVITATION = re.compile(r"^(?:(?:now|gently|softly|and),?\s+)?(?:notice|breathe|feel|sense|"
                         r"listen|bring your attention|imagine|picture)\b", re.IGNORECASE)


def is_invitation(sentence: str) -> bool:
    """An invitation to breathe or notice (the craft gives it 10–30 s of silence after, see
    :func:`invitation_ends`), not a counted breath (which keeps the breath's pace)."""
    return bool(_INVITATION.match(sentence)) and not is_count(sentence)


def invitation_ends(said: list[str]) -> list[bool]:
    """For each sentence, whether it is an invitation that the long silence follows: one not
    followed by another invitation. A run of cues ("Notice your feet. Notice their weight.")
    is one invitation: the silence comes after the last (the others keep a beat)."""
    inviting = [is_invitation(x) for x in said]
    return [here and (i + 1 == len(said) or not inviting[i + 1])
            for i, here in enumerate(inviting)]


def frame_keys(sentence: str) -> tuple[str, ...]:
    """The sentence's frame as a listener hears it: its first and its last three words (counts
    left out); a short sentence is its own frame."""
    found = [w for w in _words(sentence) if w not in _NUMBERS]
    if len(found) <= 4:
        return (" ".join(found),) if found else ()
    return ("^" + " ".join(found[:3]), " ".join(found[-3:]) + "$")


def max_frame_repeats(sentences: list[str], seconds: float) -> tuple[int, str]:
    """The most times one frame is said within any ten minutes of a script of ``seconds``
    (sentences taken as evenly spread), and that frame."""
    if not sentences:
        return 0, ""
    window = max(1, round(len(sentences) * min(1.0, 600.0 / seconds))) if seconds > 0 \
        else len(sentences)
    keyed = [frame_keys(s) for s in sentences]
    best, which = 0, ""
    for start in range(0, max(1, len(sentences) - window + 1)):
        counts = Counter(k for keys in keyed[start:start + window] for k in keys)
        if counts:
            key, n = counts.most_common(1)[0]
            if n > best:
                best, which = n, key
    return best, which


def simile_ok(sentence: str) -> bool:
    """Whether a simile makes sense: heavy things for heaviness, light things for lightness,
    warm things for warmth ("heavy, like a feather", "lighter, like a stone" and "its warmth,
    like a mountain" do not)."""
    low = sentence.lower()
    if "like" not in low:
        return True
    before = low.split(" like ", 1)[0]
    if _HEAVY_SAYS.search(before) and _LIGHT_THINGS.search(low):
        return False
    if _WARM_SAYS.search(before) and not _WARM_THINGS.search(low):
        return False
    return not (_LIGHT_SAYS.search(before) and not _HEAVY_SAYS.search(before)
                and _HEAVY_THINGS.search(low))


def doubled_word(sentence: str) -> str:
    """A content word said twice in one sentence ("soft and soft pink"), or ""."""
    seen: set[str] = set()
    for w in _words(sentence):
        stem = w.rstrip("s") if len(w) > 4 else w
        if stem in seen and w not in _PARALLEL and len(w) > 2 and w not in _NUMBERS:
            return w
        seen.add(stem)
    return ""


_GENITIVE = re.compile(r"\b(?:the|a|an) (?:[a-z']+ ){1,2}of (?:the|a|an) (?:[a-z']+ ){1,3}?of "
                       r"(?:the|a|an)\b")


def doubled_genitive(sentence: str) -> str:
    """A doubled genitive ("the sound of the hum of the fridge"), or ""."""
    found = _GENITIVE.search(sentence.lower())
    return found[0] if found else ""


def reads_well(sentence: str) -> bool:
    """The sentence passes the checks a filled pattern must pass before it is said."""
    return simile_ok(sentence) and not doubled_word(sentence) and not doubled_genitive(sentence)


#: kinds of place a visualisation may set, by the nouns that name them, and light that cannot
#: be both: one script keeps one setting
_SETTINGS: dict[str, str] = {
    "shore": r"beach|shore(?:line)?|seaside|bay", "forest": r"forest|woods?|woodland|clearing|glade",
    "hills": r"hilltop|mountain", "lake": r"lake|pond", "garden": r"garden|meadow",
    # (not "room": the return brings the listener back to the room they are in)
    "indoors": r"kitchen|library|cabin|porch|stage", "water": r"river|stream",
}
_PLACE = re.compile(r"\b(?:in|into|around|to|of|leave|at|on) (?:a|an|the) (?:[a-z',]+ ){0,3}?"
                    r"(" + "|".join(_SETTINGS.values()) + r")\b")
_LIGHT = (re.compile(r"\b(?:sunlit|sunny|sun-warmed)\b"), re.compile(r"\b(?:shaded|shady)\b"))


def setting_clashes(text: str) -> list[str]:
    """Settings a script's imagery puts the listener in that cannot all be one place ("a sunlit
    clearing", then "a shaded forest path"; a beach, then a forest): what clashes, or []."""
    low = text.lower()
    kinds = {kind for m in _PLACE.finditer(low) for kind, nouns in _SETTINGS.items()
             if re.fullmatch(nouns, m[1])}
    out = sorted(kinds) if len(kinds) > 1 else []
    if all(p.search(low) for p in _LIGHT):
        out.append("sunlit and shaded")
    return out
