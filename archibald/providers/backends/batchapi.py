"""Provider batch APIs for work that can wait: Anthropic Message Batches and OpenAI Batch.

Both bill about half the synchronous price for the same tokens and answer within 24 hours
(usually far sooner). A chat request from a run whose deadline is far enough away is not sent
at once: the :class:`Batcher` gathers requests for the same provider and model (across the
items of a batch) for a short window, submits them as one batch, polls it, and hands each
waiting stage its answer, priced at the batch rate.

Money rules, as everywhere:

* **Nothing is submitted twice.** Every request has a deterministic ``custom_id`` (a digest of
  the run, stage, route, model and request body). The job row is written *before* the create
  call (state ``submitting``) and gets the provider's batch id right after; a re-run after a
  crash finds the request's row and polls the same batch instead of sending it again. Results
  are stored as they arrive, so a crash after they came back costs nothing either.
* **The deadline wins.** When a batch has not ended ``margin`` seconds before the earliest
  deadline of the runs waiting on it, it is cancelled and those requests fall back to the
  synchronous call (:class:`BatchFallback`). What the provider finished before the cancel is
  used (and billed at the batch rate), not asked for again.
* **Prices** come from LiteLLM's map (``*_cost_per_token_batches``) where it has them, else from
  the provider's published batch discount in ``prices.toml`` ``[batch_discounts]``.

Wire formats: Anthropic ``POST /v1/messages/batches`` ``{"requests": [{"custom_id", "params"}]}``,
``GET /v1/messages/batches/{id}`` (``processing_status`` in_progress | canceling | ended,
``results_url``), results as JSON lines ``{"custom_id", "result": {"type": "succeeded" |
"errored" | "canceled" | "expired", ...}}``, ``POST .../{id}/cancel``. OpenAI: the requests as a
JSONL file (``POST /v1/files``, purpose ``batch``), ``POST /v1/batches`` (``input_file_id``,
``endpoint``, ``completion_window: "24h"``, ``metadata``), ``GET /v1/batches/{id}`` (status
validating | failed | in_progress | finalizing | completed | expired | cancelling | cancelled;
``output_file_id``, ``error_file_id``), results from ``GET /v1/files/{id}/content`` as
``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`` lines.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from ...core.prices import ModelPrice, PriceBook, litellm_price_map, packaged_table
from ...core.tasks import Usage
from ...errors import BackendError, DelegationError
from ...pipeline.store import digest
from ...store.ledger import to_nano
from ...store.migrations import attempts, batch_items, batch_jobs
from .batchclients import (BATCH_PRICED, AnthropicBatches, BatchAnswer, BatchClient,
                           BatchFallback, BatchRequest, OpenAIBatches, log)

__all__ = ["BATCH_PRICED", "BatchFallback", "BatchRequest", "BatchAnswer", "BatchClient",
           "AnthropicBatches", "OpenAIBatches", "BatchStore", "Batcher", "batch_price"]


def batch_price(prices: PriceBook, provider: str, model: str) -> ModelPrice:
    """Batch token prices for ``model``: LiteLLM's batch figures, else the provider's discount.

    The discount covers every token of a batched request: cache reads and cache writes are
    charged at the batch rate too ("the discounts stack": Anthropic's pricing page, prompt
    caching with the Batch API; OpenAI's batch prices list cached input at half as well).
    LiteLLM's map names batch rates for input and output only, so the cache rates are scaled
    by the same input discount.
    """
    sync = prices.model(model)
    entry = litellm_price_map().get(model) or litellm_price_map().get(model.split("/", 1)[-1])
    if entry and entry.get("input_cost_per_token_batches") is not None \
            and entry.get("output_cost_per_token_batches") is not None:
        inp = float(entry["input_cost_per_token_batches"])
        ratio = inp / sync.input_per_token if sync.input_per_token else 1.0
        return ModelPrice(model, inp, float(entry["output_cost_per_token_batches"]),
                          sync.cached_input_per_token * ratio,
                          f"{BATCH_PRICED}{sync.source} (batch prices)",
                          None if sync.cache_write_per_token is None
                          else sync.cache_write_per_token * ratio)
    d = packaged_table("batch_discounts").get(provider)
    if not d:
        raise BatchFallback(f"no batch price known for {provider} {model}")
    f = float(d["factor"])
    return ModelPrice(model, sync.input_per_token * f, sync.output_per_token * f,
                      sync.cached_input_per_token * f,
                      f"{BATCH_PRICED}{sync.source} x {f:g} ({d['source']}, {d['date']})",
                      None if sync.cache_write_per_token is None
                      else sync.cache_write_per_token * f)


async def batched_outcome(batcher: "Batcher", backend: Any, messages: list[dict[str, Any]],
                          max_tokens: int, temperature: float | None, run_id: str,
                          stage: str, on_id: Callable[[str], None] | None = None) -> Any:
    """``backend``'s answer (a ChatBackend's Outcome) through the provider's batch API.

    ``on_id`` hears the request's custom id before it is sent (the router keeps it in the
    pending ledger row): a batch result that comes back after its caller gave up settles that
    row (see :meth:`BatchStore.record_late`), and an answer whose bill a row already holds is
    handed back at no further cost.
    """
    from ...core.tasks import Outcome

    provider = backend.provider.name
    client = batcher.clients[provider]
    model = backend.model.split("/", 1)[1] if backend.model.startswith(provider + "/") \
        else backend.model
    price = batch_price(backend.prices, provider, backend.model)
    body = client.body(model, messages, max_tokens, temperature)
    custom_id = batcher.custom_id(run_id, stage, backend.route, backend.model, body)
    if on_id is not None:
        on_id(custom_id)
    start = time.perf_counter()
    reply = await batcher.answer(provider, model, custom_id, body, run_id)
    text, usage, finish = client.reply(reply)
    sync = backend.prices.cost(usage, model=backend.model)
    billed = await asyncio.to_thread(batcher.store.billed_row, custom_id)
    cost, source = price.cost(usage), price.source
    if billed is not None:  # a row of an earlier call already holds this request's bill
        cost, source = 0.0, f"{BATCH_PRICED}billed on ledger row {billed}"
    return Outcome(artifact=text, backend=f"{backend.name} (batch)", route=backend.route,
                   model=backend.model, usage=usage, cost=cost,
                   seconds=time.perf_counter() - start,
                   detail={"request_id": reply.get("id"), "finish_reason": finish,
                           "batch": True, "batch_custom_id": custom_id,
                           "synchronous_cost_usd": sync, "price_source": source})


# -- what is stored -----------------------------------------------------------------------------
_OPEN_JOBS = ("submitting", "submitted", "cancelling")


class BatchStore:
    """Jobs and their requests in the ledger's database, so a crash never re-submits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def item(self, custom_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(select(batch_items).where(batch_items.c.custom_id == custom_id)) \
                .mappings().first()
        return dict(row) if row else None

    def job(self, job_key: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(select(batch_jobs).where(batch_jobs.c.job_key == job_key)) \
                .mappings().first()
        return dict(row) if row else None

    def open_jobs(self) -> list[str]:
        """Jobs whose batch has not been collected (a crash, or a caller that gave up)."""
        with self.engine.connect() as c:
            return list(c.execute(select(batch_jobs.c.job_key).where(
                batch_jobs.c.state.in_(_OPEN_JOBS)).order_by(batch_jobs.c.created_at))
                .scalars())

    def has_items(self, prefix: str) -> bool:
        """Whether any request under this custom-id prefix (a run's) was ever batched."""
        with self.engine.connect() as c:
            return c.execute(select(batch_items.c.custom_id).where(
                batch_items.c.custom_id.startswith(prefix, autoescape=True)).limit(1)) \
                .first() is not None

    def open_job(self, job_key: str, provider: str, model: str, deadline: float,
                 ids: list[str]) -> None:
        """Write-ahead: the job and its requests exist before the provider hears of them."""
        now = time.time()
        with self.engine.begin() as c:
            c.execute(batch_jobs.insert().values(job_key=job_key, provider=provider, model=model,
                                                 batch_id=None, state="submitting",
                                                 deadline=deadline, created_at=now))
            for cid in ids:
                c.execute(batch_items.insert().values(custom_id=cid, job_key=job_key,
                                                      state="submitted", result=None,
                                                      updated_at=now))

    def set_job(self, job_key: str, **values: Any) -> None:
        with self.engine.begin() as c:
            c.execute(update(batch_jobs).where(batch_jobs.c.job_key == job_key).values(**values))

    def settle(self, answers: list[BatchAnswer]) -> None:
        now = time.time()
        with self.engine.begin() as c:
            for a in answers:
                c.execute(update(batch_items).where(batch_items.c.custom_id == a.custom_id)
                          .values(state=a.state, updated_at=now,
                                  result=json.dumps({"body": a.body, "error": a.error})))

    def job_ids(self, job_key: str) -> list[str]:
        with self.engine.connect() as c:
            return list(c.execute(select(batch_items.c.custom_id)
                                  .where(batch_items.c.job_key == job_key)).scalars())

    # -- the ledger side: a batch result nobody waited for is still a bill ------------------
    def billed_row(self, custom_id: str) -> int | None:
        """The ledger row that already holds this request's batch bill, if one does."""
        c = attempts.c
        with self.engine.connect() as conn:
            row = conn.execute(select(c.id).where(
                c.request_id == custom_id, c.cost_nano > 0,
                c.price_source.startswith(BATCH_PRICED, autoescape=True))
                .order_by(c.id).limit(1)).first()
        return int(row[0]) if row else None

    def record_late(self, custom_id: str, cost_usd: float, usage: Usage, source: str,
                    waiting: bool) -> bool:
        """Settle the ledger row of a call that gave up on this request (a deadline, a kill,
        a failed route) with what the provider billed for it; False when no row needs it.

        The row is the one the router reserved (its request id is the custom id): ``unknown``
        (lost), ``pending`` from a killed process (not while ``waiting``: a live caller settles
        its own), or settled at $0 as a failed route. Nothing is written when any row already
        holds the bill.
        """
        c = attempts.c
        states = ["unknown", "settled"] + ([] if waiting else ["pending"])
        with self.engine.begin() as conn:
            if conn.execute(select(c.id).where(
                    c.request_id == custom_id, c.cost_nano > 0,
                    c.price_source.startswith(BATCH_PRICED, autoescape=True))).first():
                return False
            row = conn.execute(select(c.id, c.error).where(
                c.request_id == custom_id, c.status.in_(states), c.cost_nano == 0,
                c.success.is_(False)).order_by(c.id.desc()).limit(1)).first()
            if row is None:
                return False
            note = "; the batch answered later and billed it"
            conn.execute(update(attempts).where(c.id == row[0]).values(
                status="settled", checked=True, cost_nano=to_nano(cost_usd),
                usage=json.dumps(usage.as_dict()), price_source=source,
                error=((row[1] or "the caller gave up on the batch") + note)[:2000]))
        return True


# -- the batcher --------------------------------------------------------------------------------
@dataclass
class _Group:
    provider: str
    model: str
    requests: list[BatchRequest] = field(default_factory=list)
    deadline: float = float("inf")
    flush: asyncio.TimerHandle | None = None
    done: asyncio.Future[str] | None = None  # the job key, once submitted


class Batcher:
    """Gathers chat requests that can wait into provider batches; see the module docstring.

    ``window`` is how long a group stays open after its latest request (requests from other
    items arriving meanwhile join it); ``min_lead`` is how far away a run's deadline must be for
    its requests to be batched at all; ``margin`` is how long before the deadline an unfinished
    batch is cancelled in favour of synchronous calls; ``poll_first``/``poll_max`` bound the
    polling interval; ``cancel_wait`` overrides how long a cancelled batch is waited for (by
    default what its provider documents: see each client's ``cancel_wait``).

    After a cancel nothing is sent synchronously until the batch has ended and every result it
    finished is read and stored (its callers get them at the batch price); a batch that does
    not end within the documented wait is left for a later run to collect, and its requests
    fail here rather than being paid twice.
    """

    def __init__(self, store: BatchStore, clients: Mapping[str, BatchClient], *,
                 window: float = 2.0, max_requests: int = 1000, min_lead: float = 2 * 3600.0,
                 margin: float = 1800.0, poll_first: float = 5.0, poll_max: float = 120.0,
                 cancel_wait: float | None = None, prices: PriceBook | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.clients = store, dict(clients)
        self.window, self.max_requests = window, max_requests
        self.min_lead, self.margin = min_lead, margin
        self.poll_first, self.poll_max = poll_first, poll_max
        self.cancel_wait = cancel_wait
        self.prices = prices
        self.clock = clock
        self.deadlines: dict[str, float] = {}
        self._groups: dict[tuple[str, str], _Group] = {}
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, int] = {}  # custom id -> callers of this process awaiting it
        self._closing = False
        self._wake: asyncio.Event | None = None  # set by close(): pollers stop sleeping
        self.submitted = 0  # batches this process created (for tests and the summary)

    def register(self, run_id: str, deadline: float) -> None:
        """Requests of ``run_id`` may wait until ``deadline`` (Unix time)."""
        self.deadlines[run_id] = deadline

    def wants(self, run_id: str, provider: str) -> bool:
        """Whether ``run_id``'s calls to ``provider`` go through the batcher: its deadline is
        far enough, or an earlier process already batched requests of this run (they are
        collected, or cancelled and collected, never sent again beside their batch)."""
        if provider not in self.clients:
            return False
        deadline = self.deadlines.get(run_id)
        if deadline is not None and deadline - self.clock() >= self.min_lead:
            return True
        return bool(run_id) and self.store.has_items(self._prefix(run_id))

    @staticmethod
    def _prefix(run_id: str) -> str:
        return f"arch-{digest({'run': run_id})[:10]}-"

    def custom_id(self, run_id: str, stage: str, route: str, model: str,
                  body: Mapping[str, Any]) -> str:
        """``arch-<run>-<request>``: 56 characters of ``[a-z0-9-]`` (Anthropic allows 64)."""
        return self._prefix(run_id) + digest({"run": run_id, "stage": stage, "route": route,
                                              "model": model, "body": body})[:40]

    async def answer(self, provider: str, model: str, custom_id: str, body: dict[str, Any],
                     run_id: str) -> dict[str, Any]:
        """The provider's response body for this request, from its batch."""
        self._waiting[custom_id] = self._waiting.get(custom_id, 0) + 1
        try:
            return await self._answer(provider, model, custom_id, body, run_id)
        finally:
            self._waiting[custom_id] -= 1
            if not self._waiting[custom_id]:
                del self._waiting[custom_id]

    async def _answer(self, provider: str, model: str, custom_id: str, body: dict[str, Any],
                      run_id: str) -> dict[str, Any]:
        known = await asyncio.to_thread(self.store.item, custom_id)
        if known is None:
            deadline = self.deadlines.get(run_id, float("inf"))
            if deadline - self.clock() < self.min_lead:  # only here to collect an old batch
                raise BatchFallback(f"{provider}: the deadline is too near for a new batch")
            job_key = await self._join(provider, model, BatchRequest(custom_id, body), deadline)
        else:
            job_key = str(known["job_key"])
        while True:
            row = await asyncio.to_thread(self.store.item, custom_id)
            assert row is not None
            if row["state"] == "succeeded":
                body_out: dict[str, Any] = json.loads(row["result"])["body"]
                return body_out
            if row["state"] in ("errored", "canceled", "expired"):
                why = json.loads(row["result"] or "{}").get("error") or row["state"]
                raise BatchFallback(f"{provider} batch request {row['state']}: {why}")
            await self._follow(job_key)

    async def _join(self, provider: str, model: str, req: BatchRequest, deadline: float) -> str:
        key = (provider, model)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(provider, model)
        group.requests.append(req)
        group.deadline = min(group.deadline, deadline)
        loop = asyncio.get_running_loop()
        if group.done is None:
            group.done = loop.create_future()
        done = group.done
        if group.flush is not None:
            group.flush.cancel()
        if len(group.requests) >= self.max_requests:
            loop.create_task(self._submit(key))
        else:
            group.flush = loop.call_later(self.window,
                                          lambda: loop.create_task(self._submit(key)))
        return await asyncio.shield(done)

    async def _submit(self, key: tuple[str, str]) -> None:
        group = self._groups.pop(key, None)
        if group is None:
            return
        done = group.done
        ids = [r.custom_id for r in group.requests]
        job_key = digest({"ids": ids})[:32]
        client = self.clients[group.provider]
        try:
            await asyncio.to_thread(self.store.open_job, job_key, group.provider, group.model,
                                    group.deadline, ids)
            batch_id = await client.create(group.requests, job_key)
            self.submitted += 1
            await asyncio.to_thread(self.store.set_job, job_key, batch_id=batch_id,
                                    state="submitted")
            log.info("%s: batch %s of %d requests for %s", group.provider, batch_id, len(ids),
                     group.model)
        except (BackendError, httpx.ConnectError) as exc:  # refused or never sent: nothing
            # was created, the requests go directly
            await asyncio.to_thread(self.store.settle, [
                BatchAnswer(cid, "errored", error=f"batch create failed: {exc}") for cid in ids])
            await asyncio.to_thread(self.store.set_job, job_key, state="failed")
        except Exception as exc:  # unanswered: the batch may exist; its job looks for it
            log.warning("%s: batch create for %d requests unconfirmed (%s); looking it up",
                        group.provider, len(ids), exc)
        if done is not None and not done.done():
            done.set_result(job_key)

    async def _follow(self, job_key: str) -> None:
        """Poll the job until it ends (one poller per job for every waiting request)."""
        task = self._jobs.get(job_key)
        if task is None or task.done():
            task = self._jobs[job_key] = asyncio.get_running_loop().create_task(
                self._poll(job_key))
        try:
            await asyncio.shield(task)
        except httpx.HTTPError as exc:  # the job stays open: a later run collects it
            raise BackendError(f"batch job {job_key} could not be followed: {exc!r}; not "
                               f"sent again (its batch may exist)") from None

    async def collect_open(self) -> None:
        """Follow every job an earlier process left open (a crash, a caller that gave up):
        collected when it ends, cancelled and collected when its deadline nears."""
        for job_key in await asyncio.to_thread(self.store.open_jobs):
            try:
                await self._follow(job_key)
            except DelegationError as exc:
                log.warning("batch job %s: %s", job_key, exc)

    async def close(self) -> None:
        """Nobody waits any more: every open batch is cancelled and what it finished is
        collected and recorded (no batch outlives the run unaccounted)."""
        self._closing = True
        if self._wake is not None:
            self._wake.set()
        for job_key in await asyncio.to_thread(self.store.open_jobs):
            try:
                await self._follow(job_key)
            except DelegationError as exc:
                log.warning("batch job %s: %s", job_key, exc)

    async def _sleep(self, seconds: float) -> None:
        if self._closing:  # woken once by close(); from then on the plain interval
            await asyncio.sleep(seconds)
            return
        if self._wake is None:
            self._wake = asyncio.Event()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass

    def _deadline(self, job: Mapping[str, Any], ids: list[str]) -> float:
        """The job's deadline: the earliest of the one it was made with and those of the runs
        registered now whose requests it holds (a re-run may bring its deadline nearer)."""
        prefixes = {self._prefix(run): d for run, d in self.deadlines.items()}
        now = [d for p, d in prefixes.items() if any(cid.startswith(p) for cid in ids)]
        return min([float(job["deadline"]), *now])

    def _limit(self, client: BatchClient) -> float:
        return self.cancel_wait if self.cancel_wait is not None else client.cancel_wait

    async def _poll(self, job_key: str) -> None:
        job = await asyncio.to_thread(self.store.job, job_key)
        if job is None:
            return
        client = self.clients.get(str(job["provider"]))
        batch_id = job["batch_id"]
        ids = await asyncio.to_thread(self.store.job_ids, job_key)
        if client is None:
            await self._give_up(ids, "its provider is not configured now")
            return
        if not batch_id:  # crashed (or lost the answer) between the create call and its id
            batch_id = await client.find(job_key, ids, float(job["created_at"]))
            if not batch_id:
                await self._give_up(ids, "submission not confirmed before a crash")
                await asyncio.to_thread(self.store.set_job, job_key, state="unknown")
                return
            await asyncio.to_thread(self.store.set_job, job_key, batch_id=batch_id,
                                    state="submitted")
        batch_id = str(batch_id)
        wait, cancelled_at = self.poll_first, None
        if job["state"] == "cancelling":  # a cancel an earlier process sent
            cancelled_at = self.clock()
        while True:
            status, ended = await client.poll(batch_id)
            if ended:
                break
            if cancelled_at is None and (self._closing or self.clock() + wait
                                         > self._deadline(job, ids) - self.margin):
                log.warning("%s batch %s not done %s s before its deadline: cancelled; what "
                            "it finished is collected, the rest goes synchronously",
                            job["provider"], batch_id, self.margin)
                await client.cancel(batch_id)
                cancelled_at = self.clock()
                await asyncio.to_thread(self.store.set_job, job_key, state="cancelling")
                wait = self.poll_first
            elif cancelled_at is not None and self.clock() - cancelled_at > self._limit(client):
                raise BackendError(
                    f"{job['provider']} batch {batch_id} still {status} "
                    f"{self._limit(client):g} s after its cancel; not sent again (it may "
                    f"still bill): a later run collects it", provider=str(job["provider"]))
            await self._sleep(wait)
            wait = min(wait * 2, self.poll_max)
        answers = await client.results(batch_id)
        seen = {a.custom_id for a in answers}
        mine = set(ids)
        answers = [a for a in answers if a.custom_id in mine]
        missing = "expired" if status in ("expired", "ended") else "canceled"
        answers += [BatchAnswer(cid, missing, error=f"no result: the batch {status}")
                    for cid in ids if cid not in seen]
        await asyncio.to_thread(self.store.settle, answers)
        await asyncio.to_thread(self._record_late, client, str(job["provider"]),
                                str(job["model"]), answers)
        await asyncio.to_thread(self.store.set_job, job_key, state="ended")

    def _record_late(self, client: BatchClient, provider: str, model: str,
                     answers: list[BatchAnswer]) -> None:
        """Bills of finished requests whose callers gave up go into their ledger rows."""
        prices = self.prices or PriceBook()
        for a in answers:
            if a.state != "succeeded" or a.body is None:
                continue
            try:
                price = batch_price(prices, provider, model)
            except (BatchFallback, BackendError, KeyError) as exc:
                log.warning("no batch price for %s %s: %s", provider, model, exc)
                continue
            usage = client.reply(a.body)[1]
            if self.store.record_late(a.custom_id, price.cost(usage), usage, price.source,
                                      a.custom_id in self._waiting):
                log.warning("%s batch request %s answered after its caller gave up: its "
                            "bill is recorded", provider, a.custom_id)

    async def _give_up(self, ids: list[str], why: str) -> None:
        await asyncio.to_thread(self.store.settle,
                                [BatchAnswer(cid, "errored", error=why) for cid in ids])
