"""The backend seam: one abstract method, capabilities as class attributes."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, Awaitable, Callable, ClassVar, Mapping

from ...core.price_rules import PriceRule, apply_rule
from ...core.tasks import Context, Outcome, Task

__all__ = ["Backend", "FunctionBackend"]


class Backend(ABC):
    """Runs a task on one route.

    Subclasses set ``route`` (premium / budget / agent / local / memory) and ``capability``
    (text, speech, music, image, video, upload, agent) and implement :meth:`execute`.
    """

    route: ClassVar[str] = "local"
    capability: ClassVar[frozenset[str]] = frozenset()
    #: the name recorded in the ledger, e.g. "anthropic:claude-sonnet-4-5" or "local:piper"
    name: str = "backend"
    #: a call of it, cancelled (its deadline), winds down at once: nothing to await, no
    #: clean-up request (a chat call's connection is simply closed); the router then runs it
    #: in the request's own task (archibald.core.calls.within)
    cancels_at_once: ClassVar[bool] = False

    def unavailable_reason(self) -> str | None:
        """Why this backend cannot run here (e.g. a missing key), or None if it can."""
        return None

    @abstractmethod
    async def execute(self, task: Task, context: Context) -> Outcome:
        """Do the work; raise a DelegationError subclass when it fails."""

    def max_cost(self, task: Task) -> float | None:
        """The most this call can be billed, in USD, reserved against budgets before it is
        made; None when the provider sets no bound (the router then reserves its estimate)."""
        return None

    def fit(self, task: Task, room_usd: float) -> tuple[Task, str] | None:
        """``task`` changed so its maximum fits in ``room_usd`` (a smaller max_tokens, say),
        with a sentence saying what changed; None when it cannot be made to fit."""
        return None

    async def recover(self, request_id: str, task: Task, context: Context) -> Outcome | None:
        """The answer of a call an earlier, killed process made, fetched by the provider's
        request id without paying again; None when the provider cannot give it back."""
        return None

    def keeps_wire(self, context: Context) -> bool:
        """Whether this call goes through the wire tap (``context.extra["wire"]``, see
        archibald.providers.backends.wire): its answer's bytes are kept before they are
        parsed, and a call with no wire record was never sent."""
        return False

    def sends_at_once(self, context: Context) -> bool:
        """Whether this call's request leaves as soon as it is reserved (nothing awaited
        first), so its wire row can be written as sent with the reservation."""
        return False

    async def replay(self, kept: Any, task: Task, context: Context) -> Outcome:
        """The outcome of an answer a killed process kept from the wire, parsed and priced as
        if it had just arrived, without calling again (only when ``keeps_wire``)."""
        from .wire import tapped

        if not self.keeps_wire(context):
            raise NotImplementedError(f"{self.name} keeps no wire to replay")
        replaying = _Replay(kept)
        with tapped(replaying):
            return await self.execute(task, context)

    def checked_prompt(self, task: Task, provider: str, key: str = "prompt") -> str:
        """The task's ``key`` input (its prompt), after checking this backend can run here."""
        from ...errors import NonRetryable, RouteUnavailable

        reason = self.unavailable_reason()
        if reason:
            raise RouteUnavailable(reason)
        prompt = task.inputs.get(key)
        if not prompt:
            raise NonRetryable(f"task {task.type!r} has no {key!r} input for {self.name}",
                               provider=provider)
        return str(prompt)


class _Replay:
    """A tap that answers with a kept answer and records nothing."""

    def __init__(self, kept: Any) -> None:
        self.replay = kept

    def sending(self) -> None:
        raise AssertionError("a replayed call sends nothing")

    def answered(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        pass


class FunctionBackend(Backend):
    """A backend made from an async function; handy for local routes and tests.

    ``price`` (a :class:`~archibald.core.price_rules.PriceRule`) prices its calls like ours:
    its maximum is reserved before a call, its cost computed from what the call consumed.
    ``declared`` False (a user's backend that gave no rule) says so in the ledger."""

    def __init__(self, name: str, route: str,
                 fn: Callable[[Task, Context], Awaitable[object]],
                 capability: frozenset[str] = frozenset(), *,
                 price: PriceRule | None = None, declared: bool = True) -> None:
        self.name = name
        self._route = route
        self._fn = fn
        self._capability = capability
        self.price = price
        self.declared = declared

    @property
    def route(self) -> str:  # type: ignore[override]  # an instance-level route
        return self._route

    def max_cost(self, task: Task) -> float | None:
        return self.price.max_cost(task) if self.price is not None else None

    async def execute(self, task: Task, context: Context) -> Outcome:
        start = time.perf_counter()
        result = await self._fn(task, context)
        seconds = time.perf_counter() - start
        if isinstance(result, Outcome):
            if not result.seconds:
                result.seconds = seconds
            outcome = result
        else:
            outcome = Outcome(artifact=result, backend=self.name, route=self._route,
                              seconds=seconds)
        if self.price is None and self.declared:
            return outcome
        return apply_rule(self.price, task, outcome, seconds, self.name)
