"""Research on Perplexity's Agent API: ``POST {base}/v1/responses`` (OpenAI Responses format).

The legacy Sonar chat-completions endpoint ended on 2026-09-27, so this talks to the Agent API
directly over httpx (request and usage field names as in the ``perplexityai`` SDK's
``ResponseCreateParams`` / ``ResponsesUsage``). The Agent API searches only when asked: the
request carries ``tools: [{"type": "web_search"}]``, or a ``preset`` (configured as
``perplexity/preset/<name>``) that brings its own. Perplexity reports what a call cost in
``usage.cost``; that figure is used when present, otherwise the tokens are priced at the
model's Agent API rate plus a fee per tool call (``perplexity:<tool>`` in prices.toml) — the
Agent API has no per-request fee.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

import httpx

from ...errors import BackendError, RouteUnavailable
from ...core.prices import PriceBook
from ..registry import Provider
from ...core.tasks import Context, Outcome, Task, Usage
from .base import Backend
from .http import RetryPolicy, log, request_json
from .wire import tapped

__all__ = ["PerplexityBackend", "output_text", "reported_cost", "usage_of"]

_PRESET = "perplexity/preset/"


def output_text(body: Mapping[str, Any]) -> str:
    """All assistant text of a Responses-format body (what the SDKs call ``output_text``)."""
    if isinstance(body.get("output_text"), str) and body["output_text"]:
        return str(body["output_text"])
    parts: list[str] = []
    for item in body.get("output") or []:
        if not isinstance(item, Mapping) or item.get("type") != "message":
            continue
        for content in item.get("content") or []:
            if isinstance(content, Mapping) and content.get("type") in ("output_text", "text"):
                parts.append(str(content.get("text", "")))
    return "".join(parts)


def sources(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The search results the answer was grounded on (title, url), if the API returned them."""
    found: list[dict[str, Any]] = []
    for item in body.get("output") or []:
        if isinstance(item, Mapping) and item.get("type") == "search_results":
            for r in item.get("results") or []:
                if isinstance(r, Mapping):
                    found.append({"title": r.get("title"), "url": r.get("url")})
    return found


def reported_cost(usage: Mapping[str, Any]) -> float | None:
    """``usage.cost.total_cost`` (or a bare number in ``usage.cost``), in USD, if reported."""
    cost = usage.get("cost")
    if isinstance(cost, (int, float)):
        return float(cost)
    if isinstance(cost, Mapping):
        if isinstance(cost.get("total_cost"), (int, float)):
            return float(cost["total_cost"])
        parts = [v for k, v in cost.items() if k.endswith("_cost") and isinstance(v, (int, float))]
        if parts:
            return float(sum(parts))
    return None


#: the tool names usage reports (``tool_calls_details`` keys), as priced in prices.toml: the
#: API answers ``search_web`` for the ``web_search`` tool a request asks for
TOOL_NAMES = {"search_web": "web_search", "web_search": "web_search",
              "fetch_url": "fetch_url", "url_fetch": "fetch_url"}


def usage_of(raw: Mapping[str, Any]) -> tuple[Usage, dict[str, int]]:
    """Our Usage from a ``ResponsesUsage`` body, and the tool calls by (priced) tool name."""
    details = raw.get("input_tokens_details") or {}
    calls: dict[str, int] = {}
    for name, d in (raw.get("tool_calls_details") or {}).items():
        if isinstance(d, Mapping) or d is None:
            tool = TOOL_NAMES.get(str(name), str(name))
            calls[tool] = calls.get(tool, 0) + int((d or {}).get("invocation") or 0)
    usage = Usage(input_tokens=int(raw.get("input_tokens") or 0),
                  output_tokens=int(raw.get("output_tokens") or 0),
                  cached_input_tokens=int(details.get("cache_read_input_tokens") or 0),
                  cache_write_tokens=int(details.get("cache_creation_input_tokens") or 0),
                  tool_calls=sum(calls.values()), requests=1)
    return usage, calls


def _unfinished(body: Mapping[str, Any]) -> str | None:
    """Why a response is not a complete answer (its status, an incomplete output item), or
    None when it is."""
    status = body.get("status")
    if status is not None and status != "completed":
        reason = (body.get("incomplete_details") or {}).get("reason") \
            if isinstance(body.get("incomplete_details"), Mapping) else None
        return f"status {status}" + (f": {reason}" if reason else "")
    for item in body.get("output") or []:
        if isinstance(item, Mapping) and item.get("status") == "incomplete":
            return f"{item.get('type', 'an output item')} incomplete"
    return None


class PerplexityBackend(Backend):
    """Grounded research. ``execute`` reads inputs prompt (+system as instructions,
    max_tokens) and returns the answer text; ``detail["sources"]`` holds the search results.

    ``model`` is an Agent API model slug (``perplexity/sonar``) searched with ``tools``, or
    ``perplexity/preset/<name>`` to send that preset instead."""

    capability = frozenset({"text", "research"})

    def __init__(self, provider: Provider, prices: PriceBook, *, model: str = "perplexity/sonar",
                 route: str = "premium", tools: tuple[str, ...] = ("web_search",),
                 timeout: float = 120.0, retry: RetryPolicy | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._route = route
        self.model = model
        self.provider = provider
        self.prices = prices
        self.preset = model[len(_PRESET):] if model.startswith(_PRESET) else None
        self.tools = tools
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.transport = transport
        self.name = f"perplexity:{model}"

    @property
    def route(self) -> str:  # type: ignore[override]
        return self._route

    def unavailable_reason(self) -> str | None:
        if not self.provider.configured:
            return f"perplexity is not configured: set {self.provider.missing}"
        try:  # a preset needs a price of its own: [prices.models."perplexity/preset/<name>"]
            self.prices.model(self.model)
            for tool in () if self.preset else self.tools:
                self.prices.unit(f"perplexity:{tool}")
        except RouteUnavailable as exc:
            return str(exc)
        return None

    def _price(self, usage: Usage, calls: Mapping[str, int]) -> tuple[float, str]:
        """Tokens at the model's Agent API rate plus each tool's per-call fee, and sources."""
        cost = self.prices.cost(usage, model=self.model)
        sources = [self.prices.source(model=self.model)]
        for tool, n in calls.items():
            if not n:
                continue
            unit = f"perplexity:{tool}"
            try:
                self.prices.unit(unit)
            except RouteUnavailable:
                # a tool our price book does not know was billed: priced at the dearest known
                # tool's fee, never at $0, and said so
                unit = max(("perplexity:web_search", "perplexity:fetch_url"),
                           key=lambda u: self.prices.cost(Usage(tool_calls=1), unit=u))
                sources.append(f"unknown tool {tool!r} priced as {unit}")
            cost += self.prices.cost(Usage(tool_calls=n), unit=unit)
            sources.append(self.prices.source(unit=unit))
        return cost, "; ".join(sources)

    def payload(self, task: Task, prompt: str) -> dict[str, Any]:
        """The ``ResponseCreateParams`` body: model + tools, or the preset."""
        body: dict[str, Any] = {"preset": self.preset} if self.preset else {
            "model": self.model, "tools": [{"type": t} for t in self.tools]}
        body["input"] = prompt
        if task.inputs.get("system"):
            body["instructions"] = str(task.inputs["system"])
        if task.inputs.get("max_tokens"):
            body["max_output_tokens"] = int(task.inputs["max_tokens"])
        return body

    def _url(self) -> str:
        base = self.provider.base_url.rstrip("/")
        return base + ("/responses" if base.endswith("/v1") else "/v1/responses")

    def keeps_wire(self, context: Context) -> bool:
        return True

    async def execute(self, task: Task, context: Context) -> Outcome:
        payload = self.payload(task, self.checked_prompt(task, "perplexity"))
        headers = {"Authorization": f"Bearer {self.provider.api_key}",
                   "Content-Type": "application/json"}
        start = time.perf_counter()
        with tapped(context.extra.get("wire")):  # the answer kept before it is parsed
            async with httpx.AsyncClient(timeout=self.timeout,
                                         transport=self.transport) as client:
                body, response = await request_json(
                    client, "POST", self._url(), provider="perplexity", policy=self.retry,
                    secrets=(self.provider.api_key,), json=payload, headers=headers)
        if not isinstance(body, Mapping):
            raise BackendError("perplexity answered with a body that is not an object",
                               provider="perplexity", code="malformed_json")
        if body.get("status") == "failed" or body.get("error"):
            raise BackendError(self.provider.redact(f"perplexity failed: {body.get('error')}"),
                               provider="perplexity", code="failed")
        raw_usage: Mapping[str, Any] = body["usage"] if isinstance(body.get("usage"),
                                                                   Mapping) else {}
        usage, calls = usage_of(raw_usage)
        cost = reported_cost(raw_usage)
        cost_source = "reported by perplexity"
        price_source = "usage.cost reported by Perplexity"
        if cost is None:
            cost_source = "priced from the price book"
            cost, price_source = self._price(usage, calls)
        unfinished = _unfinished(body)
        if unfinished:
            # billed, but not an answer: the cost is recorded, the route falls back
            err = BackendError(f"perplexity answered an unfinished response ({unfinished}); "
                               f"not accepted as complete", provider="perplexity",
                               code="incomplete")
            err.cost = cost
            raise err
        log.info("%s: %d in / %d out tokens, $%.6f (%s)", self.name, usage.input_tokens,
                 usage.output_tokens, cost, cost_source)
        return Outcome(artifact=output_text(body), backend=self.name, route=self._route,
                       model=str(body.get("model") or self.model), usage=usage, cost=cost,
                       seconds=time.perf_counter() - start,
                       detail={"request_id": body.get("id") or response.headers.get("request-id"),
                               "sources": sources(body), "tool_calls": calls,
                               "cost_source": cost_source,
                               "price_source": price_source})
