"""The meditation concept: theme, technique, audience, length and a title idea."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archibald.errors import InputError
from archibald.pipelines.meditation.catalogue import catalogue
from archibald.pipelines.meditation.listener import degree, felt_phrase, past_event
from archibald.pipelines.meditation.listener import title_case as _title_case
from archibald.pipelines.meditation.sentences import participle_form
from archibald.pipelines.meditation.places import find_place
from archibald.pipelines.meditation.practices import (Practice, after_name, named_practice,
                                                      spelled, written)
from archibald.pipelines.meditation.topic import goal_words, read_topic
from archibald.pipelines.meditation.wishes import activity, named_session, wish
from archibald.pipelines.meditation.words import (capital, doing, gift_phrase, governed, is_noun,
                                                  is_trouble, lower_first, noun_phrases,
                                                  opening_feeling, said_to_listener,
                                                  to_listener, topic_words, core_topic,
                                                  with_acronyms, imperative, question,
                                                  wanted_states)

if TYPE_CHECKING:
    from archibald.pipelines.meditation.research import ResearchBrief

__all__ = ["Concept", "make_concept", "make_title", "topic_subject", "felt_phrase", "TITLE_MAX"]

TITLE_MAX = 100
_CLOSE = 0.5  # candidates within this of the best score are a seeded choice


@dataclass(frozen=True)
class Concept:
    """What the session is: catalogue ids for theme, technique and audience, and its length."""

    topic: str
    theme: str
    technique: str
    audience: str
    minutes: float
    title: str
    sleep: bool = False
    season: str | None = None


def _minutes_label(minutes: float) -> str:
    return str(int(round(minutes))) if abs(minutes - round(minutes)) < 0.05 else f"{minutes:g}"


def make_title(theme: str, technique: str, minutes: float, *, sleep: bool = False,
               audience: str = "everyone", season: str | None = None,
               topic: str = "", rng: random.Random | None = None) -> str:
    """A title that says the topic's benefit and the length, for whom and when the topic says
    ("10-Minute Body Scan for Nurses: Daytime Sleep After a Night Shift"), at most 100
    characters: phrases are left out whole, never cut. The technique is named when the topic
    names it; the season when there is room."""
    return with_acronyms(_title(theme, technique, minutes, sleep=sleep, audience=audience,
                                season=season, topic=topic, rng=rng), topic)


def _title(theme: str, technique: str, minutes: float, *, sleep: bool, audience: str,
           season: str | None, topic: str, rng: random.Random | None) -> str:
    cat = catalogue()
    rng = rng or random.Random(0)
    m = _minutes_label(minutes)
    topic = core_topic(topic)  # "10 minutes of calm ...": the length is said once, the session's
    reading = read_topic(topic)
    benefit = goal_words(reading) if topic.strip() else cat["themes"][theme]["benefit"]
    if benefit == "Calm" and reading.goal == "calm" and not reading.situation:
        benefit = cat["themes"][theme]["benefit"]  # the theme says more than a bare "calm"
    benefit = benefit[:1].upper() + benefit[1:]  # "a Fresh Start ...": a title's first word
    kind = "Sleep Meditation" if sleep else "Guided Meditation"
    session = named_session(topic)  # "Morning meditation for nurses": its own kind
    kind = _title_case(session.own) if session is not None and session.own else kind
    tech = cat["techniques"][technique]["name"]
    practice = named_practice(topic)  # "Guided imagery for kids": said as the topic says it
    if practice is not None and practice.technique == technique:
        tech = _title_case(written(practice.name))  # "4-7-8 Breathing"
    named_tech = tech.lower() in written(spelled(topic)).lower()  # "4 7 8" is "4-7-8"
    situation = _title_case(to_listener(reading.situation))  # "After Your Grandmother..."
    people = _title_case(reading.audience)
    what = f"{m}-Minute {tech}" if named_tech else f"{m}-Minute {kind}"
    need = f"{benefit} {situation}".strip()
    wished = None if people else wish(topic)
    if wished is not None:  # "Help me fall asleep": "Help to Fall Asleep: 10-Minute ..."
        head = f"{wished.head}: {what}"
        for aim in [f"{head} for {benefit}"] * (not wished.overlaps(benefit) and
                                               not head.startswith("Feeling ")) + [head]:
            if len(aim) <= TITLE_MAX:
                return aim
    asked = question(topic)
    happened = past_event(topic)  # "Quit my job today": what the listener did, no order
    told = "" if asked or people or happened is not None else imperative(topic)
    if asked or told:  # the listener's own question or what they tell themselves, whole:
        # "What If I Fail? 10-Minute ...", "Breathe Through It: 10-Minute ..."
        head = f"{_title_case(asked)} {what}" if asked else f"{_title_case(told)}: {what}"
        for aim in ([head] if benefit.lower() in head.lower() else
                    [f"{head} for {benefit}", head]):  # the benefit, as every title says it
            if len(aim) <= TITLE_MAX:
                return aim
    if happened is not None and not people:  # "After Losing Your Job: 10-Minute ...", never
        # "Lost Your Job Today: ..." (a title outlives the day)
        for aim in (f"{happened.after}: {what} for {benefit}", f"{happened.after}: {what}"):
            if len(aim) <= TITLE_MAX:
                return aim
    # a person after a practice is its audience ("Body scan for nurses"), unless a relation
    # ("for my sister") or whom the practice is sent to ("Metta for a difficult colleague")
    sent_to = practice is not None and (
        re.search(r"\b(?:my|your|our)\b", topic, re.IGNORECASE)
        or cat["techniques"][practice.technique].get("sent_to", False))
    if practice is not None and practice.leads and (sent_to or not people):  # what for:
        # "Yoga Nidra for Sleep: 10-Minute Sleep Meditation for Deep Relaxation", the
        # technique's benefit unless the topic says it ("... Muscle Relaxation After ...")
        head = _title_case(written(_completed(practice, topic)))
        said = f"{head}: {m}-Minute {kind}"
        gives = cat["techniques"][practice.technique]["benefit"]
        again = set(topic_words(head)) & set(topic_words(gives)) - {"and", "for"}
        for aim in [f"{said} for {gives}"] * (not again) + [said]:
            if len(aim) <= TITLE_MAX:
                return aim
    if session is not None and not people and (session.rest or session.own):
        # "10-Minute Walking Meditation in the Park", never "Walking Meditation in the Park:
        # 10-Minute Guided Meditation"
        rest = _title_case(session.rest, lower_first=True)
        for aim in ([f"{m}-Minute {kind} {rest}"] if rest else
                    [f"{m}-Minute {kind} for {benefit}", f"{m}-Minute {kind}"]):
            if len(aim) <= TITLE_MAX:
                return aim
    act = "" if people else activity(topic)
    if act:  # "Mindful Dishwashing: 10-Minute Guided Meditation for Stress Relief"
        for aim in (f"{_title_case(act)}: {what} for {benefit}", f"{_title_case(act)}: {what}"):
            if len(aim) <= TITLE_MAX:
                return aim
    candidates = []
    lead = _lead(topic)
    gift = "" if lead or people else gift_phrase(topic)
    named = f"{_title_case(said_to_listener(topic))}: {what}" if gift else ""
    if named and len(named) <= TITLE_MAX:
        # the topic names the benefit in its own words: "Morning Gratitude: 10-Minute ...",
        # never "Gratitude for Morning Gratitude"
        return named
    if lead and not people:  # "Letting Go of Regret After Snapping at Your Kids"
        candidates += [f"{lead}: {what}", f"{what}: {lead}"]
    felt = "" if lead or people else felt_phrase(topic)
    whole = "" if lead or people or felt else _whole(topic)
    if whole:  # "Missing Your Dog: ...", never "Stress Relief for Your Dog"
        # a state to come to is the benefit itself: "Feeling Happy: 10-Minute ...", "Feeling
        # Safe at Home: ...", never "... for Stress Relief"
        candidates += [f"{whole}: {what}"] if benefit.lower() in whole.lower() \
            or wanted_states(topic) else \
            [f"{whole}: {what} for {benefit}", f"{whole}: {what}"]
    if felt.startswith("If "):  # "If You Were Adopted: 10-Minute ...", never "for If"
        candidates += [f"{felt}: {what} for {benefit}", f"{felt}: {what}"]
    elif felt:  # "... for When You Feel Scared of the Dark", never "Stress Relief for the Dark"
        candidates += [f"{what} for {felt}: {benefit}", f"{felt}: {what}"]
    if people:
        candidates.append(f"{what} for {people}: {need}")
    # a situation with no noun ("after caring") says little: the topic's nouns go with it
    nounless = not any(is_noun(w) for w in reading.situation.split())
    subject = "" if people or not nounless else topic_subject(topic, benefit)
    thing = _thing(topic) if subject and not (lead or felt or whole) else ""
    if thing:  # "Toast and Tea at Sunrise: ... for Calm", never "Calm for Toast and Tea"
        if tech.lower() in written(spelled(thing)).lower():  # the technique named once: "The
            what = f"{m}-Minute {kind}"  # 4-7-8 Breath: 10-Minute Guided Meditation ..."
        aim = f"{thing}: {what} for " + (  # "... for a Fresh Start to the Day"
            benefit[:1].lower() + benefit[1:] if benefit.startswith("A ") else benefit)
        if len(aim) <= TITLE_MAX:
            return aim
    if subject:  # what the topic is about, in its own nouns: "in a Hospital Waiting Room"
        need = " ".join(x for x in (benefit, situation, subject) if x)
        candidates.append(f"{need}: {what}")
        candidates.append(f"{what}: {need}" if subject.startswith("for ") else
                          f"{what} for {need}")
    candidates += [f"{what} for {need}", f"{need}: {what}"]
    said = topic.lower()
    if season and any(k in said for k in (cat["seasons"][season]["name"].lower(),
                                          *cat["seasons"][season].get("keywords", ()))):
        # a season the topic names, never the calendar's (issue 25.6)
        candidates.append(f"{m}-Minute {cat['seasons'][season]['name']} Meditation for {benefit}")
    candidates.append(f"{m}-Minute {kind} for {benefit}")
    # the technique named once: "Deep Sleep with a Body Scan: 10-Minute Sleep Meditation"
    candidates = [c.replace(f"{m}-Minute {tech}", f"{m}-Minute {kind}")
                  if c.lower().count(tech.lower()) > 1 else c for c in candidates]
    fitting = [c for c in candidates if len(c) <= TITLE_MAX]
    # the richest that fits, with a seeded choice among the two richest
    if lead and not people and fitting[0].startswith(lead):
        return fitting[0]
    if whole and whole in fitting[0]:
        return fitting[0]
    if felt and felt in fitting[0]:
        return fitting[0]
    best = [c for c in fitting if people in c and situation in c and subject in c] or fitting
    return rng.choice(best[:2])


def _completed(practice: Practice, topic: str) -> str:
    """A topic that leads with a practice, said to the listener, with a bare name whole ("4-7-8
    for panic attacks": "4-7-8 breathing for panic attacks"); an acronym stays as typed
    ("PMR")."""
    said = said_to_listener(spelled(topic))
    if not practice.said.startswith(practice.name + " ") or \
            not said.lower().startswith(practice.name):
        return said
    return " ".join([practice.said, *after_name(practice, topic)])


def _lead(topic: str) -> str:
    """The topic said as what the session does with it, when the topic starts with a feeling
    (its first noun phrase): a feeling held is let go of ("Letting Go of Regret After Snapping
    at Your Kids"), grief is comforted, another trouble eased ("Easing Sports Nerves Before a
    Football Final"), a gift found ("Finding Courage Before ..."); else ""."""
    verb, feeling = opening_feeling(topic)
    if not verb:
        return ""
    said = said_to_listener(topic)
    given = said.split()[0].lower() in ("a", "an")
    article = feeling.split()[0] + " " if feeling.split()[0] in ("a", "an") and not given else ""
    return f"{verb} {article}{_title_case(lower_first(said), lower_first=True)}"


def _whole(topic: str) -> str:
    """The topic whole, as a title's phrase, when what it is about is the object of a verb
    or an idiom ("Missing my dog": "Missing Your Dog"; "Missing home at Christmas") or the
    topic is something the listener is doing ("Waiting for test results", "Quitting
    smoking"), or a state too much so for something ("Too Sad to Get Up", never "Sad to Get
    Up"), so no noun of it alone says what it is about; else ""."""
    phrases, words = noun_phrases(topic), topic_words(topic)
    if len(words) > 8 or not (doing(topic) or degree(topic)
                              or phrases and governed(topic, phrases[0])):
        return ""
    said = said_to_listener(topic)
    return _title_case(said)


def _thing(topic: str) -> str:
    """The topic whole as a title's head, when it is a pleasant thing or a moment of its own,
    its first words a noun phrase that is no trouble and no benefit ("Morning coffee on the
    balcony", "Toast and tea at sunrise"); else "" (those are titled by what they ease)."""
    words, phrases = topic_words(topic), noun_phrases(topic)
    starts = words[1:] if words[:1] in (["a"], ["an"], ["the"]) else words  # "A thunderstorm"
    if not phrases or len(words) > 8 or starts[:len(phrases[0].split())] != phrases[0].split():
        return ""
    if is_trouble(phrases[0]) or set(phrases[0].split()) & _GIVES or read_topic(topic).audience:
        return ""
    said = said_to_listener(topic)
    return _title_case(said)


#: words that say what a session gives, not what it is about (never a title's subject)
_GIVES = frozenset("""calm peace stress anxiety relief rest sleep focus grief gratitude
courage confidence kindness comfort clarity energy relaxation tension worry meditation
session""".split())


def topic_subject(topic: str, benefit: str = "") -> str:
    """What the topic is about as a title's phrase, from its own nouns with the preposition
    and article it gives them: the place it names ("in a Hospital Waiting Room"), else its
    first noun phrase that is not the session's benefit ("at Work", "for Creative Block"), or
    "" when it names none."""
    found = find_place(topic)
    if found is not None:  # in the topic's own words when it says them ("at School")
        said = to_listener(found[1].said) or f"{found[1].prep} {found[1].phrase}"
        return _title_case(said, lower_first=True)
    low = " ".join(topic_words(topic))
    gives = _GIVES | set(topic_words(benefit))
    for phrase in (p for p in noun_phrases(topic) if not set(p.split()) <= gives
                   and not governed(topic, p)):  # never "for Your Dog" from "Missing my dog"
        m = re.search(r"(?:\b(in|at|on|during|through|with|between|by|near|beside|under)\s+)?"
                      r"(?:\b(a|an|the|my|your|this)\s+)?"
                      + re.escape(phrase) + r"\b", low)
        if m is None:
            continue
        det = to_listener(m[2]) if m[2] else ""
        before = low[:m.start()].split()[-1:]
        # "by" is where ("Sit by the sea": "by the Sea") unless a participle makes it who or
        # what did it ("Haunted by the past", "Surrounded by nature")
        prep = "for" if m[1] == "by" and before and participle_form(before[0]) \
            else m[1] or "for"
        return _title_case(" ".join(x for x in (prep, det, phrase) if x), lower_first=True)
    return ""


def _pick(scores: dict[str, float], rng: random.Random) -> str:
    best = max(scores.values())
    close = sorted(k for k, v in scores.items() if v >= best - _CLOSE)
    return rng.choice(close)


def make_concept(topic: str, minutes: float, brief: ResearchBrief, *, seed: int = 0) -> Concept:
    """The concept for a topic: the brief's leading theme, a technique suited to it (a seeded
    choice among near-equals, so seeds vary the session), the audience, and a title."""
    if not 1 <= minutes <= 180:
        raise InputError(f"minutes must be between 1 and 180, not {minutes}")
    cat = catalogue()
    rng = random.Random(f"concept|{seed}|{topic}|{minutes}")
    themes = dict(brief.themes)
    theme = _pick({k: v for k, v in themes.items() if v >= max(themes.values()) - 0.2}, rng)
    suited = cat["themes"][theme]["techniques"]
    techniques = {k: v + (1.0 if k in suited else 0.0) for k, v in brief.techniques}
    technique = _pick(techniques, rng)
    audience = brief.audience
    sleep = brief.sleep or bool(cat["themes"][theme].get("sleep"))
    if sleep and audience == "everyone":
        audience = "sleepers"
    title = make_title(theme, technique, minutes, sleep=sleep, audience=audience,
                       season=brief.season, topic=topic, rng=rng)
    return Concept(topic=topic.strip(), theme=theme, technique=technique, audience=audience,
                   minutes=float(minutes), title=title, sleep=sleep, season=brief.season)
