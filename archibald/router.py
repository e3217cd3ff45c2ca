"""Route choice: learned pattern, else the decision matrix; fallback, escalation, the ledger.

``Router.decide`` picks a route and says why; ``Router.run`` executes the task along a chain of
routes (the chosen one, then premium), records every attempt with its real cost, and escalates
when a result fails its quality check.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .backends.base import Backend
from .budgets import BudgetGuard
from .config import Profile, Settings
from .errors import (BudgetExceeded, DelegationError, MissingKeyError,
                     RouteUnavailable)
from .ledger import Attempt, to_nano
from .memory import Memory, RouteStats
from .prices import PriceBook
from .tasks import Context, Outcome, Task, TaskAnalysis

__all__ = ["Registry", "Decision", "RouteResult", "Router", "QualityCheck"]

#: a stage's check: scores an outcome in [0, 1] with details
QualityCheck = Callable[[Outcome], tuple[float, dict[str, Any]]]


class Registry:
    """Which backend serves which (task type, route)."""

    def __init__(self) -> None:
        self._backends: dict[tuple[str, str], Backend] = {}

    def register(self, task_type: str, route: str, backend: Backend) -> None:
        self._backends[(task_type, route)] = backend

    def get(self, task_type: str, route: str) -> Backend | None:
        return self._backends.get((task_type, route))

    def unavailable(self, task_type: str, route: str) -> str | None:
        """Why this route cannot run this task type here, or None when it can."""
        backend = self.get(task_type, route)
        if backend is None:
            return f"no {route} backend for {task_type}"
        return backend.unavailable_reason()


@dataclass
class Decision:
    """The router's choice for one task, with everything `route explain` shows."""

    task_type: str
    channel: str
    analysis: TaskAnalysis
    decision: str  # "keep" or "delegate"
    route: str
    reason: str
    learned: dict[str, Any] | None
    chain: list[str]
    unavailable: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"task_type": self.task_type, "channel": self.channel,
                "analysis": self.analysis.as_dict(), "decision": self.decision,
                "route": self.route, "reason": self.reason, "learned": self.learned,
                "fallback_chain": self.chain, "unavailable": self.unavailable,
                "numbers": self.numbers}


@dataclass
class RouteResult:
    """The accepted outcome of a task and every attempt it took to get there."""

    outcome: Outcome
    decision: Decision
    attempts: list[Attempt]
    below_floor: bool = False

    @property
    def cost_nano(self) -> int:
        return sum(a.cost_nano for a in self.attempts)

    @property
    def baseline_nano(self) -> int:
        return sum(a.baseline_nano for a in self.attempts)


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
        #: an archibald.backends.batchapi.Batcher when runs may wait for provider batch APIs
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
        r = self.settings.router
        own = self.memory.route_stats(task.type, task.channel)
        pooled: dict[str, RouteStats] | None = None
        best: tuple[float, float, str, RouteStats, str] | None = None
        for route in profile.delegate_routes():
            if route in unavailable:
                continue
            s, scope = own.get(route), "channel"
            if s is None or s.n < r.learned_min_outcomes:
                pooled = pooled if pooled is not None else self.memory.route_stats(task.type)
                s, scope = pooled.get(route), "all channels"
            if s is None or s.n < r.learned_min_outcomes or s.success_rate < r.learned_min_success:
                continue
            key = (s.mean_cost, -(s.mean_quality or 0.0), route, s, scope)
            if best is None or key[:2] < best[:2]:
                best = key
        if best is None:
            return None
        _, _, route, s, scope = best
        return route, {"route": route, "count": s.n, "success_rate": round(s.success_rate, 4),
                       "mean_quality": (None if s.mean_quality is None
                                        else round(s.mean_quality, 4)),
                       "mean_cost_usd": round(s.mean_cost, 9), "evidence": scope}

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
        if "premium" not in unavailable and "premium" not in chain:
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
                raise MissingKeyError(route, unavailable[route]) if "not set" in unavailable[
                    route] else RouteUnavailable(f"{task.type}: forced route {route} is "
                                                 f"unavailable ({unavailable[route]})")
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
            reason = (f"memory holds a learned pattern: {pattern['count']} outcomes on {route} "
                      f"({pattern['evidence']}) with {pattern['success_rate']:.0%} success at "
                      f"${pattern['mean_cost_usd']:.4f} each, so it goes to {route}")
            learned_info: dict[str, Any] | None = pattern
        else:
            learned_info = None
            delegate = analysis.should_delegate(threshold)
            decision = "delegate" if delegate else "keep"
            reason = analysis.matrix_reason(threshold)
            wanted = ([r for r in profile.delegate_routes()] if delegate else ["premium"])
            route = next((r for r in wanted if r not in unavailable), "")
            if not route:
                route = available[0] if delegate is False else next(
                    r for r in profile.routes if r not in unavailable)
                gone = ", ".join(f"{r} ({unavailable[r]})" for r in wanted if r in unavailable)
                reason += f"; but {gone} unavailable, so it runs on {route}"
            elif delegate and route != wanted[0]:
                reason += (f"; {wanted[0]} is unavailable ({unavailable[wanted[0]]}), so "
                           f"{route}")
            else:
                reason += f", to the {route} route"
        if self.settings.router.strategy == "bandit" and profile.forced_route is None:
            route, reason, numbers = self._bandit(task, profile, analysis, unavailable,
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

    def _bandit(self, task: Task, profile: Profile, analysis: TaskAnalysis,
                unavailable: dict[str, str], matrix_route: str,
                matrix_reason: str) -> tuple[str, str, dict[str, Any]]:
        """Thompson sampling over the available routes (see archibald.learning)."""
        from .strategy import bandit_choice

        return bandit_choice(self, task, profile, analysis, unavailable, matrix_route,
                             matrix_reason)

    def explain(self, task_type: str, channel: str = "default",
                inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.decide(Task(task_type, inputs or {}, channel)).as_dict()

    # -- execution ------------------------------------------------------------------------
    async def run(self, task: Task, context: Context, *, run_id: str = "", stage: str = "",
                  check: QualityCheck | None = None,
                  decision: Decision | None = None) -> RouteResult:
        """Run ``task`` along its route chain; record every attempt; escalate on failure."""
        decision = decision or self.decide(task)
        profile = self.settings.profile(task.type)
        floor = profile.quality_floor
        attempts: list[Attempt] = []
        rejected: list[tuple[float, Outcome, Attempt]] = []
        errors: list[str] = []
        spent = 0
        for i, route in enumerate(decision.chain):
            backend = self.registry.get(task.type, route)
            if backend is None:
                continue
            estimate = self.estimate(task, route, decision.analysis)
            self.budget.check(estimate, channel=task.channel, run_id=run_id,
                              task_spent_nano=spent)
            why = ("chosen: " + decision.reason if i == 0
                   else f"fallback after {decision.chain[i - 1]} failed: {errors[-1]}")
            start = time.perf_counter()
            try:
                outcome = await backend.execute(task, context)
            except BudgetExceeded:
                raise
            except DelegationError as exc:
                cost = to_nano(getattr(exc, "cost", 0.0) or 0.0)
                spent += cost
                attempt = self._attempt(task, route, backend, False, cost, 0, run_id, stage,
                                        time.perf_counter() - start, why, error=str(exc))
                self.memory.record(attempt)
                attempts.append(attempt)
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            outcome.seconds = outcome.seconds or time.perf_counter() - start
            cost = to_nano(outcome.cost)
            spent += cost
            score, details = (check(outcome) if check else (outcome.quality, {}))
            outcome.quality = score
            if details:
                outcome.detail.setdefault("quality", details)
            baseline = cost if route == "premium" else to_nano(decision.analysis.estimated_cost)
            if score is not None and score < floor:
                err = f"quality {score:.2f} below the floor {floor:.2f}"
                attempt = self._attempt(task, route, backend, False, cost, 0, run_id, stage,
                                        outcome.seconds, why, outcome=outcome, error=err)
                self.memory.record(attempt)
                attempts.append(attempt)
                rejected.append((score, outcome, attempt))
                errors.append(f"QualityRejected: {err}")
                continue
            attempt = self._attempt(task, route, backend, True, cost, baseline, run_id, stage,
                                    outcome.seconds, why, outcome=outcome)
            self.memory.record(attempt)
            attempts.append(attempt)
            return RouteResult(outcome, decision, attempts)
        if rejected:
            # nothing better to escalate to: keep the best result, flagged below its floor
            score, outcome, _ = max(rejected, key=lambda t: t[0])
            outcome.detail["below_floor"] = True
            return RouteResult(outcome, decision, attempts, below_floor=True)
        if errors:
            raise DelegationError(f"{task.type}: every route failed: " + " | ".join(errors))
        raise RouteUnavailable(f"{task.type}: no backend could run it")

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
