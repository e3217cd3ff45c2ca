"""What a topic asks of the session, or names it by: a request said to the app ("Help me fall
asleep", "I need to calm down", "Teach me to breathe"), a meditation named as the session
itself ("Morning meditation for nurses"), and an activity practised mindfully ("Mindful
dishwashing").

"Help me fall asleep" is a wish, not a thing the session is for: the session is "here to help
you fall asleep", its title says "Help to Fall Asleep", never "Help You Fall Asleep" or "This
session is for help you fall asleep". "Meditation for kids before school" names the session:
its listener is kids, before school, and "meditation" is never their trouble. "Mindful
dishwashing" is the activity itself ("This session is for mindful dishwashing"), never "the
times you feel mindful dishwashing". Read from the topic's form, not from lists of topics.
Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archibald.pipelines.meditation.words import (SMALL, STATES, core_topic, indefinite,
                                                  is_adjective, is_noun, lower_first,
                                                  said_to_listener, topic_words)

__all__ = ["Wish", "wish", "Session", "named_session", "activity", "gerund"]

#: how a request opens, and what it asks: help ("Help me ..."), a need ("I need to ..."), a
#: want ("I want to ..."), to be taught ("Teach me to ...", "How to ...")
_ASKS = (("help", r"(?:please\s+)?(?:(?:can|could|will|would)\s+you\s+)?help\s+me(?:\s+to)?"),
         ("need", r"(?:i\s+)?(?:really\s+|just\s+|so\s+)?need\s+to"),
         ("want", r"(?:i\s+)?(?:really\s+|just\s+)?(?:want|wanna|would\s+like|'d\s+like)\s+to"
                  r"|i'd\s+like\s+to|i\s+wish\s+i\s+could"),
         ("learn", r"(?:please\s+)?(?:teach|show)\s+me(?:\s+how)?\s+to"), ("how", r"how\s+to"))
#: what only presses a request, said at its end ("... NOW", "... please", "... asap")
_PRESSING = re.compile(r"(?:[\s,]+(?:please|now|right now|asap|immediately|already))+$",
                       re.IGNORECASE)
#: words that open what "help me" is with, not a verb ("Help me through a breakup")
_HELP_PREPS = frozenset("with through get past".split())


@dataclass(frozen=True)
class Wish:
    """A request: ``asks`` help / need / want / learn, ``act`` what the listener wants to do,
    said to them ("fall asleep", "calm down", "through your breakup"; "" for a bare "Help
    me"), and whether ``act`` opens with a preposition ("with your anxiety")."""

    asks: str
    act: str
    with_help: bool = False

    @property
    def head(self) -> str:
        """The wish as a title's head: "Help to Fall Asleep", "Feeling Calm", "Learning to
        Breathe", "Help with Your Anxiety"; "When You Need Help" for help alone."""
        if not self.act:
            return "When You Need Help"
        verb, _, rest = self.act.partition(" ")
        if self.with_help:
            return _title(f"help {self.act}")
        if verb in ("feel", "be"):  # a state to come to: "Feeling Calm", as "Feeling happy"
            return _title(f"{gerund(verb)} {rest}")
        if self.asks in ("learn", "how"):  # "Learning to Breathe", "How to Let Go"
            return _title(f"{'learning' if self.asks == 'learn' else 'how'} to {self.act}")
        return _title(f"help to {self.act}")

    @property
    def hook(self) -> str:
        """The viewer's own want, asked back: "Need to calm down?", "Want to feel calm?"."""
        if not self.act or self.with_help:
            return "Need some help right now?"
        verb = "Need" if self.asks in ("help", "need") else "Want"
        return f"{verb} to {'learn to ' * (self.asks == 'learn')}{self.act}?"

    def overlaps(self, benefit: str) -> bool:
        """Whether a title's ``benefit`` says the wish again ("Letting Go" for "How to Let
        Go", "Deep Sleep" for "Help to Sleep")."""
        said = set(topic_words(self.head)) | {gerund(w) for w in topic_words(self.act)}
        return bool(said & set(topic_words(benefit)) - SMALL)


def wish(topic: str) -> Wish | None:
    """The request a topic says to the app, when it is one ("Help me fall asleep", "Need to
    calm down NOW", "I want to feel calm", "Teach me to breathe", "How to let go", "Help me
    PLEASE"); None for any other topic ("Trying to sleep" is what the listener is doing,
    "How do I stop worrying?" a question)."""
    said = core_topic(topic).strip().rstrip("?.!").strip()
    for asks, lead in _ASKS:
        m = re.match(rf"(?:{lead})(?:\s+|$)", said, re.IGNORECASE)
        if m is None or asks == "help" and re.match(r"help\s+me\s+to\s*$", said, re.I):
            continue
        rest = _PRESSING.sub("", " " + said[m.end():]).strip(" ,")
        rest = re.sub(r"^(?:please|just|really)\s+", "", rest, flags=re.IGNORECASE)
        words = topic_words(rest)
        if not words and asks != "help":
            return None  # "I need to" alone says nothing
        if words and (words[0] in SMALL and words[0] not in _HELP_PREPS
                      or asks != "help" and words[0] in _HELP_PREPS - {"get"}):
            return None  # "Help me, I'm lost": no act it asks for
        act = said_to_listener(rest)
        act = act[:1].lower() + act[1:]
        return Wish(asks, act, bool(words) and words[0] in _HELP_PREPS - {"get"})
    return None


def _title(phrase: str) -> str:
    from archibald.pipelines.meditation.listener import title_case

    return title_case(phrase)


#: verbs whose last consonant is not doubled before -ing though the word ends consonant,
#: vowel, consonant (stress not on the last syllable, or a final w, x, y)
_UNDOUBLED = frozenset("open listen visit happen wonder enter offer focus travel".split())


def gerund(verb: str) -> str:
    """A verb's -ing form: "fall": "falling", "breathe": "breathing", "let": "letting",
    "lie": "lying", "be": "being", "see": "seeing"."""
    v = verb.lower()
    if v.endswith("ie"):
        return v[:-2] + "ying"
    if v.endswith("e") and not v.endswith(("ee", "ye", "oe")) and v != "be":
        return v[:-1] + "ing"
    if re.search(r"(?:^|[^aeiou]|qu)[aeiou][^aeiouwxy]$", v) and v not in _UNDOUBLED and \
            len(re.findall(r"[aeiou]+", v)) == 1:
        return v + v[-1] + "ing"
    return v + "ing"


@dataclass(frozen=True)
class Session:
    """A topic that names the session itself: ``kind`` ("morning meditation", "meditation")
    and the topic's words after it, said to the listener (``rest``: "for kids before school",
    "in the park", "")."""

    kind: str
    rest: str

    @property
    def said(self) -> str:
        """The kind with its article: "a morning meditation", "an evening meditation"."""
        return indefinite(self.kind)

    @property
    def own(self) -> str:
        """The kind when it says more than how it is given ("morning meditation", "walking
        meditation"), else "" ("meditation", "guided meditation")."""
        return "" if set(self.kind.split()) <= _HOW | {"meditation"} else self.kind


#: words before "meditation" that say how it is given, not what for
_HOW = frozenset("guided short quick simple gentle little daily".split())


def named_session(topic: str) -> Session | None:
    """The meditation a topic names as the session ("Meditation for kids before school",
    "Sleep meditation for anxious teens", "Walking meditation in the park", "Evening
    meditation"): its kind and what follows; None when the topic names none, or only the word
    ("Meditation")."""
    said = said_to_listener(core_topic(topic))
    m = re.match(r"(?:(?:a|an|the|your)\s+)?((?:[\w'-]+\s+){0,2}?)meditations?\b\s*(.*)$",
                 said, re.IGNORECASE)
    if m is None:
        return None
    before = topic_words(m[1])
    if any(w in SMALL or w == "meditation" for w in before) or not (before or m[2]):
        return None
    kind = lower_first(f"{m[1]}meditation")  # "Sunday meditation" keeps its capital
    return Session(kind, m[2].strip(" ,"))


def activity(topic: str) -> str:
    """What the listener does, practised in a way of its own, when that is the topic: an
    adjective (one no state of the listener's: "mindful", not "nervous") and the activity in -ing,
    as a noun ("Mindful dishwashing", "Mindful tea drinking", "Peaceful gardening in the
    rain"): said to the listener, whole; else ""."""
    words = topic_words(core_topic(topic))
    words = words[1:] if words[:1] in (["a"], ["an"]) else words
    run = [w for w in words[:next((i for i, w in enumerate(words) if w in SMALL),
                                  len(words))]]
    if len(run) < 2 or all(w in STATES for w in run[:-1]) or not is_adjective(run[0]) or \
            not run[-1].endswith("ing") or is_noun(run[-1]) or \
            any(not (is_adjective(w) or is_noun(w)) for w in run[1:-1]):
        return ""
    said = said_to_listener(core_topic(topic))
    said = re.sub(r"^(?:a|an)\s+", "", said, flags=re.IGNORECASE)
    return said[:1].lower() + said[1:]
