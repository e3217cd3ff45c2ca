"""Chat through LiteLLM: one backend for every chat model LiteLLM serves.

*How to call* lives here; *where and with which key* comes in as a
:class:`~archibald.providers.registry.Provider`. LiteLLM is imported lazily (the offline path never pays
for it) with its bundled price map, its own retries off (``num_retries=0``, ``max_retries=0``)
so that :class:`~archibald.providers.backends.http.RetryPolicy` is the only retry loop, and its
exceptions translated here into Archibald's.

DeepSeek's current models think by default, bill the reasoning as output and count it against
``max_tokens``: thinking is turned off (``thinking: {"type": "disabled"}``, DeepSeek's own
parameter) unless a task asks for it with ``thinking``, and then ``reasoning_budget`` tokens
are added to ``max_tokens``. Reasoning tokens are recorded in the usage either way. Calls are
priced at the rate in force when they were sent (DeepSeek has off-peak hours) and the row says
which rate that was.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable

from ..chat_models import import_litellm
from ...errors import (BackendError, BackendTimeout, DelegationError, NonRetryable,
                       ProviderOverloaded, ProviderUnreachable, RouteUnavailable,
                       UnreadableAnswer)
from ...core import prices as prices_module
from ...core.prices import PriceBook
from ..registry import Provider
from ...core.tasks import Context, Outcome, Task, Usage
from ...store.ledger import format_usd
from .base import Backend
from .http import RetryPolicy, error_from_status, log, waited_upstream
from .openai_wire import ChatWire, Reply, thinking_of
from .wire import current, tapped

__all__ = ["ChatBackend", "chat_messages", "litellm_model", "translate_litellm"]

#: tokens the chat framing adds around the messages (role markers, separators), at most
_FRAMING_TOKENS = 32
_DEFAULT_MAX_TOKENS = 4096
#: a budget-shrunk call keeps at least this many output tokens, else it is refused
_MIN_FIT_TOKENS = 256
_MALFORMED = ("Expecting value", "Unable to get json response", "JSONDecodeError",
              "Invalid control character", "Unterminated string")


def litellm_model(provider: str, model: str) -> str:
    """The LiteLLM model string for ``model`` served by ``provider`` (LiteLLM's provider name):
    ``provider/model``. Ollama goes through its OpenAI-compatible /v1."""
    if provider == "ollama":
        for alias in ("ollama_chat/", "ollama/"):
            model = model.removeprefix(alias)
        provider = "openai"
    if model.startswith(provider + "/"):
        return model
    return f"{provider}/{model}"


def _headers(exc: BaseException) -> dict[str, str]:
    raw = getattr(exc, "litellm_response_headers", None)
    if raw is None:
        response = getattr(exc, "response", None)
        raw = getattr(response, "headers", None)
    try:
        return {str(k).lower(): str(v) for k, v in dict(raw or {}).items()}
    except (TypeError, ValueError):
        return {}


def _body(message: str) -> Any:
    """The provider's JSON error body embedded in a LiteLLM message, if there is one."""
    start = message.find("{")
    if start < 0:
        return message
    try:
        return json.JSONDecoder().raw_decode(message[start:])[0]
    except json.JSONDecodeError:
        return message


#: what LiteLLM says when a provider's 200 could not be turned into a response
_UNREADABLE = ("Invalid response object", "Raw keys:",
               "provider returned a response", "provider returned 'choices'",
               "Original Response:")
#: what LiteLLM says of a failure in this process before the request went out
_BEFORE_SENDING = ("No module named", "ModuleNotFoundError", "ImportError",
                   "Connection refused", "Errno 111")
#: what a refused connection or an unknown host says through LiteLLM and the SDKs
_UNREACHABLE = ("connection refused", "errno 111", "errno 61", "name or service not known",
                "nodename nor servname", "temporary failure in name resolution",
                "no route to host", "network is unreachable", "all connection attempts failed",
                "failed to establish a new connection", "cannot connect to host")


def translate_litellm(provider: Provider, exc: BaseException) -> DelegationError:
    """A LiteLLM (or openai SDK) exception as an Archibald error with status and retry-after."""
    name = type(exc).__name__
    message = str(getattr(exc, "message", None) or exc)
    secrets = (provider.api_key,)
    if name in ("Timeout", "APITimeoutError"):
        return BackendTimeout(provider.redact(f"{provider.name} did not answer in time"))
    if any(marker in message for marker in _MALFORMED):
        return UnreadableAnswer(provider.redact(f"{provider.name} answered with malformed JSON: "
                                                f"{message[:200]}"),
                                provider=provider.name, code="malformed_json")
    if any(marker in message for marker in _UNREADABLE) or (
            "Traceback (most recent call last)" in message
            and getattr(exc, "status_code", None) in (None, 500)
            and not any(m in message for m in _BEFORE_SENDING)):
        # LiteLLM calls a 200 it cannot parse an APIConnectionError or an APIError 500: the
        # provider answered (and may bill); it must not be retried as if unreachable
        first = message.split("Traceback", 1)[0].strip()[:200]
        return UnreadableAnswer(provider.redact(f"{provider.name} answered, but the answer "
                                                f"cannot be read: {first}"),
                                provider=provider.name, code="unreadable")
    status = getattr(exc, "status_code", None)
    body = _body(message)
    lowered = message.lower()
    if "overloaded_error" in lowered and status in (None, 500):
        status = 529  # LiteLLM reports Anthropic's 529 as a 500
    if any(marker in lowered for marker in _UNREACHABLE):
        # LiteLLM reports a refused connection as "InternalServerError 500": nothing was
        # sent, nothing answered, nothing billed
        return ProviderUnreachable(provider.redact(
            f"{provider.name} unreachable at {provider.base_url} ({message[:160]})"),
            provider=provider.name)
    if name == "APIConnectionError" or (status == 500 and "connection error" in lowered):
        return ProviderOverloaded(provider.redact(f"{provider.name} could not be reached: "
                                                  f"{message[:200]}"),
                                  provider=provider.name, code="transport")
    if isinstance(status, int) and status >= 400:
        return error_from_status(provider.name, status, body, _headers(exc), secrets=secrets)
    if name in ("AuthenticationError", "PermissionDeniedError", "BadRequestError",
                "NotFoundError", "UnprocessableEntityError", "ContentPolicyViolationError"):
        return NonRetryable(provider.redact(f"{provider.name}: {message[:300]}"),
                            provider=provider.name, code=name)
    return BackendError(provider.redact(f"{provider.name} failed: {name}: {message[:300]}"),
                        provider=provider.name, code=name)


def _usage(response: Any) -> Usage:
    raw = getattr(response, "usage", None)
    if raw is None:
        return Usage(requests=1)
    details = getattr(raw, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or getattr(raw, "cache_read_input_tokens",
                                                                None) or 0
    # LiteLLM counts Anthropic's cache writes inside prompt_tokens and reports them apart too
    written = getattr(raw, "cache_creation_input_tokens", None) \
        or getattr(details, "cache_creation_tokens", None) or 0
    reasoning = getattr(getattr(raw, "completion_tokens_details", None), "reasoning_tokens", None)
    return Usage(input_tokens=int(getattr(raw, "prompt_tokens", 0) or 0),
                 output_tokens=int(getattr(raw, "completion_tokens", 0) or 0),
                 reasoning_tokens=int(reasoning or 0),
                 cached_input_tokens=int(cached), cache_write_tokens=int(written), requests=1)


def _request_id(response: Any) -> str | None:
    hidden = getattr(response, "_hidden_params", None) or {}
    headers = hidden.get("additional_headers") or {}
    for key in ("llm_provider-request-id", "llm_provider-x-request-id"):
        if headers.get(key):
            return str(headers[key])
    rid = getattr(response, "id", None)
    return str(rid) if rid else None


#: a gateway request's sampling parameters (OpenAI's names): a provider that lacks one (as
#: LiteLLM knows it: Anthropic has no seed or penalties) is called without it, and the
#: outcome names it (the gateway's x-archibald-dropped-params)
SAMPLING = ("top_p", "seed", "parallel_tool_calls", "presence_penalty", "frequency_penalty",
            "logit_bias", "user", "reasoning_effort")
#: what a gateway request passes to the model as it is (OpenAI's names)
PASSTHROUGH = ("tools", "tool_choice", "response_format", "stop", *SAMPLING)


#: parameters LiteLLM's table lists that the provider does not take as they are: the
#: anthropic SDK's MessageCreateParams (2.14) has no temperature, top_p or top_k; DeepSeek has
#: no reasoning_effort (LiteLLM turns it into DeepSeek's `thinking`, which the route sets)
_NOT_TAKEN = {"anthropic": frozenset({"top_p"}), "deepseek": frozenset({"reasoning_effort"})}


def lacking(kwargs: dict[str, Any]) -> list[str]:
    """The sampling parameters in LiteLLM keyword arguments that its provider does not take
    (the call would be refused): LiteLLM's table of each provider's parameters, corrected by
    the providers' own SDKs; [] when neither can tell."""
    asked = [k for k in SAMPLING if kwargs.get(k) is not None]
    if not asked:
        return []
    provider, _, name = str(kwargs["model"]).partition("/")
    try:
        takes = import_litellm().get_supported_openai_params(model=name,
                                                             custom_llm_provider=provider)
    except Exception:  # an unknown provider: LiteLLM says so when called
        takes = None
    gone = _NOT_TAKEN.get(provider, frozenset())
    return [k for k in asked if k in gone or (takes is not None and k not in takes)]


#: LiteLLM's own thinking budgets for reasoning_effort (litellm.constants), read backwards
_EFFORT_BUDGETS = ((1024, "low"), (2048, "medium"))


def _reasons(task: Task) -> bool:
    """Whether an app asked for reasoning with OpenAI's ``reasoning_effort`` (not minimal)."""
    return task.inputs.get("reasoning_effort") in ("low", "medium", "high")


def effort_for(budget: int) -> str:
    """The reasoning_effort closest above a thinking budget of ``budget`` tokens."""
    return next((effort for most, effort in _EFFORT_BUDGETS if budget <= most), "high")


def chat_messages(task: Task, prompt: str) -> list[dict[str, Any]]:
    """The messages a chat call sends for ``task`` (the baseline counts the same ones): a
    gateway request's own ``messages`` when it carries them, else system + prompt."""
    given = task.inputs.get("messages")
    if isinstance(given, list) and given:
        return [dict(m) for m in given]
    messages: list[dict[str, Any]] = []
    if task.inputs.get("system"):
        messages.append({"role": "system", "content": str(task.inputs["system"])})
    messages.append({"role": "user", "content": prompt})
    return messages


def _reply(response: Any) -> Reply:
    """LiteLLM's ModelResponse as the Reply the direct client reads too."""
    choice = response.choices[0]
    message = choice.message
    return Reply(text=message.content or "",
                 tool_calls=[_plain_call(c) for c in getattr(message, "tool_calls", None) or []],
                 finish_reason=choice.finish_reason, usage=_usage(response),
                 request_id=_request_id(response), thinking=thinking_of(message))


def _plain_call(call: Any) -> dict[str, Any]:
    """A tool call of LiteLLM's response as OpenAI's JSON."""
    fn = getattr(call, "function", None)
    return {"id": str(getattr(call, "id", "") or ""), "type": "function",
            "function": {"name": str(getattr(fn, "name", "") or ""),
                         "arguments": str(getattr(fn, "arguments", "") or "{}")}}


class ChatBackend(Backend):
    """A chat model on one route. ``execute`` reads inputs prompt (+system, max_tokens,
    temperature) and returns the reply text as the artifact."""

    capability = frozenset({"text"})
    cancels_at_once = True  # (a cancelled call's connection is released; nothing awaited)

    #: what a task that asks DeepSeek to think adds to max_tokens, unless it says otherwise
    REASONING_BUDGET = 8192

    def __init__(self, route: str, model: str, provider: Provider, prices: PriceBook, *,
                 timeout: float = 120.0, retry: RetryPolicy | None = None,
                 now: Callable[[], datetime] | None = None, local: bool = False) -> None:
        self.now = now or (lambda: prices_module.utc_now())
        #: a model served on this machine (a detected Ollama or OpenAI-compatible server)
        self.local = local
        self._route = route
        self.model = model
        self.provider = provider
        self.prices = prices
        self.timeout = timeout
        self.retry = retry or RetryPolicy(timeout_retries=1)
        self.name = f"{provider.name}:{model}"
        #: when set, calls go straight to the provider's OpenAI-compatible endpoint
        self.direct: ChatWire | None = None
        #: a price was found for the model (a price book never loses one): not looked up
        #: again each time a request asks whether this route can run (four times a request)
        self._priced = False

    def call_directly(self) -> bool:
        """Send this backend's calls with aiohttp straight to the provider (OpenAI, DeepSeek,
        Ollama: OpenAI's wire) instead of through LiteLLM; False when its provider speaks
        another wire. The gateway does, where LiteLLM's few ms a call are an app's latency."""
        if self.direct is None and ChatWire.serves(self.provider):
            self.direct = ChatWire(self.provider, local=self.free, timeout=self.timeout)
        return self.direct is not None

    @property
    def route(self) -> str:  # type: ignore[override]
        return self._route

    @property
    def free(self) -> bool:
        """Ollama (or a server found on this machine) runs on your own machine: no price
        needed unless the config gives one."""
        return self.local or self.provider.name == "ollama"

    def unavailable_reason(self) -> str | None:
        if not self.provider.configured:
            return f"{self.provider.missing} is not set ({self.provider.name} serves {self.model})"
        if not self._priced:
            try:
                self.price(Usage())
            except RouteUnavailable as exc:
                return str(exc)
            self._priced = True
        return None

    def price(self, usage: Usage, at: datetime | None = None) -> float:
        if self.local:  # on this machine, whatever a price map says a model of its name costs
            return self.prices.cost(usage, unit="local")
        if self.free:
            try:
                return self.prices.cost(usage, model=self.model, at=at)
            except RouteUnavailable:
                return self.prices.cost(usage, unit="local")
        return self.prices.cost(usage, model=self.model, at=at)

    def price_source(self, at: datetime | None = None) -> str:
        if self.local:
            return self.prices.source(unit="local")
        try:
            return self.prices.source(model=self.model, at=at)
        except RouteUnavailable:
            return self.prices.source(unit="local")

    def _takes_temperature(self, extra: dict[str, Any]) -> bool:
        """Anthropic's Messages API no longer has ``temperature`` (the anthropic SDK's
        MessageCreateParams lists none) and DeepSeek ignores it while thinking."""
        if self.provider.name == "anthropic":
            return False
        return bool(extra.get("thinking", {}).get("type") != "enabled")

    def _thinking(self, task: Task, max_tokens: int) -> tuple[dict[str, Any], int]:
        """DeepSeek's ``thinking`` switch for this task, and max_tokens with its budget."""
        if self.provider.name != "deepseek":
            return {}, max_tokens
        if not task.inputs.get("thinking") and not _reasons(task):
            return {"thinking": {"type": "disabled"}}, max_tokens
        budget = int(task.inputs.get("reasoning_budget", self.REASONING_BUDGET))
        return {"thinking": {"type": "enabled"}}, max_tokens + budget

    def _reasoning(self, task: Task, max_tokens: int) -> tuple[dict[str, Any], int]:
        """What a task's ``thinking`` asks of a provider other than DeepSeek, as LiteLLM
        arguments, and max_tokens: Anthropic's own ``thinking`` (the task's
        ``thinking_config`` as an app sent it, else ``reasoning_budget`` tokens, at least
        Anthropic's 1,024 and inside max_tokens, which is raised to hold it and an answer);
        any other model ``reasoning_effort`` for that budget (unless the task names one),
        which a model without reasoning is called without (:func:`lacking`)."""
        if self.provider.name == "deepseek" or not task.inputs.get("thinking"):
            return {}, max_tokens
        budget = max(1024, int(task.inputs.get("reasoning_budget", self.REASONING_BUDGET)))
        if self.provider.name == "anthropic":
            config = task.inputs.get("thinking_config")
            if not isinstance(config, dict):
                config = {"type": "enabled", "budget_tokens": budget}
            if config.get("type") == "enabled":
                budget = int(config.get("budget_tokens") or budget)
                max_tokens = max(max_tokens, budget + _MIN_FIT_TOKENS)
            return {"thinking": dict(config)}, max_tokens
        if task.inputs.get("reasoning_effort") is not None:
            return {}, max_tokens
        return {"reasoning_effort": effort_for(budget)}, max_tokens

    def _limit(self, task: Task) -> tuple[dict[str, Any], dict[str, Any], int]:
        """The call's DeepSeek switch (its ``extra_body``), its other reasoning arguments
        and its max_tokens, thinking included."""
        extra, max_tokens = self._thinking(task, self._max_tokens(task))
        more, max_tokens = self._reasoning(task, max_tokens)
        return extra, more, max_tokens

    def _api_base(self) -> str | None:
        if not self.provider.sends_base:
            return None  # LiteLLM's own default endpoint for this provider
        base = self.provider.base_url.rstrip("/")
        if self.provider.name == "ollama" and not base.endswith("/v1"):
            base += "/v1"
        return base

    def _max_prompt_tokens(self, task: Task) -> int:
        """An upper bound on the prompt's tokens: byte-level BPE tokenizers (Anthropic,
        OpenAI, DeepSeek) never make more tokens than the text has UTF-8 bytes; plus the
        message framing."""
        text = str(task.inputs.get("system") or "") + str(task.inputs.get("prompt") or "")
        for key in ("messages", *PASSTHROUGH):  # a gateway request's messages and tools
            if task.inputs.get(key) is not None:
                text += json.dumps(task.inputs[key], default=str)
        return len(text.encode()) + _FRAMING_TOKENS

    def _max_tokens(self, task: Task) -> int:
        return int(task.inputs.get("max_tokens", _DEFAULT_MAX_TOKENS))

    def max_cost(self, task: Task) -> float | None:
        """The whole prompt at the dearest input price (cache writes cost more than input)
        plus every allowed output token: what the call costs if the answer uses max_tokens."""
        if self.local:
            return self.price(Usage())
        try:
            price = self.prices.model(self.model)
        except RouteUnavailable:
            return 0.0 if self.free else None
        per_in = max(price.input_per_token, price.cache_write_per_token or 0.0)
        # with thinking on, the reasoning budget is billed as output on top of max_tokens
        return self._max_prompt_tokens(task) * per_in \
            + self._limit(task)[2] * price.output_per_token

    def fit(self, task: Task, room_usd: float) -> tuple[Task, str] | None:
        """The task with max_tokens lowered so its maximum fits ``room_usd``; None when
        fewer than _MIN_FIT_TOKENS would be left to answer in."""
        try:
            price = self.prices.model(self.model)
        except RouteUnavailable:
            return None
        prompt_cost = self._max_prompt_tokens(task) * max(price.input_per_token,
                                                          price.cache_write_per_token or 0.0)
        if price.output_per_token <= 0:
            return None
        allowed = int((room_usd - prompt_cost) / price.output_per_token)
        wanted = self._max_tokens(task)
        if allowed >= wanted or allowed < min(_MIN_FIT_TOKENS, wanted):
            return None
        fitted = Task(task.type, {**task.inputs, "max_tokens": allowed}, task.channel)
        most = format_usd(self.max_cost(fitted) or 0.0, 4, trim=True)
        return fitted, (f"max_tokens cut from {wanted} to {allowed} so the call's maximum "
                        f"({most}) fits the budget left ({format_usd(room_usd, 4, trim=True)})")

    def translate(self, exc: BaseException) -> DelegationError:
        """LiteLLM's exception as Archibald's (see :func:`translate_litellm`). A server on this
        machine that drops the connection is not busy but gone: unreachable, not retried."""
        error = translate_litellm(self.provider, exc)
        if self.local and isinstance(error, ProviderOverloaded) and error.code == "transport":
            return ProviderUnreachable(self.provider.redact(
                f"{self.provider.name} unreachable at {self.provider.base_url} ({error})"),
                provider=self.provider.name)
        return error

    @staticmethod
    def usage_of(response: Any) -> Usage:
        """The usage a LiteLLM response (or a stream's last chunk) reports."""
        return _usage(response)

    def _batched(self, context: Context) -> bool:
        batcher = context.extra.get("batcher")
        run_id = str(context.extra.get("run_id") or "")
        return batcher is not None and bool(batcher.wants(run_id, self.provider.name))

    def keeps_wire(self, context: Context) -> bool:
        """A synchronous chat call keeps its wire (a streamed one only that it was sent: its
        answer goes to its client as it comes); a batched one is found by the batcher."""
        return not self._batched(context)

    def sends_at_once(self, context: Context) -> bool:
        """The direct client (the gateway's) sends as soon as it is called; LiteLLM first
        does its own work, and a batched call waits for its batch."""
        return self.direct is not None and not self._batched(context)

    async def execute(self, task: Task, context: Context) -> Outcome:
        messages = chat_messages(task, self.checked_prompt(task, self.provider.name))
        if self.provider.name != "anthropic":  # earlier turns' signed thinking is Claude's
            messages = [{k: v for k, v in m.items() if k != "thinking_blocks"}
                        if "thinking_blocks" in m else m for m in messages]
        extra, more, max_tokens = self._limit(task)
        kwargs: dict[str, Any] = {
            "model": litellm_model(self.provider.name, self.model), "messages": messages,
            "api_base": self._api_base(),
            "api_key": self.provider.api_key or ("ollama" if self.free else None),
            "max_tokens": max_tokens,
            "timeout": self.timeout, "num_retries": 0, "max_retries": 0,
        }
        if extra:
            kwargs["extra_body"] = extra
        kwargs.update(more)
        if self.provider.name == "anthropic" and task.inputs.get("anthropic_beta"):
            # the beta features an Anthropic-format app asked for (Claude Code's), for Claude
            # only: another provider has no such header
            kwargs["extra_headers"] = {"anthropic-beta": str(task.inputs["anthropic_beta"])}
        if task.inputs.get("temperature") is not None and self._takes_temperature(extra):
            kwargs["temperature"] = float(task.inputs["temperature"])
        for key in PASSTHROUGH:
            if task.inputs.get(key) is not None:
                kwargs[key] = task.inputs[key]
        if "litellm" not in sys.modules and (self.direct is None or any(
                kwargs.get(k) is not None for k in SAMPLING)):
            # its first import takes seconds: off the event loop, so a server's other
            # requests go on meanwhile (LiteLLM calls it, and its table says what is taken)
            await asyncio.to_thread(import_litellm)
        if self.provider.name == "deepseek" and _reasons(task):
            del kwargs["reasoning_effort"]  # asked as DeepSeek's thinking (``_thinking``)
        dropped = lacking(kwargs)  # never sent to fail the call (DeepSeek has no seed)
        for key in dropped:
            del kwargs[key]
        if kwargs.get("tools"):
            # LiteLLM otherwise routes every call with tools through its proxy's MCP handler
            # (which needs the mcp package, and is not a proxy's job here)
            kwargs["_skip_mcp_handler"] = True
        sink = context.extra.get("stream")
        if sink is not None:  # the gateway's client reads the answer as it is written
            from .llmstream import stream_chat

            return await stream_chat(self, kwargs, sink, context.extra.get("wire"), dropped)
        batcher = context.extra.get("batcher")
        run_id = str(context.extra.get("run_id") or "")
        # a batch request carries messages, max_tokens and temperature: one with tools or a
        # response format (a gateway batch line) is called at once instead
        plain = not any(task.inputs.get(k) is not None for k in PASSTHROUGH)
        if batcher is not None and plain and batcher.wants(run_id, self.provider.name):
            from .batchapi import BatchFallback, batched_outcome

            stage = getattr(context.extra.get("stage"), "stage", task.type)
            try:
                outcome: Outcome = await batched_outcome(
                    batcher, self, messages, kwargs["max_tokens"], kwargs.get("temperature"),
                    run_id, str(stage), on_id=context.on_request_id)
                return outcome
            except BatchFallback as exc:
                log.warning("%s: %s; calling synchronously", self.name, exc)
        wire = context.extra.get("wire")
        direct = self.direct

        async def attempt() -> Reply:
            try:
                with tapped(wire):  # the answer's bytes are kept before anything parses them
                    if direct is not None:
                        return await direct.complete(kwargs)
                    with waited_upstream():  # LiteLLM's own work counted as the provider's
                        response = await import_litellm().acompletion(**kwargs)
                    return _reply(response)
            except DelegationError:
                raise  # the direct client's errors are Archibald's already
            except Exception as exc:  # LiteLLM raises its own tree; translate all of it
                raise self.translate(exc) from None

        start, sent = time.perf_counter(), self.now()
        kept = getattr(current(), "replay", None)
        if kept is not None and getattr(kept, "sent_at", None):
            sent = datetime.fromtimestamp(kept.sent_at, timezone.utc)  # the rate it was sent at
        reply = await self.retry.run(attempt, what=self.name)
        usage = reply.usage
        cost = self.price(usage, sent)
        log.info("%s: %d in / %d out tokens, $%.6f", self.name, usage.input_tokens,
                 usage.output_tokens, cost)
        if not reply.text.strip() and not reply.tool_calls:
            # billed, but nothing to use: a failure that costs
            error = BackendError(f"{self.name} answered with an empty reply (finish reason "
                                 f"{reply.finish_reason!r})",
                                 provider=self.provider.name, code="empty_reply")
            error.cost = cost
            raise error
        return Outcome(artifact=reply.text, backend=self.name, route=self._route,
                       model=self.model, usage=usage, cost=cost,
                       seconds=time.perf_counter() - start,
                       detail={"request_id": reply.request_id, "dropped_params": dropped,
                               "finish_reason": reply.finish_reason,
                               "tool_calls": reply.tool_calls, "thinking": reply.thinking,
                               "rate": self.prices.rate(self.model, sent),
                               "price_source": self.price_source(sent)})
