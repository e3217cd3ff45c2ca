"""How a topic says the listener is: what happened to them, how they feel toward something,
a sore part of the body, and whom they look after.

"Lost my job today" is an event behind the listener, said in the past tense: the session is
"for the day you lost your job", they came "after losing your job today", and its title and
thumbnail say "After Losing Your Job", never "the times you feel lost your job" or "Calm
Meditation". A past verb is read from its form (a known irregular past, or a verb in -ed that
is no state) and what follows it (an object: "my job", "a mistake", "bad news"; or the
particle of a phrasal verb: "broke up with", "dropped out of"), not from a list of topics.
A past spelled as its present ("quit", "hit", "cut") is one only with a time behind the
listener ("Quit my job today", "Quit smoking last week") or a sign it happened ("Cut my finger
while cooking"); else it is an order or a wish ("Quit overthinking", "Hit the gym", "Cut my
screen time"). A passive is what was done to the listener ("Cut off by my best friend": "the
day you were cut off by your best friend", see :mod:`sentences`).

"Bedtime for a restless toddler" is for the one putting the toddler to bed: a baby or a
toddler is never the listener, so "for" them is said "with" them (see
:func:`words.core_topic`). "Burnt out from caring for twins" is how the listener feels, and
from what: "When You Feel Burnt Out from Caring for Twins", never "Stress Relief for Twins".
Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archibald.pipelines.meditation.people import is_person, is_worker, singular
from archibald.pipelines.meditation.sentences import (SPAN, befell, by_itself, occasion,
                                                      own_clause, passive_by, passive_cover,
                                                      subject_article)
from archibald.pipelines.meditation.words import (BEING, BODY, CLOCK, SMALL, STATES, STATE_NOUNS,
                                                  WANTED,
                                                  bare_feeling, bare_noun, capital, clause,
                                                  indefinite,
                                                  is_adjective, is_noun, is_trouble,
                                                  lower_first, noun_phrases, said_to_listener,
                                                  topic_words)

__all__ = ["Happened", "past_event", "felt_phrase", "body_state", "title_case", "degree",
           "degree_cover", "status_clause", "scene_clause", "TIMES"]

#: irregular pasts a topic may open with, and their -ing form
_IRREGULAR = {"lost": "losing", "broke": "breaking", "got": "getting", "had": "having",
              "made": "making", "took": "taking", "left": "leaving", "fell": "falling",
              "forgot": "forgetting", "told": "telling", "said": "saying", "ran": "running",
              "sent": "sending", "spent": "spending", "gave": "giving", "blew": "blowing",
              "threw": "throwing", "drove": "driving", "wrote": "writing", "ate": "eating",
              "bought": "buying", "sold": "selling", "found": "finding", "saw": "seeing",
              "heard": "hearing", "fought": "fighting", "tore": "tearing", "froze": "freezing",
              "overslept": "oversleeping", "stole": "stealing", "wore": "wearing",
              "won": "winning", "did": "doing", "began": "beginning"}
#: particles that make a phrasal verb of a past above ("broke up", "fell out", "found out")
_PARTICLES = frozenset("up out off over down behind away through".split())
#: regular pasts that take a particle as a verb does, not as a state ("stressed out" is one)
_PHRASAL = frozenset("""dropped messed screwed lashed blacked passed""".split())
#: pasts that only open an event with their particle, else they name a state ("left out",
#: "broke and anxious")
_NO_PARTICLE = frozenset({"left"})
#: verbs said at someone ("yelled at my son", "snapped at my kids"): an event, never a state
_AT = frozenset("""yelled shouted snapped screamed swore barked lashed cried exploded
argued fought""".split())
#: what opens a verb's object ("lost my job", "made a mistake", "said something")
_OBJECT = frozenset("""my our his her their your a an the some this that me him them it
everything something someone somebody""".split())
#: verbs that say how something is: a clause follows ("relieved the exam is over")
_FINITE = frozenset("is are was were has have had feels seems am won't can't".split())
#: when it happened, at the end of the topic: the session is "for the day" of it when that
#: is today or so (or unsaid); a title and a thumbnail leave it out (they outlive the day)
_WHEN = re.compile(r"\s+(?:(today|tonight|yesterday|last night|this (?:morning|afternoon|"
                   r"evening|week))|last (?:week|month|year|summer|winter|spring|autumn)|"
                   r"recently|lately|this year|(?:a few |some |a couple of |an? |one |two |"
                   r"three |\d+ )?(?:days?|weeks?|months?|years?) ago)$", re.IGNORECASE)


#: pasts spelled as their present, and their -ing form: "Quit my job today" is what the
#: listener did; "Quit overthinking", "Hit the gym" and "Cut the noise" are what they tell
#: themselves to do (see :func:`_same_past`)
_SAME = {"quit": "quitting", "hit": "hitting", "cut": "cutting", "split": "splitting",
         "hurt": "hurting", "burst": "bursting", "upset": "upsetting", "bet": "betting",
         "shut": "shutting", "put": "putting", "set": "setting", "let": "letting",
         "read": "reading", "spread": "spreading"}
#: of those, the ones a topic often tells the listener to do to their own ("Let my mind rest",
#: "Put my phone away", "Shut off my brain", "Set an intention today"): past only with a
#: time that is past for sure ("Put my dog down yesterday")
_TOLD = frozenset("shut put set let read spread".split())
#: what ties a verb (or its particle) to whom it is done with ("split up with my partner")
_WITH = frozenset("with from on".split())


def _behind(when: re.Match[str] | None) -> bool:
    """Whether the time a topic ends on is behind the listener ("today", "yesterday", "last
    week", "a year ago"; never "tonight", "this week", "this year")."""
    said = when[0].lower().split() if when else []
    return bool(said) and said[0] != "tonight" and said[:2] not in (
        ["this", "week"], ["this", "year"])


def _same_past(words: list[str], when: re.Match[str] | None) -> bool:
    """Whether ``words`` open with a past spelled as its present ("quit", "hit", "cut",
    "split") that is the listener's past: it acts on something ("my job", "smoking", "up with
    my girlfriend") and says when, behind them ("today", "yesterday", "last week", "this
    morning", "a year ago"; never "tonight", "this week", nor "for today"), or acts on the
    listener's own and says it happened ("Cut my finger while cooking", "Cut my hair too
    short", see :func:`sentences.occasion`) or with whom ("Split up with my girlfriend").
    Without any it is an order or a wish: "Quit overthinking", "Hit the gym", "Cut my screen
    time" (what the listener means to do)."""
    verb, rest = words[0], words[1:]
    if verb not in _SAME or not rest or any(w in _FINITE for w in rest):
        return False
    at = 1 if rest[0] in _PARTICLES else 0  # "split up with ...", "cut off my friend"
    tied = at < len(rest) and rest[at] in _WITH and bool(at or verb == "split")
    at += tied  # "split up with my girlfriend", "split with my partner"
    if at >= len(rest):
        return False
    first = rest[at]
    acts = first in _OBJECT or first.endswith("ing") and first not in SMALL or \
        is_noun(first) or is_adjective(first) and at + 1 < len(rest) and is_noun(rest[at + 1])
    if not acts:
        return False
    past = _behind(when) and not (verb in _TOLD and when is not None and
                                  when[0].split()[0].lower() == "today")
    # the listener's own, right after whom it was with, or right after the verb when the
    # topic says it happened ("Cut off my friend", "Cut down my drinking" and "Cut my screen
    # time" may be what they mean to do)
    own = first in ("my", "our") and verb not in _TOLD and (
        tied or at == 0 and occasion(rest[at:]))
    return past or own


@dataclass(frozen=True)
class Happened:
    """A topic that says what happened to the listener: ``past`` said to them ("you lost your
    job today"), ``doing`` its -ing form ("losing your job today"), ``day`` whether the time
    it names is the day itself, or none ("last year" is not), and both without that time
    (``past_bare``, ``doing_bare``: "you lost your job", "losing your job")."""

    past: str
    doing: str
    past_bare: str
    doing_bare: str
    day: bool
    #: the clause's own subject, when it is no listener ("a bad dream woke you up": "a bad
    #: dream"); "" when the listener did it
    subject: str = ""
    #: the time of day it happened in, as the session says it: "the night a bad dream woke
    #: you up", "the day you lost your job"
    at: str = "day"
    #: whether it was done to the listener ("you were cut off by your best friend"): its
    #: subject is then "you"
    passive: bool = False

    @property
    def after(self) -> str:
        """The title's head: "After Losing Your Job", "After a Bad Dream Woke You Up"."""
        return title_case(f"after {self.doing_bare}")

    @property
    def cover(self) -> list[str]:
        """What happened to the listener, as a thumbnail says it (two to four words): whole
        ("After Your Marriage Ended"), its subject and verb when what follows says where or
        whom at ("After Boss Yelled"), without its articles ("Test Came Back Positive",
        "Landlord Evicted You"), or its subject ("After a Bad Dream"); [] when it has no
        subject of its own, or no part of it reads."""
        if self.passive:  # "Cut Off by Friend", "Hit by a Car"
            return title_case(" ".join(passive_cover(self.past_bare.split()[2:]))).split()
        if not self.subject:
            return []
        said = self.past_bare.split()
        subject = self.subject.split()
        bare = [w for w in subject if w not in ("a", "an", "the", "your")]
        rest = said[len(subject):]
        verb = rest[:2] if rest[1:2] and rest[1] in _PARTICLES | {"back"} else rest[:1]
        then = rest[len(verb):len(verb) + 1]  # "at you": where or whom at, dropped whole
        at = bool(then) and then[0] in _AFTER_PAST - _OBJECT - _PARTICLES - {"back"}
        for words in (["after", *said], ["after", *bare, *verb] if at else [],
                      ["after", *bare, *rest], [*bare, *rest], ["after", *subject]):
            if words[:1] != ["after"] and words[-1:] == ["you"]:
                continue  # "Panic Attack Woke You" is said to no one: "After a Panic Attack"
            if 2 <= len(words) <= 4 and (words[-1] not in SMALL or words[-1] in _ENDS):
                return title_case(" ".join(words)).split()
        return []


def _ing(past: str) -> str:
    """The -ing form of a past: "failed": "failing", "dropped": "dropping", "cried":
    "crying", "argued": "arguing", "lost": "losing"."""
    if past in _IRREGULAR:
        return _IRREGULAR[past]
    if past.endswith("ied"):
        return past[:-3] + "ying"
    if past.endswith("eed"):
        return past[:-1] + "ing"
    return past[:-2] + "ing"  # a doubled or a dropped "e" stays as the past has it


def _past_verb(words: list[str]) -> bool:
    """Whether ``words`` open with a verb in the past and what it acts on."""
    if len(words) < 2:
        return False
    verb, nxt = words[0], words[1]
    regular = verb.endswith("ed") and len(verb) > 4 and verb not in STATES and \
        verb not in STATE_NOUNS and verb not in WANTED and is_adjective(verb)
    if verb not in _IRREGULAR and not regular:
        return False
    if any(w in _FINITE for w in words[1:]):
        return False  # "Relieved the exam is over": how the listener is, not what they did
    if verb == "got":
        return nxt not in WANTED and nxt not in ("so", "very", "too", "really")
    if f"{verb} {nxt}" in STATE_NOUNS:
        return False  # "stressed out", "burnt out": a state in two words
    if nxt in _PARTICLES:
        return (verb in _IRREGULAR and verb not in _NO_PARTICLE) or verb in _PHRASAL
    if nxt == "at" or nxt == "with":
        return verb in _AT
    if nxt in _OBJECT:
        return True
    return len(words) > 2 and is_adjective(nxt) and is_noun(words[2]) and \
        nxt not in ("so", "very")  # "got bad news", "received bad news"


def past_event(topic: str) -> Happened | None:
    """The event a topic says happened to the listener, when it opens with a verb in the
    past ("Lost my job today", "Failed my driving test", "Broke up with my girlfriend",
    "Got bad news today") or is a clause with a subject of its own and a past verb ("Bad
    dream woke me up", "My boss yelled at me", see :func:`_subject_past`); None for any other
    topic (a state: "Lost and lonely", "Stressed out", "Relieved the exam is over")."""
    verb, rest = befell(topic)  # "I was fired today", "Just got laid off": it befell them
    topic = f"got {rest}" if verb == "got" else topic  # said as "Got fired" is
    words = topic_words(topic)
    when = _WHEN.search(topic)
    if verb == "were":  # "you were fired today", "being let go from work"
        said = lower_first(said_to_listener(rest))
        past, doing = f"you were {said}", f"being {said}"
        return Happened(past=past, doing=doing, past_bare=_WHEN.sub("", past),
                        doing_bare=_WHEN.sub("", doing), subject="you", passive=True,
                        day=(when is None or bool(when[1])) and not SPAN.search(topic),
                        at=_at(topic))
    if when and re.search(r"\b(?:for|until|till|by|from)$", topic[:when.start()], re.I):
        when = None  # "Set an intention for today": no time it happened
    if "?" in topic:
        return None
    if passive_by(topic_words(_WHEN.sub("", topic)) if when else words, _behind(when)):
        said = lower_first(said_to_listener(topic))  # "Cut off by my best friend": done to
        # the listener, "you were cut off by your best friend", "being cut off by ..."
        past, doing = f"you were {said}", f"being {said}"
        return Happened(past=past, doing=doing, past_bare=_WHEN.sub("", past),
                        doing_bare=_WHEN.sub("", doing), subject="you", passive=True,
                        day=(when is None or bool(when[1])) and not SPAN.search(topic))
    if not (_past_verb(words) or _same_past(words, when)):
        return _subject_past(topic, words)
    rest = said_to_listener(topic).split(" ", 1)[1]  # as typed: "my flight to Paris"
    past = f"you {words[0]} {rest}"
    doing = f"{_SAME.get(words[0]) or _ing(words[0])} {rest}"
    when = _WHEN.search(past)
    return Happened(past=past, doing=doing, past_bare=_WHEN.sub("", past),
                    doing_bare=_WHEN.sub("", doing), day=when is None or bool(when[1]),
                    at=_at(topic) if verb else "day")  # "the night you got robbed"


#: pasts a clause's own subject may take besides those a topic opens with ("A bad dream
#: woke me up", "The test came back positive", "My dog died")
_SUBJECT_PASTS = frozenset("woke came went kept became caught brought died".split()) | \
    frozenset(_IRREGULAR) - frozenset(_FINITE)
#: what may follow the past verb of a clause: whom or what it acts on, a particle, a
#: preposition ("woke me up", "yelled at me", "came back positive", "got cancelled")
_AFTER_PAST = _OBJECT | _PARTICLES | frozenset("""back at with on to in into from for about
again us all""".split())
_DETERMINERS = frozenset("a an the my our his her their this that".split())
#: small words a cover may end on: whom it befell, a verb's particle ("Landlord Evicted You")
_ENDS = frozenset("you up out off back away over down".split())
#: what says the event happened at night ("the night a bad dream woke you up"): an hour of
#: the night, else a word of it (a waking is in the night, unless an hour says otherwise)
_NIGHTLY = re.compile(r"\b(?:1[01]|12|[1-4])(?::\d\d)?\s?am\b|^(?!.*\d\s?[ap]m\b).*\b(?:woke|"
                      r"night|tonight|midnight|nightmares?)\b", re.IGNORECASE)


def _subject_past(topic: str, words: list[str]) -> Happened | None:
    """What happened to the listener, when the topic is a clause with a subject of its own
    and a past verb ("Bad dream woke me up", "A nightmare woke me at 3am", "My boss yelled at
    me", "The test came back positive"): said as what happened, "a bad dream woke you up"
    (a bare subject takes its article: "a bad dream", "your boss", "anxiety", "kids"). A
    clause the listener says of their own ("My cat died", "My dog is sick", see
    :func:`words.clause`) stays theirs; None for any other topic."""
    phrases = noun_phrases(topic)
    det = int(bool(words) and words[0] in _DETERMINERS)
    subject = phrases[0].split() if phrases else []
    # a past a noun phrase runs on into is no thing: "anxiety kept", "marriage ended last year"
    subject = subject[:next((i for i, w in enumerate(subject) if i and _subject_verb(w)),
                            len(subject))]
    v = det + len(subject)
    if not subject or words[det:v] != subject or v >= len(words) or clause(topic):
        return None
    verb, rest = words[v], words[v + 1:]
    when = _WHEN.search(" " + " ".join(rest))
    rest = topic_words(_WHEN.sub("", " " + " ".join(rest))) if when else rest
    regular = verb not in _SUBJECT_PASTS
    if not _subject_verb(verb):
        return None
    if rest and not (rest[0] in _AFTER_PAST or CLOCK.fullmatch(rest[0])
                     or rest[0] in ("well", "wrong") or rest[0].endswith("ly") and
                     len(rest[0]) > 4 or verb == "got" and rest[0].endswith("ed")):
        return None  # "Work related stress": no clause ("went badly", "got cancelled" are)
    if not det and regular and not rest and not when:
        return None  # "Plans cancelled", "Flight delayed": how a thing is, not who did what
    said = lower_first(said_to_listener(topic))
    if not det and regular and not rest and not by_itself(verb):  # "Flight delayed today":
        many = subject[-1].endswith("s") and not subject[-1].endswith("ss")  # it was delayed
        said = re.sub(rf"\b{re.escape(verb)}\b", f"{'were' if many else 'was'} {verb}", said,
                      count=1)
    article = "" if det else subject_article(subject, rest)
    if article:  # "your boss", "your wedding", "the power", "a bad dream"
        said, det = indefinite(said) if article == "a" else f"{article} {said}", 1
    own = " ".join(said.split()[:det + len(subject)])
    bare = _WHEN.sub("", said)
    return Happened(past=said, doing=said, past_bare=bare, doing_bare=bare,
                    day=when is None or bool(when[1]), subject=own,
                    at=_at(topic))


def _at(topic: str) -> str:
    """The time of day a topic says it happened in: "night" ("last night", "at 3am"), else
    "day"."""
    return "night" if _NIGHTLY.search(topic) else "day"


def _subject_verb(word: str) -> bool:
    """Whether ``word`` is a past a clause's subject may take: a known one ("woke", "came",
    "lost"), or one in -ed that is no state ("yelled", "ended"; not "stressed", "tired")."""
    return word in _SUBJECT_PASTS or word.endswith("ed") and len(word) > 4 and \
        is_adjective(word) and not (word in STATES or word in STATE_NOUNS or word in WANTED)


def title_case(phrase: str, *, lower_first: bool = False) -> str:
    """A title's capitals: each word's, but a small word's inside the phrase (or at its start
    too, with ``lower_first``)."""
    small = {"a", "an", "the", "of", "for", "and", "to", "in", "on", "at", "by", "with",
             "during", "through", "from", "into", "as"}
    return " ".join(w if (i or lower_first) and w in small else capital(w)
                    for i, w in enumerate(phrase.split()))


#: the words that tie a feeling to what it is felt toward, or what it comes from
_TOWARD = ("at", "with", "by", "over", "in", "toward", "towards", "from")
#: states a listener comes to have, not to be eased of ("free from worry")
_HAD = frozenset("free fresh safe strong ready clear".split())


#: participles that say where the listener's life stands, not how they feel
_STATUS = frozenset("""divorced adopted widowed married engaged retired separated promoted
graduated unemployed employed pregnant""".split())
#: how recent a status is ("Newly divorced", "Just retired")
_LATELY = frozenset("newly recently just freshly".split())
#: a status that was given once and stays, not one the listener lives in now ("Adopted")
_ONCE = frozenset({"adopted"})


#: times a topic may name bare, before, after or of something ("Night before chemo")
TIMES = frozenset("""night morning evening afternoon day week weekend eve hour hours moment
moments month year summer winter spring autumn weeks days nights""".split())
#: one thing (never several: "Nurses working nights" are the listeners) and what it is doing
_SCENE = re.compile(r"^((?:your|the|a|an)\s+|[A-Za-z]+'s\s+)?([A-Za-z]+[^s\W])\s+"
                    r"([a-z]{2,}ing)\b(.*)$", re.IGNORECASE)
#: what a topic names bare and is the listener's own ("Dog barking": "your dog")
_OWN = frozenset("""baby dog cat puppy kitten mind heart brain body phone life family marriage
world""".split())
#: what else goes on around a listener by itself (weather, water, a fire, a clock): the
#: one doing in a scene, where a noun before an -ing word is mostly what is done ("Job
#: hunting", "Dream journaling", "Stress eating": activities, never "the job is hunting")
_AROUND = frozenset("""rain wind snow storm thunder sun sunlight moon sea ocean waves tide river
stream water fire candle clock kettle leaves trees birds traffic""".split())


def scene_clause(topic: str) -> str:
    """A topic that says what is going on around the listener, one thing doing something
    ("Baby crying all night", "Partner snoring", "My son leaving for college"), as a clause:
    "your baby is crying all night"; else "" (several are the listeners: "Nurses working
    nights"; a time and what is done in it is an activity: "Morning stretching"; an -ing
    word before a noun names a thing: "Hospital waiting room")."""
    scene = _SCENE.match(said_to_listener(topic))
    if scene is None:
        return ""
    thing, doing_ = scene[2].lower(), scene[3].lower()
    after = (scene[4].split() or [""])[0].lower()
    if not (is_person(thing) or thing in BODY or thing in _OWN or thing in _AROUND) or \
            singular(thing) != thing or is_worker(thing) or thing in TIMES or is_noun(doing_) or \
            doing_ in SMALL or \
            is_noun(after) and after not in SMALL and after not in ("apart", "around"):
        return ""
    whose = (scene[1] or "").lower()
    det = whose if whose and not whose.endswith("'s ") else (
        "your " if is_person(whose[:-3] or thing) or not whose and (
            thing in BODY or thing in _OWN) else "the ") + whose  # "your neighbour's dog"
    return f"{det}{thing} is {scene[3]}{scene[4]}"


def status_clause(topic: str) -> str:
    """A topic that says where the listener's life stands, alone, with how recently or with
    when ("Divorced", "Recently retired", "Widowed in my forties", "Divorced at 50",
    "Adopted"), as a clause about them: "you are recently retired", "you are widowed in your
    forties", "you were adopted"; else "" (how they feel is felt_phrase's)."""
    said = lower_first(said_to_listener(topic)).split()
    words = [w.lower().strip(",;:") for w in said]
    at = next((i for i, w in enumerate(words) if w in _STATUS), -1)
    tail = words[at + 1:]
    felt = tail[:1] == ["and"] and 1 < len(tail) <= 3 and all(
        is_adjective(w) for w in tail[1:] if w != "and")  # "Pregnant and anxious"
    if at < 0 or at > 1 or any(w not in _LATELY for w in words[:at]) or \
            tail and not felt and (tail[0] not in ("at", "after", "in") or len(tail) > 6):
        return ""
    return f"you {'were' if words[at] in _ONCE else 'are'} {' '.join(said)}"


def felt_phrase(topic: str) -> str:
    """A topic that is how the listener feels, alone or with what it is about or comes from
    ("Exhausted", "Scared of the dark", "Burnt out from caring for twins"), as a title's
    phrase: "When You Feel Scared of the Dark"; else "" (a feeling before an event or a
    place is titled by those)."""
    said = own_clause(topic)
    if said:  # "I can't sleep": "When You Can't Sleep"; "My knees hurt": "When Your Knees
        # Hurt"
        return "When " + title_case(said[:1].upper() + said[1:], lower_first=True)
    scene = scene_clause(topic)
    if scene:  # "When Your Baby Is Crying All Night"
        return "When " + title_case(scene, lower_first=True)  # "When the Snow Is Falling"
    status = status_clause(topic)
    if status:  # "When You're Recently Divorced", "If You Were Adopted"
        return ("If " if status.startswith("you were") else "When ") + \
            title_case(status.replace("you are", "you're"))
    words = topic_words(topic)
    bare = bare_feeling(words)  # "lonely tonight": said with when it is felt
    # a participle alone is how something left the listener feeling ("Betrayed",
    # "Humiliated"), unless it says a thing that was done (past_event: "Fired") or where
    # their life stands ("Divorced")
    left = len(words) == 1 and words[0].endswith("ed") and is_adjective(words[0]) and \
        words[0] not in _STATUS and past_event(topic) is None
    feels = words and (words[0] in STATES or words[0] in STATE_NOUNS or bare or left)
    idiom = words[1:3] == ["out", "of"]  # "bored out of my mind"
    n = 2 if " ".join(words[:2]) in STATE_NOUNS else 1  # "burnt out", "fed up"
    # a feeling toward what it is felt at: "Angry at my ex", "Frustrated with my teenager",
    # "Overwhelmed by wedding planning", "Stuck in traffic", "Worn out from caring for my mum"
    toward = len(words) > n and (words[0] in STATES or n == 2) and words[0] not in _HAD and (
        words[n] in _TOWARD or n == 2 and words[n] in ("of", "about"))
    if not feels or (len(words) > 1 and words[1] not in ("of", "about", "and") and not idiom
                     and not toward
                     and not (words[1] in STATES and len(words) == 2) and not bare):
        return ""
    said = said_to_listener(topic)
    return ("When You're " if words[0] in BEING else "When You Feel ") + \
        title_case(lower_first(said), lower_first=True)


#: a state said with its degree and what the degree keeps from ("Too tired to sleep", "So
#: tired I can't sleep", "So anxious that I feel sick"): "too" or "so" is the meaning
_DEGREE = re.compile(r"^(?:too|so)\s+([\w'-]+)(?:\s+and\s+[\w'-]+)?,?\s+(?:to\s+\w|(?:that\s+)?"
                     r"(?:i|i'm|i've|my)\b)", re.IGNORECASE)


def degree(topic: str) -> str:
    """A topic that says how the listener is and too much so for something ("Too tired to
    sleep", "Too sad to get up", "So tired I can't sleep"), said to them whole, its "too" or
    "so" kept ("too tired to sleep", "so tired you can't sleep"): without it "tired to sleep"
    says the reverse; else ""."""
    m = _DEGREE.match(re.sub(r"\s+", " ", topic.strip()))
    if m is None or not is_adjective(m[1].lower()):
        return ""
    return lower_first(said_to_listener(topic))


def degree_cover(topic: str) -> list[str]:
    """A topic :func:`degree` reads, or one of too much of something ("Too much to do"), as
    a thumbnail says it, two to four words: whole ("Too Tired to Sleep", "Too Much to Do"),
    without its "you" or "your" ("So Tired, Can't Sleep", "Too Much on Mind"), else the state
    eased ("Too sad to get up": "Easing Sadness", never "Sad to Get Up"); [] for another."""
    many = re.match(r"too (?:much|many)\b", topic.strip(), re.IGNORECASE)
    said = (degree(topic) or (lower_first(said_to_listener(topic)) if many else "")).split()
    said = [w.lower() for w in said]
    if not said:
        return []
    cut = [said[0], said[1].rstrip(",") + ("," if said[0] == "so" else ""),
           *[w for w in said[2:] if w not in ("that", "you", "your")]]
    for words in (said, cut):
        if 2 <= len(words) <= 4 and words[-1] not in SMALL:
            return title_case(" ".join(words)).split()
    eased = bare_noun(said[1].rstrip(","))
    return ["Easing", *[capital(w) for w in eased.split()]] if eased else []


def body_state(topic: str) -> str:
    """A topic that opens with how a part of the body is ("Sore back after gardening", "Tired
    eyes after screens"), said to the listener with its article: "a sore back after
    gardening", "tired eyes after screens"; else ""."""
    phrases, words = noun_phrases(topic), topic_words(topic)
    first = phrases[0].split() if phrases else []
    if not first or words[:len(first)] != first or first[-1] not in BODY or \
            not is_trouble(phrases[0]):
        return ""
    said = lower_first(said_to_listener(topic))
    counted = first[-1] not in ("feet", "skin") and not first[-1].endswith("s")
    return indefinite(said) if counted else said  # "a sore back", "aching feet"
