"""The agent route on an OpenHands V1 app server (Cloud, ``openhands serve``, sandbox server).

There is no ``/api/agent/task``. The flow is: ``POST /api/v1/app-conversations`` returns a
*start task*; poll ``GET /api/v1/app-conversations/start-tasks?ids=`` until READY (or ERROR);
poll ``GET /api/v1/app-conversations?ids=`` until ``execution_status`` is finished, error or
stuck (a sandbox in ERROR or MISSING is fatal); then read the answer from
``GET /api/v1/conversation/{id}/events/search`` — the last agent ``finish`` action's message,
else the last agent message. The cost is the conversation's ``metrics.accumulated_cost``.
Failures and timeouts raise DelegationErrors (carrying the cost already spent), which the
router turns into fallbacks.

Nothing is left to run out the deadline: a ``PAUSED`` sandbox (OpenHands Cloud pauses older
conversations under load) is resumed with ``POST /api/v1/sandboxes/{sandbox_id}/resume`` — at
most ``max_resumes`` times — and a conversation that is ``deleting``, ``paused`` by someone, or
whose sandbox cannot be resumed fails at once with the reason.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Mapping

import httpx

from ...errors import BackendError, BackendTimeout, DelegationError, NonRetryable
from ...core.prices import PriceBook
from ..registry import Provider
from ...core.tasks import Context, Outcome, Task, Usage
from .base import Backend
from .http import RetryPolicy, log, request_json

__all__ = ["OpenHandsBackend", "final_answer"]

_START_FATAL = {"ERROR"}
_SANDBOX_FATAL = {"ERROR", "MISSING"}
_TERMINAL = {"finished", "error", "stuck"}
#: failures after which the conversation has stopped by itself (nothing left to cancel)
_AGENT_ENDED = {"agent_error", "agent_stuck", "sandbox_error", "sandbox_missing"}
#: execution states that no amount of waiting ends, and what to tell the user
_HOPELESS = {
    "deleting": "is being deleted",
    "paused": "was paused (by a person or another client); resume it in OpenHands or run "
              "the task again",
    "waiting_for_confirmation": "is waiting for a human to confirm an action; turn "
                                "confirmation mode off for delegated tasks",
}
#: polls a resumed sandbox may still report PAUSED before it is resumed again
_RESUME_GRACE = 3


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(c.get("text", "")) for c in content
                       if isinstance(c, Mapping) and c.get("type", "text") == "text")
    return ""


def final_answer(items: list[Mapping[str, Any]]) -> str | None:
    """The agent's answer from events sorted newest first: finish action, else last message."""
    agent = [e for e in items if isinstance(e, Mapping) and e.get("source") == "agent"]
    for event in agent:
        if event.get("kind") == "ActionEvent" and event.get("tool_name") == "finish":
            action = event.get("action") or {}
            if isinstance(action, Mapping) and action.get("message") is not None:
                return str(action["message"])
    for event in agent:
        if event.get("kind") == "MessageEvent":
            message = event.get("llm_message") or {}
            text = _text(message.get("content") if isinstance(message, Mapping) else None)
            if text:
                return text
    return None


class OpenHandsBackend(Backend):
    """Delegates a task to an OpenHands agent. Reads inputs instruction (+ optional
    repository, title); returns the agent's final answer text as the artifact."""

    capability = frozenset({"agent", "text"})

    def __init__(self, provider: Provider, prices: PriceBook, *, route: str = "agent",
                 llm_model: str | None = None, poll_interval: float = 5.0,
                 deadline: float = 1800.0, request_timeout: float = 30.0,
                 max_resumes: int = 2,
                 retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._route = route
        self.provider = provider
        self.prices = prices
        self.llm_model = llm_model
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.max_resumes = max_resumes
        self.request_timeout = request_timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep or self.retry.sleep
        self.clock = clock
        self.transport = transport
        self.name = "openhands:" + (llm_model or "agent")

    @property
    def route(self) -> str:  # type: ignore[override]
        return self._route

    def unavailable_reason(self) -> str | None:
        if not self.provider.configured:
            return f"openhands is not configured: set {self.provider.missing}"
        return None

    async def _get(self, client: httpx.AsyncClient, path: str, **params: Any) -> Any:
        body, _ = await request_json(client, "GET", self.provider.url(path), provider="openhands",
                                     policy=self.retry, secrets=(self.provider.api_key,),
                                     params=params)
        return body

    @staticmethod
    def _first(body: Any, what: str) -> Mapping[str, Any] | None:
        if isinstance(body, list):
            return body[0] if body and isinstance(body[0], Mapping) else None
        if isinstance(body, Mapping):  # some builds wrap lists as {"items": [...]}
            items = body.get("items")
            if isinstance(items, list):
                return items[0] if items and isinstance(items[0], Mapping) else None
            return body
        raise BackendError(f"openhands answered {what} with an unexpected body",
                           provider="openhands", code="malformed_json")

    def _fail(self, exc: DelegationError, cost: float) -> DelegationError:
        exc.cost = cost
        return exc

    async def execute(self, task: Task, context: Context) -> Outcome:
        instruction = self.checked_prompt(task, "openhands", key="instruction")
        payload: dict[str, Any] = {
            "initial_message": {"content": [{"type": "text", "text": str(instruction)}]}}
        for key in ("selected_repository", "title"):
            source = "repository" if key == "selected_repository" else key
            if task.inputs.get(source):
                payload[key] = str(task.inputs[source])
        if self.llm_model:
            payload["llm_model"] = self.llm_model
        headers = {"Authorization": f"Bearer {self.provider.api_key}"} \
            if self.provider.api_key else {}
        started, t0 = self.clock(), time.perf_counter()
        async with httpx.AsyncClient(timeout=self.request_timeout, headers=headers,
                                     transport=self.transport) as client:
            body, _ = await request_json(client, "POST",
                                         self.provider.url("api/v1/app-conversations"),
                                         provider="openhands", policy=self.retry,
                                         secrets=(self.provider.api_key,), json=payload)
            start = self._first(body, "the new conversation") or {}
            task_id = str(start.get("id") or "")
            if not task_id:
                raise BackendError("openhands accepted the task without a start-task id",
                                   provider="openhands", code="malformed_json")
            context.on_request_id(f"start-task:{task_id}")
            conv_id = await self._wait_ready(client, start, started)
            context.on_request_id(f"conversation:{conv_id}")
            return await self._finish(client, conv_id, started, t0, task_id)

    async def recover(self, request_id: str, task: Task, context: Context) -> Outcome | None:
        """Follow a conversation a killed run started, to its answer and its cost."""
        kind, _, ident = request_id.partition(":")
        headers = {"Authorization": f"Bearer {self.provider.api_key}"} \
            if self.provider.api_key else {}
        started, t0 = self.clock(), time.perf_counter()
        async with httpx.AsyncClient(timeout=self.request_timeout, headers=headers,
                                     transport=self.transport) as client:
            if kind == "start-task":
                state = self._first(await self._get(client, "api/v1/app-conversations/start-tasks",
                                                    ids=ident), "the start task")
                if state is None:
                    return None
                conv_id = await self._wait_ready(client, state, started)
            elif kind == "conversation":
                conv_id = ident
            else:
                return None
            return await self._finish(client, conv_id, started, t0, "")

    async def _finish(self, client: httpx.AsyncClient, conv_id: str, started: float,
                      t0: float, task_id: str) -> Outcome:
        """Wait for the conversation and read its answer; whatever fails after the agent has
        spent money carries that spend, and a conversation given up on is deleted."""
        try:
            conv = await self._wait_done(client, conv_id, started)
        except asyncio.CancelledError:  # the router's deadline: stop the agent's spending
            await asyncio.shield(self._cancel(client, conv_id))
            raise
        except DelegationError as exc:
            if not isinstance(exc, BackendError) or exc.code not in _AGENT_ENDED:
                await self._cancel(client, conv_id)  # abandoned mid-run: stop its spending
            raise
        metrics = conv.get("metrics") or {}
        spent = float(metrics.get("accumulated_cost") or 0.0)
        try:
            answer = await self._answer(client, conv_id)
        except DelegationError as exc:
            raise self._fail(exc, spent) from None
        if answer is None:
            raise self._fail(BackendError(f"openhands conversation {conv_id} finished without "
                                          f"a final answer", provider="openhands",
                                          code="no_answer"), spent)
        tokens = metrics.get("accumulated_token_usage") or {}
        usage = Usage(input_tokens=int(tokens.get("prompt_tokens") or 0),
                      output_tokens=int(tokens.get("completion_tokens") or 0),
                      cached_input_tokens=int(tokens.get("cache_read_tokens") or 0),
                      agent_runs=1)
        cost = spent + self.prices.cost(usage, unit="openhands:cloud-run")
        log.info("%s: conversation %s finished, %d in / %d out tokens, $%.4f", self.name,
                 conv_id, usage.input_tokens, usage.output_tokens, cost)
        return Outcome(artifact=answer, backend=self.name, route=self._route,
                       model=self.llm_model, usage=usage, cost=cost,
                       seconds=time.perf_counter() - t0,
                       detail={"conversation_id": conv_id, "start_task_id": task_id,
                               "conversation_url": conv.get("conversation_url"),
                               "price_source": "metrics.accumulated_cost reported by OpenHands"})

    async def _cancel(self, client: httpx.AsyncClient, conv_id: str) -> None:
        """Delete a conversation we give up on (the V1 app server's
        ``DELETE /api/v1/app-conversations/{id}`` stops its sandbox too); best effort."""
        try:
            await client.delete(self.provider.url(f"api/v1/app-conversations/{conv_id}"))
        except httpx.HTTPError:
            log.warning("openhands: could not delete abandoned conversation %s", conv_id)

    def _check_deadline(self, started: float, what: str, spent: float = 0.0) -> None:
        if self.clock() - started > self.deadline:
            raise self._fail(BackendTimeout(f"openhands {what} did not finish within "
                                            f"{self.deadline:.0f} s"), spent)

    async def _wait_ready(self, client: httpx.AsyncClient, start: Mapping[str, Any],
                          started: float) -> str:
        task_id, state = str(start["id"]), start
        while True:
            status = str(state.get("status") or "")
            if status == "READY" and state.get("app_conversation_id"):
                return str(state["app_conversation_id"])
            if status in _START_FATAL:
                raise BackendError(self.provider.redact(
                    f"openhands could not start the conversation: {state.get('detail')}"),
                    provider="openhands", code="start_error")
            self._check_deadline(started, f"start task {task_id} (last status {status})")
            await self.sleep(self.poll_interval)
            state = self._first(await self._get(client, "api/v1/app-conversations/start-tasks",
                                                ids=task_id), "the start task") or {}

    async def _resume(self, client: httpx.AsyncClient, conv: Mapping[str, Any],
                      spent: float) -> None:
        """Ask the app server to resume the conversation's paused sandbox."""
        sandbox = str(conv.get("sandbox_id") or "")
        conv_id = conv.get("id")
        if not sandbox:
            raise self._fail(BackendError(f"openhands paused the sandbox of conversation "
                                          f"{conv_id} and did not say which sandbox it is",
                                          provider="openhands", code="sandbox_paused"), spent)
        try:
            await request_json(client, "POST", self.provider.url(f"api/v1/sandboxes/{sandbox}/"
                                                                 f"resume"),
                               provider="openhands", policy=self.retry,
                               secrets=(self.provider.api_key,))
        except NonRetryable as exc:
            raise self._fail(BackendError(self.provider.redact(
                f"openhands paused the sandbox {sandbox} of conversation {conv_id} and could "
                f"not resume it: {exc}"), provider="openhands", status=exc.status,
                code="sandbox_paused"), spent) from None
        log.info("%s: resumed the paused sandbox %s of conversation %s", self.name, sandbox,
                 conv_id)

    async def _wait_done(self, client: httpx.AsyncClient, conv_id: str,
                         started: float) -> Mapping[str, Any]:
        spent = 0.0  # the agent's spend as last seen: what a failed poll still cost
        resumes, since_resume = 0, _RESUME_GRACE
        while True:
            try:
                body = await self._get(client, "api/v1/app-conversations", ids=conv_id)
            except DelegationError as exc:
                raise self._fail(exc, spent) from None
            conv = self._first(body, "the conversation") or {}
            spent = float((conv.get("metrics") or {}).get("accumulated_cost") or 0.0)
            sandbox = str(conv.get("sandbox_status") or "")
            execution = str(conv.get("execution_status") or "")
            since_resume += 1
            if sandbox in _SANDBOX_FATAL:
                raise self._fail(BackendError(f"openhands sandbox of conversation {conv_id} is "
                                              f"{sandbox}", provider="openhands",
                                              code=f"sandbox_{sandbox.lower()}"), spent)
            if execution == "finished":
                return conv
            if execution in ("error", "stuck"):
                raise self._fail(BackendError(f"openhands agent ended in state {execution!r} "
                                              f"(conversation {conv_id})", provider="openhands",
                                              code=f"agent_{execution}"), spent)
            if execution in _HOPELESS:
                code = "agent_needs_confirmation" if execution == "waiting_for_confirmation" \
                    else f"conversation_{execution}"
                raise self._fail(BackendError(f"openhands conversation {conv_id} "
                                              f"{_HOPELESS[execution]}", provider="openhands",
                                              code=code), spent)
            if sandbox == "PAUSED" and since_resume > _RESUME_GRACE:
                if resumes >= self.max_resumes:
                    raise self._fail(BackendError(
                        f"openhands paused the sandbox of conversation {conv_id} again after "
                        f"{resumes} resume(s); the server is shedding load, try later",
                        provider="openhands", code="sandbox_paused"), spent)
                await self._resume(client, conv, spent)
                resumes, since_resume = resumes + 1, 0
            self._check_deadline(started, f"conversation {conv_id} (status {execution})", spent)
            await self.sleep(self.poll_interval)

    async def _answer(self, client: httpx.AsyncClient, conv_id: str) -> str | None:
        params = {"limit": 100, "sort_order": "TIMESTAMP_DESC"}
        try:
            body = await self._get(client, f"api/v1/conversation/{conv_id}/events/search",
                                   **params)
        except NonRetryable as exc:
            if exc.status != 404:
                raise
            # builds from November 2025 served events under /api/v1/events/search
            body = await self._get(client, "api/v1/events/search",
                                   conversation_id__eq=conv_id, **params)
        items = body.get("items") if isinstance(body, Mapping) else body
        return final_answer(list(items or []))
