"""The default registry: which backend serves each task type on each route, from settings.

Provider backends come from ``archibald.providers.backends`` (built only from settings and keys, nothing
imported from a vendor SDK until a call is made); local and memory backends run the functions a
pipeline file names for its stages (``local``, ``reuse``), imported when first called.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Callable

from ..providers.backends.base import Backend
from ..config import Profile, Settings
from ..errors import DelegationError, RouteUnavailable
from ..store.memory import Memory
from .prices import PriceBook
from ..providers.registry import ProviderSettings
from .router import Registry
from .price_rules import apply_rule, rule_of
from .tasks import Context, Outcome, Task

__all__ = ["build_registry", "describe", "LocalBackend", "MemoryBackend", "LocalModelBackend"]


class LocalBackend(Backend):
    """Runs a task type's local (offline, cost 0) implementation: the function a pipeline's
    stage names as ``local`` (``package.module:function``)."""

    route = "local"

    def __init__(self, task_type: str,
                 function: str | Callable[..., Any] | None = None) -> None:
        self.task_type = task_type
        self.function = function
        self.name = f"local:{task_type}"

    def unavailable_reason(self) -> str | None:
        if self.function is None:
            return (f"no local implementation for {self.task_type}: name one as a stage's "
                    f"local = \"package.module:function\" in its pipeline file")
        return None

    async def execute(self, task: Task, context: Context) -> Outcome:
        from ..pipeline.spec import resolve_function

        if self.function is None:
            raise RouteUnavailable(self.unavailable_reason() or "")
        start = time.perf_counter()
        # the stage's own implementation first: two pipelines in one router (a batch) may give
        # the same task type different local routes
        fn = resolve_function(context.extra.get("local") or self.function)
        if inspect.iscoroutinefunction(fn):
            artifact = await fn(task, context)
        else:  # a plain function runs in a thread: the other stages go on meanwhile
            artifact = await asyncio.to_thread(fn, task, context)
        seconds = time.perf_counter() - start
        rule = rule_of(fn)
        if isinstance(artifact, Outcome):  # a function that says what it consumed or cost
            outcome = artifact
            outcome.backend, outcome.route = self.name, "local"
            outcome.seconds = outcome.seconds or seconds
            return apply_rule(rule, task, outcome, seconds, self.name)
        outcome = Outcome(artifact=artifact, backend=self.name, route="local", seconds=seconds,
                          detail={"price_source": "runs on this machine, cost 0"})
        return outcome if rule is None else apply_rule(rule, task, outcome, seconds, self.name)

    def max_cost(self, task: Task) -> float | None:
        """A local function marked with a price rule (``@archibald.priced``) reserves its
        maximum like any paid call; an unmarked one runs on this machine at $0."""
        from ..pipeline.spec import resolve_function

        if self.function is None:
            return None
        try:
            rule = rule_of(resolve_function(self.function))
        except Exception:  # noqa: BLE001 - it fails again, and is reported, when it runs
            return None
        return rule.max_cost(task) if rule is not None else None


class MemoryBackend(Backend):
    """Re-uses the best remembered result of a kind for the task's channel."""

    route = "memory"

    def __init__(self, task_type: str, kind: str, memory: Memory,
                 function: str | Callable[..., Any] | None = None) -> None:
        self.task_type = task_type
        self.kind = kind
        self.memory = memory
        self.function = function  # the pipeline stage's ``reuse``
        self.name = f"memory:{kind}"

    def unavailable_reason(self) -> str | None:
        if self.function is None:
            return f"no re-use of remembered results is declared for {self.task_type}"
        return None

    async def execute(self, task: Task, context: Context) -> Outcome:
        from ..pipeline.spec import resolve_function

        if self.function is None:
            raise RouteUnavailable(self.unavailable_reason() or "")
        best = self.memory.best(self.kind, task.channel)
        if best is None:
            raise DelegationError(f"nothing remembered yet for {self.kind} on channel "
                                  f"{task.channel!r}")
        start = time.perf_counter()
        artifact = await resolve_function(context.extra.get("reuse") or self.function)(
            task, context, best)
        return Outcome(artifact=artifact, backend=self.name, route="memory",
                       seconds=time.perf_counter() - start,
                       detail={"remembered": best["key"], "remembered_score": best["score"],
                               "price_source": "re-use of a stored result, cost 0"})


class LocalModelBackend(Backend):
    """The local route of a text stage when a chat model answers on this machine (an Ollama
    server, or an OpenAI-compatible one the settings name): the model, at $0, checked and
    judged like any other route's answer. The stage's own local implementation (the offline
    writer) stays its ``last_resort``: the router runs it when the model fails or its answer
    is rejected and no other route is left."""

    route = "local"
    capability = frozenset({"text"})

    def __init__(self, chat: Backend, template: LocalBackend) -> None:
        self.chat = chat
        self.last_resort = template
        self.model = getattr(chat, "model", None)
        self.provider = getattr(chat, "provider", None)
        self.name = chat.name

    def unavailable_reason(self) -> str | None:
        return self.chat.unavailable_reason()

    def max_cost(self, task: Task) -> float | None:
        return self.chat.max_cost(task)

    async def execute(self, task: Task, context: Context) -> Outcome:
        return await self.chat.execute(task, context)


def _local_model(task_type: str, profile: Profile, settings: Settings,
                 prices: PriceBook, local: str | None) -> Backend | None:
    """The local route of a shipped text stage served by a model found on this machine."""
    from ..pipelines import shipped_adopted
    from ..providers.local_model import detect

    if profile.capability not in ("text", "research") or task_type not in shipped_adopted() \
            or profile.model_of("local") is not None:
        return None
    server = detect(settings)
    if server is None or not server.chosen:
        return None
    from ..providers.backends.llm import ChatBackend
    from ..providers.registry import Provider

    if server.kind == "ollama":
        provider = Provider("ollama", None, server.base_url, True)
    else:  # an OpenAI-compatible server: LiteLLM's openai provider at its base URL
        import os

        provider = Provider("openai", os.environ.get("LOCAL_LLM_API_KEY") or "local",
                            server.base_url, True)
    from ..providers.backends.http import RetryPolicy

    # a server on this machine is not rate-limited: once more when it says it is busy (a
    # model still loading), never again after a timeout (the offline writer is waiting)
    chat = ChatBackend("local", server.chosen, provider, prices, local=True,
                       timeout=settings.tables.local_model.timeout_seconds,
                       retry=RetryPolicy(attempts=2, timeout_retries=0))
    return LocalModelBackend(chat, LocalBackend(task_type, local))


class _Missing(Backend):
    """Stands for a route that has no backend here, so `explain` can say why."""

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        self.why = why

    def unavailable_reason(self) -> str | None:
        return self.why

    async def execute(self, task: Task, context: Context) -> Outcome:
        raise RouteUnavailable(self.why)


def _provider_backend(task_type: str, profile: Profile, route: str, settings: Settings,
                      providers: ProviderSettings, prices: PriceBook) -> Backend | None:
    cap = profile.capability
    media = settings.media
    model = profile.model_of(route)
    if model is not None and cap in ("text", "research"):
        from ..providers.backends.llm import ChatBackend

        try:
            provider = providers.for_model(model)
        except RouteUnavailable as exc:
            return _Missing(f"{route}:{model}", str(exc))
        if provider.name == "perplexity":
            from ..providers.backends.perplexity import PerplexityBackend

            return PerplexityBackend(provider, prices, model=model, route=route)
        return ChatBackend(route, model, provider, prices)
    if route == "agent":
        from ..providers.backends.openhands import OpenHandsBackend

        return OpenHandsBackend(providers.get("openhands"), prices)
    if route == "premium" and cap == "speech":
        from ..providers.backends.elevenlabs import ElevenLabsBackend

        return ElevenLabsBackend(providers.get("elevenlabs"), prices,
                                 voice_id=media["voice_id"], model_id=media["voice_model"])
    if route == "premium" and cap == "music":
        from ..providers.backends.fal import FalMusicBackend

        return FalMusicBackend(providers.get("fal"), prices, model=media["music_model"])
    if route == "premium" and cap == "image" and task_type == "image_generation":
        from ..providers.backends.fal import FalImageBackend

        return FalImageBackend(providers.get("fal"), prices, model=media["image_model"])
    return None


def build_registry(settings: Settings, memory: Memory,
                   providers: ProviderSettings | None = None,
                   prices: PriceBook | None = None) -> Registry:
    """Every (task type, route) of the settings, bound to its backend."""
    from ..pipelines import shipped_locals

    providers = providers or ProviderSettings.load(settings.providers)
    prices = prices or PriceBook.from_settings(settings)
    shipped = shipped_locals()  # a pipeline being run binds its own (pipeline.run.install)
    reg = Registry()
    for task_type, profile in settings.profiles.items():
        for route in profile.routes:
            backend: Backend | None
            local, reuse = shipped.get(task_type, (None, None))
            if route == "local" and profile.model_of("local") is None:
                backend = _local_model(task_type, profile, settings, prices, local) \
                    or LocalBackend(task_type, local)
            elif route == "memory":
                backend = MemoryBackend(task_type, f"{task_type}_layout", memory, reuse)
            else:
                try:
                    backend = _provider_backend(task_type, profile, route, settings, providers,
                                                prices)
                except ImportError as exc:
                    backend = _Missing(f"{route}:{task_type}", f"backend not installed ({exc})")
                if backend is None:
                    backend = _Missing(f"{route}:{task_type}",
                                       f"no {route} backend serves {profile.capability} work")
            reg.register(task_type, route, backend)
    from .plugins import load_backends

    load_backends(reg, settings)  # the archibald.backends entry points, over the shipped
    return reg


def describe(registry: Registry, settings: Settings) -> list[dict[str, Any]]:
    """Every route of every task type: its backend, the provider, endpoint and key variable
    its model resolves to, and whether it can run here (for `doctor`)."""
    rows = []
    for task_type, profile in settings.profiles.items():
        for route in profile.routes:
            backend = registry.get(task_type, route)
            provider = getattr(backend, "provider", None)
            rows.append({"task_type": task_type, "route": route,
                         "backend": backend.name if backend else None,
                         "model": getattr(backend, "model", None),
                         "provider": provider.name if provider else None,
                         "endpoint": provider.redact(provider.base_url) if provider else None,
                         "key_var": (provider.key_var or None) if provider else None,
                         "unavailable": registry.unavailable(task_type, route)})
    return rows
