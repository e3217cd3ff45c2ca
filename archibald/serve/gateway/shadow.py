"""Quality without self-grading: a share of the gateway's delegated answers compared with
premium's, blind, after they were sent.

A delegated answer (one the router gave a cheaper route) is, with probability ``[gateway]
shadow_share``, also asked of the premium route; the judge (``[quality] judge_model``) scores
the two against the task type's rubric below without knowing which route wrote which, in both
orders (see :meth:`archibald.quality.assurance.Assurance.compare`), and the delegated answer's
row is regraded with its side of the verdict: evidence "shadow", which teaches delegation the
same way a pipeline's judged pairs do. It runs after the answer went to the app, so it adds
no latency; the calls are priced, reserved against the key's budgets and recorded like any
(purpose "shadow" and "judge", kept apart from the answers' own cost), and the gateway spends
at most ``[gateway] shadow_usd_per_day`` a day on them. An answer the app named a model for,
or that premium wrote, is not compared.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ...core.decisions import RouteResult
from ...core.tasks import Context
from ...quality.judge import Rubric
from ...store.ledger import to_nano
from ...store.migrations import attempts

if TYPE_CHECKING:
    from .service import Gateway, Job

__all__ = ["RUBRICS", "rubric_of", "shadow_later"]

_ANSWER = ("Answers exactly what the request asks, nothing beside it",
           "Correct: no false statement, no invented fact, no wrong step",
           "Complete for the request, yet as short as that allows",
           "Follows every instruction and the format the request asks for")

#: who the judge of an app's answers is told it is
_JUDGE = ("You are a strict, impartial reviewer judging an AI assistant's answer to a "
          "request against a rubric. You are not told who or what wrote it; judge only the "
          "text. Answer with one JSON object and nothing else.")


def _rubric(task_type: str, what: str, criteria: tuple[str, ...]) -> Rubric:
    return Rubric(task_type, 1, what, criteria, system=_JUDGE)


#: what the judge compares for each of the gateway's task types (version 1)
RUBRICS: dict[str, Rubric] = {r.task_type: r for r in (
    _rubric("chat_simple", "an assistant's answer to a short request", _ANSWER),
    _rubric("chat_structured", "structured output or a tool call an assistant made for a "
            "request", (*_ANSWER, "Valid JSON in the asked schema; tool arguments that a "
                                  "program can use as they are")),
    _rubric("chat_code", "code (or an explanation of code) an assistant wrote for a request",
            (*_ANSWER, "The code runs and does what was asked; idiomatic, safe, no needless "
                       "change")),
    _rubric("chat_reasoning", "an assistant's reasoning or calculation",
            (*_ANSWER, "Every step follows from the last; the result is right and stated "
                       "plainly")),
    _rubric("chat_creative", "a piece of writing an assistant wrote to a brief",
            ("Does what the brief asks, in its form and length",
             "Original, vivid and specific; no cliché or filler",
             "Reads well aloud: rhythm, clarity, a voice that fits",
             "Nothing false, harmful or off the brief")),
)}


def rubric_of(task_type: str) -> Rubric | None:
    """The rubric a gateway answer of this task type is compared by (a pipeline's own task
    type named by the app keeps its pipeline's rubric)."""
    from ...quality.judge import rubric

    return RUBRICS.get(task_type) or rubric(task_type)


def _qa_spent_today(gateway: "Gateway") -> int:
    """What the gateway's shadows and judging have cost since midnight UTC (nano-dollars)."""
    day = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0,
                                                   microsecond=0).timestamp()
    c = attempts.c
    stmt = select(func.coalesce(func.sum(c.cost_nano), 0)).where(
        c.run_id.startswith("gw-"), c.purpose != "production", c.created_at >= day)
    with gateway.memory.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def shadow_later(gateway: "Gateway", job: "Job", result: RouteResult) -> bool:
    """Start the comparison of ``result``'s answer with premium's in the background when
    this answer is drawn for it; whether it was."""
    import asyncio

    settings = gateway.settings.tables.gateway
    out = result.outcome
    # a batch line (run "gwb-...") waits for a provider batch: no synchronous shadow for it
    if job.pinned or out.route == "premium" or settings.shadow_share <= 0 \
            or result.below_floor or job.run_id.startswith("gwb-"):
        return False
    r = rubric_of(job.task.type)
    router = job.router
    if r is None or router.registry.get(job.task.type, "premium") is None \
            or router.registry.unavailable(job.task.type, "premium"):
        return False
    answered = [a for a in result.attempts if a.purpose == "production" and a.success]
    if not answered or router.rng.random() >= settings.shadow_share:
        return False
    if _qa_spent_today(gateway) >= to_nano(settings.shadow_usd_per_day):
        return False
    attempt = answered[-1]

    async def compare() -> dict[str, Any]:
        return await router.assurance.compare(
            job.task, Context(workdir=gateway.workdir), result.decision, out, attempt, r,
            run_id=job.run_id, stage=job.stage or job.task.type)

    task = asyncio.get_running_loop().create_task(compare())
    gateway.inflight.add(task)
    task.add_done_callback(gateway.inflight.discard)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return True
