"""Route choice: learned pattern, else the decision matrix; fallback, escalation, the ledger.

``Router.decide`` picks a route and says why; ``Router.run`` executes the task along a chain of
routes (the chosen one, then premium), records every attempt with its real cost, and escalates
when a result fails its quality check.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..providers.backends.base import Backend
from ..providers.backends.breaker import BREAKER, breaker_key
from .baseline import premium_baseline
from .budgets import BudgetGuard
from ..config import Profile, Settings
from ..errors import (BackendTimeout, BudgetExceeded, DelegationError, InputError, MediaError,
                     MissingKeyError, ProviderUnreachable, RouteUnavailable, RoutesFailed,
                     UserError, each_failure, why_failed)
from ..store.ledger import NANO, Attempt, format_usd, to_nano
from ..store.memory import Memory, RouteStats
from .prices import PriceBook
from ..quality.assurance import Assurance, creative_keep
from .calls import (PAID_ROUTES, Unsettled, answered, call_deadline, warn_if_key_refused,
                    warn_if_over_reserved, within)
from .decisions import Decision, QualityCheck, Registry, RouteResult
from .tasks import Context, Outcome, Task, TaskAnalysis
from ..store.writeahead import (WireLog, files_present, idempotency_key, kept_answer,
                                outcome_from_payload, outcome_payload, release, task_key)

__all__ = ["Registry", "Decision", "RouteResult", "Router", "QualityCheck"]


#: the routes a model answers on (a route learned from checks alone never displaces one)
_MODEL_ROUTES = ("premium", "budget")
@dataclass
class _Run:
    """One task's way along its route chain: what it has tried, spent and rejected."""

    task: Task
    context: Context
    run_id: str
    stage: str
    decision: Decision
    check: QualityCheck | None
    floor: float
    input_key: str
    attempts: list[Attempt] = field(default_factory=list)
    rejected: list[tuple[float, Outcome, Attempt]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (route, why it failed)
    spent: int = 0
    numbers: dict[str, int] = field(default_factory=dict)
    #: routes whose paid answer to this task an earlier process already refused
    refused: set[str] = field(default_factory=set)


class Router:
    """Decides and runs; every attempt goes to memory (the ledger)."""

    def __init__(self, settings: Settings, memory: Memory, registry: Registry,
                 prices: PriceBook | None = None, *, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.memory = memory
        self.registry = registry
        self.prices = prices or PriceBook.from_settings(settings)
        self.budget = BudgetGuard(settings.budgets, memory)
        self.rng = rng or random.Random()
        self.assurance = Assurance(self)
        #: an archibald.providers.backends.batchapi.Batcher when runs may wait for provider batch APIs
        self.batcher: Any = None

    # -- analysis -------------------------------------------------------------------------
    def premium_cost(self, task: Task, profile: Profile | None = None) -> float:
        """What the premium route is expected to cost for this task, priced."""
        p = profile or self.settings.profile(task.type)
        try:
            return self.prices.cost(p.expected_usage(task), model=p.premium_model,
                                    unit=p.premium_unit)
        except RouteUnavailable:
            return 0.0

    def analyse(self, task: Task) -> TaskAnalysis:
        p = self.settings.profile(task.type)
        return self.settings.analyse(task, self.premium_cost(task, p))

    def estimate(self, task: Task, route: str, analysis: TaskAnalysis) -> float:
        """Expected cost of running ``task`` on ``route``: what the budget check uses."""
        if route == "premium":
            return analysis.estimated_cost
        p = self.settings.profile(task.type)
        if route == "budget" and p.premium_model:
            try:
                return self.prices.cost(p.expected_usage(task),
                                        model=self.settings.model_for("budget"))
            except RouteUnavailable:
                return analysis.estimated_cost
        stats = self.memory.route_stats(task.type, task.channel).get(route)
        if stats and stats.n:
            return stats.mean_cost
        return analysis.estimated_cost if route == "agent" else 0.0

    # -- decision -------------------------------------------------------------------------
    def _learned(self, task: Task, profile: Profile,
                 unavailable: dict[str, str]) -> tuple[str, dict[str, Any]] | None:
        """The cheapest delegate route whose record, in evidence that means something, earns
        it the task type: route-blind checks for execution work; for creative work the matrix
        keeps on premium, only judged pairs against premium's answer to the same tasks."""
        from ..quality.evidence import evidence_counts
        from .evidence_rules import comparisons_fail

        r = self.settings.router
        own = self.memory.route_stats(task.type, task.channel)
        pooled: dict[str, RouteStats] | None = None
        best: tuple[float, float, str, dict[str, Any]] | None = None
        creative = creative_keep(profile)
        # a model route that could take the work: a route that is not a model (a template, a
        # remembered result) is preferred over it only on judged evidence (issue 23.3): its
        # route-blind check says the work is usable, not that it is as good as a model's
        models_here = [m for m in _MODEL_ROUTES if m in profile.routes and m not in unavailable]
        for route in profile.delegate_routes():
            if route in unavailable:
                continue
            s, scope = own.get(route), "channel"
            if s is None or s.evidence_n < r.learned_min_outcomes:
                pooled = pooled if pooled is not None else self.memory.route_stats(task.type)
                s, scope = pooled.get(route), "all channels"
            if s is None or s.evidence_n < r.learned_min_outcomes \
                    or s.success_rate < r.learned_min_success:
                continue
            pattern: dict[str, Any] = {
                "route": route, "count": s.evidence_n, "success_rate": round(s.success_rate, 4),
                "mean_quality": None if s.mean_quality is None else round(s.mean_quality, 4),
                "mean_cost_usd": round(s.mean_cost, 9), "evidence": scope,
                "evidence_kind": "route-blind checks and judged outcomes",
                "evidence_used": evidence_counts(self.memory, task.type, route,
                                                 s.evidence_n)}
            if creative or (route not in _MODEL_ROUTES and models_here):
                judged = self._judged_against_premium(task, route, profile)
                if judged is None:
                    continue
                pattern.update(judged)
            elif comparisons_fail(self, task, route, profile):
                continue  # compared with premium, it kept too little of its quality
            key = (s.mean_cost, -(pattern["mean_quality"] or 0.0))
            if best is None or key < best[:2]:
                best = (*key, route, pattern)
        if best is None:
            return None
        return best[2], best[3]

    def _judged_against_premium(self, task: Task, route: str,
                                profile: Profile) -> dict[str, Any] | None:
        """Shadow pairs of ``route`` against premium: enough of them, with the route's judged
        quality at least ``[quality] maintenance_floor`` of premium's and above the floor."""
        from ..quality.evidence import comparisons  # judged pairs and people's verdicts

        need = self.settings.router.learned_min_outcomes
        pairs, scope = comparisons(self.memory, task.type, task.channel, route), "channel"
        if len(pairs) < need:
            pairs, scope = comparisons(self.memory, task.type, None, route), "all channels"
        if len(pairs) < need:
            return None
        mine = sum(p["quality"] for p in pairs) / len(pairs)
        premium = sum(p["premium_quality"] for p in pairs) / len(pairs)
        ratio = mine / premium if premium > 0 else 0.0
        if ratio < self.settings.quality.maintenance_floor or mine < profile.quality_floor:
            return None
        people = sum(1 for p in pairs if p["evidence"] == "human")
        return {"count": len(pairs), "mean_quality": round(mine, 4), "evidence": scope,
                "evidence_kind": "judged pairwise against premium" + (
                    f" ({people} of them people's verdicts)" if people else ""),
                "relative_quality": round(ratio, 4)}

    def _evidence_note(self, task: Task, profile: Profile) -> str:
        """Why memory's outcomes on cheaper routes taught nothing (for `route explain`)."""
        stats = self.memory.route_stats(task.type)
        unjudged = {r: s.unjudged for r, s in stats.items()
                    if r != "premium" and s.unjudged}
        if not unjudged:
            return ""
        said = ", ".join(f"{n} on {r}" for r, n in unjudged.items())
        no_judge = self.assurance.why_no_judge
        why = f"no judge: {no_judge}" if no_judge else "not yet judged against premium"
        return (f"; memory's outcomes ({said}) are unjudged ({why}): a route's own score is "
                f"not evidence that creative work can be delegated")

    def _unavailable(self, task_type: str, profile: Profile) -> dict[str, str]:
        out = {}
        for route in profile.routes:
            why = self.registry.unavailable(task_type, route)
            if why:
                out[route] = why
        return out

    def _chain(self, chosen: str, profile: Profile, unavailable: dict[str, str]) -> list[str]:
        """The chosen route, then premium; then the other delegate routes as a last resort."""
        chain = [chosen]
        rest = [r for r in profile.delegate_routes() if r not in unavailable and r != chosen]
        if chosen == "memory" and rest:  # nothing remembered is not a failure: render instead
            chain.append(rest.pop(0))
        if "premium" in profile.routes and "premium" not in unavailable \
                and "premium" not in chain:
            chain.append("premium")
        chain += [r for r in rest if r not in chain]
        return chain

    def decide(self, task: Task) -> Decision:
        """Choose a route for ``task`` and say why, without running anything."""
        profile = self.settings.profile(task.type)
        analysis = self.settings.analyse(task, self.premium_cost(task, profile))
        threshold = self.settings.router.cost_threshold_usd
        unavailable = self._unavailable(task.type, profile)
        available = [r for r in profile.routes if r not in unavailable]
        if profile.forced_route:
            route = profile.forced_route
            if route in unavailable:
                why = unavailable[route]  # "<name> is not configured: set <VAR>" (media
                if "is not configured" in why:  # backends) or "<VAR> is not set (...)" (chat)
                    raise MissingKeyError(route, why.split(": ", 1)[-1].removeprefix("set "))
                if " is not set" in why:
                    raise MissingKeyError(route, why)
                raise RouteUnavailable(f"{task.type}: forced route {route} is unavailable "
                                       f"({why})")
            decision = "keep" if route == "premium" else "delegate"
            return Decision(task.type, task.channel, analysis, decision, route,
                            f"route forced by [task_types.{task.type}] route = {route!r}", None,
                            self._chain(route, profile, unavailable), unavailable)
        if not available:
            raise RouteUnavailable(f"{task.type}: no route can run here: " + "; ".join(
                f"{r}: {why}" for r, why in unavailable.items()))
        learned = self._learned(task, profile, unavailable)
        numbers: dict[str, Any] = {}
        if learned is not None:
            route, pattern = learned
            decision = "delegate"
            judged = (f", judged {pattern['relative_quality']:.0%} of premium's quality"
                      if "relative_quality" in pattern else "")
            reason = (f"memory holds a learned pattern: {pattern['count']} outcomes on {route} "
                      f"({pattern['evidence']}; {pattern['evidence_kind']}) with "
                      f"{pattern['success_rate']:.0%} success{judged} at "
                      f"{format_usd(pattern['mean_cost_usd'], 4, trim=True)} each, so it goes "
                      f"to {route}")
            learned_info: dict[str, Any] | None = pattern
        else:
            learned_info = None
            delegate = analysis.should_delegate(threshold)
            decision = "delegate" if delegate else "keep"
            reason = analysis.matrix_reason(threshold)
            wanted = ([r for r in profile.delegate_routes()] if delegate
                      else [r for r in ("premium",) if r in profile.routes])
            route = next((r for r in wanted if r not in unavailable), "")
            if not wanted:  # kept work, but this task type has no premium route
                route = available[0]
                reason += f"; premium is not among its routes, so it runs on {route}"
            elif not route:
                route = available[0] if delegate is False else next(
                    r for r in profile.routes if r not in unavailable)
                gone = ", ".join(f"{r} ({unavailable[r]})" for r in wanted if r in unavailable)
                reason += f"; but {gone} unavailable, so it runs on {route}"
            elif delegate and route != wanted[0]:
                reason += (f"; {wanted[0]} is unavailable ({unavailable[wanted[0]]}), so "
                           f"{route}")
            else:
                reason += f", to the {route} route"
            if creative_keep(profile):
                reason += self._evidence_note(task, profile)
            else:
                from .evidence_rules import evidence_note

                reason += evidence_note(self, task, profile, unavailable)
        if self.settings.router.strategy == "bandit" and profile.forced_route is None:
            from .strategy import bandit_choice  # Thompson sampling (see archibald.learning)

            route, reason, numbers = bandit_choice(self, task, profile, analysis, unavailable,
                                                   route, reason)
            decision = "keep" if route == "premium" else "delegate"
        share = self.settings.router.explore_share
        if share > 0 and len(available) > 1 and self.rng.random() < share:
            alt = self.rng.choice([r for r in available if r != route])
            reason = f"exploring {alt} instead of {route} (A/B share {share:.0%}); " + reason
            route = alt
            decision = "keep" if route == "premium" else "delegate"
            numbers["explored"] = True
        return Decision(task.type, task.channel, analysis, decision, route, reason + ".",
                        learned_info, self._chain(route, profile, unavailable), unavailable,
                        numbers)

    def asked(self, task: Task, routes: list[str], reason: str) -> Decision:
        """The decision an app made itself (a gateway request naming ``archibald/auto:cheap``,
        ``:best`` or a model): ``routes`` in order, those available here, with the task's
        analysis and no learned evidence consulted (nothing of it would change the choice)."""
        profile = self.settings.profile(task.type)
        unavailable = self._unavailable(task.type, profile)
        chain = [r for r in routes if r not in unavailable] or routes[-1:]
        route = chain[0]
        return Decision(task.type, task.channel, self.analyse(task),
                        "keep" if route == "premium" else "delegate", route, reason, None,
                        chain, unavailable)

    def explain(self, task_type: str, channel: str = "default",
                inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.decide(Task(task_type, inputs or {}, channel)).as_dict()

    # -- execution ------------------------------------------------------------------------
    async def run(self, task: Task, context: Context, *, run_id: str = "", stage: str = "",
                  check: QualityCheck | None = None,
                  decision: Decision | None = None, resume: bool = True) -> RouteResult:
        """Run ``task`` along its route chain; record every attempt; escalate on failure.

        Every call is reserved and written ahead to the ledger (see archibald.store.writeahead): a
        resumed run re-uses an answer already paid for instead of calling again. ``resume``
        False: ``run_id`` is new (a gateway request's), so there is nothing to look up.
        """
        decision = decision or self.decide(task)
        state = _Run(task, context, run_id, stage or task.type, decision,
                     self.assurance.checked(check),  # labels each figure's evidence
                     self.settings.profile(task.type).quality_floor, task_key(task))
        done = await self._resume(state) if resume else None
        if done is not None:
            return done
        sink = context.extra.get("stream")
        for route in decision.chain:
            if sink is not None and sink.started:
                # part of an answer has reached its reader: no route can finish or replace it
                state.errors.append((route, "not tried: the answer was already streaming, "
                                             + "so no other route may take over"))
                break
            backend = self.registry.get(task.type, route)
            if backend is None or route in state.refused:
                continue
            key = breaker_key(backend)
            cold = BREAKER.why_not(key) if key else None
            if cold is not None:  # unreachable a moment ago: not asked again, nothing reserved
                state.errors.append((route, cold))
                continue
            why = ("chosen: " + decision.reason if not (state.errors and state.attempts)
                   else "fallback after {} failed: {}".format(*state.errors[-1]))
            result = await self._call(state, route, backend, why)
            if result is not None:
                return result
        last = getattr(self.registry.get(task.type, "local"), "last_resort", None)
        if last is not None and "local" in decision.chain and (result := await self._call(
                state, "local", last, f"last resort after: {each_failure(state.errors)}")):
            return result  # a local model failed or was rejected: the offline writer's turn
        if state.rejected:
            # nothing better to escalate to: keep the best result, flagged below its floor
            score, outcome, _ = max(state.rejected, key=lambda t: t[0])
            outcome.detail["below_floor"] = True
            return RouteResult(outcome, decision, state.attempts, below_floor=True)
        if state.errors:
            raise RoutesFailed(task.type, state.errors)
        raise RouteUnavailable(f"{task.type}: no backend could run it")

    def deadline(self, task: Task, route: str) -> float | None:
        """Seconds a paid call of this task type may take before the route is given up."""
        return call_deadline(self.settings.profile(task.type), task, route)

    def _reserve(self, state: "_Run", route: str, backend: Backend, why: str,
                 also: Callable[[Any, int], None] | None = None) -> tuple[Task, Attempt]:
        """The pending ledger row of the next call, reserved against every budget (``also``
        written in the same transaction); a chat call whose maximum does not fit is shrunk
        to fit (the reason says so) or refused."""
        task = state.task
        most = backend.max_cost(task)
        if most is None:
            most = self.estimate(task, route, state.decision.analysis)
        state.numbers[route] = state.numbers.get(route, 0) + 1
        attempt = self._attempt(task, route, backend, False, 0, 0, state.run_id, state.stage,
                                0.0, why)
        attempt.idempotency_key = idempotency_key(state.run_id, state.stage, route,
                                                  state.numbers[route], state.input_key)
        attempt.input_key = state.input_key
        attempt.max_cost_nano = to_nano(most)
        try:
            self.budget.reserve(attempt, task_spent_nano=state.spent, also=also)
            return task, attempt
        except BudgetExceeded:
            room = self.budget.room(channel=task.channel, run_id=state.run_id,
                                    task_spent_nano=state.spent)
            fitted = backend.fit(task, room / NANO) if room is not None and room > 0 else None
            if fitted is None:
                raise
        task, note = fitted
        attempt.reason = f"{why}; {note}"
        attempt.max_cost_nano = to_nano(backend.max_cost(task) or 0.0)
        self.budget.reserve(attempt, task_spent_nano=state.spent, also=also)
        return task, attempt

    async def _call(self, state: "_Run", route: str, backend: Backend,
                    why: str) -> RouteResult | None:
        """One call on one route, written ahead: reserve, call, settle, then check."""
        # a chat call's answer is kept from the wire before it is parsed (store.writeahead)
        wire = WireLog(self.memory.engine) \
            if route in PAID_ROUTES and backend.keeps_wire(state.context) else None
        at_once = wire is not None and backend.sends_at_once(state.context)
        task, attempt = self._reserve(state, route, backend, why,
                                      also=wire.sent_in if wire and at_once else None)
        assert attempt.id is not None
        if wire is not None:
            wire.attempt_id = attempt.id
        context = dataclasses.replace(
            state.context, request_id_sink=self._request_id_sink(attempt),
            extra={**state.context.extra, "wire": wire} if wire else state.context.extra)
        limit = self.deadline(task, route)
        batcher = state.context.extra.get("batcher")
        provider = getattr(getattr(backend, "provider", None), "name", None)
        if batcher is not None and provider and batcher.wants(state.run_id, provider):
            limit = None  # a batched call waits for the item's deadline, which its batcher keeps
        start = time.perf_counter()
        try:
            outcome = await within(backend.execute(task, context), limit,
                                   inline=backend.cancels_at_once)
        except BudgetExceeded:
            self._lost(attempt, "refused by a budget during the call", wire=wire)
            raise
        except TimeoutError:
            err = BackendTimeout(f"{backend.name} gave no answer within the {limit:g} s "
                                 f"deadline of a {task.type} call")
            self._lost(attempt, f"{type(err).__name__}: {err}", time.perf_counter() - start,
                       wire=wire)
            state.attempts.append(attempt)
            state.errors.append((route, why_failed(err)))
            return None
        except DelegationError as exc:
            warn_if_key_refused(exc)
            if isinstance(exc, ProviderUnreachable) and (key := breaker_key(backend)):
                BREAKER.trip(key, str(exc))
            if getattr(exc, "billed_unknown", False):
                # answered but unreadable: maybe billed, so its maximum stays held (unknown)
                self._lost(attempt, f"{type(exc).__name__}: {exc}", time.perf_counter() - start,
                           wire=wire)
                state.attempts.append(attempt)
                state.errors.append((route, why_failed(exc)))
                return None
            attempt.cost_nano = to_nano(getattr(exc, "cost", 0.0) or 0.0)
            attempt.seconds = time.perf_counter() - start
            attempt.error = str(exc)
            attempt.checked = True
            self.memory.settle(attempt, also=wire.forget if wire else None)
            state.spent += attempt.cost_nano
            state.attempts.append(attempt)
            state.errors.append((route, why_failed(exc)))
            return None
        except UserError as exc:  # a mistake to fix (bad input): released, then said
            self._released(attempt, exc, time.perf_counter() - start, wire)
            raise
        except Exception as exc:  # noqa: BLE001 - a plain exception (a bug, a library's
            # error) from a backend: its reservation released, the next route tried
            self._released(attempt, exc, time.perf_counter() - start, wire)
            print(f"warning: {backend.name} raised {type(exc).__name__}: {exc}; trying the "
                  f"next route", file=sys.stderr)
            state.attempts.append(attempt)
            state.errors.append((route, why_failed(exc)))
            return None
        outcome.seconds = outcome.seconds or time.perf_counter() - start
        answered(attempt, outcome)
        # a priced answer is kept with its row (a free route's is simply made again), and its
        # wire row is then done; durable before anything else unless the wire holds it
        unsettled = Unsettled(self.memory, attempt, outcome_payload(outcome) if route in
                               PAID_ROUTES or attempt.cost_nano else None, wire)
        if wire is None:
            unsettled.settle()
        state.spent += attempt.cost_nano
        warn_if_over_reserved(backend.name, attempt, outcome)
        return await self._judge(state, attempt, outcome, unsettled)

    def _released(self, attempt: Attempt, exc: BaseException, seconds: float,
                  wire: Any) -> None:
        """Settle a call that raised instead of answering at $0: its reservation is free."""
        attempt.error, attempt.seconds, attempt.checked = \
            f"{type(exc).__name__}: {exc}", seconds, True
        self.memory.settle(attempt, also=wire.forget if wire else None)

    def _request_id_sink(self, attempt: Attempt) -> Callable[[str], None]:
        """Where a backend reports its provider's request id: into the pending row, at once."""
        assert attempt.id is not None
        row = attempt.id

        def sink(request_id: str) -> None:
            attempt.request_id = request_id[:200]
            self.memory.note_request_id(row, request_id)
        return sink

    def _lost(self, attempt: Attempt, error: str, seconds: float = 0.0, *,
              wire: WireLog | None = None) -> None:
        """A call whose answer will never come: it may have been billed, so its maximum
        stays counted against budgets (status "unknown")."""
        attempt.error, attempt.seconds = error, seconds
        self.memory.mark_unknown(attempt)
        if wire:
            wire.forget()

    async def _judge(self, state: "_Run", attempt: Attempt, outcome: Outcome,
                     unsettled: "Unsettled | None" = None) -> RouteResult | None:
        """Check an answer; the accepted one ends the task, a rejected one escalates.

        An answer its wire row still holds (``unsettled`` not yet settled) is settled once,
        checked, in the transaction that forgets its wire row; settled unchecked first only
        when quality assurance will call a judge (it stays durable through those calls)."""
        unsettled = unsettled or Unsettled(self.memory, attempt, done=True)
        unusable = None
        try:
            score, details = (state.check(outcome) if state.check else (outcome.quality, {}))
        except (MediaError, InputError, OSError, ValueError, KeyError, TypeError) as exc:
            # a file that does not decode, a reply in the wrong shape: paid for, unusable
            unusable = f"the answer cannot be used: {type(exc).__name__}: {exc}"
            score, details = 0.0, {"error": unusable}
        except BaseException:
            unsettled.settle()  # a check that broke: the answer stays paid for, unchecked
            raise
        outcome.quality = score
        if details:
            outcome.detail.setdefault("quality", details)
        floor = state.floor
        rejected = bool(unusable) or (score is not None and score < floor)
        if not rejected and not unsettled.done and self.assurance.may_call(state.task):
            unsettled.settle()  # unchecked (and so not learnt from) until QA has spoken
        attempt.quality, attempt.checked = score, True
        attempt.evidence = str(outcome.detail.get("evidence", ""))
        if rejected:
            attempt.error = unusable or f"quality {score:.2f} below the floor {floor:.2f}"
            unsettled.settle()
            state.attempts.append(attempt)
            if not unusable:  # kept as the best of a bad lot only if it can be used at all
                state.rejected.append((score or 0.0, outcome, attempt))
            state.errors.append((attempt.route, attempt.error or "rejected"))
            return None
        cost = attempt.cost_nano
        attempt.success = True
        attempt.baseline_nano = premium_baseline(self, state.task, attempt.route, outcome, cost)
        qa = await self.assurance.assure(state.task, state.context, state.decision, outcome,
                                         attempt, check=state.check, run_id=state.run_id,
                                         stage=state.stage, spent=state.spent)
        if state.context.settle_later is not None:  # its caller settles it once it is sent
            state.context.settle_later.append(unsettled)
        else:
            unsettled.settle()
        state.attempts += [attempt, *qa]
        return RouteResult(outcome, state.decision, state.attempts)

    async def _resume(self, state: "_Run") -> RouteResult | None:
        """What an earlier, killed process left for this very task: its settled answer is
        re-used, a pending call fetched by its request id where the provider allows it (else
        marked unknown); earlier attempts of the task join this result's attempts."""
        if not state.run_id:
            return None
        earlier = [a for a in self.memory.attempts_of_run(state.run_id, state.stage)
                   if a.input_key == state.input_key]
        for a in earlier:  # new calls continue the numbering of their idempotency keys
            state.numbers[a.route] = state.numbers.get(a.route, 0) + 1
        state.attempts.extend(a for a in earlier if a.status != "pending"
                              and not (a.status == "settled" and not a.checked))
        for attempt, payload in self.memory.refused_answers(state.run_id, state.stage,
                                                            state.input_key):
            # paid for and refused by its check before the kill: not bought again
            state.refused.add(attempt.route)
            state.errors.append((attempt.route, attempt.error or "rejected"))
            if attempt.quality is not None and (attempt.error or "").startswith("quality"):
                outcome = outcome_from_payload(payload)
                outcome.quality = attempt.quality
                if files_present(outcome):
                    state.rejected.append((attempt.quality, outcome, attempt))
        state.spent = sum(a.cost_nano for a in state.attempts)
        found = self.memory.settled_answer(state.run_id, state.stage, state.input_key)
        if found is not None:
            attempt, payload = found
            outcome = outcome_from_payload(payload)
            if files_present(outcome):
                if not attempt.checked:
                    state.spent += attempt.cost_nano
                    return await self._judge(state, attempt, outcome)
                outcome.quality = attempt.quality  # as its check scored it
                return RouteResult(outcome, state.decision, state.attempts)
        for attempt in self.memory.open_attempts(state.run_id, state.stage):
            result = await self._reconcile(state, attempt)
            if result is not None:
                return result
        return None

    async def _reconcile(self, state: "_Run", attempt: Attempt) -> RouteResult | None:
        """Settle a pending call of a killed process by fetching its answer, or mark it
        unknown. A recovered answer is checked like a fresh one."""
        backend = self.registry.get(state.task.type, attempt.route)
        outcome = None
        # a lost judge's or shadow's answer is never the task's answer
        production = attempt.purpose == "production"
        if production and backend is not None and backend.name == attempt.backend \
                and attempt.input_key == state.input_key and attempt.id is not None \
                and backend.keeps_wire(state.context):
            kept = kept_answer(self.memory.engine, attempt.id)
            if kept is None or kept.state == "failed":
                # reserved but never sent, or refused with an error status: nothing billed
                release(self.memory.engine, attempt.id,
                        "released on resume: the run was killed before this call's request "
                        "left the process" if kept is None else
                        f"released on resume: the provider answered HTTP {kept.status}, "
                        f"an error that is not billed")
                return None
            if kept.state == "answered":
                try:  # the bytes the killed run was billed for, parsed now: no second call
                    outcome = await backend.replay(kept, state.task, state.context)
                except DelegationError as exc:
                    attempt.error = f"its kept answer cannot be read: {exc}"
        elif production and backend is not None and attempt.request_id \
                and attempt.input_key == state.input_key:
            try:
                outcome = await backend.recover(attempt.request_id, state.task, state.context)
            except DelegationError as exc:
                attempt.error = f"could not fetch the answer of {attempt.request_id}: {exc}"
        if outcome is None:
            self._lost(attempt, attempt.error or "the run was killed before this call was "
                                                 "answered; the provider may have billed it",
                       wire=WireLog(self.memory.engine, attempt.id) if attempt.id else None)
            if attempt.input_key == state.input_key:
                state.attempts.append(attempt)
            return None
        answered(attempt, outcome)
        assert attempt.id is not None
        self.memory.settle(attempt, outcome_payload(outcome),  # its wire row done with it
                           also=WireLog(self.memory.engine, attempt.id).forget)
        state.spent += attempt.cost_nano
        return await self._judge(state, attempt, outcome)

    def _attempt(self, task: Task, route: str, backend: Backend, success: bool, cost: int,
                 baseline: int, run_id: str, stage: str, seconds: float, reason: str, *,
                 outcome: Outcome | None = None, error: str | None = None) -> Attempt:
        usage = outcome.usage.as_dict() if outcome else {}
        return Attempt(task_type=task.type, route=route, backend=backend.name, success=success,
                       cost_nano=cost, baseline_nano=baseline, channel=task.channel,
                       run_id=run_id, stage=stage or task.type,
                       model=outcome.model if outcome else None,
                       quality=outcome.quality if outcome else None, seconds=seconds,
                       usage=usage, error=error, reason=reason,
                       config_digest=self.settings.digest,
                       price_source=str(outcome.detail.get("price_source", "")) if outcome
                       else "")
