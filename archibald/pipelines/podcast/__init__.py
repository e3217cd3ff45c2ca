"""The podcast pipeline's own code (its ``pipeline.toml``): local routes, adopters and checks.

A single-host episode about any topic, made offline or with models: research, outline, script,
review, voice, music, then a mix mastered to an MP3 with ID3 chapters and show notes.

The offline writer knows no facts about the topic (it has no sources); it writes an honest
explainer built from the topic's words and a set of angles (back story, mechanics, stakes,
myths, practice, open questions, people, trade-offs), each a real line of thought a listener
can apply, chosen and ordered by the seed. A model route answers in markdown; the adopters turn
that answer into the same shapes, so every later stage reads one shape whoever wrote it. The
checks are route-blind: they score the artifact against the task's inputs only.

Shapes (the values later stages read):

* research: ``{"brief": {topic, keywords, angles: [{key, title, lens, questions, takeaway}]},
  "notes": markdown}``
* outline: ``{"outline": {title, host, minutes, target_words, hook, segments: [{key, title,
  lens, points, takeaway, words}]}, "markdown": str}``
* script, review: ``{"script": {title, host, minutes, sections: [{title, kind, text}]},
  "text": the spoken text (sections split by blank lines), "markdown": str, "words": int}``
  (review adds ``"changes"``)
* voice: ``{"path", "duration", "sentences": [[start, end, text], ...]}``
* music: ``{"path", "seconds"}``
* mix: ``{"path" (the MP3), "wav", "duration", "lufs", "true_peak_dbtp", "chapters",
  "show_notes", "transcript", "chapters_json"}``
"""

from __future__ import annotations

import json
import math
import random
import re
import struct
from pathlib import Path
from typing import Any, Mapping, Sequence

from ...core.tasks import Context, Task
from ...pipeline.kit import cpu_workers, in_process

__all__ = [
    "research", "outline", "script", "review", "voice", "music", "mix",
    "research_from_text", "outline_from_text", "script_from_text", "review_from_text",
    "check_research", "check_outline", "check_script", "check_review", "check_voice",
    "check_music", "check_mix", "read_id3_chapters", "target_words", "WPM",
]

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


# --------------------------------------------------------------------------- the angles

#: (key, chapter title, lens, research questions, takeaway, lines): {t} the topic, {k} its
#: subject, {T} the topic capitalised. Lines are in the order a host would say them.
_ANGLES: tuple[tuple[str, str, str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("origins", "The Back Story", "the back story",
     ("What problem did {t} first answer?", "Which turning points shaped it?",
      "What survives today only because it came first?"),
     "the shape of {t} today still carries the marks of where it came from",
     ("Every idea has a back story, and {t} {is} no exception.",
      "Before anyone talked about {t} casually, someone had to notice it, name it and argue "
      "for it.",
      "It helps to ask what problem {t} first answered, because that answer usually explains "
      "the shape it has today.",
      "A lot of what looks arbitrary about {t} is really a fossil of earlier decisions.",
      "When you trace it back, you tend to find a handful of turning points rather than one "
      "clean beginning.",
      "Some of those turning points were deliberate, and some were accidents that simply stuck.",
      "That matters, because habits that began as workarounds often outlive the problems they "
      "were built for.",
      "So one useful exercise is to ask, for any piece of {t}, whether it exists because it "
      "works or because it came first.",
      "History also reminds us that the way we see {k} now is not the only way it could have "
      "gone.",
      "Other places and other generations made different choices, and comparing them is a "
      "quick way to see what is essential and what is just custom.",
      "If you want to go deeper, look up the earliest description of {t} you can find and set "
      "it beside a description from this year.",
      "The gap between those two accounts tells its own story.")),
    ("mechanics", "How It Actually Works", "how it actually works",
     ("What goes in, what happens in the middle, and what comes out?",
      "Where is the bottleneck?", "Where does the output loop back and change the input?"),
     "it gets easier to make sense of {t} once you can name the inputs, the bottleneck and the "
     "feedback loops",
     ("Let's slow down and look at the moving parts.",
      "Most things that seem complicated from the outside break down into a few pieces that "
      "interact.",
      "With {t}, I find it useful to separate what goes in, what happens in the middle, and "
      "what comes out the other end.",
      "Once you can name those three, you can ask much better questions about each one.",
      "Where does the effort go? Where does it get wasted? And which step does everything "
      "else depend on?",
      "That last one is worth dwelling on, because almost every system has a bottleneck, and "
      "this one is no different.",
      "If you improve anything other than the bottleneck, you mostly just move the pile "
      "somewhere else.",
      "Another thing to look for is feedback, the points where what comes out loops back and "
      "changes what goes in.",
      "Feedback is why small changes sometimes snowball, and why big pushes sometimes fizzle.",
      "Here's a simple test of your own understanding: try to explain {t} to a curious "
      "twelve-year-old in three sentences.",
      "If you can't, that's not a failure; it's a map of exactly where your understanding "
      "gets fuzzy.",
      "And honestly, that fuzzy spot is usually where the interesting part lives.")),
    ("stakes", "Why It Matters", "why it matters",
     ("Who is affected by {t}, directly and slowly?", "Who pays the costs, and who collects "
      "the benefits?", "Where did our own assumptions about it come from?"),
     "the effects of {t} are often slow and easy to miss, so ask who gains and who pays",
     ("So why should anyone listening care about {t}?",
      "The honest answer is that it touches more of daily life than it first appears to.",
      "Some of its effects are direct, the kind you notice right away, and some are slow and "
      "quiet and only show up over years.",
      "The slow ones are easy to underrate, because nobody writes headlines about gradual "
      "change.",
      "It's also worth asking who carries the costs and who collects the benefits, because "
      "those are rarely the same people.",
      "When the people paying and the people gaining are different, you can predict a lot of "
      "the arguments before anyone makes them.",
      "There's a personal side to this too.",
      "Think about the last time {k} came up in your own life, even in passing.",
      "What did you assume about it, and where did that assumption come from?",
      "Most of us absorb our views from whoever explained a subject to us first, and we rarely "
      "go back to check.",
      "That's not a criticism; it's just how attention works.",
      "But it does mean there's real value in revisiting the basics every so often.")),
    ("myths", "Myths Worth Dropping", "a few myths worth dropping",
     ("Which simple claims about {t} get repeated most?", "Which of them confuse an example "
      "with the rule, or correlation with cause?", "How would anyone know?"),
     "the simple story about {t} is rarely the whole story, so ask how anyone would know",
     ("Every popular subject collects a few myths, and {t} {is} no exception.",
      "Myths usually survive for a reason: they are simple, memorable, and they hold a grain "
      "of something true.",
      "The trouble is that the simple version gets repeated long after the details have "
      "changed.",
      "One common pattern is treating a single striking example as if it were the rule.",
      "Another is confusing something that happens alongside {k} with something it actually "
      "causes.",
      "A third is assuming that an old idea must be settled, or that a new one must be better.",
      "When you hear a confident claim about {t}, a good habit is to ask three quiet "
      "questions.",
      "How would they know? Compared to what? And what would it look like if they were wrong?",
      "Those questions won't make you cynical; they'll make you precise.",
      "Precision is a kind of generosity, because it lets you take good ideas seriously "
      "without swallowing the bad ones along with them.",
      "You'll also notice that the people who know {t} best tend to speak with more nuance, "
      "not less.",
      "That's usually a sign you're hearing from someone who has actually done the work.")),
    ("practice", "Putting It to Work", "how to put it to work",
     ("Where does {t} touch an ordinary week?", "What is one small change worth testing?",
      "Who could you compare notes with?"),
     "the best way into {t} is one small, observed change at a time",
     ("Let's make this practical.",
      "Understanding {t} is nice, but the real test is whether it changes anything you do this "
      "week.",
      "Start small, with one part of it that touches your own routine, and just watch it for a "
      "few days without trying to fix anything.",
      "Write down what you notice, even when it feels obvious.",
      "Obvious things written down have a way of turning into insights when you read them "
      "back.",
      "Once you've watched for a while, try one change, only one, so you can tell whether it "
      "made a difference.",
      "People often try five changes at once and then have no idea which one mattered.",
      "It also helps to find one person who cares about {k} as much as you do and compare "
      "notes.",
      "A second pair of eyes catches the blind spots you can't see on your own.",
      "And give yourself permission to be a beginner.",
      "Nobody gets good at anything by pretending they already are.",
      "Curiosity beats confidence almost every time.")),
    ("questions", "The Open Questions", "the open questions",
     ("What do people who study {t} agree on?", "Where do informed people still disagree?",
      "What evidence would change your mind?"),
     "the open questions about {t} are where the movement is, so know what would change your "
     "mind",
     ("Now for the part I find most exciting: what we still don't know.",
      "Every field has settled ground and disputed ground, and the border between them keeps "
      "moving.",
      "On the settled side are the things nearly everyone who studies {t} agrees on.",
      "On the disputed side are the questions where informed people look at the same evidence "
      "and come away with different answers.",
      "That disagreement isn't a sign that nobody knows anything; it's what progress looks "
      "like up close.",
      "If you want to follow {k} over the next few years, watch those disputed questions "
      "rather than the headlines.",
      "Ask which answers would change how people actually behave, and which would only change "
      "how they talk.",
      "The first kind is where the stakes are.",
      "It's also worth holding your own view a little loosely.",
      "The most useful stance toward an open question is not certainty but a clear sense of "
      "what would change your mind.",
      "If you can say that out loud about {t}, you're already thinking more clearly than most "
      "of the debate.",
      "And you'll be ready when the next good piece of evidence arrives.")),
    ("people", "The People Behind It", "the people behind it",
     ("Who builds, uses, criticises and lives with {t}?", "Whose perspective is usually "
      "missing?", "What do newcomers notice that insiders stopped seeing?"),
     "behind {t} there are people, and the missing perspective is often the most revealing one",
     ("It's easy to talk about {t} like a force of nature, but there are people behind every "
      "part of it.",
      "There are people who built it, people who use it, people who argue about it, and people "
      "who are affected by it without ever being asked.",
      "Each of those groups sees a different version of {k}.",
      "The builder sees constraints, the user sees convenience or frustration, and the critic "
      "sees risks.",
      "The bystander often sees nothing at all, until something goes wrong.",
      "When you only hear one of those voices, you get a lopsided picture.",
      "So here's a challenge: the next time you read about {t}, ask whose perspective is "
      "missing.",
      "Sometimes it's the people doing the everyday work, whose knowledge rarely makes it into "
      "the official story.",
      "Sometimes it's the newcomers, who can see what insiders stopped noticing years ago.",
      "Listening to both is one of the fastest ways to understand what's really going on.",
      "It also keeps the subject human, and that matters.",
      "Decisions about {k} are, in the end, decisions about how people live.")),
    ("tradeoffs", "Costs and Trade-offs", "the costs and trade-offs",
     ("What does {t} cost, in time, money and attention?", "Which costs compound, and which "
      "can be reversed?", "Does the trade still make sense at scale?"),
     "with {t}, the question is never whether there's a cost, but whether the trade is worth "
     "it and whether it can be undone",
     ("Nothing comes free, and {t} {is} a good example of that.",
      "Every benefit it offers is paid for somewhere, in time, money, attention or something "
      "harder to measure.",
      "The interesting question is rarely whether there's a cost, but whether the trade is "
      "worth it, and for whom.",
      "A trade that makes sense at a small scale can look very different once everyone makes "
      "it.",
      "And a cost that's tiny today can compound into something large if nobody is watching.",
      "When you weigh {k}, try to put the costs and the benefits in the same units, even "
      "roughly.",
      "It's surprising how often an argument falls apart once both sides of the ledger are "
      "written down.",
      "It's also worth separating the costs you can reverse from the ones you can't.",
      "Reversible mistakes are cheap lessons; irreversible ones deserve much more caution.",
      "That one distinction clears up a lot of confused debates about {t}.",
      "It doesn't tell you what to choose, but it tells you where to be careful.",
      "And being careful in the right place is most of what good judgment is.")),
)
_ANGLE = {a[0]: a for a in _ANGLES}

#: lines that deepen any segment (a long episode draws on them); never two alike in a script
_DEEPER = (
    "I want to pause here, because this is where a lot of conversations about {t} drift off "
    "track.",
    "If that sounds abstract, think about how you'd explain {k} to a friend: you'd reach for "
    "an example before a definition, and that instinct is a good one.",
    "A useful rule of thumb: if a claim fits neatly on a bumper sticker, it's probably missing "
    "something.",
    "None of this requires expertise, just a habit of asking one more question than feels "
    "polite.",
    "It's worth noticing how much of this comes down to attention rather than knowledge.",
    "I'll admit this part took me a while to appreciate.",
    "There's a quiet lesson in that.",
    "You don't need to agree with every part of this to find it useful.",
    "If you're taking notes, this is a good moment to jot down one question of your own about "
    "{k}.",
    "The details vary from case to case, but the pattern holds up surprisingly well.",
    "In other words, {lens} is less about memorising facts and more about learning where to "
    "look.",
    "Once you see it, it's hard to unsee.",
    "That's true whether you're brand new to {t} or you've been around it for years.",
    "Experts and beginners tend to trip over the same thing here, just at different speeds.",
    "It's one of those ideas that sounds simple and keeps revealing more the longer you look "
    "at it.",
    "Ask yourself where you've seen this play out, and you'll probably find an example sooner "
    "than you expect.",
    "There's a temptation to want a single answer here, but with {t} there rarely is one.",
    "Better questions tend to get you further than faster answers.",
    "Notice how often the same theme keeps coming back.",
    "I find that reassuring, because it means the subject has an underlying logic.",
    "It's a bit like learning a language: the grammar feels strange at first, and then "
    "suddenly you hear it everywhere.",
    "Think of {k} a bit like a city map: the main roads are obvious, but the side streets are "
    "where people actually live.",
    "The point isn't to become an expert overnight; it's to become a sharper observer.",
    "A small shift in how you look at {k} can change a surprising amount of what you see.",
    "When in doubt, go back to the simplest version of the question and build up from there.",
    "It's fine to find some of this uncomfortable; that usually means it's doing its job.",
    "And if a piece of this doesn't fit your experience, trust that signal and dig into why.",
)
_GREETINGS = (
    "Hi, and welcome. I'm {h}, and this is an episode about {t}.",
    "Hello and welcome in. I'm {h}, and today's episode is all about {t}.",
    "Hey there, I'm {h}. Pull up a chair, because today we're digging into {t}.",
    "Welcome, everyone. I'm {h}, and today I want to talk with you about {t}.",
)
_HOOKS = (
    ("Here's a question to keep in the back of your mind as we go: what would change if you "
     "understood {t} a little better than you do right now?",),
    ("{T} {is} one of those subjects everyone has an opinion about, and surprisingly few people "
     "have looked at closely.", "Today, we're going to look closely."),
    ("If you've ever been curious about {t} and never quite found the time to dig in, you're in "
     "the right place.",),
    ("Chances are you've run into {k} this week, whether you noticed it or not.",
     "So it's worth a proper look."),
)
_PROMISES = (
    "By the end, you should have a clearer map of the subject and a few questions worth asking "
    "the next time it comes up.",
    "No jargon required, just a bit of curiosity.",
    "My goal is simple: that you leave with a sharper way of thinking about it, not just a few "
    "more facts.",
)
_STARTS = ("Let's get into it.", "Let's dive in.", "Let's begin.")
_OPENERS = (
    ("Let's start with {lens}.", "First up: {lens}.", "We'll begin with {lens}."),
    ("Next, let's turn to {lens}.", "With that in place, let's look at {lens}.",
     "That brings us to {lens}."),
    ("Now let's shift gears to {lens}.", "Which brings us to {lens}.",
     "Let's move on to {lens}."),
    ("Finally, let's talk about {lens}.", "Last but not least: {lens}.",
     "To close out, let's look at {lens}."),
)
_CLOSERS = (
    "So if you take one thing from this part, let it be this: {takeaway}.",
    "The short version: {takeaway}.",
    "Hold on to that idea: {takeaway}.",
    "Put simply, {takeaway}.",
)
#: a segment's closing line (the review trims before it, never it)
_CLOSING = re.compile("|".join(re.escape(c.split("{")[0]) for c in _CLOSERS))
_TITLES = ("{T}, Explained", "A Closer Look at {T}", "Understanding {T}",
           "{T}: A Field Guide", "Thinking Clearly About {T}")
_ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth")


def _fill(line: str, topic: str, **more: str) -> str:
    t = _topic_phrase(topic)
    values = {"t": t, "T": _cap(t), "k": _focus(topic), "is": "are" if _plural(t) else "is",
              **more}
    out = line.format(**values)
    return _cap(out) if out[:1].islower() else out


def _rng(seed: int, topic: str, salt: str) -> random.Random:
    return random.Random(f"podcast|{seed}|{_norm(topic)}|{salt}")


def _segment_count(minutes: float) -> int:
    return 3 if minutes < 3 else 4


# --------------------------------------------------------------------------- research

def _brief(topic: str, minutes: float, seed: int) -> dict[str, Any]:
    rng = _rng(seed, topic, "angles")
    # the mechanics and the stakes belong in every episode; the rest are the seed's choice
    core = ["mechanics", "stakes"]
    rest = [a[0] for a in _ANGLES if a[0] not in core]
    rng.shuffle(rest)
    keys = core + rest[:3]
    order = {"origins": 0, "mechanics": 1, "people": 2, "stakes": 3, "tradeoffs": 4,
             "myths": 5, "questions": 6, "practice": 7}
    keys.sort(key=lambda k: order[k])
    angles = []
    for key in keys:
        _, title, lens, questions, takeaway, _lines = _ANGLE[key]
        angles.append({"key": key, "title": title, "lens": lens,
                       "questions": [_fill(q, topic) for q in questions],
                       "takeaway": _fill(takeaway, topic)[0].lower()
                       + _fill(takeaway, topic)[1:]})
    return {"topic": _topic_phrase(topic), "keywords": _keywords(topic), "focus": _focus(topic),
            "minutes": float(minutes), "angles": angles, "sources": [],
            "offline": True}


def _brief_markdown(brief: Mapping[str, Any]) -> str:
    lines = [f"# Research brief: {brief.get('topic', '')}", ""]
    if brief.get("offline"):
        lines += ["Offline brief: angles and the questions each should answer. It cites no "
                  "sources, so the script makes no factual claims it cannot support.", ""]
    for angle in brief.get("angles", []):
        lines.append(f"## {angle.get('title', '')}")
        for q in angle.get("questions", []) or angle.get("points", []):
            lines.append(f"- {q}")
        if angle.get("takeaway"):
            lines.append(f"- Takeaway: {angle['takeaway']}")
        lines.append("")
    for src in brief.get("sources", []):
        lines.append(f"- Source: {src}")
    return "\n".join(lines).strip() + "\n"


async def research(task: Task, context: Context) -> dict[str, Any]:
    """Offline research: the angles an episode on the topic can take, with their questions."""
    brief = _brief(str(task.inputs["topic"]), float(task.inputs.get("minutes", 5)),
                   context.seed)
    return {"brief": brief, "notes": _brief_markdown(brief)}


def _md_blocks(text: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """``# title`` and ``## heading`` blocks of a markdown answer, each with its lines."""
    title, blocks = "", []  # type: ignore[var-annotated]
    for raw in text.replace("\r\n", "\n").splitlines():
        line = raw.rstrip()
        m = re.match(r"^\s*(#{1,4})\s+(.*?)\s*#*\s*$", line)
        bold = re.match(r"^\s*\*\*(.+?)\*\*:?\s*$", line)
        if m and len(m.group(1)) == 1 and not title and not blocks:
            title = _plain(m.group(2))
        elif m or bold:
            blocks.append((_plain(m.group(2) if m else bold.group(1)), []))  # type: ignore
        elif blocks:
            blocks[-1][1].append(line)
        elif line.strip() and not title and line.lower().startswith("title:"):
            title = _plain(line.split(":", 1)[1])
    return title, blocks


def _plain(text: str) -> str:
    """Markdown emphasis, links and code marks removed."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split()).strip(" :")


def _bullets(lines: Sequence[str]) -> list[str]:
    out = []
    for line in lines:
        m = re.match(r"^\s*(?:[-*+•]|\d+[.)])\s+(.*)$", line)
        if m and _plain(m.group(1)):
            out.append(_plain(m.group(1)))
    return out


def research_from_text(task: Task, text: str) -> dict[str, Any]:
    """A model's research answer (markdown: ``## Angle`` headings with bullets) as a brief."""
    topic = str(task.inputs.get("topic", ""))
    _, blocks = _md_blocks(text)
    angles = []
    for heading, lines in blocks:
        points = _bullets(lines) or [s for s in _sentences(" ".join(lines)) if s]
        if not points or heading.lower().startswith(("source", "reference")):
            continue
        takeaway = next((p.split(":", 1)[1].strip() for p in points
                         if p.lower().startswith("takeaway:")), "")
        points = [p for p in points if not p.lower().startswith("takeaway:")]
        angles.append({"key": "", "title": heading, "lens": heading[:1].lower() + heading[1:],
                       "questions": points, "takeaway": takeaway})
    if not angles:                                    # plain prose: one angle per paragraph
        for para in [p for p in re.split(r"\n\s*\n", text) if _words(p)][:6]:
            sents = _sentences(_plain(para))
            angles.append({"key": "", "title": _plain(" ".join(_words(sents[0])[:6])),
                           "lens": "", "questions": sents, "takeaway": ""})
    sources = re.findall(r"https?://[^\s)>\]]+", text)
    brief = {"topic": _topic_phrase(topic) if topic else "", "keywords": _keywords(topic),
             "focus": _focus(topic) if topic else "", "minutes": float(task.inputs.get(
                 "minutes", 5)), "angles": angles, "sources": sorted(set(sources)),
             "offline": False}
    return {"brief": brief, "notes": text.strip() + "\n"}


def check_research(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """At least three distinct angles, each with questions or points, on the topic."""
    brief = artifact.get("brief") or {}
    angles = [a for a in brief.get("angles", []) if isinstance(a, Mapping)]
    titles = {_norm(str(a.get("title", ""))) for a in angles}
    with_points = sum(1 for a in angles if len(a.get("questions") or []) >= 2)
    keys = _keywords(str(task.inputs.get("topic", "")))
    notes = str(artifact.get("notes", "")).lower()
    on_topic = (sum(1 for k in keys if k in notes) / len(keys)) if keys else 1.0
    parts = {"angles": min(1.0, len(titles) / 3), "points": min(1.0, with_points / 3),
             "on_topic": on_topic}
    return round(sum(parts.values()) / len(parts), 3), {**parts, "count": len(angles)}


# --------------------------------------------------------------------------- outline

def _outline(topic: str, minutes: float, host: str, brief: Mapping[str, Any],
             seed: int) -> dict[str, Any]:
    rng = _rng(seed, topic, "outline")
    angles = [a for a in brief.get("angles", []) if isinstance(a, Mapping)]
    count = min(_segment_count(minutes), max(1, len(angles)))
    known = [a for a in angles if a.get("key") in _ANGLE]
    if len(known) >= count:
        # keep the brief's order; drop the seed's choice of the extra angles
        chosen_keys = {"mechanics", "stakes"} & {str(a["key"]) for a in known}
        others = [a for a in known if a["key"] not in chosen_keys]
        rng.shuffle(others)
        pick = {*chosen_keys, *(str(a["key"]) for a in others[:count - len(chosen_keys)])}
        chosen = [a for a in known if a["key"] in pick][:count]
    else:
        chosen = angles[:count]
    total = target_words(minutes)
    intro, recap, outro = (int(total * s) for s in (0.12, 0.09, 0.05))
    each = max(40, (total - intro - recap - outro) // max(1, len(chosen)))
    segments = [{"key": str(a.get("key") or ""), "title": str(a.get("title", "")),
                 "lens": str(a.get("lens") or a.get("title", "")).strip() or "this part",
                 "points": list(a.get("questions") or []),
                 "takeaway": str(a.get("takeaway") or ""), "words": each} for a in chosen]
    t = _topic_phrase(topic)
    title = _title_case(rng.choice(_TITLES).format(T=t))
    hook = [_fill(line, topic) for line in rng.choice(_HOOKS)]
    return {"title": title, "host": host, "topic": t, "minutes": float(minutes),
            "target_words": total, "hook": hook, "segments": segments,
            "intro_words": intro, "recap_words": recap, "outro_words": outro}


def _outline_markdown(o: Mapping[str, Any]) -> str:
    lines = [f"# {o.get('title', '')}", "",
             f"Host: {o.get('host', '')}. Length: {o.get('minutes', 0):g} minutes, about "
             f"{o.get('target_words', 0)} words.", "", "## Intro"]
    lines += [f"- {h}" for h in o.get("hook", [])]
    for s in o.get("segments", []):
        lines += ["", f"## {s.get('title', '')}"]
        lines += [f"- {p}" for p in s.get("points", [])]
        if s.get("takeaway"):
            lines.append(f"- Takeaway: {s['takeaway']}")
    lines += ["", "## Recap", "- One line per segment's takeaway.", "", "## Outro",
              "- A question to carry away, and a sign-off."]
    return "\n".join(lines) + "\n"


async def outline(task: Task, context: Context) -> dict[str, Any]:
    """Offline outline: title, hook, 3–4 segments with a word budget each, recap, outro."""
    o = _outline(str(task.inputs["topic"]), float(task.inputs.get("minutes", 5)),
                 str(task.inputs.get("host") or "Alex"), task.inputs.get("brief") or
                 _brief(str(task.inputs["topic"]), float(task.inputs.get("minutes", 5)),
                        context.seed), context.seed)
    return {"outline": o, "markdown": _outline_markdown(o)}


_FRAME_NAMES = ("intro", "introduction", "opening", "cold open", "hook", "welcome", "recap",
                "summary", "wrap-up", "wrap up", "outro", "closing", "conclusion", "sign-off",
                "sign off")


def _kind_of(title: str) -> str:
    t = title.lower()
    if any(w in t for w in ("intro", "opening", "cold open", "hook", "welcome")):
        return "intro"
    if any(w in t for w in ("recap", "summary", "wrap")):
        return "recap"
    if any(w in t for w in ("outro", "closing", "conclusion", "sign-off", "sign off",
                            "goodbye")):
        return "outro"
    return "segment"


def outline_from_text(task: Task, text: str) -> dict[str, Any]:
    """A model's outline (``# Title``, ``## Segment`` headings with bullets) as an outline."""
    topic = str(task.inputs.get("topic", ""))
    minutes = float(task.inputs.get("minutes", 5))
    title, blocks = _md_blocks(text)
    hook: list[str] = []
    segments: list[dict[str, Any]] = []
    for heading, lines in blocks:
        points = _bullets(lines) or _sentences(_plain(" ".join(lines)))
        heading = re.sub(r"^(segment|part|chapter)\s*\d*\s*[:.\-–—]\s*", "", heading,
                         flags=re.I).strip() or heading
        kind = _kind_of(heading)
        if kind == "intro":
            hook += points
        elif kind == "segment":
            takeaway = next((p.split(":", 1)[1].strip() for p in points
                             if p.lower().startswith(("takeaway:", "key point:"))), "")
            segments.append({"key": "", "title": heading, "lens": heading[:1].lower()
                             + heading[1:], "takeaway": takeaway,
                             "points": [p for p in points if not p.lower().startswith(
                                 ("takeaway:", "key point:"))]})
    total = target_words(minutes)
    intro, recap, outro = (int(total * s) for s in (0.12, 0.09, 0.05))
    each = max(40, (total - intro - recap - outro) // max(1, len(segments)))
    for seg in segments:
        seg["words"] = each
    o = {"title": title or _title_case(_topic_phrase(topic)) if topic else title,
         "host": str(task.inputs.get("host") or "Alex"),
         "topic": _topic_phrase(topic) if topic else "", "minutes": minutes,
         "target_words": total, "hook": hook, "segments": segments, "intro_words": intro,
         "recap_words": recap, "outro_words": outro}
    return {"outline": o, "markdown": text.strip() + "\n"}


def check_outline(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A title, a hook, 3–4 distinct segments with points, on the topic."""
    o = artifact.get("outline") or {}
    segs = [s for s in o.get("segments", []) if isinstance(s, Mapping)]
    titles = {_norm(str(s.get("title", ""))) for s in segs}
    keys = _keywords(str(task.inputs.get("topic", "")))
    text = json.dumps(o).lower()
    parts = {
        "title": 1.0 if str(o.get("title", "")).strip() else 0.0,
        "hook": 1.0 if o.get("hook") else 0.5,
        "segments": 1.0 if 3 <= len(segs) <= 4 else (0.5 if len(segs) in (2, 5, 6) else 0.0),
        "distinct": len(titles) / len(segs) if segs else 0.0,
        "points": (sum(1 for s in segs if s.get("points")) / len(segs)) if segs else 0.0,
        "on_topic": (sum(1 for k in keys if k in text) / len(keys)) if keys else 1.0,
    }
    return round(sum(parts.values()) / len(parts), 3), {**parts, "segments_count": len(segs)}


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


# --------------------------------------------------------------------------- voice

def _voice_script(text: str) -> str:
    """The spoken text as the offline voice reads it: speakable, a pause between sections."""
    from ...script.speakable import speakable

    parts = [speakable(p.strip()) for p in re.split(r"\n\s*\n", text) if _words(p)]
    return f" [pause {SECTION_PAUSE:g}s] ".join(parts)


def _speak(text: str, out: str, length_scale: float, sentence_pause: float,
           workers: int) -> dict[str, Any]:
    from ...media.voice import synthesize

    r = synthesize(_voice_script(text), Path(out), length_scale=length_scale, workers=workers,
                   sentence_pause=sentence_pause, lead=0.4)
    return {"path": str(r.path), "duration": round(r.duration, 3),
            "sentences": [[round(x.start, 3), round(x.end, 3), x.text] for x in r.sentences],
            "sample_rate": r.sample_rate}


async def voice(task: Task, context: Context) -> dict[str, Any]:
    """Offline voice: Piper at a podcast host's pace, with sentence timings."""
    out = str(task.inputs.get("out") or Path(context.workdir) / "voice.wav")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = await in_process(
        context, _speak, str(task.inputs["text"]), out,
        float(task.inputs.get("length_scale") or LENGTH_SCALE),
        float(task.inputs.get("sentence_pause") or SENTENCE_PAUSE),
        int(task.inputs.get("workers") or cpu_workers(context)))
    return result


def check_voice(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A readable voice track at a natural pace for the text, with sentence timings."""
    from ...errors import InputError
    from ...media.probe import probe_audio

    try:
        facts = probe_audio(str(artifact.get("path", "")), "voice track")
    except InputError as exc:
        return 0.0, {"error": str(exc)}
    words = len(_words(str(task.inputs.get("text", ""))))
    wpm = words / (facts.duration / 60) if facts.duration > 0 else 0.0
    pace = 1.0 if 120 <= wpm <= 210 else max(0.0, 1 - min(abs(wpm - 120), abs(wpm - 210)) / 80)
    sentences = artifact.get("sentences") or []
    timed = 1.0 if sentences and float(sentences[-1][1]) <= facts.duration + 0.05 else 0.3
    score = round(0.6 * pace + 0.4 * timed, 3)
    return score, {"words_per_minute": round(wpm, 1), "duration": round(facts.duration, 2),
                   "sentences": len(sentences)}


# --------------------------------------------------------------------------- music

def _bed(seconds: float, out: str, seed: int, topic: str) -> str:
    from ...media.music import render_music

    key = ("C", "D", "F", "G", "A")[seed % 5]
    return str(render_music(seconds, Path(out), seed=seed, key=key, topic=topic))


async def music(task: Task, context: Context) -> dict[str, Any]:
    """Offline music: a warm bed the mix cuts into an intro and an outro."""
    seconds = float(task.inputs.get("seconds") or 30.0)
    out = str(task.inputs.get("out") or Path(context.workdir) / "music.wav")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    path = await in_process(context, _bed, seconds, out, context.seed,
                            str(task.inputs.get("topic", "")))
    return {"path": path, "seconds": seconds}


def check_music(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A readable, audible bed at least as long as the intro and outro need."""
    import numpy as np

    from ...errors import InputError
    from ...media.audio import read_audio

    try:
        samples, rate = read_audio(str(artifact.get("path", "")), "music bed")
    except InputError as exc:
        return 0.0, {"error": str(exc)}
    seconds = len(samples) / rate
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    need = LEAD_IN + INTRO_UNDER
    long_enough = min(1.0, seconds / need)
    audible = 1.0 if rms > 1e-3 else 0.0
    return round(0.5 * long_enough + 0.5 * audible, 3), {"seconds": round(seconds, 2),
                                                         "rms": round(rms, 5)}


# --------------------------------------------------------------------------- mix + master

def _section_starts(sections: Sequence[Mapping[str, Any]],
                    sentences: Sequence[Sequence[Any]]) -> list[float]:
    """Where each section's first sentence starts in the voice track (seconds).

    Route-blind: each section's opening words are looked for among the voice's timed
    sentences, in order; a section not found is placed by its share of the words.
    """
    timed = [(float(s[0]), _norm(str(s[2]))) for s in sentences if len(s) >= 3]
    if not timed:
        return [0.0] * len(sections)
    sizes = [len(_words(str(x.get("text", "")))) for x in sections]
    total = max(1, sum(sizes))
    counts = [len(t.split()) for _, t in timed]
    cum = [0]
    for c in counts:
        cum.append(cum[-1] + c)
    spoken = max(1, cum[-1])
    starts: list[float] = []
    at = 0
    before = 0
    for x, size in zip(sections, sizes):
        first = _sentences(str(x.get("text", "")))
        head = _norm(first[0]).split()[:6] if first else []
        found = None
        if head and not starts:
            found = 0
        elif head:
            for j in range(at, len(timed)):
                words = timed[j][1].split()[:len(head)]
                if words == head or (len(head) >= 4 and words[:4] == head[:4]):
                    found = j
                    break
        if found is None:                            # by share of the words spoken so far
            want = before / total * spoken
            found = min(range(at, len(timed)), key=lambda j: abs(cum[j] - want),
                        default=len(timed) - 1)
        starts.append(timed[found][0])
        at = min(found + 1, len(timed) - 1)
        before += size
    return starts


def _ffmeta(value: str) -> str:
    return re.sub(r"([=;#\\\n])", r"\\\1", value)


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60:02d}:{s % 60:02d}"


def _compose_bed(music_path: str, voice_seconds: float, out: Path) -> Path:
    """The music under the whole episode: the bed's opening as the intro (fading out under the
    first lines), silence, the rest of the bed as the outro (entering under the last lines)."""
    import numpy as np

    from ...media.audio import SAMPLE_RATE, read_audio, resample, to_stereo, write_wav
    from ...media.mix import fit_length

    samples, rate = read_audio(music_path, "music bed")
    bed = to_stereo(resample(samples, rate))
    r = SAMPLE_RATE
    total = int(round(LEAD_IN * r)) + int(round(voice_seconds * r)) + int(round(TAIL * r)) + r
    track = np.zeros((total, 2), dtype=np.float32)
    intro_len = int((LEAD_IN + INTRO_UNDER) * r)
    half = max(1, len(bed) // 2)
    intro = fit_length(bed[:max(intro_len, half)], intro_len, r)
    fade = np.ones(intro_len, dtype=np.float32)
    fall = int(INTRO_UNDER * r)
    fade[-fall:] = (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, fall))).astype(np.float32)
    track[:intro_len] += intro * fade[:, None]
    outro_start = int(round((LEAD_IN + voice_seconds - OUTRO_UNDER) * r))
    outro_len = total - outro_start
    source = bed[half:] if len(bed) - half >= r * 4 else bed
    outro = fit_length(source, outro_len, r)
    rise = min(outro_len, int(2.0 * r))
    env = np.ones(outro_len, dtype=np.float32)
    env[:rise] = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, rise))).astype(np.float32)
    track[outro_start:] += outro * env[:, None]
    write_wav(out, np.clip(track, -1, 1), r)
    return out


def _encode(wav: Path, meta: Path, out: Path, gain_db: float) -> None:
    from ...media import ffmpeg

    args: list[str | Path] = ["-y", "-i", wav, "-i", meta, "-map", "0:a", "-map_metadata", "1",
                              "-map_chapters", "1", "-c:a", "libmp3lame", "-b:a", "128k",
                              "-ar", "44100", "-ac", "2", "-id3v2_version", "3",
                              "-write_xing", "1"]
    if gain_db:
        args += ["-af", f"volume={gain_db:.2f}dB"]
    ffmpeg.run([*args, out])


def _master(voice_path: str, sentences: list[list[Any]], music_path: str | None,
            script: dict[str, Any], host: str, show: str, out: str) -> dict[str, Any]:
    """Mix voice and music, master to an MP3 with ID3 chapters; measure what was written."""
    from ...errors import ValidationError
    from ...media.audio import read_audio
    from ...media.loudness import integrated_lufs, true_peak_dbtp
    from ...media.mix import mix
    from ...media.probe import probe_audio

    folder = Path(out).parent
    folder.mkdir(parents=True, exist_ok=True)
    v, v_rate = read_audio(voice_path, "voice track")
    voice_seconds = len(v) / v_rate
    bed = _compose_bed(music_path, voice_seconds, folder / "bed.wav") if music_path else None
    wav = folder / "mix.wav"
    mixed = mix(Path(voice_path), bed, wav, lead_in=LEAD_IN, tail=TAIL, duck_db=DUCK_DB)
    sections = [x for x in script.get("sections", []) if isinstance(x, Mapping)]
    starts = [0.0] + [LEAD_IN + s for s in _section_starts(sections, sentences)[1:]]
    duration = mixed.duration
    chapters: list[dict[str, Any]] = []
    for i, x in enumerate(sections):
        end = starts[i + 1] if i + 1 < len(starts) else duration
        chapters.append({"title": str(x.get("title", f"Part {i + 1}")),
                         "start": round(starts[i], 3), "end": round(end, 3)})
    title = str(script.get("title") or "Episode")
    meta = folder / "chapters.ffmeta"
    lines = [";FFMETADATA1", f"title={_ffmeta(title)}", f"artist={_ffmeta(host)}",
             f"album_artist={_ffmeta(host)}", f"album={_ffmeta(show or title)}",
             "genre=Podcast", f"comment={_ffmeta('Narrated with a synthetic voice.')}"]
    for c in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(round(c['start'] * 1000))}",
                  f"END={int(round(c['end'] * 1000))}", f"title={_ffmeta(c['title'])}"]
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mp3 = Path(out)
    gain = 0.0
    for _ in range(3):
        _encode(wav, meta, mp3, gain)
        decoded, rate = read_audio(mp3, "episode")
        lufs, peak = integrated_lufs(decoded, rate), true_peak_dbtp(decoded)
        # the encoder moves loudness and peaks a little: trim toward -16 LUFS, peaks first
        step = min(TARGET_LUFS - lufs, MAX_TRUE_PEAK - 0.2 - peak)
        if peak <= MAX_TRUE_PEAK - 0.05 and (abs(TARGET_LUFS - lufs) <= 0.25 or
                                                 abs(step) < 0.1):
            break
        gain += step
    else:
        raise ValidationError(f"{mp3}: true peak {peak:.2f} dBTP stays above "
                              f"{MAX_TRUE_PEAK} dBTP")
    facts = probe_audio(mp3, "episode")
    found = read_id3_chapters(mp3)
    if [c["title"] for c in found] != [c["title"] for c in chapters]:
        raise ValidationError(f"{mp3}: the ID3 chapters were not written as asked")
    notes = _show_notes(script, host, chapters, facts.duration)
    return {"path": str(mp3), "wav": str(wav), "duration": round(facts.duration, 3),
            "sample_rate": facts.sample_rate, "channels": facts.channels,
            "lufs": round(lufs, 2), "true_peak_dbtp": round(peak, 2),
            "mix_lufs": round(mixed.lufs, 2), "chapters": chapters,
            "show_notes": notes, "transcript": _transcript(script, chapters),
            "chapters_json": {"version": "1.2.0", "chapters": [
                {"startTime": c["start"], "endTime": c["end"], "title": c["title"]}
                for c in chapters]}}


def _summary(script: Mapping[str, Any]) -> str:
    sections = [x for x in script.get("sections", []) if isinstance(x, Mapping)]
    segs = [str(x.get("title", "")) for x in sections if x.get("kind") == "segment"]
    topic = str(script.get("topic") or "")
    about = f"an episode about {topic}" if topic else "this episode"
    if not segs:
        return f"In {about}, the host walks through the subject step by step."
    listed = ", ".join(segs[:-1]) + ", and " + segs[-1] if len(segs) > 1 else segs[0]
    return (f"{_cap(about)}, in {_number_words(len(segs))} parts: {listed}. A single-host "
            f"explainer that ends with a recap of the key takeaways.")


def _show_notes(script: Mapping[str, Any], host: str, chapters: Sequence[Mapping[str, Any]],
                duration: float) -> str:
    lines = [f"# {script.get('title', 'Episode')}", "",
             f"Hosted by {host} · {_mmss(duration)}", "", "## Summary", "", _summary(script), "",
             "## Chapters", ""]
    lines += [f"- {_mmss(float(c['start']))} {c['title']}" for c in chapters]
    recap = next((x for x in script.get("sections", []) if x.get("kind") == "recap"), None)
    if recap:
        points = [s for s in _sentences(str(recap.get("text", ""))) if "," in s][:5]
        if points:
            lines += ["", "## Key takeaways", ""]
            lines += [f"- {_cap(p.split(',', 1)[1].strip())}" for p in points]
    lines += ["", "---", "",
              "The voice in this episode is synthetic (AI-generated text-to-speech); the music "
              "is generated as well.", ""]
    return "\n".join(lines)


def _transcript(script: Mapping[str, Any], chapters: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"# {script.get('title', 'Episode')}: transcript", ""]
    for x, c in zip(script.get("sections", []), chapters):
        lines += [f"## [{_mmss(float(c['start']))}] {x.get('title', '')}", "",
                  str(x.get("text", "")).strip(), ""]
    return "\n".join(lines)


async def mix(task: Task, context: Context) -> dict[str, Any]:
    """Intro music, the voice over a ducked bed that fades out, the outro; −16 LUFS; an MP3
    (44.1 kHz, 128 kbps) with title, artist and ID3 chapters; show notes and a transcript."""
    out = str(task.inputs.get("out") or Path(context.workdir) / "episode.mp3")
    script = dict(task.inputs["script"])
    host = str(task.inputs.get("host") or script.get("host") or "Alex")
    music_path = str(task.inputs.get("music") or "") or None
    result: dict[str, Any] = await in_process(
        context, _master, str(task.inputs["voice"]),
        [list(s) for s in task.inputs.get("sentences") or []], music_path, script, host,
        str(task.inputs.get("show") or ""), out)
    return result


def read_id3_chapters(path: str | Path) -> list[dict[str, Any]]:
    """The CHAP frames of an MP3's ID3v2.3/2.4 tag: ``[{id, title, start, end}]`` in seconds,
    in the CTOC's order when there is one."""
    data = Path(path).read_bytes()
    if len(data) < 10 or data[:3] != b"ID3":
        return []
    major = data[3]
    size = _syncsafe(data[6:10])
    pos, end = 10, 10 + size
    chapters: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    while pos + 10 <= end:
        fid = data[pos:pos + 4]
        if not fid.strip(b"\0"):
            break
        fsize = _syncsafe(data[pos + 4:pos + 8]) if major == 4 else \
            struct.unpack(">I", data[pos + 4:pos + 8])[0]
        body = data[pos + 10:pos + 10 + fsize]
        if fid == b"CHAP":
            cut = body.index(b"\0")
            eid = body[:cut].decode("latin-1")
            start, stop = struct.unpack(">II", body[cut + 1:cut + 9])
            title = ""
            sub = body[cut + 17:]
            while len(sub) >= 10:
                sid = sub[:4]
                ssize = _syncsafe(sub[4:8]) if major == 4 else struct.unpack(">I", sub[4:8])[0]
                if sid == b"TIT2":
                    title = _id3_text(sub[10:10 + ssize])
                sub = sub[10 + ssize:]
            chapters[eid] = {"id": eid, "title": title, "start": start / 1000,
                             "end": stop / 1000}
        elif fid == b"CTOC":
            cut = body.index(b"\0")
            count = body[cut + 2]
            rest = body[cut + 3:].split(b"\0")
            order = [x.decode("latin-1") for x in rest[:count]]
        pos += 10 + fsize
    ids = [i for i in order if i in chapters] or sorted(chapters,
                                                        key=lambda i: chapters[i]["start"])
    return [chapters[i] for i in ids]


def _syncsafe(b: bytes) -> int:
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


def _id3_text(body: bytes) -> str:
    enc, raw = body[:1], body[1:]
    codec = {b"\0": "latin-1", b"\1": "utf-16", b"\2": "utf-16-be", b"\3": "utf-8"}.get(
        enc, "latin-1")
    return raw.decode(codec, "replace").rstrip("\0")


def check_mix(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A playable MP3 near −16 LUFS with true peak ≤ −1 dBTP, one ID3 chapter per section of
    the script in order and inside the audio, and show notes that list them and say the voice
    is synthetic."""
    from ...errors import InputError
    from ...media.audio import read_audio
    from ...media.loudness import integrated_lufs, true_peak_dbtp

    path = str(artifact.get("path", ""))
    try:
        samples, rate = read_audio(path, "episode")
    except InputError as exc:
        return 0.0, {"error": str(exc)}
    duration = len(samples) / rate
    lufs, peak = integrated_lufs(samples, rate), true_peak_dbtp(samples)
    sections = (task.inputs.get("script") or {}).get("sections", [])
    chapters = read_id3_chapters(path)
    starts = [c["start"] for c in chapters]
    ordered = all(a < b for a, b in zip(starts, starts[1:]))
    inside = all(0 <= s < duration for s in starts)
    notes = str(artifact.get("show_notes", ""))
    parts = {
        "loudness": max(0.0, 1 - max(0.0, abs(lufs - TARGET_LUFS) - 1.0) / 3)
        if math.isfinite(lufs) else 0.0,
        "true_peak": 1.0 if peak <= MAX_TRUE_PEAK else max(0.0, 1 - (peak - MAX_TRUE_PEAK)),
        "chapters": 1.0 if chapters and len(chapters) == len(sections) and ordered and inside
        else 0.0,
        "show_notes": (0.5 * all(_mmss(s) in notes for s in starts)
                       + 0.5 * ("synthetic" in notes.lower())) if notes else 0.0,
        "rate": 1.0 if rate in (44100, 48000) else 0.0,
    }
    return round(sum(parts.values()) / len(parts), 3), {
        **parts, "lufs": round(lufs, 2), "true_peak_dbtp": round(peak, 2),
        "chapters_found": len(chapters), "duration": round(duration, 2)}
