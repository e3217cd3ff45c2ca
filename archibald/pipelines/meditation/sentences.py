"""A topic's sentence shape where its word classes alone mislead: a passive, a bare subject, a
state said with a present verb, and what tells a past spelled as its present from a wish.

"Cut off by my best friend" is something done to the listener, not an order: a past
participle (irregular, spelled as its present, or a verb in -ed that is no state) with its
particle, then "by" and who did it (a person, someone, the listener's people, "a car"), is
said "for the day you were cut off by your best friend", "After Being Cut Off by Your Best
Friend"; "Stop by the sea" ("stop" is no participle) and "Surrounded by nature" (a feeling a
session gives, by no one) are not. "Wedding got cancelled" is the listener's own wedding: a
bare subject takes "your" when it is a thing people have or go to, "the" when it is another
single thing ("the power went out"), and "a" when it is new to the listener ("a bad dream
woke you up", a thing that befell them). "My knees hurt" is a state that comes and goes:
"for when your knees hurt". "Cut my screen time" is what the listener means to do; "Cut my
finger while cooking" and "Cut my hair yesterday" are what they did. Pure functions.
"""

from __future__ import annotations

import re

from archibald.pipelines.meditation.people import is_person, singular
from archibald.pipelines.meditation.words import (BODY, SENSING, SMALL, STATE_NOUNS, STATES,
                                                  WANTED, YOUNG, bare_noun, clause,
                                                  is_adjective, is_noun, is_trouble,
                                                  lower_first, said_to_listener, topic_words)

__all__ = ["SPAN", "passive_by", "passive_cover", "befell", "participle_form", "subject_article",
           "by_itself", "present_state", "own_clause", "occasion"]

#: past participles that are not a verb in -ed: irregular ones ("told", "bitten"), and those
#: spelled as their present ("cut", "hit", "let"), which only a particle or "by" and whom
#: makes a passive ("Hit by a car", never "Stop by the sea": "stop" is none)
_PARTICIPLES = frozenset("""beaten bitten blown broken brought bought caught chosen done driven
eaten fallen forgotten forgiven frozen given gotten grown hidden hung kept known laid led left
made met paid seen sent shaken shot sold spent stolen struck stung swept taken taught thrown
told torn woken won written stood cut hit hurt put let shut quit split burst""".split())
#: participles of what a session gives or a place does to the listener ("Surrounded by
#: nature", "Held by the earth", "Lulled by the waves"): how they feel, no event
_GIVEN = frozenset("""held guided soothed lulled rocked cradled embraced surrounded warmed calmed
comforted supported inspired nourished healed wrapped carried bathed touched kissed blessed
welcomed protected sheltered renewed restored revived recharged rejuvenated uplifted cleansed
moved""".split())
#: the particle of a phrasal participle ("cut off", "let down", "left out", "told off")
_PARTICLES = frozenset("up out off over down behind away through back aside".split())
#: who may do something to the listener besides a person noun ("someone", "my family")
_SOMEONE = frozenset("""someone somebody everyone everybody anyone anybody people him her them
nobody family ex exes team company employer boss school college university bully bullies class
church""".split())
_DETS = frozenset("a an the my our his her their your this that".split())
#: verbs that are done to a person, whose participle alone says so ("Fired today", "Ghosted
#: again", "Laid off", "Dumped last night"): no object follows, so no one else was fired
_DONE_TO = frozenset("""fired sacked dumped ghosted mugged robbed burgled scammed hacked
catfished attacked assaulted demoted dismissed evicted arrested bullied harassed disowned
expelled suspended diagnosed""".split())
#: the same with their particle ("Laid off"; never "Laid back" or "Fired up", how one is)
_DONE_TO_PHRASAL = frozenset({"laid off", "let go", "let down", "stood up", "kicked out",
                              "locked out", "shut out"})
#: participles that alone are how the listener feels ("Rejected") and with how it was done
#: are what was done to them ("Rejected by email", "Humiliated over text")
_FELT_DONE = frozenset("rejected humiliated insulted ignored criticised criticized".split())
#: what may follow such a participle and still leave it alone ("Ghosted again")
_AGAIN = frozenset("again twice online publicly".split())
#: where or when it was done ("Mugged on the way home", "Fired from my job", "Bullied at
#: school", "Attacked while jogging", "Bullied as a child")
_WHERE = frozenset("at in on from while during outside as".split())
#: how a thing was done to the listener, not who did it ("Dumped by text", "Fired over the
#: phone", "Laid off via email")
_MEANS = frozenset("""text texts texting email emails e-mail mail post letter letters note
message messages voicemail phone call calls video zoom teams slack chat dm dms sms whatsapp
app""".split())
_BY_MEANS = frozenset("by over via through on".split())


def participle_form(word: str) -> bool:
    """Whether ``word`` is spelled as a past participle (in -ed or -en, or an irregular one:
    "left", "hurt"), whatever it says: a state, a feeling a session gives, or an event."""
    return word.endswith(("ed", "en")) or word in _PARTICIPLES


def _participle(word: str) -> bool:
    """Whether ``word`` is a past participle that is no state of the listener's ("betrayed",
    "told", "cut"; not "stressed", "hurt", "lost", "relaxed", "held")."""
    if word in _GIVEN or word in STATES or word in STATE_NOUNS or word in WANTED or \
            bare_noun(word):
        return False
    return word in _PARTICIPLES or word.endswith("ed") and len(word) > 4 and is_adjective(word)


def _someone(word: str) -> bool:
    """Whether ``word`` names who did something ("friend", "classmates", "someone", "boss")."""
    return word in _SOMEONE or is_person(word) or word.endswith(
        ("friend", "friends", "mate", "mates", "worker", "workers", "-in-law", "-in-laws"))


def passive_by(words: list[str], behind: bool) -> int:
    """Where the "by" of a passive stands in ``words`` (a topic's words without its time), 0
    when they are no passive: a participle, its particle, "by" and who or what did it ("Cut
    off by my best friend", "Betrayed by a friend", "Hit by a car", "Let down by the system",
    "Told off by my boss"). Without a particle, the one who did it is a person or the
    listener's people, or said with "a" ("a car", "a dog"), or the topic says it is behind
    the listener (``behind``: "last week"); never a feeling ("Consumed by worry") nor a
    means ("Calmed by breathing"). A verb done to a person (:data:`_DONE_TO`) is a passive
    alone ("Fired today", "Laid off") or with how it was done ("Dumped by text", "Fired over
    the phone"): then where that "by" or "over" stands, or past the participle."""
    if words[:1] and words[0] in _FELT_DONE and (_by_means(words[1:]) or len(words) > 3 and (
            words[1] in _WHERE and words[2] in ("a", "an", "the"))):
        return 1  # "Rejected by email", "Insulted at a family dinner": a feeling alone (or
        # where it is often felt: "Ignored at work"), something done when said how or on
        # which one occasion
    if words[:3] == ["broken", "up", "with"] and (len(words) == 3 or _by_means(words[3:])):
        return 3  # "Broken up with over text"
    if not words or not _participle(words[0]) or " ".join(words[:2]) in STATE_NOUNS:
        return 0  # "freaked out by" is a state in two words
    at = 2 if len(words) > 1 and (words[1] in _PARTICLES or words[:2] == ["let", "go"]) else 1
    done = 2 if " ".join(words[:2]) in _DONE_TO_PHRASAL else int(
        words[0] in _DONE_TO and (len(words) == 1 or words[1] not in _PARTICLES
                                  or _by_means(words[1:])))
    rest = words[done:]  # "Fired over the phone": "over" is no particle there
    if done and (all(w in _AGAIN for w in rest) or _by_means(rest) or rest[0] in _WHERE):
        return done  # "Fired today", "Laid off", "Ghosted again", "Laid off via email"
    agent = words[at + 1:]
    if words[at:at + 1] != ["by"] or not agent or \
            agent[0].endswith("ing") and not is_noun(agent[0]):
        return 0
    det = agent[0] if agent[0] in _DETS else ""
    run = []  # the noun run of the one who did it, after its article
    for w in agent[bool(det):]:
        if w in SMALL:
            break
        run.append(w)
    if any(is_trouble(w) for w in agent) or run and is_trouble(" ".join(run)):
        return 0
    head = run[-1] if run else agent[0]
    return at if _someone(head) or at == 2 or behind or det in ("a", "an") else 0


def _by_means(words: list[str]) -> bool:
    """Whether ``words`` say only how a thing was done: "by text", "over the phone", "via
    email", "by text message"."""
    if len(words) < 2 or words[0] not in _BY_MEANS:
        return False
    rest = words[2:] if words[1] in _DETS else words[1:]
    return 1 <= len(rest) <= 2 and rest[-1] in _MEANS and (len(rest) == 1 or rest[0] in _MEANS)


def passive_cover(said: list[str]) -> list[str]:
    """A passive as a thumbnail says it, two to four words, lower case: whole but for "your"
    ("hit by a car", "dumped by girlfriend"), without its articles ("let down by family"),
    with whom alone ("cut off by friend"), else "after being" and the participle ("after
    being cut off"); [] for none."""
    by = said.index("by") if "by" in said else 0
    if not by:  # "I was fired today": "after being fired", "after being let go"
        if 2 < len(said) <= 4 and _by_means(said[1:]):
            return said  # "fired over the phone"
        two = len(said) > 1 and (said[1] in _PARTICLES or said[:2] == ["let", "go"]) and \
            not _by_means(said[1:])
        words = ["after", "being", *said]
        return words if len(words) <= 4 else ["after", "being", *said[:1 + two]]
    bare = [w for w in said if w not in _DETS]
    head = [w for w in said[by + 1:] if w not in _DETS]
    head = head[:next((i for i, w in enumerate(head) if w in SMALL), len(head))] or head[:1]
    mine = [w for w in said if w != "your"]
    phrasal = ["after", "being", *said[:2]] if said[1:2] and said[1] in _PARTICLES else []
    for words in (mine, bare, [*said[:by + 1], *head[-1:]], ["after", "being", *said[:by]]):
        if 2 <= len(words) <= 4 and (words[-1] not in SMALL or words[-1] in _SOMEONE):
            return words
    if phrasal:  # "Broken up with by text": "after being broken up"
        return phrasal
    return []


#: how a topic says something befell the listener in the first person, or with the subject
#: left out ("I was fired today", "I've been rejected", "Was let go", "I just got laid off",
#: "Just got dumped"), before a participle: its "was", "been" or "got"
_BEFELL = re.compile(r"^(?:(?:i\s+)?(?:just\s+)?(was|got)|(?:i've\s+|i\s+have\s+)?(?:just\s+)?"
                     r"(been))\s+(?:just\s+)?(\S.*)$", re.IGNORECASE)

#: how long a state lasted ("for 20 years", "for ages", "all my life")
_LASTED = re.compile(r"\bfor\s+(?:(?:\d+|a|an|many|several|so|too)\s+)?(?:long|ages|years?|"
                     r"months?|decades?)\b|\ball my life\b", re.IGNORECASE)


#: a stretch of the listener's past rather than a day ("growing up", "as a child", "at
#: school"): what befell them then is said "after you were ...", never "the day you were"
SPAN = re.compile(r"\b(?:growing up|as an? (?:child|kid|teen|teenager|baby|boy|girl|student)|"
                  r"in (?:my )?(?:childhood|school|college|youth|twenties|teens)|at school|"
                  r"when i was (?:young|little|small|a kid|a child|a teen)|years ago)\b",
                  re.IGNORECASE)


def befell(topic: str) -> tuple[str, str]:
    """What a topic says befell the listener, in the first person or with no subject, as
    its verb ("were" for "was" or "been", "got") and the rest as typed, from a past
    participle that is no state ("I was fired today": ("were", "fired today"); "Just got
    laid off": ("got", "laid off")); ("", "") for another ("I was stressed all week", "I got
    overwhelmed at work", "I was anxious today", "Got ghosted", a bare past read as such)."""
    m = _BEFELL.match(topic.strip())
    if m is None or m[1] and m[1].lower() == "got" and topic.strip()[:3].lower() == "got":
        return "", ""
    words = topic_words(m[3])
    if not words or not _participle(words[0]) or " ".join(words[:2]) in STATE_NOUNS or \
            _LASTED.search(m[3]):  # "I was married for 20 years": how long, no event
        return "", ""
    return ("got" if (m[1] or "").lower() == "got" else "were"), m[3]


#: things a listener has, goes to or goes through: a bare one is theirs ("Wedding got
#: cancelled": your wedding; "Exams finished today": your exams)
_HAD = frozenset("""wedding flight surgery operation exam test interview presentation speech
performance audition appointment meeting date trip holiday vacation move birthday party result
scan biopsy diagnosis treatment chemo recovery job shift plan application visa offer contract
loan mortgage car phone laptop computer house flat home bag luggage suitcase package parcel
order bike key wallet passport dog cat pet puppy kitten rabbit hamster horse garden marriage
relationship engagement divorce period pregnancy class lecture deadline match game race
concert""".split())


def subject_article(subject: list[str], rest: list[str]) -> str:
    """The article a clause's bare subject takes ("Wedding got cancelled": "your"; "Power went
    out": "the"; "Bad dream woke me up": "a", something new that befell the listener; "Kids
    fought all day": "your"); "" for one that takes none ("Anxiety kept me up", "Results came
    back")."""
    head = subject[-1]
    if is_person(head) or head in YOUNG or head in _HAD or singular(head) in _HAD:
        return "your"
    if head.endswith("s") or is_trouble(" ".join(subject)):
        return ""
    if len(subject) > 1 or set(rest) & {"me", "us", "myself"}:
        return "a"
    return "the"


#: pasts in -ed that a thing does by itself ("Exams finished today"): any other, said with
#: no object, was done to it ("Flight delayed today": "your flight was delayed")
_BY_ITSELF = frozenset("""finished ended started stopped closed opened arrived happened landed
passed changed crashed collapsed vanished disappeared escaped died failed worked
improved""".split())


def by_itself(verb: str) -> bool:
    """Whether a past in -ed says what a thing did by itself (see :data:`_BY_ITSELF`)."""
    return verb in _BY_ITSELF


#: how a part of the body or the mind is, as a verb in -ing (its present forms read from it:
#: "aches", "hurt", "races")
_FELT = SENSING | frozenset("""ringing buzzing shaking trembling twitching grinding clenching
swelling creaking tightening wandering spiralling spiraling""".split())
#: what a state may be said of with no "my" ("Heart races at night", "Knees hurt")
_OWN = BODY | frozenset("heart mind thoughts body nerves stomach".split())


def _feels(verb: str, head: str) -> bool:
    """Whether ``verb`` is a present form of a verb in :data:`_FELT` that agrees with its
    subject's ``head`` ("knees hurt", "head aches"; not "panic attacks", "mood swings")."""
    many = head.endswith("s") and not head.endswith("ss") or head in ("feet", "teeth")
    if many == verb.endswith("s") and not verb.endswith("ss"):
        return False
    stems = [verb] if many else [verb[:-1], verb[:-2]]
    return any(f in _FELT for s in stems if s
               for f in (s + "ing", s[:-1] + "ing", s + s[-1] + "ing"))


def present_state(topic: str) -> str:
    """A topic that says how a part of the listener is with a present verb ("My knees hurt",
    "My head aches", "Heart races at night"), said to them: "your knees hurt", "your heart
    races at night"; else ""."""
    words = topic_words(topic)
    own = words[:1] in (["my"], ["our"])
    start = int(own)
    for j in range(start + 1, min(len(words), start + 4)):
        if words[j - 1] in SMALL and words[j - 1] not in _OWN:  # "back" is a small word too
            return ""
        if _feels(words[j], words[j - 1]):
            if not own and words[j - 1] not in _OWN:
                return ""
            said = lower_first(said_to_listener(topic))
            return said if own else f"your {said}"
    return ""


def own_clause(topic: str) -> str:
    """What the listener says of themselves or their own (see :func:`words.clause`), or how a
    part of them is (:func:`present_state`): "you can't sleep", "your knees hurt"; else ""."""
    return clause(topic) or present_state(topic)


#: what one leaves for good ("Quit my job"): said of one's own, the act is done, not wished
_LEFT = frozenset("job jobs post role position career course degree band team".split())


def occasion(rest: list[str]) -> bool:
    """Whether what follows a verb spelled as its present says it happened, with no time
    named: it befell a part of the body ("Cut my finger", "Hurt my back"), it is a post one
    leaves ("Quit my job"), or the topic says when or how it went ("while cooking", "too
    short"); "Cut my screen time" says neither."""
    first = rest[1] if rest[:1] in (["my"], ["our"]) and len(rest) > 1 else ""
    return first in BODY or first + "s" in BODY or first in _LEFT or bool(
        set(rest) & {"while", "when", "too", "badly", "again"})

