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

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..providers.backends.base import Backend
from ..errors import BudgetExceeded, ConfigError, RouteUnavailable
from ..store.ledger import Attempt, to_nano
from ..core.decisions import Decision, QualityCheck, RouterParts
from ..core.tasks import Context, Outcome, Task
from ..store.writeahead import outcome_payload
from .judge import Judge, Rubric, Verdict, build_judge, judge_text, rubric
from .senses import Shown, build_media_judge, media_kind, media_rubric, reprice_audio, shown

if TYPE_CHECKING:
    from ..config import Profile

__all__ = ["Assurance", "creative_keep", "valid_score"]


def valid_score(result: Any, check: Any) -> tuple[float, dict[str, Any]]:
    """A check's ``(score, details)``, or a ConfigError naming the check when it returned
    something else (a NaN, a score outside 0..1, no tuple): the check's mistake, said as such,
    never a figure that reaches the ledger."""
    fn = getattr(check, "__name__", None)
    name = f"{getattr(check, '__module__', '?')}:{fn}" if fn else repr(check)
    try:
        score, details = result
        value = float(score)
    except (TypeError, ValueError):
        raise ConfigError(f"the check {name} returned {result!r:.80}; a check returns "
                          f"(score from 0 to 1, details dict)") from None
    if isinstance(score, bool) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"the check {name} returned the score {score!r}; a check's score is "
                          f"a number from 0 to 1")
    return value, dict(details or {})


def _bare(model: str) -> str:
    """A model's name without LiteLLM's Ollama prefixes or Ollama's default tag."""
    for prefix in ("ollama_chat/", "ollama/"):
        model = model.removeprefix(prefix)
    return model.removesuffix(":latest")


def creative_keep(profile: "Profile") -> bool:
    """The decision matrix's first rule: creative work of complexity >= 7 stays premium."""
    return profile.creativity_required and profile.complexity >= 7


class Assurance:
    """The judge and the shadow for one router."""

    def __init__(self, router: RouterParts) -> None:
        self.router = router
        self._judge: Judge | None = None
        self._why_not: str | None = None
        self._built = False
        self._media: dict[str, tuple[Judge | None, str]] = {}

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

    def media_judge(self, kind: str) -> tuple[Judge | None, str]:
        """The judge that can see ("image") or hear ("audio") media here, or None and why."""
        if kind not in self._media:
            self._media[kind] = build_media_judge(self.router.settings, self.router.prices,
                                                  kind)
        return self._media[kind]

    def _judge_for(self, task: Task, profile: "Profile"
                   ) -> tuple[Rubric | None, Judge | None, str | None, str]:
        """The rubric, the judge, the media kind (None: text) and why no judge, for a task."""
        kind = media_kind(profile.capability)
        if kind is None:
            r = rubric(task.type)
            return r, self.judge if r is not None else None, None, self.why_no_judge or ""
        judge, why = self.media_judge(kind)
        return media_rubric(task.type, profile.capability), judge, kind, why

    # -- the check --------------------------------------------------------------------------
    @staticmethod
    def checked(check: "QualityCheck | None") -> "QualityCheck":
        """``check`` that also labels the outcome's evidence: "check" when a route-blind check
        scored it, "unjudged" when the figure is the backend's own."""
        def run(outcome: Outcome) -> tuple[float, dict[str, Any]]:
            if outcome.artifact is None or outcome.artifact == {}:
                # nothing to use, whoever made it: unusable (never a pass, nor the best of a
                # bad lot), with or without a check
                outcome.detail["evidence"] = "check"
                raise ValueError(f"{outcome.backend} returned nothing")
            if check is None:
                outcome.detail["evidence"] = "unjudged"
                return outcome.quality, {}  # type: ignore[return-value]
            outcome.detail["evidence"] = "check"
            return valid_score(check(outcome), check)
        return run

    # -- after acceptance ---------------------------------------------------------------------
    def may_call(self, task: Task) -> bool:
        """Whether ``assure`` may call a judge (or a shadow) for an answer to ``task``: a
        rubric and a judge exist for it (False: it returns without awaiting anything)."""
        r, judge, _, _ = self._judge_for(task, self.router.settings.profile(task.type))
        return r is not None and judge is not None

    async def assure(self, task: Task, context: Context, decision: "Decision", outcome: Outcome,
                     attempt: Attempt, *, check: "QualityCheck | None", run_id: str, stage: str,
                     spent: int) -> list[Attempt]:
        """Label (and, with a judge, judge) an accepted outcome; return the QA attempts made.

        ``attempt`` (not yet recorded) gets its final ``quality`` and ``evidence``.
        """
        profile = self.router.settings.profile(task.type)
        if attempt.evidence == "check" and attempt.route != "premium" and creative_keep(profile):
            attempt.evidence = "unjudged"
        r, judge, kind, why = self._judge_for(task, profile)
        # a model on this machine set as the judge never grades what it wrote itself (the
        # shipped judge, the budget model, keeps judging budget work blind against premium)
        if judge is not None and attempt.route == "local" and attempt.model \
                and _bare(judge.model) == _bare(attempt.model):
            why = f"the judge {judge.model} wrote it, and no model grades its own"
            judge = None
        info: dict[str, Any] = {"evidence": attempt.evidence}
        outcome.detail["quality_assurance"] = info
        if r is None or judge is None:
            if r is not None and kind is not None:  # media with no judge: say what stands
                info["note"] = (f"not judged: {why}; " + (
                    "route-blind measures only" if attempt.evidence == "check"
                    else "not measured"))
            elif r is not None:
                info["note"] = f"unjudged: {why}"
            return []
        excerpt = float(self.router.settings.quality.audio_excerpt_seconds)
        work = Shown(judge_text(outcome)) if kind is None else shown(outcome, kind, excerpt)
        if work is None:
            info["note"] = "not judged: the result names no media file the judge can be shown"
            return []
        qa: list[Attempt] = []
        info["check_score"] = attempt.quality
        brief = self._brief(task)
        share = self.router.settings.quality.shadow_share
        # text and images are shadowed: a second answer costs tokens or one picture; a second
        # narration or music bed, or a second upload, is never bought only to compare
        shadowed = profile.capability in ("text", "research") or kind == "image"
        if attempt.route != "premium" and shadowed and share > 0 \
                and self.router.rng.random() < share and not self._premium_tried(run_id, stage):
            shadow = await self._shadow(task, context, decision, check, attempt, run_id, stage,
                                        spent, qa, info)
            theirs = None if shadow is None else (
                Shown(judge_text(shadow[1])) if kind is None else shown(shadow[1], kind, excerpt))
            if shadow is not None:
                s_attempt, s_outcome = shadow
                try:
                    if theirs is not None:
                        await self._pair(judge, r, task, brief, work, theirs,
                                         attempt, s_attempt, run_id, stage, spent, qa, info)
                finally:  # settled (and learnt from) whatever happens to the judging
                    s_attempt.checked = True
                    # premium's answer is kept with its row: the studio's blind review shows it
                    # beside the delegated one (a resume re-uses production answers only)
                    self.router.memory.settle(s_attempt, outcome_payload(s_outcome))
        if attempt.evidence != "shadow":
            text = work.text if kind is None else f"[attached: {work.text}]"
            verdict = await self._call(judge, r, task, Judge.single_prompt(r, brief, text),
                                       ("score",), attempt, run_id, stage, spent, qa, info,
                                       "alone", work.parts, work.tokens)
            if verdict is not None:
                attempt.quality, attempt.evidence = round(verdict.scores["score"], 4), "judge"
                info["judge"] = {"score": attempt.quality, "reasons": verdict.reasons,
                                 "rubric": f"{r.task_type} v{r.version}",
                                 "model": judge.model, "senses": judge.senses}
        info["evidence"] = attempt.evidence
        outcome.quality = attempt.quality
        return qa

    async def compare(self, task: Task, context: Context, decision: "Decision",
                      outcome: Outcome, attempt: Attempt, r: Rubric, *, run_id: str,
                      stage: str) -> dict[str, Any]:
        """Premium's answer to ``task`` too, in the shadow, judged blind against ``outcome``
        (an answer already accepted, settled and delivered: a gateway's), in both orders;
        the answer's row is regraded with the pair's verdict (evidence "shadow"). Returns
        what was done (the pair's scores, or why there is none)."""
        info: dict[str, Any] = {}
        judge = self.judge
        if judge is None:
            info["note"] = f"not compared: {self.why_no_judge}"
            return info
        qa: list[Attempt] = []
        shadow = await self._shadow(task, context, decision, None, attempt, run_id, stage,
                                    attempt.cost_nano, qa, info)
        if shadow is None:
            return info
        s_attempt, s_outcome = shadow
        try:
            await self._pair(judge, r, task, self._brief(task), Shown(judge_text(outcome)),
                             Shown(judge_text(s_outcome)), attempt, s_attempt, run_id, stage,
                             attempt.cost_nano, qa, info)
        finally:  # settled (and learnt from) whatever happens to the judging
            s_attempt.checked = True
            self.router.memory.settle(s_attempt)
        if attempt.evidence == "shadow" and attempt.id is not None \
                and attempt.quality is not None:
            self.router.memory.regrade(attempt.id, attempt.quality, "shadow")
        return info

    async def _pair(self, judge: Judge, r: Rubric, task: Task, brief: str, work: Shown,
                    theirs: Shown, attempt: Attempt, s_attempt: Attempt, run_id: str,
                    stage: str, spent: int, qa: list[Attempt], info: dict[str, Any]) -> None:
        """Judge the two answers in both orders; each side's score is its mean over the two,
        which cancels the judge's leaning towards whichever it reads first (or second)."""
        def ask(a: Shown, b: Shown) -> tuple[str, list[dict[str, Any]], int]:
            if not a.parts:
                return Judge.pair_prompt(r, brief, a.text, b.text), [], 0
            n = len(a.parts)
            return (Judge.pair_prompt(r, brief, f"[attachment(s) 1 to {n}: {a.text}]",
                                      f"[attachment(s) {n + 1} to {2 * n}: {b.text}]"),
                    [*a.parts, *b.parts], a.tokens + b.tokens)
        prompt, parts, tokens = ask(work, theirs)
        first = await self._call(judge, r, task, prompt, ("a", "b"), attempt, run_id, stage,
                                 spent, qa, info, "pairwise, this route's answer first", parts,
                                 tokens)
        if first is None:
            return
        prompt, parts, tokens = ask(theirs, work)
        second = await self._call(judge, r, task, prompt, ("a", "b"), attempt, run_id, stage,
                                  spent, qa, info, "pairwise, premium's answer first", parts,
                                  tokens)
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
        except Exception as exc:  # noqa: BLE001 - a route error, or a plain exception: the
            # check is skipped and its reservation released (at what the error says it cost)
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

    def _rate(self, model: str) -> tuple[float, float]:
        """(input, output) USD per token of a judge model; (0, 0) when unpriced."""
        try:
            price = self.router.prices.model(model)
        except RouteUnavailable:
            return 0.0, 0.0
        return price.input_per_token, price.output_per_token

    def _media_most(self, judge: Judge, prompt: str, tokens: int) -> float:
        """The most a media judge call can cost: the prompt and the attachments' most tokens
        (audio at its audio rate, when dearer), and every answer token allowed."""
        from .judge import SYSTEM_MEDIA
        from .senses import audio_rate

        usage = judge.expected_usage(prompt, tokens)
        # text never makes more tokens than its UTF-8 bytes (the bound chat calls reserve by)
        text_tokens = len(f"{SYSTEM_MEDIA}{prompt}".encode()) + 64
        per_in, per_out = self._rate(judge.model)
        if judge.senses == "audio":
            per_in = max(per_in, audio_rate(judge.model) or 0.0)
        return (text_tokens + tokens) * per_in + usage.output_tokens * per_out

    def _premium_tried(self, run_id: str, stage: str) -> bool:
        """Premium already answered this task in this run (and was refused by its check):
        a shadow would pay for the same prompt twice (and, through a provider batch API,
        fetch the same answer by its custom id while the ledger charged it again)."""
        return bool(run_id) and any(
            a.route == "premium" and a.purpose == "production"
            for a in self.router.memory.attempts_of_run(run_id, stage))

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
                    how: str, parts: list[dict[str, Any]] | None = None,
                    tokens: int = 0) -> Verdict | None:
        """One judge call, in the ledger (even when its answer is unusable), budget first;
        media ``parts`` are attached, at most ``tokens`` more reserved for them."""
        reason = f"judge ({r.task_type} rubric v{r.version}) of {attempt.route}'s answer, {how}"
        a = Attempt(task_type=task.type, route="judge", backend=judge.name, success=False,
                    cost_nano=0, baseline_nano=0, channel=task.channel, run_id=run_id,
                    stage=stage or task.type, model=judge.model, reason=reason,
                    config_digest=self.router.settings.digest, purpose="judge")
        judge_task = judge.task(task, prompt, parts or (), system=r.system)
        # a media call's reservation counts its attachments as tokens, not as base64 text
        most = judge.backend.max_cost(judge_task) if not parts else self._media_most(
            judge, prompt, tokens)
        if most is None:
            try:
                most = self.router.prices.cost(judge.expected_usage(prompt), model=judge.model)
            except RouteUnavailable:
                most = 0.0
        out = await self._paid(a, attempt, judge.backend, judge_task, Context(Path(".")), most,
                               spent, qa, info, "judge")
        if out is None:
            return None
        if judge.senses == "audio":
            reprice_audio(out, judge.model, self._rate(judge.model)[1])
            a.cost_nano = to_nano(out.cost)
            a.price_source = str(out.detail.get("price_source", ""))
        verdict = judge.verdict(out, keys, r.version)
        a.success, a.error, a.checked = verdict.error is None, verdict.error, True
        self.router.memory.settle(a)
        if verdict.error:
            info.setdefault("errors", []).append(f"judge: {verdict.error}")
            return None
        return verdict
