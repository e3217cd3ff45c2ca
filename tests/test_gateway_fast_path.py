"""The chat endpoints are taken before FastAPI's middleware (serve.app.GatewayApp): what the
stack did for them still holds there, in each API's own shape: a refusal, a failure of the
gateway's own, a method it does not serve, a server mounted under a root path."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from archibald.config import load_settings
from archibald.serve.app import create_app
from stubs.fixtures import deepseek_stub, provider_env  # noqa: F401

ASK = {"model": "archibald/auto:cheap", "max_tokens": 32,
       "messages": [{"role": "user", "content": "Reword: calm sea"}]}


def _drive(calls: Any, *, root_path: str = "", broken: bool = False,
           fast_only: bool = False) -> list[httpx.Response]:
    app = create_app(load_settings(None, {"quality": {"judge_model": ""}}))

    async def main() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            gateway = app.state.gateway
            key = gateway.keys.create("k", budget_usd=1.0)
            if broken:
                async def fails(*args: Any, **kwargs: Any) -> Any:
                    raise RuntimeError("a bug of the gateway's own")
                gateway.complete = fails
            if fast_only:  # FastAPI's stack (built for the lifespan) may not be entered
                async def stack(*args: Any) -> None:
                    raise AssertionError("a chat request went through FastAPI's stack")
                app.middleware_stack = stack
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False,
                                            root_path=root_path)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return [await client.request(method, root_path + path, json=body,
                                             headers={"authorization": f"Bearer {key}"}
                                             if keyed else {})
                        for method, path, body, keyed in calls]
    return asyncio.run(main())


def test_chat_answers_and_refusals_come_in_each_apis_shape(
        deepseek_stub, provider_env) -> None:  # noqa: F811
    ok, nokey, bad_json, anthropic_nokey, wrong_method = _drive([
        ("POST", "/v1/chat/completions", ASK, True),
        ("POST", "/v1/chat/completions", ASK, False),
        ("POST", "/v1/chat/completions", [1, 2], True),
        ("POST", "/v1/messages", ASK, False),
        ("GET", "/v1/chat/completions", None, True)])
    assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"]
    assert float(ok.headers["x-archibald-cost-usd"]) > 0
    assert nokey.status_code == 401 and nokey.json()["error"]["code"] == "invalid_api_key"
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    assert anthropic_nokey.status_code == 401
    assert anthropic_nokey.json()["type"] == "error"
    assert anthropic_nokey.json()["error"]["type"] == "authentication_error"
    # not a chat request: FastAPI's stack, its 405 in OpenAI's shape as before
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("path, shape", [("/v1/chat/completions", "openai"),
                                         ("/v1/messages", "anthropic")])
def test_a_failure_of_the_gateways_own_is_a_500_in_the_apis_shape(
        path: str, shape: str, deepseek_stub, provider_env) -> None:  # noqa: F811
    [failed] = _drive([("POST", path, ASK, True)], broken=True)
    assert failed.status_code == 500
    body = failed.json()
    if shape == "openai":
        assert body["error"]["type"] == "api_error" and body["error"]["code"] == "internal_error"
    else:
        assert body["type"] == "error" and body["error"]["type"] == "api_error"
    assert "RuntimeError" not in failed.text  # the log says why, not the client


def test_under_a_root_path_the_chat_endpoints_are_still_taken(
        deepseek_stub, provider_env) -> None:  # noqa: F811
    ok, plain = _drive([("POST", "/v1/chat/completions", ASK, True),
                        ("POST", "/v1/messages", ASK, True)], root_path="/gw", fast_only=True)
    assert ok.status_code == 200, ok.text
    assert ok.headers["x-archibald-route"]
    assert plain.status_code == 200 and plain.json()["type"] == "message"


def test_a_middleware_added_to_the_app_sees_the_chat_requests_too(
        deepseek_stub, provider_env) -> None:  # noqa: F811
    from fastapi.middleware.cors import CORSMiddleware

    app = create_app(load_settings(None, {"quality": {"judge_model": ""}}))
    app.add_middleware(CORSMiddleware, allow_origins=["https://app.example"],
                       allow_methods=["*"], allow_headers=["*"])

    async def main() -> httpx.Response:
        async with app.router.lifespan_context(app):
            key = app.state.gateway.keys.create("k", budget_usd=1.0)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.post("/v1/chat/completions", json=ASK, headers={
                    "authorization": f"Bearer {key}", "origin": "https://app.example"})
    answered = asyncio.run(main())
    assert answered.status_code == 200
    assert answered.headers["access-control-allow-origin"] == "https://app.example"
