"""``POST /v1/feedback``: an app's verdict on one of its answers, the strongest evidence.

The body names the answer by the id it came with (``x-archibald-response-id``, or the
``id`` of the completion or message, ``chatcmpl-...`` / ``msg_...``) and gives a thumbs up or
down (``"rating": "up"`` / ``"down"``) or a ``score`` from 0 to 1, with an optional
``comment``. The answer's ledger row takes the verdict as its quality, with evidence "human"
(a person's verdict ranks above the judge, a shadow pair or a route-blind check), and its
route's statistics are corrected to match, so the router learns from it as from any evidence;
the verdict itself is kept in memory beside it. Only the key that was answered may judge the
answer; a second verdict replaces the first.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from .wire import ApiError, bad

if TYPE_CHECKING:
    from .keys import Key
    from .service import Gateway

__all__ = ["verdict", "record"]

_RATINGS = {"up": 1.0, "down": 0.0}
_PREFIXES = ("chatcmpl-", "msg_")


def verdict(body: dict[str, Any]) -> tuple[str, float, str]:
    """(response id, quality in [0, 1], comment) from a feedback body, or a 400."""
    raw = body.get("response_id") or body.get("id")
    if not isinstance(raw, str) or not raw:
        raise bad("response_id is required: the x-archibald-response-id of the answer")
    response_id = raw
    for prefix in _PREFIXES:
        response_id = response_id.removeprefix(prefix)
    rating, score = body.get("rating"), body.get("score")
    if (rating is None) == (score is None):
        raise bad('give either "rating": "up" or "down", or "score": a number from 0 to 1')
    if rating is not None:
        if rating not in _RATINGS:
            raise bad(f'rating must be "up" or "down", not {rating!r:.40}')
        quality = _RATINGS[str(rating)]
    else:
        if isinstance(score, bool) or not isinstance(score, (int, float)) \
                or not math.isfinite(score) or not 0.0 <= score <= 1.0:
            raise bad(f"score must be a number from 0 to 1, not {score!r:.40}")
        quality = float(score)
    comment = body.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 2000:
        raise bad("comment must be text of at most 2,000 characters")
    return response_id, quality, comment


def record(gateway: "Gateway", key: "Key", response_id: str, quality: float,
           comment: str) -> dict[str, Any]:
    """Regrade the answer ``response_id`` of ``key`` with ``quality``; what was recorded."""
    answered = [a for a in gateway.memory.attempts_of_run(response_id)
                if a.purpose == "production" and a.success and a.status == "settled"
                and a.channel == key.channel] if response_id.startswith("gw-") else []
    if not answered:
        raise ApiError(404, f"no answer {response_id!r:.80} of this key to give feedback on",
                       "invalid_request_error", "response_not_found")
    attempt = answered[-1]
    assert attempt.id is not None
    graded = gateway.memory.regrade(attempt.id, quality, "human")
    if graded is None:
        raise ApiError(404, f"answer {response_id!r:.80} is not settled yet",
                       "invalid_request_error", "response_not_found")
    gateway.memory.remember("feedback", key.channel, response_id, {
        "quality": quality, "comment": comment, "route": graded.route,
        "task_type": graded.task_type, "attempt_id": attempt.id, "at": time.time()}, quality)
    return {"object": "feedback", "response_id": response_id, "quality": quality,
            "evidence": "human", "route": graded.route, "task_type": graded.task_type}
