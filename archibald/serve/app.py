"""The ASGI app of `archibald serve`: the gateway's APIs under ``/v1`` and ``/metrics``.

``create_app()`` is a factory (uvicorn ``--factory``), so every worker builds its own app over
the shared store. Every request needs a virtual key; errors come in the API's own shape
(OpenAI's ``{"error": {...}}`` or Anthropic's ``{"type": "error", "error": {...}}``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from functools import partial
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.background import BackgroundTask
from starlette.types import Receive, Scope, Send
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings
from ..errors import BudgetExceeded, DelegationError, UserError
from ..providers.backends.http import upstream_clock
from ..store.checkpoint import Checkpoints
from ..store.ledger import NANO
from .gateway import anthropic as anthropic_api
from .gateway import openai as openai_api
from .gateway import responses as responses_api
from .gateway.keys import WORKERS_VAR, Key
from .gateway.wire import ApiError, upstream_failed
from .gateway.metrics import Metrics
from .gateway.batches import Batches
from .gateway.service import Answer, Gateway, Live
from .gateway.shadow import shadow_later
from .gateway.sweep import sweeping
from .gateway.traces import Span, Tracing

__all__ = ["create_app", "MAX_BODY_BYTES"]

#: the largest request body taken (ARCHIBALD_MAX_BODY_BYTES); larger ones get 413
MAX_BODY_BYTES = int(os.environ.get("ARCHIBALD_MAX_BODY_BYTES", str(4 * 1024 * 1024)))


def _is_anthropic(request: Request) -> bool:
    return request.url.path.startswith("/v1/messages") or (
        request.url.path.startswith("/v1/models")
        and bool(request.headers.get("anthropic-version")))


def error_response(request: Request, err: ApiError) -> JSONResponse:
    if _is_anthropic(request):
        kinds = {400: "invalid_request_error", 401: "authentication_error",
                 403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                 429: "rate_limit_error", 500: "api_error", 502: "api_error",
                 503: "overloaded_error"}
        body: dict[str, Any] = {"type": "error", "error": {
            "type": kinds.get(err.status, "api_error"), "message": err.message}}
    else:
        body = {"error": {"message": err.message, "type": err.kind, "param": None,
                          "code": err.code}}
    return JSONResponse(body, status_code=err.status)


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object, at most MAX_BODY_BYTES; ApiError 413 or 400 otherwise."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"the request body is over {MAX_BODY_BYTES} bytes",
                       "invalid_request_error", "request_too_large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"the request body is over {MAX_BODY_BYTES} bytes",
                           "invalid_request_error", "request_too_large")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, f"the request body is not JSON: {exc}", "invalid_request_error",
                       "invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object", "invalid_request_error",
                       "invalid_json")
    return data


Endpoint = Callable[[Request], Awaitable[Response]]


class GatewayApp(FastAPI):
    """FastAPI's app, with the chat endpoints (every request of an app's traffic) taken
    before its middleware: a POST to one of ``fast`` goes straight to its endpoint, its
    ApiError answered in the API's own shape as the exception handler does, and anything
    else raised answered 500 in that shape, then raised on for the server to log (as
    Starlette's ServerErrorMiddleware does, in plain text), unless a middleware was added to
    the app (``add_middleware``: then every request goes through it). The seven layers
    of middleware and the router's matching in between did nothing for these requests (no
    dependencies, no middleware of the app's own) and cost about 9 % of a request's CPU
    (BENCHMARKS.md, nineteenth session). Every other path (the lifespan, models, files,
    batches, metrics, the studio) is FastAPI's as before."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fast: dict[str, Endpoint] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http" and scope["method"] == "POST" and not self.user_middleware:
            # (a middleware added to the app, CORS or the deployer's own, sees every request)
            path, root = scope["path"], scope.get("root_path", "")
            endpoint = self.fast.get(path[len(root):] if root and path.startswith(root)
                                     else path)
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        request = Request(scope, receive, send)
        try:  # (an endpoint returns its response: nothing is sent before it does)
            response = await endpoint(request)
        except ApiError as err:
            response = error_response(request, err)
        except Exception:
            await error_response(request, ApiError(
                500, "the gateway failed on this request (its log says why)", "api_error",
                "internal_error"))(scope, receive, send)
            raise
        await response(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app: one Gateway (settings, store, routers) for this process."""
    gateway = Gateway(settings)
    batches = Batches(gateway)
    gateway.after_run.append(partial(shadow_later, gateway))
    metrics = Metrics(gateway.budget_left)
    tracing = Tracing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hooks = [h(app) for h in app.state.lifespan_hooks]
        for hook in hooks:
            await hook.__aenter__()
        # what killed workers left pending is resolved now and every minute
        sweeper = asyncio.create_task(sweeping(gateway, batches))
        checkpoints = Checkpoints(gateway.memory.engine)  # SQLite's, off the event loop
        checkpoints.start()
        if WORKERS_VAR in os.environ:  # a process of `archibald serve` (not a test's app):
            # what start-up made (modules, tables, routes, price books) lives as long as the
            # process, so it is kept out of the collector's full passes, each of which walked
            # it all and stalled every request in flight 55-70 ms (once per ~2,000 requests)
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            sweeper.cancel()
            await batches.stop()  # another worker takes its batches over
            for hook in reversed(hooks):
                await hook.__aexit__(None, None, None)
            await gateway.drain()  # streams whose client left are read to their end, settled
            await gateway.close_clients()
            tracing.shutdown()
            checkpoints.stop()
            gateway.close()

    app = GatewayApp(title="Archibald", lifespan=lifespan, docs_url=None, redoc_url=None,
                     openapi_url=None)
    app.state.gateway, app.state.batches = gateway, batches
    app.state.metrics, app.state.tracing = metrics, tracing
    app.state.lifespan_hooks = []

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """An endpoint or method the gateway does not serve, in the calling API's own error
        shape (an SDK reads its message); the studio's pages keep FastAPI's."""
        if not request.url.path.startswith("/v1/"):
            return await http_exception_handler(request, exc)
        what = f"{request.method} {request.url.path}"
        message = (f"{what} is not served by the Archibald gateway (see GET /v1/models and "
                   f"docs/gateway.md for what is)" if exc.status_code in (404, 405)
                   else str(exc.detail))
        kind = "invalid_request_error" if exc.status_code < 500 else "api_error"
        code = {404: "unknown_url", 405: "method_not_allowed"}.get(exc.status_code)
        return error_response(request, ApiError(exc.status_code, message, kind, code))

    def authenticate(request: Request) -> Key:
        auth = request.headers.get("authorization", "")
        secret = auth[7:].strip() if auth.lower().startswith("bearer ") else \
            request.headers.get("x-api-key", "").strip()
        key = gateway.keys.find(secret) if secret else None
        if key is None:
            raise ApiError(401, "a valid Archibald virtual key is required (Authorization: "
                           "Bearer ak-... or x-api-key); `archibald keys create` makes one",
                           "invalid_request_error", "invalid_api_key")
        if not gateway.keys.allow_call(key):
            raise ApiError(429, f"key {key.name!r} is over its {key.rpm} requests per minute",
                           "rate_limit_exceeded", "rate_limit_exceeded")
        return key

    def record(api: str, key: Key, ans: Answer, start: float, span: Span) -> None:
        of = metrics.of
        of(metrics.requests, api, ans.route, "200").inc()
        of(metrics.latency, api).observe(time.perf_counter() - start)
        of(metrics.tokens, "input").inc(ans.input_tokens)
        of(metrics.tokens, "output").inc(ans.output_tokens)
        of(metrics.cost, key.name).inc(ans.cost_usd)
        of(metrics.baseline, key.name).inc(ans.baseline_usd)
        of(metrics.routes, ans.route, ans.task_type).inc()
        span.answered(ans)

    def refused(api: str, span: Span, exc: Exception) -> ApiError:
        """The HTTP error a run's exception is answered with (counted and traced)."""
        if isinstance(exc, BudgetExceeded):
            err = ApiError(429, str(exc), "insufficient_quota", "budget_exceeded")
        elif isinstance(exc, UserError):
            err = ApiError(400, str(exc), "invalid_request_error", "invalid_request")
        else:
            err = upstream_failed(exc)
        metrics.requests.labels(api, "", str(err.status)).inc()
        span.failed(err.status, exc)
        return err

    def streamed(api: str, key: Key, lv: Live, body: dict[str, Any], convert: Any,
                 start: float, span: Span) -> Response:
        """The provider's stream, piece by piece; counted in the metrics and traced when its
        run ends (whether or not the client stayed)."""
        if lv.done is not None:  # the run ended before anything was streamed
            record(api, key, lv.done, start, span)
            return StreamingResponse(convert.stream(lv.done, body),
                                     media_type="text/event-stream", headers=lv.done.headers())

        def ended(run: "asyncio.Task[Any]") -> None:
            error = None if run.cancelled() else run.exception()
            if run.cancelled() or error is not None:
                metrics.requests.labels(api, lv.route, "502").inc()
                span.failed(502, error or asyncio.CancelledError())
            else:
                record(api, key, lv.settled(), start, span)

        lv.run.add_done_callback(ended)
        return StreamingResponse(convert.live(lv, body), media_type="text/event-stream",
                                 headers=lv.headers())

    async def answer(api: str, request: Request, key: Key, body: dict[str, Any],
                     convert: Any, start: float) -> Response:
        span = tracing.request("chat", api, body, key.name)
        try:
            req = convert.to_request(body, request.headers.get("x-archibald-task"))
            betas = request.headers.get("anthropic-beta") if api == "anthropic" else None
            if betas:  # Claude's beta features the app asked for (Claude Code's): for Claude
                req.params["anthropic_beta"] = anthropic_api.betas(betas)
        except ApiError as err:
            span.failed(err.status, err)
            raise
        # a stream is the provider's own, as it is written, unless the app asks for the
        # answer to be checked (and escalated when it fails) before any of it is sent
        live = bool(body.get("stream")) and \
            request.headers.get("x-archibald-stream", "").lower() != "checked"
        try:
            if live:
                return streamed(api, key, await gateway.stream(key, req), body, convert, start,
                                span)
            with upstream_clock() as waited:
                ans = await gateway.complete(key, req)
        except (BudgetExceeded, UserError, DelegationError) as exc:
            raise refused(api, span, exc) from None
        try:
            if body.get("stream"):
                response: Response = StreamingResponse(
                    convert.stream(ans, body), media_type="text/event-stream",
                    headers=ans.headers())
            else:
                response = JSONResponse(convert.body(ans, body), headers=ans.headers())
        except BaseException:
            ans.finish()
            raise

        async def sent() -> None:  # the answer is out: its counts and span, its settlement
            record(api, key, ans, start, span)  # (the latency: until the answer was sent)
            ans.finish()
        response.background = BackgroundTask(sent)
        # the gateway's own time: the request's, less what it waited on providers (the
        # measure of LiteLLM's x-litellm-overhead-duration-ms)
        overhead = max(0.0, time.perf_counter() - start - sum(waited))
        metrics.of(metrics.overhead, api).observe(overhead)
        response.headers["x-archibald-overhead-ms"] = f"{overhead * 1000:.3f}"
        return response

    async def chat(api: str, request: Request, convert: Any) -> Response:
        """A chat request in ``api``'s wire format (``convert``: its adapter module)."""
        start = time.perf_counter()
        key = authenticate(request)
        return await answer(api, request, key, await read_json(request), convert, start)

    def model_entry(request: Request, model: str) -> dict[str, Any]:
        """A model as the calling SDK's types have it (Anthropic's when the request carries
        an ``anthropic-version`` header, as the anthropic SDK's always does)."""
        if request.headers.get("anthropic-version"):
            return {"type": "model", "id": model, "display_name": model,
                    "created_at": "2026-01-01T00:00:00Z"}
        return {"id": model, "object": "model", "created": 1767225600, "owned_by": "archibald"}

    @app.get("/v1/models")
    async def models(request: Request) -> JSONResponse:
        authenticate(request)
        data = [model_entry(request, m) for m in gateway.models()]
        if request.headers.get("anthropic-version"):
            return JSONResponse({"data": data, "has_more": False,
                                 "first_id": data[0]["id"], "last_id": data[-1]["id"]})
        return JSONResponse({"object": "list", "data": data})

    @app.get("/v1/models/{model:path}")
    async def model(request: Request, model: str) -> JSONResponse:
        """One model (``client.models.retrieve``): a virtual model, an alias or a configured
        model; 404 in the API's own shape for any other."""
        authenticate(request)
        if model not in gateway.models():
            raise ApiError(404, f"the model {model!r} is not served here: GET /v1/models "
                                f"lists those that are", "invalid_request_error",
                           "model_not_found")
        return JSONResponse(model_entry(request, model))

    async def chat_completions(request: Request) -> Response:
        return await chat("openai", request, openai_api)

    async def messages(request: Request) -> Response:
        return await chat("anthropic", request, anthropic_api)

    async def responses(request: Request) -> Response:
        return await chat("responses", request, responses_api)

    # the chat endpoints, every request's path: taken before FastAPI's stack (see
    # GatewayApp), and also its routes, for anything that lists or matches them
    for path, endpoint in (("/v1/chat/completions", chat_completions),
                           ("/v1/messages", messages), ("/v1/responses", responses)):
        app.add_route(path, endpoint, methods=["POST"], include_in_schema=False)
        app.fast[path] = endpoint

    @app.post("/v1/messages/count_tokens")
    async def count_tokens(request: Request) -> JSONResponse:
        """Anthropic's token count of a message (``MessageTokensCount``): free, not sent to a
        provider, and not counted against the key's requests per minute (Claude Code asks
        it dozens of times as it starts)."""
        authenticate(request)
        model, messages, tools = anthropic_api.to_count(await read_json(request))
        return JSONResponse({"input_tokens": gateway.input_tokens(model, messages, tools)})

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        key = authenticate(request)
        body = await read_json(request)
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else raw
        if not isinstance(texts, list) or not texts or not all(isinstance(x, str) and x
                                                               for x in texts):
            raise ApiError(400, "input must be a non-empty string or list of strings",
                           "invalid_request_error", "invalid_input")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ApiError(400, "model is required", "invalid_request_error", "invalid_model")
        span = tracing.request("embeddings", "openai", body, key.name)
        try:
            data, cost = await gateway.embed(key, model, texts)
        except (BudgetExceeded, UserError, DelegationError) as exc:
            raise refused("embeddings", span, exc) from None
        metrics.requests.labels("embeddings", "premium", "200").inc()
        metrics.cost.labels(key.name).inc(cost / NANO)
        span.set(gen_ai__response__model=data.get("model"),
                 gen_ai__usage__input_tokens=data["usage"]["prompt_tokens"],
                 archibald__route="premium", archibald__cost_usd=cost / NANO)
        span.end()
        return JSONResponse(data, headers={"x-archibald-route": "premium",
                                           "x-archibald-cost-usd": f"{cost / NANO:.9f}",
                                           "x-archibald-baseline-usd": f"{cost / NANO:.9f}"})

    @app.post("/v1/files")
    async def upload(request: Request) -> JSONResponse:
        """OpenAI's file upload (multipart: ``file``, ``purpose``), for batches."""
        from .gateway.batches import MAX_FILE_BYTES

        key = authenticate(request)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_FILE_BYTES + 65536:
            raise ApiError(413, f"the file is over {MAX_FILE_BYTES} bytes",
                           "invalid_request_error", "request_too_large")
        try:
            form = await request.form(max_files=1, max_fields=8,
                                      max_part_size=MAX_FILE_BYTES)
        except Exception as exc:  # noqa: BLE001 - Starlette's multipart errors, as a 400
            raise ApiError(400, f"the upload is not a multipart form: {exc}",
                           "invalid_request_error", "invalid_file") from None
        upload, purpose = form.get("file"), form.get("purpose")
        if upload is None or isinstance(upload, str) or not isinstance(purpose, str):
            raise ApiError(400, "a multipart form with a file and a purpose is required",
                           "invalid_request_error", "invalid_file")
        content = await upload.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise ApiError(413, f"the file is over {MAX_FILE_BYTES} bytes",
                           "invalid_request_error", "request_too_large")
        return JSONResponse(batches.add_file(key, purpose, upload.filename or "",
                                                     content))

    @app.get("/v1/files/{file_id}")
    async def file_info(request: Request, file_id: str) -> JSONResponse:
        return JSONResponse(batches.file(authenticate(request), file_id))

    @app.get("/v1/files/{file_id}/content")
    async def file_content(request: Request, file_id: str) -> Response:
        row = batches.file_row(authenticate(request), file_id)
        return Response(bytes(row["content"]), media_type="application/jsonl")

    @app.post("/v1/batches")
    async def create_batch(request: Request) -> JSONResponse:
        key = authenticate(request)
        return JSONResponse(batches.create(key, await read_json(request)))

    @app.get("/v1/batches/{batch_id}")
    async def batch(request: Request, batch_id: str) -> JSONResponse:
        found, cost = batches.get(authenticate(request), batch_id)
        return JSONResponse(found, headers={"x-archibald-cost-usd": f"{cost:.9f}"})

    @app.post("/v1/batches/{batch_id}/cancel")
    async def cancel_batch(request: Request, batch_id: str) -> JSONResponse:
        return JSONResponse(batches.cancel(authenticate(request), batch_id))

    @app.post("/v1/feedback")
    async def feedback(request: Request) -> JSONResponse:
        """A thumbs up or down (or a score) on an answer: evidence the router learns from."""
        from .gateway import feedback as verdicts

        key = authenticate(request)
        response_id, quality, comment = verdicts.verdict(await read_json(request))
        await gateway.finished(response_id)  # an answer sent a moment ago: settled first
        recorded = verdicts.record(gateway, key, response_id, quality, comment)
        metrics.feedback.labels(recorded["route"], "up" if quality >= 0.5 else "down").inc()
        return JSONResponse(recorded)

    @app.get("/metrics")
    async def prometheus(request: Request) -> Response:
        authenticate(request)
        return Response(metrics.text(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    _install_studio(app, gateway.settings)
    return app


def _install_studio(app: FastAPI, settings: Settings) -> None:
    """Mount the studio (archibald.serve.studio) when this install has it: it adds its pages
    and may append to ``app.state.lifespan_hooks``. An error inside it is not hidden."""
    import importlib
    import importlib.util

    if importlib.util.find_spec(f"{__package__}.studio") is None:
        return
    importlib.import_module(f"{__package__}.studio").install(app, settings)
