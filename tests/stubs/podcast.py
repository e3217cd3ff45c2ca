"""The podcast's text stages as a model answers them, for a chat stub's ``reply_text``: an
episode about coffee whose research, outline and script pass the podcast's route-blind checks
(one answer, whichever route asks: the local model's or a provider's)."""

from __future__ import annotations

from typing import Any

from .base import prompt_of

#: the episode's sections, in order: the outline's and the script's headings
SECTIONS = ("Intro", "Where the Cup Began", "How a Roast Works", "Why It Still Matters",
            "Recap", "Outro")
_SAY = {
    "Intro": "Hi, I'm Alex, and today we are looking at coffee, from a goat herder's legend to "
             "the cup on your desk. It is a short story with a long tail, and it starts with a "
             "shrub.",
    "Where the Cup Began": "The story most people tell starts in Ethiopia, where coffee grew "
                           "wild long before anyone roasted it. Traders carried the beans "
                           "across the Red Sea to Yemen.",
    "How a Roast Works": "Roasting turns a hard green seed into something brittle and "
                         "fragrant. A few minutes of heat decide whether the cup tastes of "
                         "fruit or of smoke.",
    "Why It Still Matters": "Coffee shaped trade routes and cafes, and it still shapes how "
                            "many of us start the day. Millions of farmers depend on its "
                            "price.",
    "Recap": "So: an old plant, a craft of heat and timing, and a daily habit with a long "
             "history behind it.",
    "Outro": "Thanks for listening. I'm Alex, and I will see you next time.",
}
#: the episode's title, the first line of the outline and of the script
_TITLE = "Coffee, Cup by Cup"


def podcast_reply(body: Any) -> str:
    """The research, the outline, or the script (also the review's answer) this request asks
    for, by its prompt's first word."""
    prompt = prompt_of(body)
    if prompt.startswith("Research"):
        return ("## Where the cup began\n- How did coffee leave Ethiopia for Yemen?\n"
                "- Takeaway: coffee travelled with traders\n\n"
                "## How a roast works\n- What happens to the bean in the roaster?\n"
                "- Takeaway: heat and time make the taste\n\n"
                "## Why it still matters\n- Who grows coffee today?\n"
                "- Takeaway: a daily habit with a long history\n")
    if prompt.startswith("Outline"):
        return f"# {_TITLE}\n\n" + "\n\n".join(
            f"## {s}\n- {s.lower()} in a sentence\n- Takeaway: {s.lower()} matters"
            for s in SECTIONS)
    return f"# {_TITLE}\n\n" + "\n\n".join(f"## {k}\n\n{v}" for k, v in _SAY.items())
