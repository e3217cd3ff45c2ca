"""Chat through LiteLLM: one backend for Anthropic, OpenAI, DeepSeek and Ollama.

*How to call* lives here; *where and with which key* comes in as a
:class:`~archibald.providers.Provider`. LiteLLM is imported lazily (the offline path never pays
for it) with its bundled price map, its own retries off (``num_retries=0``, ``max_retries=0``)
so that :class:`~archibald.backends.http.RetryPolicy` is the only retry loop, and its
exceptions translated here into Archibald's.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ..errors import (BackendError, BackendTimeout, DelegationError, NonRetryable,
                      ProviderOverloaded, RouteUnavailable)
from ..prices import PriceBook
from ..providers import Provider
from ..tasks import Context, Outcome, Task, Usage
from .base import Backend
from .http import RetryPolicy, error_from_status, log

__all__ = ["ChatBackend", "litellm_model", "translate_litellm"]

#: our provider name -> LiteLLM's model prefix (Ollama goes through its OpenAI-compatible /v1)
_PREFIX = {"anthropic": "anthropic", "openai": "openai", "deepseek": "deepseek",
           "ollama": "openai"}
_MALFORMED = ("Expecting value", "Unable to get json response", "JSONDecodeError",
              "Invalid control character", "Unterminated string")


def litellm_model(provider: str, model: str) -> str:
    """The LiteLLM model string for ``model`` served by ``provider``."""
    prefix = _PREFIX.get(provider)
    if prefix is None:
        raise RouteUnavailable(f"provider {provider!r} has no chat backend; use one of "
                               f"{', '.join(_PREFIX)}")
    if provider == "ollama":
        for alias in ("ollama_chat/", "ollama/"):
            model = model.removeprefix(alias)
    if model.startswith(prefix + "/"):
        return model
    return f"{prefix}/{model}"


def _import_litellm() -> Any:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # never fetch the price map at import
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


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


def translate_litellm(provider: Provider, exc: BaseException) -> DelegationError:
    """A LiteLLM (or openai SDK) exception as an Archibald error with status and retry-after."""
    name = type(exc).__name__
    message = str(getattr(exc, "message", None) or exc)
    secrets = (provider.api_key,)
    if name in ("Timeout", "APITimeoutError"):
        return BackendTimeout(provider.redact(f"{provider.name} did not answer in time"))
    if any(marker in message for marker in _MALFORMED):
        return BackendError(provider.redact(f"{provider.name} answered with malformed JSON: "
                                            f"{message[:200]}"),
                            provider=provider.name, code="malformed_json")
    status = getattr(exc, "status_code", None)
    body = _body(message)
    lowered = message.lower()
    if "overloaded_error" in lowered and status in (None, 500):
        status = 529  # LiteLLM reports Anthropic's 529 as a 500
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
    return Usage(input_tokens=int(getattr(raw, "prompt_tokens", 0) or 0),
                 output_tokens=int(getattr(raw, "completion_tokens", 0) or 0),
                 cached_input_tokens=int(cached), cache_write_tokens=int(written), requests=1)


def _request_id(response: Any) -> str | None:
    hidden = getattr(response, "_hidden_params", None) or {}
    headers = hidden.get("additional_headers") or {}
    for key in ("llm_provider-request-id", "llm_provider-x-request-id"):
        if headers.get(key):
            return str(headers[key])
    rid = getattr(response, "id", None)
    return str(rid) if rid else None


class ChatBackend(Backend):
    """A chat model on one route. ``execute`` reads inputs prompt (+system, max_tokens,
    temperature) and returns the reply text as the artifact."""

    capability = frozenset({"text"})

    def __init__(self, route: str, model: str, provider: Provider, prices: PriceBook, *,
                 timeout: float = 120.0, retry: RetryPolicy | None = None) -> None:
        self._route = route
        self.model = model
        self.provider = provider
        self.prices = prices
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.name = f"{provider.name}:{model}"

    @property
    def route(self) -> str:  # type: ignore[override]
        return self._route

    @property
    def free(self) -> bool:
        """Ollama runs on your own machine: no price needed unless the config gives one."""
        return self.provider.name == "ollama"

    def unavailable_reason(self) -> str | None:
        if not self.provider.configured:
            return f"{self.provider.name} is not configured: set {self.provider.missing}"
        try:
            self._price(Usage())
        except RouteUnavailable as exc:
            return str(exc)
        return None

    def _price(self, usage: Usage) -> float:
        if self.free:
            try:
                return self.prices.cost(usage, model=self.model)
            except RouteUnavailable:
                return self.prices.cost(usage, unit="local")
        return self.prices.cost(usage, model=self.model)

    def _price_source(self) -> str:
        try:
            return self.prices.source(model=self.model)
        except RouteUnavailable:
            return self.prices.source(unit="local")

    def _api_base(self) -> str:
        base = self.provider.base_url.rstrip("/")
        if self.provider.name == "ollama" and not base.endswith("/v1"):
            base += "/v1"
        return base

    async def execute(self, task: Task, context: Context) -> Outcome:
        prompt = self.checked_prompt(task, self.provider.name)
        messages = []
        if task.inputs.get("system"):
            messages.append({"role": "system", "content": str(task.inputs["system"])})
        messages.append({"role": "user", "content": str(prompt)})
        kwargs: dict[str, Any] = {
            "model": litellm_model(self.provider.name, self.model), "messages": messages,
            "api_base": self._api_base(),
            "api_key": self.provider.api_key or ("ollama" if self.free else None),
            "max_tokens": int(task.inputs.get("max_tokens", 4096)),
            "timeout": self.timeout, "num_retries": 0, "max_retries": 0,
        }
        if task.inputs.get("temperature") is not None:
            kwargs["temperature"] = float(task.inputs["temperature"])
        batcher = context.extra.get("batcher")
        run_id = str(context.extra.get("run_id") or "")
        if batcher is not None and batcher.wants(run_id, self.provider.name):
            from .batchapi import BatchFallback, batched_outcome

            stage = getattr(context.extra.get("stage"), "stage", task.type)
            try:
                outcome: Outcome = await batched_outcome(
                    batcher, self, messages, kwargs["max_tokens"], kwargs.get("temperature"),
                    run_id, str(stage))
                return outcome
            except BatchFallback as exc:
                log.warning("%s: %s; calling synchronously", self.name, exc)
        litellm = _import_litellm()

        async def attempt() -> Any:
            try:
                return await litellm.acompletion(**kwargs)
            except Exception as exc:  # LiteLLM raises its own tree; translate all of it
                raise translate_litellm(self.provider, exc) from None

        start = time.perf_counter()
        response = await self.retry.run(attempt, what=self.name)
        usage = _usage(response)
        cost = self._price(usage)
        text = response.choices[0].message.content or ""
        log.info("%s: %d in / %d out tokens, $%.6f", self.name, usage.input_tokens,
                 usage.output_tokens, cost)
        return Outcome(artifact=text, backend=self.name, route=self._route, model=self.model,
                       usage=usage, cost=cost, seconds=time.perf_counter() - start,
                       detail={"request_id": _request_id(response),
                               "finish_reason": response.choices[0].finish_reason,
                               "price_source": self._price_source()})
