"""The Short pipeline's own code: a vertical YouTube Short (1080x1920, 15 s to 3 minutes,
word-timed captions burned in) made from the meditation material, offline, the same way with
keys on real providers.

Every stage of its ``pipeline.toml`` names its functions here (see docs/pipelines.md), each
defined in its room: the length and pace (:mod:`.timing`), research and concept
(:mod:`.concept`), the script (:mod:`.writer`), voice, music, picture, video and cover
(:mod:`.media`), the YouTube metadata (:mod:`.metadata`):

* ``local``: ``async def fn(task, context) -> dict``, the offline route (cost 0);
* ``adopt``: ``def fn(task, text) -> dict``, a model's text answer into the local route's shape;
* ``check``: ``def fn(task, artifact) -> (score, details)``, route-blind.

What the stages make is a pure function of the topic, the length and the seed. The video runs
the length asked and never a tenth past it (nor :data:`HARD_CAP`, YouTube's three minutes): a
voice too long for it is cut (at a sentence's end when one is near, else faded out) before the
mix, and the music's tail shortens first. The voice's words are burned in as captions, a few at
a time, timed to the voice (:mod:`archibald.media.captions`). The title, the hook, the spoken
promise and the cover state the length asked and no other (a length the topic names, "a
one-minute reset", is dropped), and the cover's words are the title's opening phrase.

The micro-meditation is three parts: a hook the voice says in its first two seconds (a question
that names the topic, then the promise of how long it takes), one breathing practice (a
counted breath, in through the nose and out through the mouth, repeated), and a closing line
that sends the viewer back to their situation.
"""

from __future__ import annotations

from .timing import (
    COMMA_PAUSE,
    HARD_CAP,
    HOOK_SECONDS,
    LEAD_IN,
    LENGTH_SCALE,
    MIN_TAIL,
    SIZE,
    TAIL,
    VOICE_LEAD,
    WPM,
    estimated_seconds,
    said_seconds,
    voice_target,
)
from .concept import (
    adopt_concept,
    adopt_research,
    check_concept,
    check_research,
    concept,
    make_short_concept,
    research,
    short_title,
)
from .writer import adopt_script, check_script, short_script, write_short_script
from .media import (
    cap_and_mix,
    check_cover,
    check_music,
    check_portrait,
    check_video,
    check_voice,
    cover,
    music,
    portrait,
    render_cover,
    render_still_loop,
    video,
    voice,
)
from .metadata import adopt_metadata, build_short_metadata, check_metadata, metadata

__all__ = [
    "HARD_CAP",
    "SIZE",
    "LENGTH_SCALE",
    "WPM",
    "LEAD_IN",
    "VOICE_LEAD",
    "TAIL",
    "MIN_TAIL",
    "HOOK_SECONDS",
    "COMMA_PAUSE",
    "said_seconds",
    "estimated_seconds",
    "voice_target",
    "short_title",
    "make_short_concept",
    "write_short_script",
    "cap_and_mix",
    "render_still_loop",
    "render_cover",
    "build_short_metadata",
    "research",
    "adopt_research",
    "check_research",
    "concept",
    "adopt_concept",
    "check_concept",
    "short_script",
    "adopt_script",
    "check_script",
    "voice",
    "check_voice",
    "music",
    "check_music",
    "portrait",
    "check_portrait",
    "video",
    "check_video",
    "cover",
    "check_cover",
    "metadata",
    "adopt_metadata",
    "check_metadata",
]
