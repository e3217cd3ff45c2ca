"""The gateway's one operation: an authenticated chat request, routed like a pipeline stage.

A request (already in OpenAI's chat shape, whichever API it came in) becomes a
:class:`~archibald.core.tasks.Task` on the key's ledger channel and is run by the pipelines'
own :class:`~archibald.core.router.Router`: every call reserved before it is made (the key's
budgets among the limits), written ahead, settled with its real cost, checked route-blind,
escalated to premium when it fails, and remembered. The virtual models choose how:

- ``archibald/auto``: the router decides (decision matrix, then learned evidence);
- ``archibald/auto:cheap``: the cheapest route first, premium as the fallback;
- ``archibald/auto:best``: premium only;
- a configured alias (``premium``, ``budget``, ...) or any model LiteLLM serves: that model,
  still reserved, priced and recorded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import stat
import tempfile
import uuid
from dataclasses import dataclass, field
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from ...config import Settings, load_settings
from ...core.calls import Unsettled
from ...core.catalog import build_registry
from ...core.decisions import Decision, Registry, RouteResult
from ...core.router import Router
from ...core.tasks import Context, Outcome, Task
from ...errors import ConfigError, InputError, RouteUnavailable, UnknownTaskType
from ...store.ledger import NANO
from ...store.memory import Memory
from .analysis import GATEWAY_TASK_TYPES, RequestProfile, analyse_request, check_answer
from .keys import Key, Keys
from .reads import DecisionReads

__all__ = ["Gateway", "Answer", "Job", "Live", "Request", "Sink", "VIRTUAL_MODELS",
           "answer_of"]

log = logging.getLogger("archibald.serve")

VIRTUAL_MODELS = ("archibald/auto", "archibald/auto:cheap", "archibald/auto:best")
#: the embedding model `archibald/auto` means for /v1/embeddings
DEFAULT_EMBEDDING = "text-embedding-3-small"
#: seconds the first of a batch of deferred settlements waits before the batch is written
SETTLE_WITHIN = 0.05
#: the longest wait between two tries of a batch whose write failed (each waits twice the last)
FLUSH_RETRY_MAX = 5.0


@dataclass
class Request:
    """A chat request in OpenAI's shape (the Anthropic adapter converts to it)."""

    model: str
    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    temperature: float | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    response_format: Any = None
    stop: Any = None
    task: str | None = None  # the app's own name for the work (x-archibald-task)
    #: sampling parameters passed to the model as they are (wire.sampling: top_p, seed, ...)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    """What the gateway answers, whichever route made it."""

    text: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    route: str
    model: str
    task_type: str
    reason: str
    cost_nano: int
    baseline_nano: int
    input_tokens: int
    output_tokens: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: of the output tokens, those the model spent reasoning
    reasoning_tokens: int = 0
    #: sampling parameters the route's provider does not take, left out of its call
    dropped: list[str] = field(default_factory=list)
    #: the model's reasoning as Anthropic's thinking blocks (openai_wire.thinking_of)
    thinking: list[dict[str, Any]] = field(default_factory=list)
    #: what is left to write once the answer is sent: its settlement, then the run's hooks
    #: (``Gateway.complete``); called exactly once, whether or not the answer reached its app
    finish: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)

    @property
    def reasoning(self) -> str:
        """The reasoning's text (as DeepSeek's ``reasoning_content`` says it)."""
        return "".join(b.get("thinking", "") for b in self.thinking)

    @property
    def cost_usd(self) -> float:
        return self.cost_nano / NANO

    @property
    def baseline_usd(self) -> float:
        return self.baseline_nano / NANO

    def headers(self) -> dict[str, str]:
        return {"x-archibald-route": self.route, "x-archibald-task": self.task_type,
                "x-archibald-cost-usd": f"{self.cost_usd:.9f}",
                "x-archibald-baseline-usd": f"{self.baseline_usd:.9f}",
                "x-archibald-response-id": self.id, **_dropped(self.dropped)}


def _dropped(params: Sequence[str]) -> dict[str, str]:
    """The header naming the sampling parameters a route was called without ({} for none)."""
    return {"x-archibald-dropped-params": ",".join(params)} if params else {}


class Gateway:
    """The settings, store and routers one server process answers with."""

    def __init__(self, settings: Settings | None = None, memory: Memory | None = None) -> None:
        base = settings or load_settings(None)
        self.settings = base.with_task_types(GATEWAY_TASK_TYPES)
        # its decisions read learned evidence kept for a second (money is never cached)
        self.memory = memory or DecisionReads(half_life_days=self.settings.router
                                              .evidence_half_life_days)
        self.keys = Keys(self.memory)
        self.router = self._router(build_registry(self.settings, self.memory))
        self._direct: dict[str, Router] = {}
        #: called with every finished run (the app adds the shadow comparison's)
        self.after_run: list[Callable[[Job, RouteResult], object]] = []
        #: runs of streamed answers, awaited at shutdown (their clients may have left)
        self.inflight: set[asyncio.Task[Any]] = set()
        #: answers sent and not yet settled, by response id (see ``complete``)
        self._finishing: dict[str, asyncio.Event] = {}
        #: requests between their arrival and their settlement (see ``complete``)
        self._answering = 0
        self.workdir = working_folder()

    def _router(self, registry: Registry) -> Router:
        for backend in registry.backends():
            # an app waits on every call: OpenAI-wire providers are called with aiohttp
            # directly, loaded now (150 ms) rather than on an app's first request
            if getattr(backend, "call_directly", lambda: False)():
                import aiohttp  # noqa: F401
        router = Router(self.settings, self.memory, registry)
        router.budget.sources.append(self.keys.limits)  # a key's budgets, in the reservation
        return router

    async def close_clients(self) -> None:
        """Close the pooled HTTP clients of the backends called directly (at shutdown)."""
        for router in (self.router, *self._direct.values()):
            for backend in router.registry.backends():
                direct = getattr(backend, "direct", None)
                if direct is not None:
                    await direct.aclose()

    def close(self) -> None:
        self.memory.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- what it serves -------------------------------------------------------------------
    def models(self) -> list[str]:
        """The virtual models, then every configured alias and model."""
        named = sorted({*self.settings.models, *self.settings.models.values()})
        return [*VIRTUAL_MODELS, *named]

    def input_tokens(self, model: str, messages: list[dict[str, Any]],
                     tools: list[dict[str, Any]] | None) -> int:
        """What a prompt would count as input tokens (Anthropic's count_tokens, which Claude
        Code asks before it compacts): with the tokenizer of the model the request names, or
        for a virtual model its premium route's (what the all-premium baseline pays). Nothing
        is sent and nothing billed."""
        from ...core.tokens import prompt_tokens

        if model in VIRTUAL_MODELS:
            profile = analyse_request(messages, tools=tools)
            backend = self.router.registry.get(profile.task_type, "premium")
            model = str(getattr(backend, "model", "") or "")
        return prompt_tokens(self.settings.model_for(model), messages, tools)

    def budget_left(self) -> dict[str, float]:
        """What each active key with a budget may still spend under its tightest (USD)."""
        out = {}
        for key in self.keys.all():
            rooms = [lim.room(self.memory.spent_nano) for lim in self.keys.limits(key.channel)]
            if key.revoked_at is None and rooms:
                out[key.name] = max(0, min(rooms)) / NANO
        return out

    def task_type(self, request: Request) -> RequestProfile:
        named = request.task
        if named and named not in self.settings.profiles:
            raise UnknownTaskType(named, list(self.settings.profiles))
        return analyse_request(request.messages, tools=request.tools,
                               response_format=request.response_format, named=named)

    # -- answering ------------------------------------------------------------------------
    async def complete(self, key: Key, request: Request) -> Answer:
        """Run ``request`` for ``key``; BudgetExceeded when its maximum fits no budget.

        The accepted answer is settled by the returned answer's ``finish()``, which the app
        calls once the response is sent: the app waits on neither the settlement's commit
        nor the hooks. Until then the call's pending row holds its maximum against every
        budget and its wire row keeps the answer (what a kill in between leaves, settled at
        what the provider billed by ``gateway.sweep``)."""
        job = self.prepare(key, request)
        later: list[Unsettled] = []
        self._answering += 1
        try:
            result = await self.run(job, Context(workdir=self.workdir, settle_later=later),
                                     hooks=False)
            answer = answer_of(result, job)
        except BaseException:
            self._answering -= 1
            for unsettled in later:  # no answer to send: settled now
                unsettled.settle()
            raise
        self._finishing[answer.id] = finished = asyncio.Event()

        def finish() -> None:
            answer.finish = lambda: None  # once
            try:
                # with other requests in flight, the settlement waits for the batch written
                # within SETTLE_WITHIN (its answer is kept until then); alone, it is written now
                soon = self._answering > 1
                for unsettled in later:
                    if unsettled.settle(soon=soon):  # queued first: written in time
                        asyncio.get_running_loop().call_later(SETTLE_WITHIN, self._flush)
                self._after(job, result)
            finally:
                self._answering -= 1
                self.inflight.discard(running)
                self._finishing.pop(answer.id, None)
                finished.set()
        answer.finish = finish
        # in flight until finished (a drain at shutdown waits for the settlement too), and
        # finished when its request ends, even one cancelled before its response was sent
        running = asyncio.current_task()
        if running is not None:
            self.inflight.add(running)
            running.add_done_callback(lambda _: answer.finish())
        return answer

    async def finished(self, response_id: str, timeout: float = 10.0) -> None:
        """Return once this process has settled the answer ``response_id`` (at once for
        an answer it is not settling): feedback sent the moment an answer arrives waits for
        it here rather than finding its row still pending."""
        finishing = self._finishing.get(response_id)
        if finishing is not None:
            await asyncio.wait_for(finishing.wait(), timeout)
        self.memory.flush()

    def _flush(self, waited: float = 0.0) -> None:
        """Write the batch of deferred settlements whose first has waited SETTLE_WITHIN (one
        deferred since an earlier batch went out, onto an empty queue, has its own flush
        scheduled, and this one leaves it to that). A batch that fails stays queued and is
        tried again, each wait twice the last up to FLUSH_RETRY_MAX (``waited``: the last),
        and said once in the log, not on every try (after a second, any write takes it too)."""
        try:
            self.memory.flush(waited=SETTLE_WITHIN * 0.9)
        except Exception as exc:  # noqa: BLE001 - kept queued, tried again
            if not waited:
                log.exception("deferred settlements not written yet; trying again")
            else:
                log.debug("deferred settlements still not written: %s", exc)
            wait = min(FLUSH_RETRY_MAX, max(SETTLE_WITHIN, waited * 2))
            asyncio.get_running_loop().call_later(wait, self._flush, wait)
        else:
            if waited:
                log.warning("deferred settlements written on a retry (the last after %.2f s)",
                            waited)

    async def run(self, job: "Job", context: Context, *, hooks: bool = True) -> RouteResult:
        """The request's run, by the pipelines' router; a share of delegated answers is then
        compared with premium's in the background (see archibald.serve.gateway.shadow): once
        the run ends, or (``hooks`` False) when its caller has settled it."""
        result = await job.router.run(job.task, context, run_id=job.run_id,
                                      stage=job.stage or job.task.type, check=job.check,
                                      decision=job.decision, resume=job.resume)
        if hooks:
            self._after(job, result)
        return result

    def _after(self, job: "Job", result: RouteResult) -> None:
        for hook in self.after_run:
            hook(job, result)

    async def stream(self, key: Key, request: Request) -> "Live":
        """Run ``request`` for ``key`` with its answer streamed from the provider as it is
        written. The run is a task of its own: a client that hangs up does not stop it, so
        the call is read to its end and settled from the provider's own usage. Returns once
        the first piece arrived, or raises what ended the run before it (a budget's refusal,
        every route failing) so that it is answered with an HTTP error."""
        job = self.prepare(key, request)
        sink = Sink()
        run = asyncio.create_task(self.run(
            job, Context(workdir=self.workdir, extra={"stream": sink})))
        self.inflight.add(run)
        run.add_done_callback(self.inflight.discard)
        run.add_done_callback(lambda _: sink.close())
        first = await sink.queue.get()
        if first is None:
            result = await run  # raises what refused or failed it
            return Live(job.run_id, job.task.type, sink, run, None, answer_of(result, job))
        return Live(job.run_id, job.task.type, sink, run, first, None, job)

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait (at most ``timeout`` s) for runs whose client left: their calls settle."""
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=timeout)

    def prepare(self, key: Key, request: Request, *, run_id: str | None = None,
                stage: str | None = None) -> "Job":
        """``request`` made ready to run for ``key``: its task, router, decision and check
        (a batch line names its own run and stage)."""
        profile = self.task_type(request)
        inputs: dict[str, Any] = {
            "messages": request.messages,
            "prompt": _last_user_text(request.messages) or "(no text)",
        }
        for name in ("max_tokens", "temperature", "tools", "tool_choice", "response_format",
                     "stop"):
            value = getattr(request, name)
            if value is not None:
                inputs[name] = value
        inputs.update(request.params)
        task = Task(profile.task_type, inputs, key.channel)
        router, decision = self._route(request.model, task)
        wants_json = isinstance(request.response_format, dict) and \
            str(request.response_format.get("type", "")).startswith("json")

        def check(outcome: Outcome) -> tuple[float, dict[str, Any]]:
            calls = list(outcome.detail.get("tool_calls") or [])
            return check_answer(str(outcome.artifact or ""), calls,
                                finish_reason=outcome.detail.get("finish_reason"),
                                wants_json=wants_json)

        return Job(task, router, decision, check, run_id or f"gw-{uuid.uuid4().hex[:16]}",
                    pinned=request.model not in VIRTUAL_MODELS, stage=stage or "",
                    resume=run_id is not None)

    async def embed(self, key: Key, model: str, texts: list[str]) -> tuple[dict[str, Any], int]:
        """Embeddings of ``texts`` from ``model`` (``archibald/auto``: DEFAULT_EMBEDDING),
        reserved against the key's budgets before the call, settled with its real cost from
        public prices; returns OpenAI's response body and the cost in nano-dollars."""
        import time as clock

        from ...core.prices import PriceBook
        from ...core.tasks import Usage
        from ...providers.backends.llm import litellm_model, translate_litellm
        from ...providers.chat_models import import_litellm
        from ...providers.registry import ProviderSettings
        from ...store.ledger import Attempt, to_nano

        name = DEFAULT_EMBEDDING if model in VIRTUAL_MODELS else \
            (self.settings.model_for(model) if model in self.settings.models else model)
        try:
            provider = ProviderSettings.load(self.settings.providers).for_model(name)
            price = PriceBook.from_settings(self.settings).model(name)
        except (RouteUnavailable, ConfigError) as exc:
            raise InputError(f"embedding model {name!r} is not served here: {exc}") from None
        if not provider.configured:
            raise InputError(f"embedding model {name!r} needs {provider.missing}")
        run_id = f"gw-{uuid.uuid4().hex[:16]}"
        # no tokenizer makes more tokens than the text has UTF-8 bytes
        most = sum(len(t.encode()) + 8 for t in texts) * price.input_per_token
        attempt = Attempt(task_type="embeddings", route="premium",
                          backend=f"{provider.name}:{name}", success=False, cost_nano=0,
                          baseline_nano=0, channel=key.channel, run_id=run_id,
                          stage="embeddings", model=name, max_cost_nano=to_nano(most),
                          reason="an embedding request through the gateway",
                          price_source=price.source)
        self.router.budget.reserve(attempt)
        start = clock.perf_counter()
        try:
            response = await import_litellm().aembedding(
                model=litellm_model(provider.name, name), input=texts,
                api_key=provider.api_key, api_base=provider.base_url if provider.sends_base
                else None, num_retries=0, max_retries=0, timeout=60)
        except Exception as exc:  # noqa: BLE001 - LiteLLM's tree, translated
            err = translate_litellm(provider, exc)
            attempt.error, attempt.checked = str(err), True
            self.memory.settle(attempt)
            raise err from None
        usage = getattr(response, "usage", None)
        tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        cost = to_nano(tokens * price.input_per_token)
        attempt.success, attempt.cost_nano, attempt.baseline_nano = True, cost, cost
        attempt.usage = Usage(input_tokens=tokens, requests=1).as_dict()
        attempt.seconds, attempt.checked = clock.perf_counter() - start, True
        self.memory.settle(attempt)
        data = [{"object": "embedding", "index": i, "embedding": list(item["embedding"])
                 if isinstance(item, dict) else list(item.embedding)}
                for i, item in enumerate(response.data)]
        return {"object": "list", "data": data, "model": name,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}, cost

    def _route(self, model: str, task: Task) -> tuple[Router, Decision | None]:
        """The router and (when the model names it) the decision for ``model``."""
        if model == "archibald/auto":
            return self.router, None
        router = self.router
        if model == "archibald/auto:cheap":
            chain = [r for r in ("budget", "premium")
                     if router.registry.get(task.type, r) is not None]
            decision = router.asked(task, chain or ["premium"], "")
            decision.reason = (f"archibald/auto:cheap asked for the cheapest route first "
                               f"({' then '.join(decision.chain)})")
            return router, decision
        if model == "archibald/auto:best":
            return router, router.asked(task, ["premium"],
                                        "archibald/auto:best asked for the premium route")
        for route in ("premium", "budget"):  # an alias or model a route of ours serves
            backend = router.registry.get(task.type, route)
            if backend is not None and model in (route, getattr(backend, "model", None)):
                return router, router.asked(
                    task, [route], f"the request named {model!r}, the {route} route's model")
        direct = self.direct_router(self.settings.model_for(model)
                                    if model in self.settings.models else model)
        return direct, direct.asked(
            task, ["premium"], f"the request named the model {model!r}: passed straight "
                               f"through")

    def direct_routers(self) -> list[Router]:
        """The routers made so far for models named in requests."""
        return list(self._direct.values())

    def direct_router(self, model: str) -> Router:
        """A router whose premium route, for every gateway task type, is ``model``."""
        found = self._direct.get(model)
        if found is not None:
            return found
        from ...core.prices import PriceBook
        from ...providers.backends.llm import ChatBackend
        from ...providers.registry import ProviderSettings

        providers = ProviderSettings.load(self.settings.providers)
        try:
            provider = providers.for_model(model)
        except (RouteUnavailable, ConfigError) as exc:
            raise InputError(f"model {model!r} is not served here: {exc}") from None
        backend = ChatBackend("premium", model, provider, PriceBook.from_settings(self.settings))
        reason = backend.unavailable_reason()
        if reason:
            raise InputError(f"model {model!r} is not served here: {reason}")
        registry = Registry()
        for name in self.settings.profiles:
            registry.register(name, "premium", backend)
        router = self._direct[model] = self._router(registry)
        return router


@dataclass
class Job:
    """A request made ready to run: its task, router, decision, check and ledger run id."""

    task: Task
    router: Router
    decision: Decision | None
    check: Any
    run_id: str
    #: the app named the model: its answer is that model's, not a delegation to compare
    pinned: bool = False
    #: the ledger's stage of its calls ("" : the task type)
    stage: str = ""
    #: its run may hold answers already paid for (a batch line run again), else it is new
    resume: bool = False


#: a gateway process's working folder in the system's temporary folder: the prefix, its pid
WORKDIR_PREFIX = "archibald-gateway-"


def working_folder(root: Path | None = None) -> Path:
    """A fresh working folder for this process, after removing those that processes no
    longer alive left (a worker SIGKILLed cannot remove its own): only folders of this user
    named with a pid, never through a symlink."""
    root = root or Path(tempfile.gettempdir())
    for old in root.glob(WORKDIR_PREFIX + "*-*"):
        pid = old.name[len(WORKDIR_PREFIX):].split("-", 1)[0]
        try:
            st = old.lstat()
            if not pid.isdigit() or not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:  # its process is gone
            shutil.rmtree(old, ignore_errors=True)
        except (OSError, ValueError, OverflowError):  # not ours to judge, or alive
            continue
    return Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-", dir=root))


def answer_of(result: RouteResult, job: Job) -> Answer:
    """The gateway's answer from a finished run of ``job``."""
    out = result.outcome
    usage = out.usage
    return Answer(text=str(out.artifact or ""),
                  tool_calls=list(out.detail.get("tool_calls") or []),
                  finish_reason=str(out.detail.get("finish_reason") or "stop"),
                  route=out.route, model=out.model or out.backend,
                  task_type=job.task.type, reason=result.decision.reason,
                  cost_nano=result.cost_nano, baseline_nano=result.baseline_nano,
                  input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                  reasoning_tokens=usage.reasoning_tokens,
                  id=job.run_id, dropped=list(out.detail.get("dropped_params") or []),
                  thinking=list(out.detail.get("thinking") or []))


class Sink:
    """The pieces of an answer on their way from the provider to the client (an
    :class:`~archibald.providers.backends.llmstream.AnswerSink`); ``None`` ends them."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.started = False
        self.backend = self.route = self.model = ""
        self.dropped: list[str] = []

    def begin(self, backend: str, route: str, model: str,
              dropped: Sequence[str] = ()) -> None:
        self.backend, self.route, self.model = backend, route, model
        self.dropped = list(dropped)

    def send(self, delta: dict[str, Any]) -> None:
        self.started = True
        self.queue.put_nowait(delta)

    def close(self) -> None:
        self.queue.put_nowait(None)


@dataclass
class Live:
    """A streamed answer: its pieces as they come, then the whole :class:`Answer` (its cost
    and baseline from the ledger). ``first`` is None when the run ended before streaming
    (``done`` then holds its answer)."""

    id: str
    task_type: str
    sink: Sink
    run: "asyncio.Task[RouteResult]"
    first: dict[str, Any] | None
    done: Answer | None
    job: Job | None = None

    @property
    def route(self) -> str:
        return self.done.route if self.done is not None else self.sink.route

    @property
    def model(self) -> str:
        return self.done.model if self.done is not None else self.sink.model

    def headers(self) -> dict[str, str]:
        """What is known when the stream starts; the cost comes at its end."""
        dropped = self.done.dropped if self.done is not None else self.sink.dropped
        return {"x-archibald-route": self.route, "x-archibald-task": self.task_type,
                "x-archibald-response-id": self.id, **_dropped(dropped)}

    async def pieces(self) -> AsyncIterator[dict[str, Any]]:
        if self.first is None:
            return
        yield self.first
        while (piece := await self.sink.queue.get()) is not None:
            yield piece

    async def answer(self) -> Answer:
        """The whole answer once the run ended (raises what failed it)."""
        await asyncio.shield(self.run)
        return self.settled()

    def settled(self) -> Answer:
        """The whole answer of a run that has ended (raises what failed it)."""
        if self.done is None:
            assert self.job is not None
            self.done = answer_of(self.run.result(), self.job)
        return self.done


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    from .analysis import request_text

    for m in reversed(messages):
        if m.get("role") == "user":
            return request_text([m])
    return request_text(messages)
