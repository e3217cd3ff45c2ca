"""The topic's heart: its key nouns and the one setting a script (and its picture) keeps.

"Drifting to sleep on a long overnight train journey" is about a train and a journey: the
script names them in the opening, the body and the close, its imagery stays on the train (no
cabin by a fire, no waves), the picture is a night train window and the tags say "train". A
topic that names no place gets one setting chosen from its words, the same every time. Key
nouns are read generally (the topic's content words, not a list of examples). Pure functions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from archibald.pipelines.meditation.listener import (TIMES as _TIMES, past_event,
                                                     scene_clause, status_clause)
from archibald.pipelines.meditation.people import is_person, singular
from archibald.pipelines.meditation.places import IMAGERY, Place, find_place
from archibald.pipelines.meditation.practices import after_name, named_practice, said_topic
from archibald.pipelines.meditation.sentences import present_state
from archibald.pipelines.meditation.topic import read_topic
from archibald.pipelines.meditation.wishes import Session, activity, named_session, wish
from archibald.pipelines.meditation.words import (BEING, BODY, SENSING, SMALL, clause, core_topic,
                                                  doing,
                                                  indefinite,
                                                  helped, imperative, is_adjective, is_noun,
                                                  is_verb, lower_first, opening_feeling,
                                                  question, said_to_listener, to_listener,
                                                  topic_words)

__all__ = ["Setting", "SETTINGS", "key_nouns", "topic_setting", "heart_lines", "mixed_settings", "foreign_marks",
           "names_nouns"]


@dataclass(frozen=True)
class Setting:
    """One place: the topic words that name it, the scene drawn for it, the words the
    script's imagery uses (place, what is seen, heard, felt, smelt, the warmth, a simile), and
    words another setting's imagery would give away (``foreign``: what this one never says)."""

    name: str
    words: tuple[str, ...]
    scene: str
    place: str
    sight: tuple[str, ...]
    sound: tuple[str, ...]
    touch: tuple[str, ...]
    scent: tuple[str, ...]
    warmth: tuple[str, ...]
    image: tuple[str, ...]
    marks: tuple[str, ...]
    #: the light of a place the topic names (see :func:`topic_setting`), else the setting's
    glow: str = ""

    @property
    def light(self) -> str:
        """The light of this place, as a noun phrase ("the moon", "a reading lamp")."""
        return self.glow or _LIGHTS.get(self.name, "a soft, warm light")


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("train", ("train", "railway", "rail", "carriage", "sleeper"), "train",
            "a quiet sleeper compartment on a night train",
            ("the dark window and the lights passing far away", "your reflection, soft in the glass"),
            ("the steady rhythm of the wheels on the rails", "the soft hum of the carriage"),
            ("the gentle sway of the carriage", "the cool glass of the window"),
            ("clean linen", "warm tea in a paper cup"),
            ("the warmth of the blanket over your knees", "the small reading lamp's glow"),
            ("like the rocking of a carriage", "like the rhythm of the rails"),
            ("train", "carriage", "rails", "compartment")),
    Setting("river", ("river", "stream", "creek", "brook", "riverbank"), "river",
            "a quiet spot on the bank of a slow river",
            ("the water flowing past, unhurried", "light moving on the current"),
            ("the river murmuring over the stones", "birds along the bank"),
            ("the cool grass under your hands", "a light breeze from the water"),
            ("fresh water and wet stones", "green reeds"),
            ("the sun on your shoulders", "warm air rising from the bank"),
            ("like a river flowing on", "like water finding its way downstream"),
            ("river", "current", "riverbank", "downstream")),
    Setting("sea", ("sea", "ocean", "beach", "shore", "coast", "sailboat", "boat", "yacht",
                    "harbour", "harbor", "anchor", "island", "waves", "tide", "ferry", "ship",
                    "cruise", "sailing"), "water",
            "a boat resting at anchor on a calm sea",
            ("the open water, blue and wide", "the horizon, still and far"),
            ("small waves lapping against the hull", "a gull calling far away"),
            ("the gentle rocking of the boat", "the salt breeze on your face"),
            ("salt air", "the warm wood of the deck"),
            ("the sun warming the deck", "the warm air over the water"),
            ("like the slow rise and fall of the sea", "like a boat at anchor"),
            ("waves", "ocean", "tide", "sea", "hull", "shore")),
    Setting("lake", ("lake", "pond", "lakeside"), "water",
            "a quiet spot at the edge of a still lake",
            ("the still water, smooth as glass", "the far shore in soft haze"),
            ("the quiet lapping at the lake's edge", "a bird calling over the water"),
            ("the cool air off the lake", "smooth pebbles under your hand"),
            ("fresh water", "pine from the far shore"),
            ("the sun on the still water", "the warm stones beside you"),
            ("like a still lake", "like ripples settling"),
            ("lake", "lakeside")),
    Setting("cabin", ("cabin", "snow", "snowstorm", "blizzard", "chalet", "lodge", "fireplace",
                      "mountain", "mountains", "winter"), "hills",
            "a warm cabin in the mountains while snow falls outside",
            ("snow falling past the window", "the fire glowing in the hearth"),
            ("the wind softly around the cabin", "the crackle of the fire"),
            ("a heavy, soft blanket", "the warm wooden floor"),
            ("wood smoke", "pine and warm tea"),
            ("the glow of the fire on your skin", "the warmth of the hearth"),
            ("like snow settling", "like a fire burning low"),
            ("cabin", "snow", "fire", "hearth")),
    Setting("city", ("city", "apartment", "flat", "town", "urban", "balcony", "rooftop"), "sky",
            "a quiet room in your apartment high above the city",
            ("the morning light on the rooftops", "the sky above the city"),
            ("the city humming softly far below", "a kettle warming in the kitchen"),
            ("the soft floor under your feet", "the cool air by the window"),
            ("fresh coffee", "clean morning air"),
            ("the light coming through the window", "the warmth of the room"),
            ("like the city waking slowly", "like light filling a room"),
            ("city", "apartment", "rooftops")),
    Setting("forest", ("forest", "woods", "wood", "trees", "tree", "garden", "park", "meadow",
                       "hike", "walk"), "forest",
            "a quiet clearing in the woods",
            ("tall trees and soft green light", "ferns at the edge of the path"),
            ("leaves moving in the breeze", "a bird singing somewhere near"),
            ("soft moss under your hands", "the cool shade of the trees"),
            ("pine and damp earth", "fresh leaves"),
            ("sunlight through the leaves", "the warm forest air"),
            ("like roots holding the earth", "like leaves settling"),
            ("forest", "woods", "trees", "clearing", "moss")),
    Setting("room", ("home", "room", "bed", "bedroom", "house", "office", "desk", "hospital",
                     "clinic", "school", "dentist"), "candle",
            "a quiet room where a single candle burns",
            ("the candle's small, steady flame", "soft light on the walls"),
            ("the quiet of the room", "your own slow breath"),
            ("the chair or floor holding you", "the soft air of the room"),
            ("warm wax", "clean linen"),
            ("the candle's glow", "the warmth of the room"),
            ("like a candle burning steadily", "like a quiet room at dusk"),
            ("candle", "flame")),
    Setting("sky", ("sky", "clouds", "sunrise", "sunset", "dawn", "hill", "hills", "valley"),
            "sky", "a quiet spot on a hillside under an open sky",
            ("clouds drifting slowly", "the wide, soft sky"),
            ("the breeze moving through the grass", "a lark high above"),
            ("the grass under your hands", "the breeze on your face"),
            ("summer grass", "clean air"),
            ("the sun on your face", "the warm earth beneath you"),
            ("like clouds drifting", "like an open sky"),
            ("clouds", "hillside", "sky")),
)}
_LIGHTS = {"train": "a small reading lamp", "river": "the sun on the water",
           "sea": "the sun over the water", "lake": "the evening sun", "cabin": "the fire",
           "city": "the morning sun", "forest": "the sun through the leaves",
           "room": "a single candle", "sky": "the open sky"}
#: where a topic that names no place rests, by its goal
_DEFAULT = {"sleep": "room", "grief": "room", "focus": "room", "gratitude": "sky",
            "energy": "sky", "confidence": "sky", "letting-go": "river", "rest": "forest"}

_STOP = frozenset("""a an the of for to in on at by with after before during from into onto over
under about and or but my your our their this that these those some any all it its me you we
they i is are be being been am was were do does doing go going get getting gets let lets
letting losing drifting resting unwinding finding feeling falling calming easing settling
long overnight new little short deep quiet busy first last big small tiny very more most less
minute minutes meditation guided session practice way ways time times day one two three ten
just really so how what when where who why while as up down off out away back through
beside near across toward towards along around behind between beyond inside outside within
without against among upon via till until than then slow gentle soft quick easy good great
whole""".split())
#: setting words that say what the weather, the hour or the listener is doing, not where they
#: are: a place the topic names comes first ("a walk along the beach" is on the beach)
_SCENE_WORDS = frozenset({"snow", "snowstorm", "blizzard", "winter", "sunrise", "sunset",
                          "dawn", "clouds", "waves", "tide", "sailing", "cruise", "walk",
                          "hike"})


@lru_cache(maxsize=512)
def key_nouns(topic: str) -> tuple[str, ...]:
    """The topic's key nouns, in order: the emotion, the person, the place, the vehicle
    ("anger", "argument", "sibling"): content words that are not verbs, adjectives ("stuck",
    "nervous", "overwhelmed": how the listener is, not a thing), small words or a meditation's
    own vocabulary (see :mod:`archibald.pipelines.meditation.words`)."""
    out: list[str] = []
    for w in topic_words(topic):
        if len(w) < 3 or w in _STOP or w in out or not is_noun(w):
            continue
        out.append(w)
    return tuple(out)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z'-]*", text.lower())


@lru_cache(maxsize=512)
def topic_setting(topic: str, goal: str = "calm") -> Setting:
    """The one setting for ``topic``: the first place it names ("a train is a train"; "a
    hospital waiting room" is that room, with its own imagery, drawn as the nearest setting's
    picture, see :mod:`archibald.pipelines.meditation.places`), else the weather or the walk it
    names, else one its goal suits, else one chosen from its words (the same topic, the same
    setting)."""
    words = _words(topic)
    scene = None
    for i, w in enumerate(words):
        found = find_place(topic, i)
        if found is not None and found[0] == i:
            return _at(found[1])
        for s in SETTINGS.values():
            if w in s.words or w.rstrip("s") in s.words:
                if w not in _SCENE_WORDS and w.rstrip("s") not in _SCENE_WORDS:
                    return s
                scene = scene or s
    if scene is not None:
        return scene
    if goal in _DEFAULT:
        return SETTINGS[_DEFAULT[goal]]
    digest = hashlib.sha256(topic.strip().lower().encode()).digest()
    return SETTINGS[("forest", "lake", "sky", "river")[digest[0] % 4]]


def _at(place: Place) -> Setting:
    """The setting for a place the topic names: the nearest setting, the listener put in the
    place itself, with the imagery of its kind."""
    kind = IMAGERY[place.kind]
    base = SETTINGS[kind.base]
    senses = {k: getattr(kind, k) for k in ("sight", "sound", "touch", "scent", "warmth",
                                            "image") if getattr(kind, k)}
    return dataclasses.replace(base, place=place.where, marks=(*kind.keep, *place.words),
                               glow=kind.light, **senses)


def _phrase(topic: str) -> str:
    text = said_to_listener(topic)
    return lower_first(text) if not re.match(r"(?:I|You)\b", text) else text


_PREPS = frozenset({"before", "after", "during", "when", "while", "at", "in", "on", "for",
                    "between", "through", "ahead"})


def _frame(what: str) -> str:
    """How the topic's phrase reads after "for": a thing ("grief after a loss"), a time or
    place ("before a recital"), how the listener is ("nervous before an interview") or what
    they want to do ("let go of the day")."""
    words = what.lower().split()
    if words[:1] in (["too"], ["so"]) and len(words) > 2 and is_adjective(words[1]):
        words = words[1:]  # "too tired to sleep": a state, its "too" kept (see degree)
        what = what.split(" ", 1)[1]
    first = words[0].strip(",;") if words else ""
    if first in _PREPS:
        return "time"
    if is_verb(first) and not first.endswith("ing") and not is_noun(first):
        return "doing"
    if is_adjective(first):  # "nervous before", "lost and lonely in": a state, no noun follows
        for w in what.lower().replace(",", " , ").split()[1:]:  # "tired, wired and ...": states
            if w in BODY:  # "sore back after gardening": a part of the body, as it is
                return "thing"
            if w in SMALL and w != "and" or w == ",":
                return "state"
            if is_noun(w) and not is_adjective(w):
                return "thing"
        return "state"
    return "thing"


#: what may follow a listener named as the topic, and say when ("Tired nurse after a shift")
_WHEN = frozenset("after before during at on in between".split())
#: a topic said as what one has and what one lacks ("New baby, no sleep", "Deadlines, zero
#: time"): two parts, the second a lack
_LACKING = re.compile(r"^([^,;]+?)\s*[,;]\s*((?:no(?! matter)|zero|not enough|little|hardly any)"
                      r"\s+[^,;]+)$", re.IGNORECASE)


#: what counts the listener's times (listener.TIMES) ("First day of retirement": "your first day")
_COUNTED = frozenset("first last final second third next".split())


def _the_time(what: str) -> str:
    """A time the topic names bare, as a sentence says it: a time before, after or of
    something is that one ("Night before chemo": "the night before chemo", "Morning of my
    wedding": "the morning of your wedding"), a counted one the listener's ("First day of
    retirement": "your first day of retirement"); "" for any other phrase."""
    words = what.lower().split()
    if len(words) > 1 and words[0] in _TIMES and words[1] in ("before", "after", "of"):
        return f"the {what}"
    if len(words) > 1 and words[0] in _COUNTED and words[1] in _TIMES and (
            len(words) == 2 or words[2] in _PREPS | {"of", "as", "back", "without"}):
        return f"your {what}"
    return ""


def _article(what: str) -> str:
    """A thing the topic names bare, after an adjective, takes an article when it is one
    ("peaceful evening": "a peaceful evening"; "anxious thoughts" stay as they are); a time
    takes its own (see :func:`_the_time`)."""
    if _the_time(what):
        return _the_time(what)
    words = what.split()
    aching = len(words) > 1 and words[0] in SENSING and words[1] in BODY  # "a throbbing
    if not words or not (is_adjective(words[0]) or aching) or words[0] in SMALL:  # head"
        return what
    head = next((w for w in words[1:] if not is_adjective(w)), "")
    if not (is_noun(head) or head in BODY) or head.endswith("s") or head in ("feet", "skin"):
        return what
    return indefinite(what)


#: what a session does with a feeling a topic opens with, said as the listener's act
_ACTS = {"Letting Go of": "let go of", "Finding Comfort in": "find comfort in",
         "Easing": "ease", "Finding": "find"}



def heart_lines(topic: str, sleep: bool) -> tuple[str, str, str]:
    """The opening, body and closing sentences that name the topic whole (its key nouns in a
    sentence, not pasted, said to the listener: "my" is "your"): said once each, framed by
    what the topic is (a thing, a time, a state, something to do)."""
    topic = core_topic(topic)  # "10 minutes of calm ...": the session's length is its own
    practice = named_practice(topic)
    if practice is not None and practice.leads:  # "Yoga nidra for sleep": what it is, whole
        kind = practice.kind
        what = " ".join([indefinite(kind), *after_name(practice, topic)])
        return (f"This session is {what}.", f"You came here for {what}.",
                f"Let this {kind} carry you gently toward sleep." if sleep else
                f"This {kind} is ending; take it with you.")
    if practice is not None:  # "Sleep with PMR": said aloud, "... with progressive muscle ..."
        topic = said_topic(topic)
    wished = wish(topic)
    if wished is not None and (wished.with_help or not wished.act):  # "Help me through a
        # breakup", "Help me PLEASE": the help itself
        return (f"This session is here to help you {wished.act}".rstrip() + ".",
                f"You came here for help {wished.act}".rstrip() + ".",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take it with you.")
    if wished is not None:  # "Help me fall asleep", "I need to calm down": what they wish
        return (f"This session is here to help you {wished.act}.",
                f"You came here to {wished.act}.",
                "Let this time carry you gently toward sleep." if sleep else
                f"This time to {wished.act} is ending; take it with you.")
    session = named_session(topic)
    if session is not None:  # "Morning meditation for nurses": the session is named
        return _session_lines(topic, session, sleep)
    what = _phrase(topic)
    person = read_topic(topic).person  # "for an exhausted nurse": said to them, as "you"
    if person and person in what.lower() and what.lower().index(person) > 0:
        i = what.lower().index(person)
        rest = _phrase((what[:i] + what[i + len(person):]).strip())
        if rest and not rest.split()[-1] in SMALL:
            opening, body, close = heart_lines(rest, sleep)
            who = to_listener(person.split(" ", 1)[1])  # "an exhausted nurse", "nurses"
            return f"This session is for you, {who}.", body, close
    bare = topic_words(topic)
    scenery = next((st for st in SETTINGS.values() if st.name not in ("room", "city") and
                    bare and bare[-1] in st.words), None)
    spot = find_place(topic) if 0 < len(bare) <= 2 else None
    if (scenery or spot) and len(bare) <= 2 and not is_person(bare[-1]) and all(
            is_noun(w) and not is_adjective(w) and w not in SMALL for w in bare):
        # a place or a scene named alone ("Ocean", "Forest", "Library"): where the session
        # takes the listener (the place as the topic says it, else as its imagery draws it),
        # never "This session is for ocean"
        where = f"is a quiet time {spot[1].said or spot[1].prep + ' ' + spot[1].phrase}" \
            if spot else f"takes you to {scenery.place}" if scenery else ""
        return (f"This session {where}.",
                "You came here for a quiet while there.",
                "Let this place carry you gently toward sleep." if sleep else
                "This time is ending; take its quiet with you.")
    named = what.lower().split()
    at = next((i for i, w in enumerate(named) if w in SMALL), len(named))
    if 0 < at <= 4 and is_person(named[at - 1]) and \
            not any(w in SMALL or is_person(w) for w in named[:at - 1]) and \
            (at == len(named) or named[at] in _WHEN) and not (imperative(topic) or doing(topic)):
        # the topic is the listener ("Light sleeper", "Exhausted nurse", "Anxious nurses",
        # "Tired nurse after a night shift"): said to them, never "You came here for an
        # exhausted nurse"
        who = " ".join(what.split()[:at])
        who = who if singular(named[at - 1]) != named[at - 1] else indefinite(who)
        when = " ".join(what.split()[at:])
        return (f"This session is for you, {who}{', ' + when if when else ''}.",
                f"You came here {when + ', ' if when else ''}just as you are.",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take it with you.")
    lacking = _LACKING.match(what)
    had = topic_words(lacking[1])[-1:] if lacking else []
    if lacking and had and is_noun(had[0]) and not is_adjective(had[0]):
        # "New baby, no sleep": what the listener has, and what they go without
        has, without = _article(lacking[1].strip()), lacking[2].strip()
        had = has.lower().split()
        if len(had) == 2 and had[0].endswith("ing") and is_noun(had[1]) and \
                singular(had[1]) == had[1]:  # "Teething baby, no sleep": "a teething baby"
            has = indefinite(has)
        return (f"This session is for when it's {has} and {without}.",
                f"You came here with {has} and {without}.",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take it with you.")
    status = status_clause(topic)
    if status:  # "Recently divorced": where their life stands, never "the times you feel" it
        once = status.startswith("you were")
        what = status.split(" ", 2)[2]
        return (f"This session is for you, {'if' if once else 'now that'} {status}.",
                f"You came here as someone who was {what}." if once else
                f"You came here in this season of your life, {what}.",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take its quiet with you into the days ahead.")
    happened = past_event(topic)
    if happened is not None:  # "Lost my job today": the day it happened, and what is after it
        # (when what happened already says its day or night, "the day the kids fought all
        # day" would say it twice: "for when the kids fought all day")
        when = "when" if re.search(rf"\b{happened.at}s?\b", happened.past_bare) else \
            f"the {happened.at}"
        return (f"This session is for {when} {happened.past_bare}." if happened.day else
                f"This session is for you, after {happened.past}.",
                f"You came here after {happened.doing}.",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take its quiet with you into the days ahead.")
    state = present_state(topic)  # "My knees hurt", "My hands shake": for when they do
    said = "" if state else clause(topic)
    if said or state:  # what the listener says of themselves: "I can't sleep", "Can't stop"
        yours = bool(said) and said.split()[0] not in ("you", "you're", "you've", "you'll",
                                                       "you'd")
        said = said or state
        return (f"This session is for you, now that {said}." if yours else  # "your cat died"
                f"This session is for when {said}.", f"You came here because {said}.",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take its quiet with you into the days ahead." if yours
                else f"This time is ending; take it with you for the next time {said}.")
    asked = question(topic)
    if asked:  # "What if I fail?": the listener's own question, in their words
        said = asked if re.match(r"I\b", asked) else lower_first(asked)
        return (f"This session is for the moments you ask yourself: {said}",
                f"You came here asking: {said}",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take its quiet with you into the days ahead.")
    many = re.match(r"too (much|many)\b", what, re.IGNORECASE)
    if many:  # "Too much on my mind", "Too many tabs open": there is too much of it
        what = lower_first(what)
        return (f"This session is for when there {'are' if many[1].lower() == 'many' else 'is'}"
                f" {what}.", f"You came here with {what}.",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take it with you.")
    scene = scene_clause(topic)
    if scene:  # something going on around the listener ("Baby crying all night"): for when
        # it is, never "This session is for baby crying all night"
        return (f"This session is for when {scene}.", f"You came here while {scene}.",
                "Let this time carry you gently toward sleep." if sleep else
                "This time is ending; take it with you.")
    told = "" if activity(topic) else imperative(topic)  # "Breathe through it": what the
    # session helps the listener do (never "Slow mindful walking", an activity)
    act = "" if told else doing(topic)
    helps = helped(act)  # "Letting go of anger": "here to help you let go of anger"
    if helps:
        act, what = "", helps
    if act:  # "Waiting for test results", "Quitting smoking": what the listener is doing
        return (f"This session is for the times you are {act}.",
                f"You came here while {act}.",
                "Let this time carry you gently toward sleep." if sleep else
                f"This time is ending; take it with you while {act}.")
    if told:
        what = told
    frame = "doing" if helps or told else "thing" if activity(topic) else _frame(what)
    verb, feeling = opening_feeling(topic)  # "shame after ...": the session lets it go
    if verb in _ACTS and re.sub(r"[,;]", "", what.lower()).startswith(feeling.lower()):
        # "Anxiety, panic and racing thoughts": "here to help you ease anxiety, panic and ..."
        what, frame = f"{_ACTS[verb]} {what}", "doing"
    if frame == "time":
        opening, body = f"This session is for you, {what}.", f"You came here for a pause {what}."
        rest = f"this quiet time {what}"
    elif frame == "state" and what.split()[0].lower() in BEING:  # "awake at 3am"
        opening = f"This session is for the times you are {what}."
        body, rest = f"You came here {what}.", "this quiet time"
    elif frame == "state":
        opening = f"This session is for the times you feel {what}."
        body = f"You came here feeling {what}."
        rest = f"this time for feeling {what}"
    elif frame == "doing":
        opening, body = f"This session is here to help you {what}.", f"You came here to {what}."
        rest = f"this time to {what}"
    else:
        what = what if activity(topic) else _article(what)  # "mindful eating", no "a"
        opening, body = f"This session is for {what}.", f"You came here for {what}."
        rest = f"this time for {what}"
    close = (f"Let {rest} carry you gently toward sleep." if sleep else
             f"{rest[:1].upper()}{rest[1:]} is ending; take it with you.")
    return opening, body, close


def _session_lines(topic: str, session: Session, sleep: bool) -> tuple[str, str, str]:
    """The heart of a topic that names its meditation: for its listener ("This session is for
    you, kids, before school"), or the meditation and what it is for ("This session is a
    walking meditation in the park"); "meditation" is never the listener's trouble."""
    person, rest = read_topic(topic).person, session.rest
    close = (f"Let this {session.kind} carry you gently toward sleep." if sleep else
             f"This {session.kind} is ending; take it with you.")
    if not person or not rest.lower().startswith(person):
        said = f"{session.said} {rest}".strip()
        return f"This session is {said}.", f"You came here for {said}.", close
    who, after = to_listener(person.split(" ", 1)[1]), rest[len(person):].strip(" ,")
    if not after:  # "Morning meditation for nurses"
        return f"This session is for you, {who}.", f"You came here for {session.said}.", close
    if _frame(after) == "time":  # "... for kids before school": a pause before school
        _, body, end = heart_lines(after, sleep)
        return f"This session is for you, {who}, {after}.", body, end
    return (f"This session is for you, {who}, {after}.",
            f"You came here for {session.said}.", close)


def _others(setting: Setting) -> list[Setting]:
    """The settings whose imagery is not this one's (a place the topic names drops even its
    base setting's, unless its kind keeps them)."""
    return [s for s in SETTINGS.values()
            if s is not setting and not set(s.marks) <= set(setting.marks)]


def foreign_marks(setting: Setting, topic: str = "") -> re.Pattern[str]:
    """What a script in ``setting`` never says: the other settings' marks (those the topic
    itself does not name), as one pattern over lower-case text."""
    own = set(setting.marks) | set(_words(topic))
    marks = sorted({m for s in _others(setting) for m in s.marks} - own)
    return re.compile(r"\b(?:" + "|".join(re.escape(m) for m in marks) + r")\b")


def names_nouns(text: str, nouns: tuple[str, ...]) -> bool:
    """Whether every key noun is said in ``text`` (as a word, plural allowed)."""
    low = text.lower()
    return all(re.search(rf"\b{re.escape(n)}(?:s|es)?\b", low) for n in nouns)


def mixed_settings(text: str, setting: Setting, topic: str = "") -> list[str]:
    """The other settings whose marks ``text`` says (a cabin's fire on a train, waves on a
    river): their names, or []. Marks the topic itself says are not counted."""
    low = text.lower()
    own = set(setting.marks) | set(_words(topic))
    out = []
    for s in _others(setting):
        if any(m not in own and re.search(rf"\b{re.escape(m)}\b", low) for m in s.marks):
            out.append(s.name)
    return out
