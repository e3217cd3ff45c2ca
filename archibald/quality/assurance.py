"""Quality assurance around the router: what an accepted outcome's quality figure is worth.

The router calls :meth:`Assurance.assure` once an outcome has passed its stage's route-blind
check. It labels the figure's *evidence* — "check" (a check that does not know the route),
"judge" (the LLM judge, against the task type's rubric), "shadow" (judged pairwise against the
premium route's answer to the same task) or "unjudged" — and, when a judge is configured and
can run, pays for the judging:

- every creative outcome (a task type with a rubric) is judged;
- a share (``[quality] shadow_share``) of those on a cheaper route is also run on premium, in the
  shadow, and the two answers judged pairwise in both orders.

A creative task type the decision matrix keeps on premium (creative, complexity >= 7) is the
one whose cheap results a check cannot vouch for: without a judge they are "unjudged", which the
router never counts as evidence that the work can be delegated. Judge and shadow calls are
attempts of their own (``purpose`` "judge" / "shadow"): priced, in the ledger, under the budgets
(the guard is asked before each), and kept apart from the production cost.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backends.base import Backend
from ..errors import BudgetExceeded, DelegationError, RouteUnavailable
from ..ledger import Attempt, to_nano
from ..tasks import Context, Outcome, Task
from ..writeahead import outcome_payload
from .judge import Judge, Rubric, Verdict, build_judge, judge_text, rubric

if TYPE_CHECKING:
    from ..config import Profile
    from ..router import Decision, QualityCheck, Router

__all__ = ["Assurance", "creative_keep"]


def creative_keep(profile: "Profile") -> bool:
    """The decision matrix's first rule: creative work of complexity >= 7 stays premium."""
    return profile.creativity_required and profile.complexity >= 7


class Assurance:
    """The judge and the shadow for one router."""

    def __init__(self, router: "Router") -> None:
        self.router = router
        self._judge: Judge | None = None
        self._why_not: str | None = None
        self._built = False

    # -- the judge ------------------------------------------------------------------------
    @property
    def judge(self) -> Judge | None:
        """The configured judge when it can run here, else None (see :attr:`why_no_judge`)."""
        if not self._built:
            self._built = True
            judge = build_judge(self.router.settings, self.router.prices)
            if judge is None:
                self._why_not = "no judge configured ([quality] judge_model = \"\")"
            else:
                why = judge.unavailable_reason()
                self._why_not = f"judge {judge.model} unavailable: {why}" if why else None
                self._judge = None if why else judge
        return self._judge

    @property
    def why_no_judge(self) -> str | None:
        return None if self.judge is not None else self._why_not

    # -- the check --------------------------------------------------------------------------
    @staticmethod
    def checked(check: "QualityCheck | None") -> "QualityCheck":
        """``check`` that also labels the outcome's evidence: "check" when a route-blind check
        scored it, "unjudged" when the figure is the backend's own."""
        def run(outcome: Outcome) -> tuple[float, dict[str, Any]]:
            if check is None:
                outcome.detail["evidence"] = "unjudged"
                return outcome.quality, {}  # type: ignore[return-value]
            outcome.detail["evidence"] = "check"
            return check(outcome)
        return run

    # -- after acceptance ---------------------------------------------------------------------
    async def assure(self, task: Task, context: Context, decision: "Decision", outcome: Outcome,
                     attempt: Attempt, *, check: "QualityCheck | None", run_id: str, stage: str,
                     spent: int) -> list[Attempt]:
        """Label (and, with a judge, judge) an accepted outcome; return the QA attempts made.

        ``attempt`` (not yet recorded) gets its final ``quality`` and ``evidence``.
        """
        profile = self.router.settings.profile(task.type)
        if attempt.evidence == "check" and attempt.route != "premium" and creative_keep(profile):
            attempt.evidence = "unjudged"
        r = rubric(task.type)
        info: dict[str, Any] = {"evidence": attempt.evidence}
        outcome.detail["quality_assurance"] = info
        judge = self.judge if r is not None else None
        if r is None or judge is None:
            if r is not None:
                info["note"] = f"unjudged: {self.why_no_judge}"
            return []
        qa: list[Attempt] = []
        info["check_score"] = attempt.quality
        work = judge_text(outcome)
        brief = self._brief(task)
        share = self.router.settings.quality.shadow_share
        # only text is shadowed: a second answer costs tokens, never a second upload or render
        text_work = profile.capability in ("text", "research")
        if attempt.route != "premium" and text_work and share > 0 \
                and self.router.rng.random() < share and not self._premium_tried(run_id, stage):
            shadow = await self._shadow(task, context, decision, check, attempt, run_id, stage,
                                        spent, qa, info)
            if shadow is not None:
                s_attempt, s_outcome = shadow
                try:
                    await self._pair(judge, r, task, brief, work, judge_text(s_outcome),
                                     attempt, s_attempt, run_id, stage, spent, qa, info)
                finally:  # settled (and learnt from) whatever happens to the judging
                    s_attempt.checked = True
                    # premium's answer is kept with its row: the studio's blind review shows it
                    # beside the delegated one (a resume re-uses production answers only)
                    self.router.memory.settle(s_attempt, outcome_payload(s_outcome))
        if attempt.evidence != "shadow":
            verdict = await self._call(judge, r, task, Judge.single_prompt(r, brief, work),
                                       ("score",), attempt, run_id, stage, spent, qa, info,
                                       "alone")
            if verdict is not None:
                attempt.quality, attempt.evidence = round(verdict.scores["score"], 4), "judge"
                info["judge"] = {"score": attempt.quality, "reasons": verdict.reasons,
                                 "rubric": f"{r.task_type} v{r.version}"}
        info["evidence"] = attempt.evidence
        outcome.quality = attempt.quality
        return qa

    async def _pair(self, judge: Judge, r: Rubric, task: Task, brief: str, work: str,
                    theirs: str, attempt: Attempt, s_attempt: Attempt, run_id: str, stage: str,
                    spent: int, qa: list[Attempt], info: dict[str, Any]) -> None:
        """Judge the two answers in both orders; each side's score is its mean over the two,
        which cancels the judge's leaning towards whichever it reads first (or second)."""
        first = await self._call(judge, r, task, Judge.pair_prompt(r, brief, work, theirs),
                                 ("a", "b"), attempt, run_id, stage, spent, qa, info,
                                 "pairwise, this route's answer first")
        if first is None:
            return
        second = await self._call(judge, r, task, Judge.pair_prompt(r, brief, theirs, work),
                                  ("a", "b"), attempt, run_id, stage, spent, qa, info,
                                  "pairwise, premium's answer first")
        if second is None:
            return
        mine = (first.scores["a"] + second.scores["b"]) / 2
        premium = (first.scores["b"] + second.scores["a"]) / 2
        attempt.quality, attempt.evidence = round(mine, 4), "shadow"
        s_attempt.quality, s_attempt.evidence = round(premium, 4), "shadow"
        info["shadow"] = {"quality": attempt.quality, "premium_quality": s_attempt.quality,
                          "reasons": first.reasons + second.reasons,
                          "rubric": f"{r.task_type} v{r.version}"}

    @staticmethod
    def _brief(task: Task) -> str:
        """What the work was asked to be (the topic, else the start of the prompt)."""
        concept = task.inputs.get("concept")
        concept = concept if isinstance(concept, dict) else {}
        topic = task.inputs.get("topic") or concept.get("topic")
        if not topic:
            return str(task.inputs.get("prompt", ""))[:600]
        return f"{topic} (titled {concept['title']!r})" if concept.get("title") else str(topic)

    async def _paid(self, a: Attempt, production: Attempt, backend: Backend, task: Task,
                    context: Context, most_usd: float, spent: int, qa: list[Attempt],
                    info: dict[str, Any], what: str) -> Outcome | None:
        """A QA call written ahead like any other: reserved against every budget (a refusal
        skips the call, not the task), made, and its real cost filled in. The caller settles
        the row once it knows what the call was worth; a failed call is settled here."""
        a.max_cost_nano = to_nano(most_usd)
        a.input_key = production.input_key  # a resumed task counts it with its own attempts
        try:
            self.router.budget.reserve(a, task_spent_nano=spent + sum(x.cost_nano for x in qa))
        except BudgetExceeded as exc:
            info.setdefault("skipped", []).append(f"{what}: {exc}")
            return None
        qa.append(a)
        start = time.perf_counter()
        try:
            out = await backend.execute(task, context)
        except DelegationError as exc:
            a.cost_nano = to_nano(getattr(exc, "cost", 0.0) or 0.0)
            a.error, a.seconds, a.checked = str(exc), time.perf_counter() - start, True
            self.router.memory.settle(a)
            info.setdefault("errors", []).append(f"{what}: {exc}")
            return None
        except BaseException:
            a.error = f"{what}: the call was abandoned; the provider may have billed it"
            self.router.memory.mark_unknown(a)
            raise
        a.cost_nano, a.model, a.usage = to_nano(out.cost), out.model, out.usage.as_dict()
        a.seconds = out.seconds or time.perf_counter() - start
        a.price_source = str(out.detail.get("price_source", ""))
        a.request_id = str(out.detail.get("request_id") or "")[:200]
        return out

    def _premium_tried(self, run_id: str, stage: str) -> bool:
        """Premium already answered this task in this run (and was refused by its check):
        a shadow would pay for the same prompt twice (and, through a provider batch API,
        fetch the same answer by its custom id while the ledger charged it again)."""
        return bool(run_id) and any(
            a.route == "premium" and a.purpose == "production"
            for a in self.router.memory.attempts_of_stage(run_id, stage))

    async def _shadow(self, task: Task, context: Context, decision: "Decision",
                      check: "QualityCheck | None", attempt: Attempt, run_id: str, stage: str,
                      spent: int, qa: list[Attempt], info: dict[str, Any],
                      ) -> tuple[Attempt, Outcome] | None:
        """Run the task on premium too, for comparison only; its answer is never used."""
        router = self.router
        backend = router.registry.get(task.type, "premium")
        if backend is None or router.registry.unavailable(task.type, "premium"):
            return None
        why = f"shadow of {attempt.route}: premium's answer to the same task, judged pairwise"
        s = router._attempt(task, "premium", backend, False, 0, 0, run_id, stage, 0.0, why)
        # the pair shares one timestamp: (run, stage, task type, channel, time) is the pair key
        s.purpose, s.created_at = "shadow", attempt.created_at
        most = backend.max_cost(task)
        out = await self._paid(s, attempt, backend, task, context,
                               router.estimate(task, "premium", decision.analysis)
                               if most is None else most, spent, qa, info, "shadow")
        if out is None:
            return None
        if check is not None:
            check(out)  # the same adoption (and route-blind check) as the production answer
        s.success, s.quality, s.evidence = True, None, ""
        return s, out

    async def _call(self, judge: Judge, r: Rubric, task: Task, prompt: str,
                    keys: tuple[str, ...], attempt: Attempt, run_id: str, stage: str,
                    spent: int, qa: list[Attempt], info: dict[str, Any],
                    how: str) -> Verdict | None:
        """One judge call, in the ledger (even when its answer is unusable), budget first."""
        reason = f"judge ({r.task_type} rubric v{r.version}) of {attempt.route}'s answer, {how}"
        a = Attempt(task_type=task.type, route="judge", backend=judge.name, success=False,
                    cost_nano=0, baseline_nano=0, channel=task.channel, run_id=run_id,
                    stage=stage or task.type, model=judge.model, reason=reason,
                    config_digest=self.router.settings.digest, purpose="judge")
        judge_task = judge.task(task, prompt)
        most = judge.backend.max_cost(judge_task)
        if most is None:
            try:
                most = self.router.prices.cost(judge.expected_usage(prompt), model=judge.model)
            except RouteUnavailable:
                most = 0.0
        out = await self._paid(a, attempt, judge.backend, judge_task, Context(Path(".")), most,
                               spent, qa, info, "judge")
        if out is None:
            return None
        verdict = judge.verdict(out, keys, r.version)
        a.success, a.error, a.checked = verdict.error is None, verdict.error, True
        self.router.memory.settle(a)
        if verdict.error:
            info.setdefault("errors", []).append(f"judge: {verdict.error}")
            return None
        return verdict
