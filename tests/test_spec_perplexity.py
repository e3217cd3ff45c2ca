"""The Perplexity client and stub against the ``perplexityai`` SDK's own types."""

from __future__ import annotations

import asyncio

import pytest

from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.perplexity import PerplexityBackend
from archibald.errors import NonRetryable
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fixtures import perplexity_stub, provider_env, sleeps  # noqa: F401
from perplexity.types import ErrorInfo, ResponseCreateResponse
from perplexity.types.response_create_params import ResponseCreateParamsNonStreaming
from stubs.spec import assert_conforms, sdk_schema, violations

REQUEST = sdk_schema(ResponseCreateParamsNonStreaming)
RESPONSE = sdk_schema(ResponseCreateResponse)
ERROR = sdk_schema(ErrorInfo)

TASK = Task("research", {"prompt": "What helps people sleep?", "system": "Cite sources.",
                         "max_tokens": 900})


def run(model: str, sleeps, tmp_path, prices: PriceBook | None = None):  # type: ignore[no-untyped-def]
    b = PerplexityBackend(ProviderSettings.load().get("perplexity"), prices or PriceBook(),
                          model=model, retry=RetryPolicy(attempts=1, sleep=sleeps))
    return asyncio.run(b.execute(TASK, Context(workdir=tmp_path)))


def test_request_and_answer_match_the_sdk(perplexity_stub, provider_env, sleeps, tmp_path):
    perplexity_stub.usage["input_tokens_details"] = {"cache_read_input_tokens": 10}
    run("perplexity/sonar", sleeps, tmp_path)
    [req] = perplexity_stub.requests
    assert_conforms(REQUEST, req.json(), "our /v1/responses request")
    # the stub's answer, fetched again from the same stub
    answer = perplexity_stub.handle(req).body
    assert_conforms(RESPONSE, answer, "the stub's response")


def test_preset_request_matches_the_sdk(perplexity_stub, provider_env, sleeps, tmp_path):
    prices = PriceBook(models={"perplexity/preset/fast-search": {"input_per_mtok": 1,
                                                                 "output_per_mtok": 1}})
    run("perplexity/preset/fast-search", sleeps, tmp_path, prices)
    req = perplexity_stub.requests[-1]
    assert_conforms(REQUEST, req.json(), "our preset request")
    assert_conforms(RESPONSE, perplexity_stub.handle(req).body, "the stub's preset response")


def test_stub_errors_are_sdk_error_infos(perplexity_stub, provider_env, sleeps, tmp_path):
    prices = PriceBook(models={"perplexity/sonar-pro": {"input_per_mtok": 3,
                                                        "output_per_mtok": 15}})
    with pytest.raises(NonRetryable):
        run("perplexity/sonar-pro", sleeps, tmp_path, prices)
    reply = perplexity_stub.handle(perplexity_stub.requests[-1])
    assert reply.status == 400
    assert_conforms(ERROR, reply.body["error"], "the stub's 400")


def test_the_schemas_have_teeth() -> None:
    """What the old client sent and the old stub answered is caught."""
    assert not violations(REQUEST, {"model": "perplexity/sonar", "input": "x"})
    assert violations(REQUEST, {"model": "x", "input": "x", "tools": [{"type": "search"}]})
    old_usage = {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                 "input_tokens_details": {"cached_tokens": 1}}
    answer = {"id": "r", "object": "response", "created_at": 1, "model": "m",
              "status": "completed", "output": [], "usage": old_usage}
    assert any("cached_tokens" in v for v in violations(RESPONSE, answer))
    assert violations(ERROR, {"message": "x", "code": 400})   # code is a string
