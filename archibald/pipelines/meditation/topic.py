"""Reading a topic as a listener's situation: who, when, what for, where, and what is ahead.

"A body scan for nurses after a night shift" is not a keyword bag: the listener is a nurse, the
shift is behind them, it is morning, they are going to sleep in daylight, at home. The writer
names them in the welcome, the intention and the close, picks lines whose tags fit these facts
(no "night has come" at 8 a.m., no "open your eyes" in a sleep session, an interview that is
ahead, not behind), and the title and thumbnail words are made from the same reading, whole
phrases only. Everything here is a pure function of the topic text, so the same topic always
reads the same.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache

from archibald.pipelines.meditation.listener import (Happened, degree_cover, felt_phrase,
                                                     past_event, status_clause)
from archibald.pipelines.meditation.places import find_place
from archibald.pipelines.meditation.people import is_person, is_worker, plural
from archibald.pipelines.meditation.practices import named_practice, spelled, written
from archibald.pipelines.meditation.sentences import own_clause, participle_form
from archibald.pipelines.meditation.words import (BODY, CLOCK, SENSING, SMALL, STATE_NOUNS,
                                                  STATES, YOUNG,
                                                  bare_feeling, bare_noun, capital,
                                                  core_topic, doing, gift_phrase, governed,
                                                  imperative, is_adjective, is_noun,
                                                  is_trouble, is_verb,
                                                  noun_phrases, opening_feeling, question,
                                                  remedy, to_listener, topic_words,
                                                  wanted_states, with_acronyms)
from archibald.pipelines.meditation.wishes import activity, named_session, wish
from archibald.script.measures import SLEEP_WORDS

__all__ = ["TopicReading", "read_topic", "thumbnail_words", "fits", "pattern_tags", "goal_words"]

# events a session prepares for (ahead) or recovers from (behind)
_EVENTS = {
    "job interview": "the interview", "interview": "the interview", "exam": "the exam",
    "exams": "the exams", "test": "the test", "surgery": "the surgery",
    "operation": "the operation", "presentation": "the presentation", "speech": "the speech",
    "performance": "the performance", "concert": "the concert", "race": "the race",
    "match": "the match", "game": "the game", "flight": "the flight", "wedding": "the wedding",
    "meeting": "the meeting", "first day": "the first day", "birth": "the birth",
    "labour": "the labour", "labor": "the labour", "appointment": "the appointment",
    "audition": "the audition", "date": "the date", "move": "the move", "trip": "the trip",
    "night shift": "the night shift", "shift": "the shift", "long day": "the long day",
    "work": "work", "workout": "the workout", "run": "the run", "argument": "the argument",
    "loss": "the loss", "breakup": "the breakup", "funeral": "the funeral",
    "deadline": "the deadline", "long drive": "the long drive", "commute": "the commute",
    "school": "school", "class": "the class", "lecture": "the lecture",
}
#: times of a day a topic may be before or after that are no event ("Gratitude before bed",
#: "Calm before dinner"): never "Whatever happens at the bed"
_ROUTINE = frozenset("""bed bedtime sleep sleeping dinner lunch breakfast supper brunch nap
tea dawn sunrise sunset""".split())
_GOALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sleep", SLEEP_WORDS),
    ("grief", ("grief", "grieving", "loss", "mourning", "bereavement", "funeral", "died",
               "passed away", "bereaved", "widowed", "miscarriage", "stillbirth")),
    ("confidence", ("confidence", "confident", "courage", "brave", "self-belief", "nerves",
                    "nervous")),
    ("focus", ("focus", "concentration", "clarity", "study", "studying", "attention")),
    ("energy", ("energy", "energise", "energize", "wake up", "motivation", "fresh start")),
    ("gratitude", ("gratitude", "grateful", "thankful", "joy", "appreciation")),
    ("letting-go", ("letting go", "let go", "release", "acceptance", "forgive", "move on")),
    ("kindness", ("kindness", "self-compassion", "compassion", "self-love", "loving")),
    ("rest", ("rest", "recover", "recovery", "restore", "recharge", "unwind", "decompress")),
    ("calm", ("calm", "stress", "anxiety", "anxious", "worry", "overwhelm", "overwhelmed",
              "peace", "relax", "tension", "burnout", "panic")),
)
_SETTINGS = (
    ("hospital", ("hospital", "ward", "surgery", "operation", "clinic")),
    ("work", ("office", "desk", "work", "workplace", "meeting", "lunch break")),
    ("school", ("school", "exam", "exams", "class", "lecture", "study", "campus")),
    ("travel", ("flight", "plane", "train", "commute", "travel", "trip", "airport")),
    ("outdoors", ("walk", "walking", "park", "garden", "forest", "beach", "hike", "outdoors")),
    ("bed", ("bed", "bedtime", "sleep", "asleep", "insomnia")),
)
_TIMES = (
    ("morning", ("morning", "sunrise", "dawn", "wake", "waking", "breakfast")),
    ("evening", ("evening", "sunset", "dusk", "after work", "end of the day", "end of day",
                 "after a long day")),
    ("day", ("lunch", "midday", "afternoon", "workday", "work day", "during the day", "daytime",
             "nap", "break")),
    ("night", ("night", "bedtime", "midnight", "tonight")),
)
#: the night said otherwise: the dark, an hour from ten at night to four in the morning
_NIGHT = re.compile(r"\b(?:the dark|small hours|wee hours|1[01]\s?p\.?m\b|"
                    r"(?:12|[1-4])(?:[:. ][0-5]\d)?\s?a\.?m\b)")


@dataclass(frozen=True)
class TopicReading:
    """Who the session is for and when: ``audience`` and ``situation`` are the topic's own words
    ("nurses", "after a night shift"), empty when it names none (``person``: the topic's words
    that name them, "for an exhausted nurse"); ``event`` the thing ahead or
    behind ("the interview"); ``ahead`` whether it is still to come; ``time`` morning / day /
    evening / night or "" when the topic does not say; ``goal`` what the session is for;
    ``setting`` where the listener probably is; ``tags`` the facts lines are filtered by."""

    topic: str
    audience: str = ""
    person: str = ""
    situation: str = ""
    event: str = ""
    ahead: bool = False
    time: str = ""
    goal: str = "calm"
    setting: str = "home"
    sleep: bool = False
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def for_whom(self) -> str:
        """ "nurses after a night shift", "you, before the interview", or "" """
        if self.audience and self.situation:
            return f"{self.audience} {self.situation}"
        return self.audience or (f"you, {self.situation}" if self.situation else "")

    def named(self, sentence: str) -> bool:
        """Whether ``sentence`` names this listener's audience or situation (or, for a topic
        that gives neither, the goal it names: "grief")."""
        low = sentence.lower()
        keys = [w for phrase in (self.audience, self.event.removeprefix("the "))
                for w in re.findall(r"[a-z][a-z'-]+", phrase.lower()) if len(w) > 3]
        if not keys:
            keys = [w for w in dict(_GOALS).get(self.goal, ()) if w in self.topic.lower()]
        return any(re.search(rf"\b{re.escape(k)}", low) for k in keys)


#: verbs whose "for" takes an object ("caring for a sick parent", "waiting for results"):
#: the people after it are not the audience (in any form: care, cares, cared, caring)
_DOING_FOR = frozenset("""care cook work shop fight wait look pray long search provide pay ask
apply vote stand hope speak answer cater root reach send call""".split())


def _verb_for(word: str, before: str) -> bool:
    """Whether ``word`` is a form of a verb whose "for" takes an object (_DOING_FOR); its bare
    form only where a verb stands (after "to", "I", "we"...): a topic is a noun phrase, and
    "self care for nurses" or "hope for tired parents" is a session for them."""
    if word in _DOING_FOR:
        return before in ("to", "i", "we", "you", "they", "who")
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[:-len(ending)]
            if {stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else stem} & _DOING_FOR:
                return True
    return False


#: a time of life a person noun may name ("as a child")
_STAGES = frozenset("child kid teen teenager boy girl student youngster adolescent".split())


def _audience(words: list[str]) -> tuple[str, str]:
    """Who the session is for, in the plural ("exhausted nurses", "new mums"): a person noun
    (see :func:`people.is_person`) with the adjectives and nouns before it, named "for" or "as"
    a listener ("calm for an exhausted nurse", "sleep as a new mum"), or in the plural at the
    start ("tired parents after ..."); never the people a verb is for ("caring for a sick
    parent") or the listener's own ("at my kids"), nor a baby or a toddler (too young to
    listen). "" when the topic names none. Second, the topic's own words for them after "for"
    or "as" ("for an exhausted nurse"), else "". """
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if not is_person(w) or w in SMALL or w in YOUNG or \
                (nxt and nxt not in SMALL and is_noun(nxt)):
            continue  # a person noun heads its phrase ("junior healthcare workers")
        j = i  # its modifiers: up to three adjectives or nouns before it
        while j > 0 and i - j < 3 and words[j - 1] not in SMALL and \
                not words[j - 1].endswith("ing") and not is_verb(words[j - 1]) and \
                (is_adjective(words[j - 1]) or is_noun(words[j - 1])):
            j -= 1
        k = j - 1 if j > 0 and words[j - 1] in ("a", "an", "the", "my", "all", "our") else j
        said = k > 0 and words[k - 1] in ("for", "as") and not (  # "caring for a parent"
            k > 1 and (words[k - 2].endswith("ing") and k < j or
                       _verb_for(words[k - 2], words[k - 3] if k > 2 else ""))) and not (
            words[k - 1] == "as" and ({"was", "were"} & set(words[:k]) or w in _STAGES and k > 1
                                      and participle_form(words[k - 2])))
        # "as a child" after "was" or a participle ("Bullied as a child"): then, not for whom
        if said or (j == 0 and plural(w) == w):
            return " ".join([*words[j:i], plural(w)]), " ".join(words[k - 1:i + 1]) if said \
                else ""
    return "", ""


#: a loss of someone, not of something: "Lost my mum", "Losing our dog", "Lost a baby" are
#: grief where "Lost my job" is not (the one lost: a person, a pet or a baby)
_LOST = re.compile(r"\b(?:lost|losing|lose)\s+(?:my|our|his|her|their|your|a|an|the)\s+"
                   r"(\w+)(?:\s+(\w+))?")
_BEINGS = frozenset("""baby babies pregnancy twin son sons grandson granddaughter grandad
granddad grandpa gran granny nan nana nanna aunt auntie aunty uncle cousin nephew niece fiance
fiancee boyfriend girlfriend stepmum stepdad stepmom mummy mommy daddy papa mama dog dogs cat
cats puppy kitten pet pets horse pony rabbit bunny hamster guinea budgie parrot bird
tortoise""".split())


def _lost_someone(text: str) -> bool:
    found = _LOST.search(text)  # the one lost, or its word before ("my best friend")
    return found is not None and any(w in _BEINGS or is_person(w)
                                     for w in found.groups() if w)


def _find(text: str, words: tuple[str, ...]) -> str:
    for w in sorted(words, key=len, reverse=True):
        if re.search(rf"\b{re.escape(w)}\b", text):
            return w
    return ""


def _clean(phrase: str) -> str:
    return re.sub(r"\s+", " ", phrase).strip(" ,.;:!?-")


@lru_cache(maxsize=256)
def read_topic(topic: str) -> TopicReading:
    """The topic's listener and situation (see :class:`TopicReading`)."""
    text = " ".join(re.findall(rf"{CLOCK.pattern}|[a-z0-9'-]+", topic.lower()))
    audience, person = _audience(text.split())
    situation, event, ahead = "", "", False
    # "after" of "looking after" is the verb's (caring for someone), no time or event
    m = re.search(r"\b(?<!look )(?<!looks )(?<!looked )(?<!looking )"
                  r"(before|after|during|ahead of|following)\s+((?:(?:a|an|the|my|your|"
                  r"this)\s+)?(?:[a-z0-9:'-]+\s*){1,4})", text)
    if m:
        prep = m[1]
        words: list[str] = []
        for w in m[2].split():  # the phrase ends where another one begins ("... for nurses")
            if w in _SMALL - {"a", "an", "the"} or w == "as" or \
                    w in ("my", "your", "this") and words:
                break  # "as" too: "before a night shift as a paramedic"
            words.append(w)
        head = " ".join(words)
        core = re.sub(r"^(?:a|an|the|my|your|this)\s+", "", head).split()
        situation = _clean(f"{prep} {head}")
        key = next((k for k in (" ".join(core), " ".join(core[-2:]), " ".join(core[-1:]))
                    if k in _EVENTS), "")
        if key:
            event = _EVENTS[key]
            if " " not in key and len(core) > 1 and core[-1] == key and \
                    core[-2] not in _SMALL and not is_adjective(core[-2]):
                event = f"the {core[-2]} {key}"  # "my driving test": the driving test
        elif core and not core[0].endswith("ing") and prep != "during" and \
                not any(is_verb(w) for w in core) and core[-1] not in _ROUTINE:
            # "a school inspection": the school inspection ("my grandmother passed away" is no
            # thing; "before bed" is a time of day, not an event to meet or dread)
            event = "the " + " ".join(core[-2:])
        ahead = bool(event) and prep in ("before", "ahead of")
    goal = "grief" if _lost_someone(text) else \
        next((g for g, words in _GOALS if _find(text, words)), "calm")
    setting = next((s for s, words in _SETTINGS if _find(text, words)), "home")
    time = next((t for t, words in _TIMES if _find(text, words)), "")
    if not time and _NIGHT.search(text):  # "scared of the dark", "awake at 3am"
        time = "night"
    if not time and goal == "sleep":
        time = "night"  # a sleep session that names no time is for the night
    night_shift = bool(re.search(r"\bafter (?:a |the |my |your )?night ?shifts?\b", text))
    if night_shift:  # home after a night shift: it is morning, and bed is ahead in daylight
        time, goal, setting = "morning", "sleep" if goal in ("calm", "rest", "sleep") else goal, \
            "home"
    if re.search(r"\bnight shift\b", text) and not night_shift and "before" in text:
        time = "evening"
    sleep = goal == "sleep"
    tags = {goal, setting, time or "anytime", "sleep" if sleep else "awake"}
    if event:
        tags.add("ahead" if ahead else "behind")
    if audience:
        tags.add("audience")
        if re.search(r"\b(nurse|doctor|carer|caregiver|parent|mum|mom|dad|mother|father|teacher|"
                     r"paramedic|firefighter|therapist|caretaker|volunteer)", audience):
            tags.add("carer")  # people who look after others all day
        if is_worker(audience.split()[-1]):
            tags.add("worker")  # people whose work or shift is behind them when they listen
    if situation:
        tags.add("situation")
    if time in ("morning", "day"):
        tags.add("daylight")
    if time in ("evening", "night"):
        tags.add("dark")
    return TopicReading(topic=topic.strip(), audience=audience, person=person,
                        situation=situation,
                        event=event, ahead=ahead, time=time, goal=goal, setting=setting,
                        sleep=sleep, tags=frozenset(tags))


_TAGGED = re.compile(r"^<([a-z!|,-]+)>\s*")


def pattern_tags(pattern: str) -> tuple[list[list[str]], str]:
    """A catalogue line's tag groups and its text: ``<night,sleep> ...`` needs both facts,
    ``<!sleep> ...`` needs the fact absent, ``<morning|day> ...`` either."""
    m = _TAGGED.match(pattern)
    if not m:
        return [], pattern
    return [group.split("|") for group in m[1].split(",")], pattern[m.end():]


def fits(pattern: str, tags: frozenset[str]) -> bool:
    """Whether a (possibly tagged) catalogue line may be said to a listener with these facts."""
    groups, _ = pattern_tags(pattern)
    for group in groups:
        if not any(t[1:] not in tags if t.startswith("!") else t in tags for t in group):
            return False
    return True


_GOAL_WORDS = {"sleep": "Rest", "grief": "Comfort in Grief", "confidence": "Calm Confidence",
               "focus": "Clear Focus", "energy": "Fresh Energy", "gratitude": "Gratitude",
               "letting-go": "Letting Go", "kindness": "Kindness", "rest": "Deep Rest",
               "calm": "Calm"}
_SMALL = {"a", "an", "the", "of", "for", "and", "to", "in", "on", "at", "by", "with", "after",
          "before", "during", "beside", "near", "under", "from", "as"}


def _title_case(phrase: str) -> str:
    return " ".join(w if i and w in _SMALL else capital(w) for i, w in enumerate(phrase.split()))


def goal_words(reading: TopicReading) -> str:
    """The session's benefit in a title's words ("Deep Rest", "Calm Confidence")."""
    if reading.sleep and reading.time in ("morning", "day"):
        return "Daytime Sleep"
    return "Deep Sleep" if reading.sleep else _GOAL_WORDS.get(reading.goal, "Calm")


_DETS = frozenset({"a", "an", "the"})
_NOW = frozenset({"tonight", "today", "again", "now"})


def _readable(words: list[str]) -> bool:
    """Whether thumbnail words read as a phrase: two to four words that end on a noun (never
    a lone or last adjective, never a dangling "before" or "the")."""
    if not 2 <= len(words) <= 4:
        return False
    last, low = words[-1].lower(), [w.lower() for w in words]
    if last in BODY and (is_adjective(low[-2]) or low[-2] in SENSING):  # "Easing a
        # Sore Back", "Easing an Aching Back"
        return True
    if len(words) > 2 and last not in SMALL and "'" not in last and (
            low[-2] == "the" or last.endswith("ing") and (
                low[-2] in ("of", "about") or is_noun(low[-2]) and low[-3] in SMALL)):
        # an adjective or a verb said as a noun: "Fear of the Dark", "of Flying", "by
        # Wedding Planning", "of Public Speaking"
        return True
    return last not in SMALL and last not in _SMALL and (
        is_noun(last) or bool(CLOCK.fullmatch(last))  # "Calm before 9am"
        or last in ("calm", "go", "sleep", "rest")) and not (
        is_adjective(last) and last not in ("calm",))


def thumbnail_words(topic: str) -> list[str]:
    """Two to four large words for the thumbnail, from the topic: the video's promise as a
    whole phrase that ends on a noun ("Easing Stage Fright", "Calm before Interview", "Calm
    for Exhausted Nurses", "Sleep in Bed"), never a cut title, a lone adjective or a dangling
    word; an acronym as the topic writes it ("Calm for ADHD Brains")."""
    return with_acronyms(" ".join(_thumbnail_words(topic)), topic).split()


#: words after a practice's name that open a clause, not a noun's phrase
_CLAUSES = frozenset("to when while if because until as so".split())


def _practice_words(topic: str) -> list[str]:
    """A topic that opens with the practice it asks for, as the thumbnail says it: whole when
    it fits, else the practice, its preposition and its last word ("Body Scan for Pain");
    a practice of one word with "Meditation" ("Metta Meditation"); [] for any other."""
    practice = named_practice(topic)
    bare = " ".join(w for w in topic_words(spelled(topic)) if w not in _DETS)
    if practice is not None and not practice.leads and bare == practice.name:
        return _practice_words(bare)  # "The 4-7-8 breath": the practice alone
    if practice is None or not practice.leads:
        return []
    # "4-7-8" is one word, as the practice's name holds it (digits are no topic word)
    said = [w for w in topic_words(to_listener(spelled(topic))) if w not in _DETS]
    n = len(practice.name.split())
    if len(said) == n and practice.said.startswith(practice.name + " "):  # "4-7-8 Breathing"
        return _title_case(written(practice.said)).split()
    if len(said) == n:
        return _title_case(written(" ".join([*said, *["meditation"] * (n == 1)]))).split()
    if len(said) > 4 and said[n] in SMALL:  # to the next small word, or its last word
        taken = list(itertools.takewhile(lambda w: w not in SMALL, said[n + 1:]))
        aim = taken or said[-1:]
        whole = n + 1 + len(aim) <= 4
        if said[n] in _CLAUSES:  # what the practice is "to" do, or "when", is said as it
            # comes or not at all: never "Body Scan to Asleep", "Square Breathing When Sleep"
            said = [*said[:n + 1], *taken] if taken and n + 1 + len(taken) <= 4 else said[:n]
        else:
            said = [*said[:n + 1], *(aim if whole else aim[-1:])]
    if len(said) > 4 or len(said) == n:  # "Guided Visualisation": the practice alone
        said = [*said[:n], *["meditation"] * (n == 1)]
    return _title_case(written(" ".join(said))).split()


def _after_words(happened: Happened) -> list[str]:
    """What happened, as a thumbnail says it: "After Losing Your Job", "After Failing Driving
    Test", "After Losing Your Temper", "After Getting Fired", "Dropping Out of College", "After
    a Bad Dream" (see :attr:`Happened.cover`); [] when no part of it reads as a phrase."""
    if happened.subject:
        return happened.cover
    said = happened.doing_bare.split()
    cut = [*said[:1], *itertools.takewhile(lambda w: w not in SMALL or w in _DETS | {"your"},
                                           said[1:])]  # to its first preposition
    ends = said[len(cut):len(cut) + 1] if cut[:1] == ["getting"] and len(cut) == 2 else []
    cut += [w for w in ends if w in ("up", "out", "off", "down", "away", "over", "back")]
    # its participle's particle kept: "After Getting Laid Off", never "After Getting Laid"
    for words in (said, cut):
        bare = [w for w in words if w not in _DETS | {"your"}]
        for phrase in (["after", *words], ["after", *bare]):
            if _readable(phrase) or 3 <= len(phrase) <= 4 and "getting" in phrase[-3:-1] or \
                    len(phrase) == 3 and phrase[-1].endswith("ing"):  # "After Quitting Smoking"
                return _title_case(" ".join(phrase)).split()
    for words in (said, [w for w in said if w not in _DETS | {"your"}]):
        if _readable(words):  # "Dropping Out of College"
            return _title_case(" ".join(words)).split()
    return []


def _felt_words(topic: str) -> list[list[str]]:
    """How the listener feels toward something, as thumbnail words: whole ("Homesick at
    Boarding School", "Afraid of Your Boss"), without its articles ("Jealous of Best
    Friend"), or what it comes from when that is what they do ("Burnt out from caring for
    twins": "Caring for Twins"); [] for another topic (or an idiom: "Bored out of my mind")."""
    own = topic_words(to_listener(topic))
    if len(own) < 3 or own[1:3] == ["out", "of"] or \
            not felt_phrase(topic).startswith(("When You Feel ", "When You're ")):
        return []
    out = [own, [w for w in own if w not in _DETS | {"your"}]]
    at = next((i for i, w in enumerate(own) if w in ("from", "by")), 0)
    if at and doing(" ".join(own[at + 1:])):  # "... from caring for twins"
        out += [own[at + 1:], [w for w in own[at + 1:] if w not in _DETS | {"your"}]]
    return out


#: a question about the listener, and what it asks of them ("Why am I always tired": "always
#: tired", "Why can't I sleep": "can't sleep")
_WHY = re.compile(r"^(?:why|how come)\s+(?:(?:am|do|does|did)\s+i\s+(.+)|(can't|cannot|"
                  r"don't|won't|didn't)\s+i\s+(.+)|i\s+(.+))$", re.IGNORECASE)


def _own_words(topic: str) -> list[str]:
    """What a topic asks or says of the listener, as a thumbnail says it: the wish ("Help to
    Fall Asleep", "Learning to Breathe"), the meditation it names ("Evening Meditation"),
    the activity ("Mindful Dishwashing"), what they say of themselves ("Can't Stop Crying",
    "Your Dog Is Sick") or ask ("Always Tired"); [] for another topic."""
    wished = wish(topic)
    if wished is not None:
        head = wished.head.split()
        # the act as asked, a phrasal verb whole ("Wind Down after Work", "Move on from
        # Him"; "Let Go of Ex", never "Go for Help"), unless it is a help through something
        act = [] if wished.with_help else wished.act.split()
        bare = [w for w in act if w.lower() not in _DETS | {"your"}]
        while bare and bare[-1].lower() in _NOW:  # "Switch Off Busy Mind", without "tonight"
            bare = bare[:-1]
        cut = next((i for i in range(2, len(act)) if act[i].lower() in SMALL - _DETS),
                   len(act))  # to its first small word: "Stop Thinking", "Be More Patient"
        # never a verb cut from its object ("Get Over"): what it acts on, "Fear of Flying"
        held = [w for w in act[cut + 1:] if w.lower() not in _DETS] \
            if act[cut:cut + 1] in (["your"], ["this"], ["that"]) else []
        for words in (head, act, [w for w in head if w.lower() not in _DETS | {"your"}],
                      bare, *([[*act[:cut], *held], held] if held else [act[:cut]])):
            if 2 <= len(words) <= 4 and words[-1].lower() not in _SMALL:
                return _title_case(" ".join(words)).split()  # "Help through Panic Attack"
        return []
    session = named_session(topic)
    if session is not None and session.own:  # "Morning Meditation for Nurses"
        said = f"{session.own} {to_listener(session.rest)}".split()
        return _title_case(" ".join(said)).split() if len(said) <= 4 else []
    act = topic_words(activity(topic))
    run = list(itertools.takewhile(lambda w: w not in SMALL, act))
    for words in (act, [w for w in act if w not in _DETS | {"your"}], run):
        if 2 <= len(words) <= 4 and words[-1] not in SMALL:  # "Mindful Tea Drinking"
            return _title_case(" ".join(words)).split()
    why = _WHY.match(question(topic).rstrip("?"))
    asked = " ".join(x for x in why.groups() if x) if why else ""
    said = topic_words(to_listener(asked)) if why else topic_words(own_clause(topic))
    said = said[1:] if said[:1] == ["you"] and said[1:2] != ["are"] else said
    if said[:1] == ["feel"]:  # "Why do I feel so anxious": "Feeling So Anxious"
        said[0] = "feeling"
    own = said[:1] in (["your"], ["can't"], ["cannot"], ["won't"])
    if said[:1] == ["your"] and len(said) > 4:  # "Heart Won't Stop Racing"
        said = said[1:]
    if (why or own) and 2 <= len(said) <= 4 and said[-1] not in _SMALL:
        return _title_case(" ".join(said)).split()  # "Can't Stop Crying", "Always Tired"
    return []


def _thumbnail_words(topic: str) -> list[str]:
    own = _own_words(topic)
    if own:
        return own
    asked = question(topic)  # "How do I stop worrying?": "Stop Worrying"
    inner = re.match(r"how (?:do|can|should|could) i (.+?)\??$|how to (.+?)\??$", asked,
                     re.IGNORECASE)
    told = imperative(inner[1] or inner[2]) if inner else "" if asked or \
        past_event(core_topic(topic)) is not None else imperative(topic)  # "Quit my job today"
    # is what the listener did: "After Quitting Your Job", never "Quit Your Job Today"
    said = told.split()
    cut = next((i for i in range(2, len(said)) if said[i] in SMALL - _DETS),
               len(said))  # "Take a break from your phone": "Take a Break"
    if 2 <= min(len(said), cut) <= 4:  # "Breathe Through It", "Calm Down"
        return _title_case(" ".join(said[:cut] if len(said) > 4 else said)).split()
    if asked and len(asked.split()) <= 4:  # "What If I Fail?"
        return [capital(w) for w in asked.split()]
    topic = core_topic(topic)  # "10 minutes of calm before my 9am": "Calm before 9am"
    if degree_cover(topic):  # "Too Tired to Sleep", never "Tired to Sleep"
        return degree_cover(topic)
    practice = _practice_words(topic)
    if practice:  # "Yoga Nidra for Sleep", "Body Scan for Pain"
        return practice
    happened = past_event(topic)
    after = _after_words(happened) if happened is not None else []
    if after:  # "After Losing Your Job", never "Calm Meditation"
        return after
    reading = read_topic(topic)
    goal = goal_words(reading).split()
    if reading.sleep and reading.time in ("morning", "day"):
        goal = ["Sleep"]
    gift = gift_phrase(topic)
    if gift:  # the benefit in the topic's own word: "Strength for Hard Week"
        goal = [capital(gift.split()[-1])]
    candidates: list[list[str]] = []
    phrases = noun_phrases(topic)
    states = wanted_states(topic)
    if len(states) >= 3:  # "Calm, Clear, Focused": the states (four at most), nothing else
        states = states[:4]
        return [capital(w) + "," for w in states[:-1]] + [capital(states[-1])]
    if len(states) == 2:  # "Feeling Light and Free", without its "today"
        return _title_case(" and ".join(["Feeling " + states[0], *states[1:]])).split()
    if doing(topic):  # what the listener does, to its first thing: "Letting Go
        said = topic_words(to_listener(topic))  # of Anger", "Waiting for Test Results"
        first = phrases[0].split() if phrases else []
        ends = [i + len(first) for i in range(len(said))
                if first and said[i:i + len(first)] == first]
        head = said if len(said) <= 4 or not ends else said[:ends[0]]
        head = head if len(head) <= 4 else [w for w in head if w not in _DETS | {"your"}]
        if 2 <= len(head) <= 4 and (head[-1] not in SMALL or head[-1] in _NOW):  # "Quitting
            # Smoking", "Feeling Peaceful Tonight" too
            return _title_case(" ".join(head)).split()
    verb, feeling = opening_feeling(topic)
    lead = [[*verb.split(), *feeling.split()], [*verb.split(), feeling.split()[-1]]] if verb \
        else []
    said = topic_words(topic)
    felt = feeling.split()
    if verb and felt[0] not in _DETS and said[len(felt):len(felt) + 1] in (["of"], ["about"]):
        # the feeling and what it is of, whole: "Fear of the Dark", "Fear of Public Speaking"
        candidates += [said, [w for w in said if w not in ("a", "an", "my", "your", "our")]]
    if verb != "Finding":  # a trouble eased first: "Letting Go of Regret", "Easing Nerves"
        candidates += lead
    state = bare_feeling(said)
    eased = bare_noun(state) if state else ""
    if eased:  # all the topic says is how the listener feels: "Easing Exhaustion"
        candidates.append(["Easing", *eased.split()])
    toward = _felt_words(topic)
    if toward and (said[1] not in ("of", "about") or
                   any(w in ("my", "our") or is_person(w) for w in said[2:])):
        candidates += toward  # "Jealous of Best Friend", never "Jealousy of Best Friend"
    if len(said) > 2 and said[0] in STATE_NOUNS and said[1] in ("of", "about"):
        # how the listener feels, and of what: "Fear of the Dark", "Worry about Exams"
        rest = [w for w in said[2:] if w not in ("a", "an", "my", "your", "our")]
        candidates.append([STATE_NOUNS[said[0]], said[1], *rest])  # whole, or not at all
    candidates += toward  # "Homesick at Boarding School", "Caring for Twins"
    if YOUNG & set(said) and "with" in said:  # "Bedtime with Restless Toddler": the one
        # with them, as said
        candidates.append([w for w in topic_words(to_listener(topic)) if w not in _DETS])
    first = phrases[0].split() if phrases else []
    bare = [w for w in topic_words(to_listener(topic)) if w not in _DETS | {"your"}]
    if first and bare[:len(first)] == first and 3 <= len(bare) <= 4 and not (
            verb or gift or reading.audience or reading.event or set(first) & SMALL
            or any(is_trouble(w) for w in first) or remedy(phrases[0])) and set(bare) & SMALL:
        candidates.append(bare)  # a thing where it is: "Walk in Autumn Woods", never "Calm
        # for Walk"
    event = [w for w in reading.event.split() if w != "the"]
    prep = reading.situation.split()[:1]
    if event and prep:
        candidates += [[*goal, *prep, *event], [*goal[-1:], *prep, *event],
                       [*goal[-1:], *prep, *event[-1:]]]
    elif prep:  # a time of day, not an event: "Gratitude before Bed"
        when = [w for w in reading.situation.split() if w not in _DETS]
        candidates += [[*goal[-1:], *when]] if len(when) <= 3 else []
    if reading.audience:
        people = reading.audience.split()
        candidates += [[*goal[-1:], "for", *people], [*goal[-1:], "for", *people[-2:]],
                       [*goal[-1:], "for", *people[-1:]]]
    if phrases and governed(topic, phrases[0]) and len(said) <= 4 and is_noun(said[-1]):
        # what the topic is about is what the listener does: "Missing Your Dog"
        candidates.append(topic_words(to_listener(topic)))
    found = find_place(topic)
    if found is not None:  # "Sleep in Bed", "Calm at School", "Calm in Waiting Room"
        place = found[1]
        at, *own = (place.said or f"{place.prep} {place.phrase}").split()
        own = [w for w in own if w not in ("a", "an", "my", "your")]
        candidates += [[*goal[-1:], at, *own], [*goal[-1:], at, *own[-2:]],
                       [*goal[-1:], at, *own[-1:]]]
    clock = re.search(rf"\b(?:(before|by|at|until|till)\s+(?:(?:my|your|the)\s+)?)?"
                      rf"({CLOCK.pattern})\b", topic.lower())
    if clock:  # "Awake at 3am": "Calm at 3am"
        candidates.append([*goal[-1:], clock[1] or "at", clock[2]])
    low = " ".join(topic_words(topic))
    status = status_clause(topic).split()[2:]  # never "Calm for Pregnant" (where the
    for phrase in phrases:  # listener's life stands is no thing); "Calm in New City", "Calm
        # with Body Image"
        words = phrase.split()
        gerund = re.search(rf"\b{re.escape(phrase)} (\w+ing)(?: (\w+))?", low)
        if gerund and (gerund[2] is None or gerund[2] in SMALL):  # the thing is a doing:
            words = [*words, gerund[1]]  # "Public Speaking", never "Confidence for Public"
        if set(words) <= {w.lower() for w in goal} or remedy(phrase) or \
                governed(topic, phrase) or phrase == gift or words[0] in status:
            continue
        m = re.search(r"\b(in|at|on|with|during|about|for|before|after|beside|near|under|between"
                      r"|by(?=\s+(?:a|an|the|my|your)\s))\s+"  # "by a lake", not "by exams"
                      rf"(?:(?:a|an|the|my|your|this)\s+)?{re.escape(phrase)}\b", low)
        candidates += [[*goal[-1:], m[1] if m else "for", *part]
                       for part in (words, words[-2:], phrase.split(" and ")[0].split())
                       if part[0] not in SMALL]
    ending = phrases[-1].split() if len(phrases) > 1 else []
    if ending and said[-len(ending):] == ending and remedy(ending[-1]) and not verb:
        # a trouble the topic ends on, said after what it is about: "Work from home
        # loneliness" is "Easing Loneliness" (not "Calm from Home")
        candidates.insert(0, [*remedy(ending[-1]).split(), ending[-1]])
    if said and said[0] in STATES and bare_noun(said[0]):  # "Bored out of my mind"
        candidates.append(["Easing", *bare_noun(said[0]).split()])
    if gift:  # the topic's own name for what it brings: "Morning Gratitude", "Inner Peace"
        candidates.append(gift.split())
    candidates += [*lead, goal]  # a gift found: "Finding Courage"
    for words in candidates:
        own = [w.lower() for w in words if w.lower() not in SMALL]
        if _readable(words) and len(set(own)) == len(own):  # never "Deep Sleep before Sleep"
            return _title_case(" ".join(words)).split()
    return _title_case(" ".join([*goal, "Meditation"][-3:])).split()
