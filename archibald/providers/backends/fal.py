"""Images and music on fal.ai's queue API, over httpx.

The official ``fal-client`` always uses https, so it cannot reach a loopback stub; the queue
protocol is small enough to speak directly: submit ``POST {base}/{app}`` → poll the returned
``status_url`` (202 IN_QUEUE / IN_PROGRESS, 200 COMPLETED — which may still carry an error) →
``GET response_url`` → download the file. fal returns no cost, so usage (megapixels, minutes)
is priced from prices.toml (``fal:<app>`` keys) by the rule fal bills by: a megapixel is
1024x1024 pixels (:func:`archibald.core.prices.megapixels`), rounded up per image; music minutes are
rounded up per request. A music model makes at most ``max_seconds`` a request (CassetteAI:
10 to 180 s), so a longer bed is several requests, each billed, joined with equal-power
crossfades.
The key is only sent to fal's own host, never to the CDN the files are downloaded from.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from abc import abstractmethod
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

import httpx
import numpy as np

from ...errors import (BackendError, BackendTimeout, DelegationError, InputError, NonRetryable,
                      RouteUnavailable)
from ...core.prices import PriceBook, megapixels
from ..registry import Provider
from ...core.tasks import Context, Outcome, Task, Usage
from ...store.fsio import write_file
from .base import Backend
from .http import RetryPolicy, log, raise_for_status, request_json, translate_transport

__all__ = ["FalQueue", "FalImageBackend", "FalMusicBackend", "music_arguments",
           "join_crossfaded"]

#: seconds two generated music pieces overlap where they are crossfaded
CROSSFADE = 4.0


#: the music_length_ms fal's ElevenLabs Music takes: 10 s to 5 min
#: (fal.ai/learn/devs/elevenlabs-music-user-guide)
ELEVENLABS_MUSIC_MS = (10_000, 300_000)


def music_arguments(model: str, prompt: str, seconds: float) -> dict[str, Any]:
    """The input fal's schema for ``model`` takes: ElevenLabs Music wants ``music_length_ms``,
    CassetteAI (and fal's other text-to-music apps) an integer ``duration`` in seconds."""
    if model.endswith("elevenlabs/music"):  # fal: 10 s to 5 min a request (longer beds split)
        ms = min(max(int(round(seconds * 1000)), ELEVENLABS_MUSIC_MS[0]), ELEVENLABS_MUSIC_MS[1])
        return {"prompt": prompt, "music_length_ms": ms}
    return {"prompt": prompt, "duration": int(round(seconds))}


def join_crossfaded(paths: list[Path], out: Path, seconds: float, fade: float) -> float:
    """Join audio files with ``fade``-second equal-power crossfades, trim to ``seconds``,
    write 16-bit WAV to ``out``; return the length written."""
    from ...media.audio import read_audio, resample, to_stereo, write_wav

    joined, rate = read_audio(paths[0], "fal music piece")
    joined = to_stereo(joined)
    for path in paths[1:]:
        samples, r = read_audio(path, "fal music piece")
        samples = to_stereo(resample(samples, r, rate))
        n = min(int(fade * rate), len(joined) // 2, len(samples) // 2)
        t = np.linspace(0.0, np.pi / 2, n, dtype=np.float32)[:, None]
        overlap = joined[len(joined) - n:] * np.cos(t) + samples[:n] * np.sin(t)
        joined = np.concatenate([joined[:len(joined) - n], overlap, samples[n:]])
    joined = joined[:int(round(seconds * rate))]
    write_wav(out, joined.astype(np.float32), rate)
    return len(joined) / rate


class FalQueue:
    """Submit one request to a fal app, wait for it under a deadline, fetch its result."""

    def __init__(self, provider: Provider, *, retry: RetryPolicy | None = None,
                 poll_interval: float = 1.0, deadline: float = 600.0,
                 request_timeout: float = 60.0,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.provider = provider
        self.retry = retry or RetryPolicy()
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.request_timeout = request_timeout
        self.sleep = sleep or self.retry.sleep
        self.clock = clock
        self.transport = transport

    @property
    def _secrets(self) -> tuple[str | None, ...]:
        return (self.provider.api_key,)

    def _auth(self, url: str) -> dict[str, str]:
        same_host = httpx.URL(url).host == httpx.URL(self.provider.base_url).host
        return {"Authorization": f"Key {self.provider.api_key}"} if same_host else {}

    async def _json(self, client: httpx.AsyncClient, method: str, url: str,
                    **kwargs: Any) -> Mapping[str, Any]:
        body, _ = await request_json(client, method, url, provider="fal", policy=self.retry,
                                     secrets=self._secrets, headers=self._auth(url), **kwargs)
        if not isinstance(body, Mapping):
            raise BackendError("fal answered with a body that is not an object", provider="fal",
                               code="malformed_json")
        return body

    async def run(self, app: str, arguments: Mapping[str, Any],
                  on_request_id: Callable[[str], None] | None = None
                  ) -> tuple[Mapping[str, Any], str]:
        """The result of ``app`` on ``arguments`` and its request id (reported through
        ``on_request_id`` as soon as fal gives it, so a killed run can fetch the result)."""
        async with httpx.AsyncClient(timeout=self.request_timeout,
                                     transport=self.transport) as client:
            sub = await self._json(client, "POST", self.provider.url(app), json=dict(arguments))
            rid = str(sub.get("request_id") or "")
            if not rid:
                raise BackendError("fal accepted the request without a request_id",
                                   provider="fal", code="malformed_json")
            if on_request_id is not None:
                on_request_id(rid)
            return await self._wait(client, app, rid, sub), rid

    async def fetch(self, app: str, rid: str) -> Mapping[str, Any]:
        """The result of an earlier request by its id, waiting if it still runs: fal bills a
        request once, however often its result is read."""
        async with httpx.AsyncClient(timeout=self.request_timeout,
                                     transport=self.transport) as client:
            return await self._wait(client, app, rid, {})

    async def _wait(self, client: httpx.AsyncClient, app: str, rid: str,
                    sub: Mapping[str, Any]) -> Mapping[str, Any]:
        started = self.clock()
        owner_app = "/".join(app.strip("/").split("/")[:2])
        base = self.provider.url(f"{owner_app}/requests/{rid}")
        status_url = str(sub.get("status_url") or f"{base}/status")
        response_url = str(sub.get("response_url") or base)
        cancel_url = str(sub.get("cancel_url") or f"{base}/cancel")
        try:
            while True:
                status = await self._json(client, "GET", status_url)
                state = status.get("status")
                if state == "COMPLETED":
                    if status.get("error"):
                        raise BackendError(self.provider.redact(
                            f"fal request {rid} completed with an error "
                            f"({status.get('error_type') or 'error'}): {status['error']}"),
                            provider="fal", code=str(status.get("error_type") or "error"))
                    break
                if state not in ("IN_QUEUE", "IN_PROGRESS"):
                    raise BackendError(f"fal request {rid} has unknown status {state!r}",
                                       provider="fal", code="bad_status")
                if self.clock() - started > self.deadline:
                    await self._cancel(client, cancel_url)
                    raise BackendTimeout(f"fal request {rid} ({app}) did not finish within "
                                         f"{self.deadline:.0f} s (last status {state})")
                await self.sleep(self.poll_interval)
        except asyncio.CancelledError:  # abandoned (the router's deadline): stop the work
            await asyncio.shield(self._cancel(client, cancel_url))
            raise
        return await self._json(client, "GET", response_url)

    async def _cancel(self, client: httpx.AsyncClient, url: str) -> None:
        try:
            await client.put(str(url), headers=self._auth(str(url)))
        except httpx.HTTPError:
            pass  # best effort: the deadline error is what matters

    async def download(self, url: str, out: Path) -> str:
        """Save ``url`` to ``out``; return its content type."""
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create {out.parent}: {exc}") from None

        async def attempt() -> httpx.Response:
            async with httpx.AsyncClient(timeout=self.request_timeout,
                                         transport=self.transport) as client:
                try:
                    response = await client.get(url, headers=self._auth(url))
                except httpx.TransportError as exc:
                    raise translate_transport("fal", exc, self._secrets) from None
            raise_for_status("fal", response, self._secrets)
            return response

        response = await self.retry.run(attempt, what="fal download")
        write_file(out, response.content)  # whole or not at all: a resume may re-use it
        return str(response.headers.get("content-type", "application/octet-stream"))


#: FLUX sizes snap up to this many pixels a side
_GRID = 64


async def _billed(step: Awaitable[str], cost: float) -> str:
    """A step after fal completed a request: if it fails, the error carries what fal billed."""
    try:
        return await step
    except DelegationError as exc:
        exc.cost = cost
        raise


class _FalBackend(Backend):
    """What both fal backends share: provider, prices, the queue and availability."""

    def __init__(self, provider: Provider, prices: PriceBook, model: str, route: str,
                 queue: FalQueue | None) -> None:
        self._route = route
        self.provider = provider
        self.prices = prices
        self.model = model
        self.queue = queue or FalQueue(provider)
        self.name = f"fal:{model}"

    @property
    def route(self) -> str:  # type: ignore[override]
        return self._route

    def unavailable_reason(self) -> str | None:
        if not self.provider.configured:
            return f"fal is not configured: set {self.provider.missing}"
        try:
            self.prices.unit(self.name)
        except RouteUnavailable as exc:
            return str(exc)
        return None

    @abstractmethod
    def _arguments(self, task: Task, context: Context) -> dict[str, Any]:
        """The app's input for ``task``."""

    @abstractmethod
    async def _finish(self, task: Task, context: Context, result: Mapping[str, Any], rid: str,
                      start: float) -> Outcome:
        """The outcome from a completed request's result: download, price."""

    async def execute(self, task: Task, context: Context) -> Outcome:
        self._check(task, "prompt")
        start = time.perf_counter()
        result, rid = await self.queue.run(self.model, self._arguments(task, context),
                                           context.on_request_id)
        return await self._finish(task, context, result, rid, start)

    async def recover(self, request_id: str, task: Task, context: Context) -> Outcome | None:
        """A killed run's request, fetched by its id: fal bills a request once."""
        self._check(task, "prompt")
        start = time.perf_counter()
        result = await self.queue.fetch(self.model, request_id)
        return await self._finish(task, context, result, request_id, start)

    def _check(self, task: Task, *required: str) -> None:
        reason = self.unavailable_reason()
        if reason:
            raise RouteUnavailable(reason)
        for key in required:
            if not task.inputs.get(key):
                raise NonRetryable(f"task {task.type!r} has no {key!r} input for {self.name}",
                                   provider="fal")


class FalImageBackend(_FalBackend):
    """Images. Reads inputs prompt, width, height, out; returns ``{"path", "width", "height",
    "content_type", "seed"}``; priced per megapixel of 1024x1024 (rounded up per image)."""

    capability = frozenset({"image"})

    def __init__(self, provider: Provider, prices: PriceBook, *, model: str = "fal-ai/flux/dev",
                 route: str = "premium", queue: FalQueue | None = None) -> None:
        super().__init__(provider, prices, model, route, queue)

    @staticmethod
    def _size(task: Task) -> tuple[int, int]:
        return int(task.inputs.get("width", 1920)), int(task.inputs.get("height", 1080))

    def max_cost(self, task: Task) -> float | None:
        """The asked size with each side rounded up to the model's 64-pixel grid (1080
        becomes 1088, say), billed per megapixel rounded up the way fal rounds."""
        width, height = self._size(task)
        grid = [math.ceil(max(v, 1) / _GRID) * _GRID for v in (width, height)]
        return self.prices.cost(Usage(images=1, megapixels=megapixels(grid[0], grid[1]),
                                      requests=1), unit=self.name)

    def _arguments(self, task: Task, context: Context) -> dict[str, Any]:
        width, height = self._size(task)
        out = Path(task.inputs.get("out") or context.workdir / "image.png")
        return {"prompt": str(task.inputs["prompt"]),
                "image_size": {"width": width, "height": height}, "num_images": 1,
                "seed": int(task.inputs.get("seed", context.seed)),
                "output_format": "png" if out.suffix.lower() == ".png" else "jpeg",
                "enable_safety_checker": True}

    async def _finish(self, task: Task, context: Context, result: Mapping[str, Any], rid: str,
                      start: float) -> Outcome:
        width, height = self._size(task)
        out = Path(task.inputs.get("out") or context.workdir / "image.png")
        images = result.get("images")
        if not isinstance(images, list) or not images or not isinstance(images[0], Mapping) \
                or not images[0].get("url"):
            error = BackendError(f"fal request {rid} returned no image", provider="fal",
                                 code="no_output")
            error.cost = self.prices.cost(Usage(images=1, megapixels=megapixels(width, height),
                                                requests=1), unit=self.name)
            raise error  # COMPLETED (a filtered image, say): fal has billed it
        image = images[0]
        w, h = int(image.get("width") or width), int(image.get("height") or height)
        usage = Usage(images=1, megapixels=megapixels(w, h), requests=1)
        cost = self.prices.cost(usage, unit=self.name)
        ctype = await _billed(self.queue.download(str(image["url"]), out), cost)
        log.info("%s: %dx%d image, $%.4f", self.name, w, h, cost)
        # the image capability's shape, whichever route made it: a generated picture is no
        # drawn scene of ours (scene None: it is shown still, not animated)
        return Outcome(artifact={"path": str(out), "width": w, "height": h, "scene": None,
                                 "content_type": image.get("content_type") or ctype,
                                 "seed": result.get("seed")},
                       backend=self.name, route=self._route, model=self.model, usage=usage,
                       cost=cost, seconds=time.perf_counter() - start,
                       detail={"request_id": rid,
                               "price_source": self.prices.source(unit=self.name)})


class FalMusicBackend(_FalBackend):
    """Music. Reads inputs prompt, seconds, out; returns ``{"path", "seconds", "pieces",
    "content_type"}``. One request when the model can make ``seconds`` at once; otherwise
    equal pieces within the model's limits (``max_seconds``/``min_seconds`` of its price),
    each priced per output minute rounded up, crossfaded into one WAV bed."""

    capability = frozenset({"music"})

    def __init__(self, provider: Provider, prices: PriceBook, *,
                 model: str = "cassetteai/music-generator", route: str = "premium",
                 queue: FalQueue | None = None) -> None:
        super().__init__(provider, prices, model, route, queue)

    def _pieces(self, task: Task) -> list[float]:
        """The lengths of the requests a bed of the asked seconds takes (each within the
        model's range), crossfaded into one."""
        return self.prices.unit(self.name).pieces(float(task.inputs.get("seconds", 60)),
                                                  CROSSFADE)

    def max_cost(self, task: Task) -> float | None:
        pieces = self._pieces(task)
        return self.prices.cost(Usage(audio_seconds=sum(pieces), requests=len(pieces)),
                                unit=self.name)

    def _arguments(self, task: Task, context: Context) -> dict[str, Any]:
        return music_arguments(self.model, str(task.inputs["prompt"]), self._pieces(task)[0])

    async def _piece(self, result: Mapping[str, Any], rid: str, seconds: float,
                     out: Path) -> str:
        """Download one completed piece; fal has billed it whatever happens next."""
        cost = self.prices.cost(Usage(audio_seconds=seconds, requests=1), unit=self.name)
        audio = result.get("audio_file") or result.get("audio")
        if not isinstance(audio, Mapping) or not audio.get("url"):
            error = BackendError(f"fal request {rid} returned no audio", provider="fal",
                                 code="no_output")
            error.cost = cost  # COMPLETED: fal has billed it
            raise error
        ctype = await _billed(self.queue.download(str(audio["url"]), out), cost)
        return str(audio.get("content_type") or ctype)

    async def execute(self, task: Task, context: Context) -> Outcome:
        self._check(task, "prompt")
        start = time.perf_counter()
        pieces = self._pieces(task)
        out = Path(task.inputs.get("out") or context.workdir / "music.wav")
        if len(pieces) > 1 and out.suffix.lower() != ".wav":
            raise InputError(f"{out}: a {sum(pieces):.0f} s bed is {len(pieces)} {self.model} "
                             f"pieces joined as WAV; give an out path ending in .wav")
        # the pieces are temporaries (a killed run's are swept from the stage's folder)
        paths = [out] if len(pieces) == 1 else \
            [out.with_name(f".{out.stem}.part{i + 1}.{secrets.token_hex(6)}.tmp.wav")
             for i in range(len(pieces))]
        prompt = str(task.inputs["prompt"])
        unit = self.prices.unit(self.name)
        rids: list[str] = []
        ctype = "audio/wav"
        for i, (length, path) in enumerate(zip(pieces, paths)):
            try:
                result, rid = await self.queue.run(
                    self.model, music_arguments(self.model, prompt, length),
                    context.on_request_id if len(pieces) == 1 else None)
                ctype = await self._piece(result, rid, length, path)
            except DelegationError as exc:  # the pieces already made were paid for
                exc.cost = (getattr(exc, "cost", 0.0) or 0.0) + unit.cost(
                    Usage(audio_seconds=sum(pieces[:i]), requests=i))
                raise
            rids.append(rid)
        return self._outcome(task, out, pieces, paths, rids, ctype, start)

    async def recover(self, request_id: str, task: Task, context: Context) -> Outcome | None:
        """A killed run's one-piece request, fetched by its id (a bed of several pieces is
        not re-assembled from one id: it counts as unknown at its maximum)."""
        if len(self._pieces(task)) != 1:
            return None
        return await super().recover(request_id, task, context)

    async def _finish(self, task: Task, context: Context, result: Mapping[str, Any], rid: str,
                      start: float) -> Outcome:
        pieces = self._pieces(task)[:1]
        out = Path(task.inputs.get("out") or context.workdir / "music.wav")
        ctype = await self._piece(result, rid, pieces[0], out)
        return self._outcome(task, out, pieces, [out], [rid], ctype, start)

    def _outcome(self, task: Task, out: Path, pieces: list[float], paths: list[Path],
                 rids: list[str], ctype: str, start: float) -> Outcome:
        made = pieces[0]
        if len(pieces) > 1:
            made = join_crossfaded(paths, out, float(task.inputs.get("seconds", 60)),
                                   CROSSFADE)
            ctype = "audio/wav"
            for path in paths:
                path.unlink(missing_ok=True)
        usage = Usage(audio_seconds=sum(pieces), requests=len(pieces))
        cost = self.prices.cost(usage, unit=self.name)
        log.info("%s: %.0f s of music in %d request(s), $%.4f", self.name, made, len(pieces),
                 cost)
        return Outcome(artifact={"path": str(out), "seconds": made, "pieces": len(pieces),
                                 "content_type": ctype},
                       backend=self.name, route=self._route, model=self.model, usage=usage,
                       cost=cost, seconds=time.perf_counter() - start,
                       detail={"request_id": rids[0], "request_ids": rids,
                               "price_source": self.prices.source(unit=self.name)})
