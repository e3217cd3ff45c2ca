"""What the offline podcast writer writes from: the angles of any topic (back story, mechanics,
stakes, myths, practice, open questions, people, trade-offs), greetings, hooks, openers and
closers, chosen and ordered by the seed."""

from __future__ import annotations

import random
import re
from .text import _cap, _focus, _norm, _plural, _topic_phrase


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
