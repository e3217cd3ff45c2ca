"""Research and concept: the offline brief, the title that agrees with the length, the hook
said in the first two seconds, and the adopters and checks of both."""

from __future__ import annotations

import dataclasses
import random
import re
from typing import Any
from ...script.model import (words)
from ...core.tasks import Context, Task
from .timing import (_HASHTAG, _PROBLEM, _hook_fits, _json_object, _seconds, _seed, _title_case,
                     length_agrees, said_seconds, without_length)


# -- research and concept ---------------------------------------------------------------------
def _brief(topic: str, seed: int) -> dict[str, Any]:
    from ..meditation.research import research as run_research

    # no month: the same topic and seed give the same Short whatever the date
    return dataclasses.asdict(run_research(topic, seed=seed))


async def research(task: Task, context: Context) -> dict[str, Any]:
    """The meditation's market research, for a Short: angles from the catalogue."""
    return {"brief": _brief(str(task.inputs["topic"]), _seed(task, context))}


def adopt_research(task: Task, text: str) -> dict[str, Any]:
    """A research model's findings, as notes on the offline brief."""
    brief = _brief(str(task.inputs["topic"]), _seed(task))
    brief["notes"] = [*brief["notes"], text.strip()[:2000]]
    return {"brief": brief}


def check_research(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from ...quality.text import check_research as check

    brief = artifact.get("brief")
    if not isinstance(brief, dict):
        return 0.0, {"error": "no brief"}
    return check(brief, str(task.inputs.get("topic", "")))


def _seconds_words(seconds: float) -> str:
    from ...script.speakable import number_words

    return number_words(int(round(seconds)))


def length_words(seconds: float) -> tuple[str, str]:
    """The Short's length said: ("ninety-second", "ninety seconds") up to 99 s, then in whole
    or half minutes ("two-minute", "two minutes"; "two and a half minutes")."""
    from ...script.speakable import number_words

    if seconds < 99.5:
        n = _seconds_words(seconds)
        return f"{n}-second", f"{n} seconds"
    halves = int(round(seconds / 30.0))
    whole = number_words(halves // 2)
    if halves % 2:
        return f"{whole}-and-a-half-minute", f"{whole} and a half minutes"
    return f"{whole}-minute", f"{whole} minute{'s' if halves != 2 else ''}"


def short_title(topic: str, seconds: float, theme: str = "") -> str:
    """'Calm Before the Interview in 45 Seconds #Shorts': the benefit for the topic's
    situation, the length, and #Shorts, at most 100 characters (phrases left out whole)."""
    from ...quality.text import coverage
    from ..meditation.catalogue import catalogue
    from ..meditation.listener import past_event
    from ..meditation.practices import named_practice
    from ..meditation.topic import goal_words, read_topic
    from ..meditation.words import (core_topic, question, said_to_listener, to_listener,
                                    wanted_states)
    from ..meditation.wishes import named_session, wish

    wished, secs = wish(topic), f"{int(round(seconds))} Seconds"
    if wished is not None:  # "Help me fall asleep": "Help to Fall Asleep in 45 Seconds",
        # the wish as the long title starts (help to it, never a promise of it in 45 s)
        aim = f"{wished.head} in {secs} {_HASHTAG}"
        if len(aim) <= 100:
            return aim
    session = named_session(topic)
    if session is not None and (session.own or session.rest) and \
            not read_topic(core_topic(topic)).audience:  # "A 45-Second Walking Meditation
        # in the Park", as the long title says it
        aim = _title_case(f"a {secs[:-1].replace(' ', '-')} {session.kind} {session.rest}")
        if len(f"{aim} {_HASHTAG}") <= 100:
            return f"{aim} {_HASHTAG}"
    asked = question(topic)
    if asked:  # the viewer's own question, then what the Short is: "What If I Fail? A ..."
        aim = f"{_title_case(asked)} A {int(round(seconds))}-Second Reset {_HASHTAG}"
        if len(aim) <= 100:
            return aim
    topic = core_topic(topic)               # the title says the Short's own length, once
    if len(wanted_states(topic)) > 1:  # a list of states is said as typed: "Calm, Clear and
        topic = topic.split(" ", 1)[1]  # Focused in 45 Seconds" (not "Feeling Calm, ...")
    reading = read_topic(topic)
    benefit = goal_words(reading)
    if benefit == "Calm" and theme in catalogue()["themes"] and not reading.situation:
        benefit = str(catalogue()["themes"][theme]["benefit"])
    situation = _title_case(to_listener(reading.situation))  # "Before Your Driving Test"
    people = _title_case(to_listener(reading.audience))
    own = _title_case(re.sub(r"\s+", " ", said_to_listener(topic).strip()))
    reset = reset_phrase(topic)
    candidates = [f"A {int(round(seconds))}-Second Reset {reset}" if reset else "",
                  f"{benefit} {situation} for {people} in {secs}" if people else "",
                  f"{benefit} {situation} in {secs}" if situation else "",
                  f"{own} in {secs}", f"{own}: a {secs[:-1]} Breathing Reset",
                  f"{benefit} in {secs}"]
    practice = named_practice(topic)
    if practice is not None and practice.leads:  # "Breathwork Before a Presentation in
        candidates.insert(0, f"{own} in {secs}")  # 45 Seconds": the practice it asks for
    fitting = [f"{re.sub(' +', ' ', c).strip()} {_HASHTAG}" for c in candidates if c]
    fitting = [t for t in fitting if len(t) <= 100]
    if reset and past_event(topic) is not None and fitting:  # "A 45-Second Reset After Losing
        return fitting[0]  # Your Job": the past said as done ("lost" is "losing")
    # the first that names most of the topic (its own words are always there to fall back on)
    for title in fitting:
        if coverage(title, topic)[0] >= 0.6:
            return title
    return fitting[0] if fitting else f"{benefit} in {secs} {_HASHTAG}"


def reset_phrase(topic: str) -> str:
    """How a Short's title says a topic that cannot be had "in 45 seconds": what happened or
    how the listener is ("for When Your Cat Died", "for When You're Awake at 3am"), what
    they are in the middle of ("While Quitting Smoking") or where and when ("at Your Desk",
    "Between Meetings"); "" for a topic that can ("Calm Before an Exam in 45 Seconds")."""
    from ..meditation.listener import body_state, felt_phrase, past_event, title_case
    from ..meditation.words import core_topic, doing, helped, said_to_listener, to_listener
    from ..meditation.wishes import named_session, wish

    core = core_topic(topic)
    if wish(core) is not None or named_session(core) is not None:
        return ""  # a wish or a meditation the topic names is had in 45 seconds, as said
    happened = past_event(core)
    if happened is not None:  # "After Losing Your Job"
        return happened.after
    felt = felt_phrase(core)
    if felt:
        return f"for {felt}"
    body = body_state(core)
    if body:  # "for a Sore Back After Gardening", never "Calm After Gardening"
        return f"for {title_case(body, lower_first=True)}"
    act = doing(core)
    if act and not helped(act):  # "Feeling happy", "Letting go ...": had, not a reset
        return f"While {_title_case(act)}"
    prep, _, rest = said_to_listener(core).partition(" ")
    if prep.lower() in _PLACE_PREPS and rest:  # "at Your Desk", "between Meetings"
        said = prep.lower() if len(prep) <= 3 else prep.capitalize()  # "at", "Between"
        return f"{said} {_title_case(f'{prep} {to_listener(rest)}').split(' ', 1)[1]}"
    return ""


def _reset_cover(reset: str) -> list[str]:
    """The cover's words of a reset title: its phrase, without what only leads into it
    ("for When Your Cat Died": "When Your Cat Died"; "... You Feel Anxious Tonight":
    "Anxious Tonight"; "While Quitting Smoking": "Quitting Smoking"); [] for one too long
    to say whole."""
    from ..meditation.words import is_adjective, is_noun

    ws = reset.split()
    ws = ws[1:] if ws[:1] == ["for"] else ws
    ws = ws[1:] if ws[:1] in (["a"], ["an"]) else ws  # "a Sore Back After Gardening"
    for lead in (["When", "You", "Feel"], ["When", "You're"], ["When", "You"], ["When"],
                 ["While"]):
        if len(ws) > 4 or lead == ["While"]:
            ws = ws[len(lead):] if ws[:len(lead)] == lead and len(ws) > len(lead) + 1 else ws
    if 2 <= len(ws) <= 4:
        return _title_case(" ".join(ws)).split()
    # too long to say whole: its opening, unless cut inside a phrase or on a verb ("After
    # Snapping"); then [], and the cover is the thumbnail's words ("Jealous of Best Friend",
    # not "Jealous of Your Best")
    said = cover_words(" ".join(ws))  # "Caring for Your Mum", not "Caring For ..."
    last = said[-1].lower() if said else ""
    plain = [w for w in ws if w.lower() not in _SMALL]
    cut = said == plain[:len(said)] and len(said) < len(plain) and \
        plain[len(said)].lower() not in _BOUNDARY  # "Envious of Your Older | Brother"
    return [] if cut or is_adjective(last) or last.endswith("ing") and not is_noun(last) \
        or last in ("you", "your") else said  # never "After Nightmare Woke You"


#: a topic that starts with one of these says where or when, not what ("At my desk")
_PLACE_PREPS = {"at", "in", "on", "between", "during", "while", "when"}


def _hook_for(topic: str, seed: int) -> str:
    """The first sentence: a short question the viewer answers yes to, naming the topic."""
    from ..meditation.listener import past_event
    from ..meditation.practices import named_practice
    from ..meditation.topic import read_topic
    from ..meditation.words import core_topic, question, to_listener, wanted_states
    from ..meditation.wishes import wish

    reading = read_topic(without_length(topic))
    happened = past_event(core_topic(without_length(topic)))
    phrase = re.sub(r"\s+", " ", without_length(topic).strip().rstrip("?.!")).strip()
    rng = random.Random(f"hook|{seed}|{topic}")
    own: list[str] = []                     # questions that name the topic itself
    wished = wish(without_length(topic))
    if wished is not None:                  # the viewer's own want: "Need to calm down?"
        own.append(wished.hook)
    asked = question(topic)
    if asked and wished is None:            # the viewer's own: "What if I fail?"
        own.append(asked)
    practice = named_practice(topic)
    leads = practice is not None and practice.leads  # its hook is the practice (below)
    if _PROBLEM.search(phrase) and not leads:  # "I can't sleep": "Can't sleep?", a viewer's
        phrase = to_listener(re.sub(r"^I\s+(?=\w+n't\b)", "", phrase))  # own words,
        own.append(f"{phrase[:1].upper()}{phrase[1:]}?")  # said back ("about your dog")
    elif len(words(phrase)) <= 5 and not leads and _how_they_are(topic):
        back = to_listener(phrase)  # "Bored out of your mind?", "Caring for your mum?"
        own.append(f"{back[:1].upper()}{back[1:]}?")
    elif happened is not None and not happened.subject and len(words(phrase)) <= 6:
        # "Lost your job today?" (never "Your boss yelled at you?": what befell them), or
        # shorter: without its time ("Crashed your car?"), without what follows the deed
        # ("Just broke up?", "Made a mistake?")
        for said in (happened.past, happened.past_bare, _deed(happened.past_bare)):
            back = said.removeprefix("you ")
            if back:
                own.append(f"{back[:1].upper()}{back[1:]}?")
    elif len(words(phrase)) <= 4 and not leads and re.search(
            r"\b(calm|rest|sleep|focus|energy|peace|quiet|courage|kindness|comfort|clarity|"
            r"relief|relaxation|stillness|patience|confidence|motivation)\b", phrase,
            re.IGNORECASE):
        own.append(f"Need some {phrase.lower()}?")
    if reading.event and reading.ahead:
        own += [f"Nervous about {reading.event}?", f"Dreading {reading.event}?"]
    elif reading.event and re.search(r"\bafter\b", phrase, re.IGNORECASE):
        own += [f"Still carrying {reading.event}?"]
    states = wanted_states(core_topic(topic))
    if states:  # "Want to feel calm?" (a list's first state: the whole list is too long)
        own.append(f"Want to feel {states[0]}?")
    if practice is not None and leads:  # "Try a body scan?", "Try metta?"
        own.append(f"Try {'a ' if practice.counted else ''}{practice.said}?")  # not "pmr"
    by_goal = {"sleep": ["Can't fall asleep?", "Wide awake again?"],
               "focus": ["Can't focus?", "Mind all over the place?"],
               "energy": ["Running on empty?", "Need a fresh start?"],
               "gratitude": ["Need a lift?", "Forgot what's going well?"],
               "letting-go": ["Can't let it go?", "Still holding on?"],
               "kindness": ["Too hard on yourself?", "Need some kindness?"],
               "grief": ["Missing someone today?", "Heavy heart today?"],
               "confidence": ["Need some courage?", "Doubting yourself?"],
               "rest": ["Need to unwind?", "Running on fumes?"],
               "calm": ["Feeling the pressure?", "Need a moment of calm?"]}
    generic = list(by_goal.get(reading.goal, by_goal["calm"]))
    rng.shuffle(generic)                    # the seed varies only the generic ones

    def quick(o: str) -> bool:
        return _hook_fits(o)
    fitting = [o for o in own if quick(o)] or [o for o in generic if quick(o)]
    return fitting[0] if fitting else min(own + generic, key=len)


#: words that open what follows a deed ("broke up | with your girlfriend")
_AFTER_DEED = frozenset("with at in on from for to of about after before during".split())


def _deed(past: str) -> str:
    """A past event said without what follows the deed: "you broke up with your girlfriend":
    "you just broke up"; "you made a mistake at work": "you made a mistake"; "" when nothing
    would be left but the verb ("you yelled at your son")."""
    said = past.split()
    cut = next((i for i, w in enumerate(said) if i > 2 and w in _AFTER_DEED), 0)
    if not cut:
        return ""
    kept = said[:cut]
    return " ".join(["you", "just", *kept[1:]]) if len(kept) == 3 and \
        kept[2] in ("up", "out", "off", "over", "down", "away") else " ".join(kept)


def _how_they_are(topic: str) -> bool:
    """Whether a topic says how the viewer feels, how a part of their body is, or what they
    are in the middle of ("Bored out of my mind", "Sore back after gardening", "Caring for my
    mum"), which a hook can ask back; not what happened to another ("My cat died": "Your cat
    died?" is no question to ask)."""
    from ..meditation.listener import body_state, felt_phrase
    from ..meditation.words import core_topic, doing, helped

    core = core_topic(without_length(topic))
    act = doing(core)
    return felt_phrase(core).startswith("When You Feel ") or bool(act and not helped(act)) \
        or bool(body_state(core))  # "Sore back after gardening?"


_SMALL = {"a", "an", "the"}
_BOUNDARY = {"in", "after", "before", "on", "at", "for", "to", "of", "with", "during", "from",
             "and", "when", "while", "into", "about"}
#: a cover never ends on one of these: each needs the word after it
_DANGLING = _BOUNDARY | _SMALL | {"my", "your", "his", "her", "our", "their", "its", "this",
                                  "that", "is", "are", "was", "were", "am", "be", "out", "up",
                                  "off", "first", "second", "third", "last", "next", "new",
                                  "old", "big", "little", "early", "late"}


def _dangles(word: str) -> bool:
    """Whether a cover cannot end on ``word``: it needs the next ("Your", "First", "Dog's")."""
    w = word.lower()
    return w in _DANGLING or w.endswith(("'s", "’s", "n't")) or w in ("you", "cannot")


def cover_words(title: str) -> list[str]:
    """Two to four words for the cover that read as a phrase, from the title without its
    length and #Shorts ("Calm Before an Exam"; "Comfort in Grief" from "Comfort in Grief After
    Losing a Pet"): the whole head when it is short, else without articles, else its longest
    opening that ends before a preposition; never words picked out of the middle."""
    head = re.sub(r"#\w+", " ", title)
    head = re.sub(r"\s*(?::\s*an?\s+)?\b(?:in\s+)?[\w-]+[\s-]+(?:seconds?|minutes?)\b"
                  r"(?:\s+breathing\s+reset)?", " ", head, flags=re.IGNORECASE)
    found = re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", head)
    if 2 <= len(found) <= 4:
        return found

    def opening_phrase(ws: list[str], least: int) -> list[str]:
        for n in range(min(4, len(ws) - 1), least - 1, -1):
            if ws[n].lower() in _BOUNDARY and ws[n - 1].lower() not in _BOUNDARY | _SMALL:
                return ws[:n]
        return []
    if found and found[0].lower() in _SMALL:
        found = found[1:]                       # "Hum of a Fridge", not "The Hum of a"
    plain = [w for w in found if w.lower() not in _SMALL]
    whole = opening_phrase(found, 3)           # "Waiting for the Kettle", "Comfort in Grief"
    if whole:
        return whole
    if 2 <= len(plain) <= 4:
        return plain                            # "Calm Before Driving Test"
    short_ = opening_phrase(plain, 2)
    if short_ and not _dangles(short_[-1]):
        return short_
    if len(plain) < 2:
        return []
    opening = plain[:4]
    while len(opening) > 2 and opening[-1].lower() in _BOUNDARY:
        opening.pop()
    # a cut that leaves a word needing the next ("Grief After Losing My", "Bored Out"):
    # none, and the thumbnail's words are the cover
    return [] if _dangles(opening[-1]) else opening


def make_short_concept(topic: str, seconds: float, brief: dict[str, Any], *,
                       seed: int = 0) -> dict[str, Any]:
    """The Short's angle: the meditation concept's theme and technique for the topic, a title
    with #Shorts, the hook, the words of the cover and the mood the music and picture take."""
    from ..meditation.stages import brief_from_dict
    from ..meditation.catalogue import catalogue
    from ..meditation.concept import make_concept
    from ..meditation.topic import thumbnail_words
    from ..meditation.wishes import wish
    from ..meditation.words import question

    base = make_concept(without_length(topic), 1.0, brief_from_dict(brief), seed=seed)
    theme = catalogue()["themes"][base.theme]
    title = short_title(topic, seconds, base.theme)
    reset = reset_phrase(topic)
    return {"topic": base.topic, "theme": base.theme, "technique": base.technique,
            "audience": base.audience, "sleep": base.sleep, "seconds": float(seconds),
            "title": title, "hook": _hook_for(topic, seed),
            "words": (_reset_cover(reset) if reset and reset in title else
                      [] if question(topic) or wish(topic) is not None or
                      re.match(r"A \d+-Second ", title) and not reset
                      else cover_words(title)) or
            [w.rstrip("?") for w in thumbnail_words(without_length(topic))[:4]],
            "mood": str(theme["benefit"]).lower()}


async def concept(task: Task, context: Context) -> dict[str, Any]:
    """The local route of the concept stage (task type meditation_concept)."""
    return make_short_concept(str(task.inputs["topic"]), _seconds(task),
                              dict(task.inputs["brief"]), seed=_seed(task, context))


def adopt_concept(task: Task, text: str) -> dict[str, Any]:
    """A model's JSON (theme, technique, title, hook) over the offline concept: what it names
    from the catalogue and what fits the Short is taken, the rest stays."""
    from ..meditation.catalogue import catalogue

    cat = catalogue()
    data = _json_object(text)
    out = make_short_concept(str(task.inputs["topic"]), _seconds(task),
                             dict(task.inputs["brief"]), seed=_seed(task))
    for key, table in (("theme", "themes"), ("technique", "techniques")):
        if data.get(key) in cat[table]:
            out[key] = data[key]
    out["mood"] = str(cat["themes"][out["theme"]]["benefit"]).lower()
    title = re.sub(r"\s+", " ", str(data.get("title", ""))).strip()
    if title and _HASHTAG.lower() not in title.lower():
        title = f"{title} {_HASHTAG}"
    if 0 < len(title) <= 100 and length_agrees(title, _seconds(task)):
        out["title"] = title            # a title that says another length is not taken
        out["words"] = cover_words(title) or out["words"]
    hook = re.sub(r"\s+", " ", str(data.get("hook", ""))).strip()
    if hook and _hook_fits(hook) and length_agrees(hook, _seconds(task)) \
            and re.search(r"[?.!]$", hook):
        out["hook"] = hook
    out["reply_json"] = bool(data)
    return out


def check_concept(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A title YouTube shows as a Short's (#Shorts, at most 100 characters, on the topic), a
    hook said within two seconds, a theme of the catalogue."""
    from ...quality.text import coverage
    from ..meditation.catalogue import catalogue

    if artifact.get("reply_json") is False:
        return 0.0, {"error": "the reply is not the JSON object asked for"}
    title = str(artifact.get("title", ""))
    hook = str(artifact.get("hook", ""))
    on_topic, cov = coverage(f"{title} {hook}", str(task.inputs.get("topic", "")))
    hook_s = said_seconds(hook)
    parts = {"title_length": 1.0 if 0 < len(title) <= 100 else 0.0,
             "shorts_tag": 1.0 if _HASHTAG.lower() in title.lower() else 0.0,
             "on_topic": min(1.0, 2 * on_topic),
             "hook": 1.0 if hook and _hook_fits(hook) else 0.5 if hook else 0.0,
             "theme": 1.0 if artifact.get("theme") in catalogue()["themes"] else 0.0,
             "length_agrees": 1.0 if length_agrees(f"{title} {hook}", _seconds(task))
             else 0.0}
    return round(sum(parts.values()) / len(parts), 4), {
        "parts": parts, "title_chars": len(title), "hook_seconds": round(hook_s, 2),
        "coverage": cov}
