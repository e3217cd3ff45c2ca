"""Provider settings, redaction, the shared retry policy, and `archibald doctor`."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from typer.testing import CliRunner

from archibald.providers.backends.http import RetryPolicy, error_from_status, parse_retry_after
from archibald.cli import app
from archibald.errors import (BackendError, ConfigError, NonRetryable, ProviderOverloaded,
                              RateLimited)
from archibald.providers.registry import ProviderSettings, redact
from stubs.fixtures import anthropic_stub, provider_env, sleeps  # noqa: F401


def test_environment_wins_over_toml():
    table = {"anthropic": {"api_key": "sk-from-toml-123456", "base_url": "http://toml"},
             "deepseek": {"api_key": "sk-deepseek-toml-123456"}}
    env = {"ANTHROPIC_API_KEY": "sk-from-env-123456"}
    s = ProviderSettings.load(table, env)
    a = s.get("anthropic")
    assert (a.api_key, a.base_url, a.configured) == ("sk-from-env-123456", "http://toml", True)
    assert s.get("deepseek").configured and s.get("deepseek").base_url == "https://api.deepseek.com"
    assert s.get("openai").missing == "OPENAI_API_KEY" and not s.get("openai").configured
    assert s.get("ollama").missing == "OLLAMA_BASE_URL"
    assert ProviderSettings.load(None, {"OLLAMA_BASE_URL": "http://x:1"}).get("ollama").configured
    oh = ProviderSettings.load(None, {"OPENHANDS_API_KEY": "oh-key-123456"}).get("openhands")
    assert oh.configured and oh.base_url == "https://app.all-hands.dev"
    with pytest.raises(ConfigError):
        ProviderSettings.load({"antropic": {}}, {})


def test_redaction_and_repr_hide_keys():
    s = ProviderSettings.load(None, {"FAL_KEY": "fal-id:very-secret-value-42"})
    p = s.get("fal")
    assert "very-secret" not in repr(p) and "***" in repr(p)
    assert redact("boom fal-id:very-secret-value-42 boom") == "boom *** boom"
    assert "abcdefghijklmnopqrstuvwxyz" not in redact("Authorization: Bearer abcdefghijklmnopqrstuvwxyz")


def test_retry_after_parsing():
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"Retry-After-Ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({}) is None and parse_retry_after({"retry-after": "soon"}) is None


@pytest.mark.parametrize("status,body,cls", [
    (400, {"error": {"message": "bad"}}, NonRetryable),
    (401, {"error": {"message": "key"}}, NonRetryable),
    (402, {"error": {"message": "Insufficient Balance"}}, NonRetryable),
    (403, {"error": {"message": "no"}}, NonRetryable),
    (404, {"detail": "no"}, NonRetryable),
    (422, {"detail": [{"msg": "x"}]}, NonRetryable),
    (429, {"error": {"type": "rate_limit_error", "message": "slow"}}, RateLimited),
    (429, {"error": {"type": "rate_limit_error", "message": "limit",
                     "details": {"error_code": "enforced_spend_limit_reached"}}}, NonRetryable),
    (429, {"error": {"code": "insufficient_quota", "message": "quota"}}, NonRetryable),
    (500, "oops", ProviderOverloaded), (503, {"error": {"message": "Server Overloaded"}},
                                        ProviderOverloaded),
    (529, {"type": "error", "error": {"type": "overloaded_error"}}, ProviderOverloaded),
])
def test_status_mapping(status, body, cls):
    err = error_from_status("p", status, body, {"retry-after": "2"})
    assert type(err) is cls and err.status == status


def test_policy_bounds_and_non_retryable(sleeps):
    calls = []

    async def flaky():  # type: ignore[no-untyped-def]
        calls.append(1)
        raise ProviderOverloaded("busy", status=503)

    policy = RetryPolicy(attempts=3, base_delay=1, sleep=sleeps, jitter=lambda: 0.0)
    with pytest.raises(ProviderOverloaded):
        asyncio.run(policy.run(flaky))
    assert len(calls) == 3 and sleeps.calls == [0.5, 1.0]  # half the cap at jitter 0

    async def broken():  # type: ignore[no-untyped-def]
        calls.append(2)
        raise BackendError("malformed", code="malformed_json")

    with pytest.raises(BackendError):
        asyncio.run(policy.run(broken))
    assert calls.count(2) == 1


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_doctor_lists_configured_reachable_and_never_prints_keys(anthropic_stub, provider_env,
                                                                 monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-SECRET-987654321")
    monkeypatch.setenv("DEEPSEEK_BASE_URL", f"http://127.0.0.1:{_free_port()}")
    result = CliRunner().invoke(app, ["doctor", "--json", "--timeout", "1"])
    assert result.exit_code == 0, result.output
    for secret in (anthropic_stub.api_key, "sk-deepseek-SECRET-987654321"):
        assert secret not in result.output
    rows = {r["provider"]: r for r in json.loads(result.output)["providers"]}
    assert rows["anthropic"]["configured"] and rows["anthropic"]["reachable"] is True
    assert rows["deepseek"]["configured"] and rows["deepseek"]["reachable"] is False
    assert rows["openai"] == {**rows["openai"], "configured": False, "missing": "OPENAI_API_KEY",
                              "reachable": None}
    probe = anthropic_stub.requests[0]
    assert "x-api-key" not in probe.headers and "authorization" not in probe.headers
    text = CliRunner().invoke(app, ["doctor", "--offline"])
    assert text.exit_code == 0 and "needs OPENAI_API_KEY" in text.output
    assert anthropic_stub.api_key not in text.output


def test_youtube_login_command(monkeypatch, tmp_path):
    from archibald.providers.backends import youtube

    seen = {}

    def fake_login(secrets, path=None):  # type: ignore[no-untyped-def]
        seen["path"] = secrets
        seen["token"] = path
        return tmp_path / "token.json"

    monkeypatch.setattr(youtube, "login", fake_login)
    result = CliRunner().invoke(app, ["youtube", "login", "--client-secrets", "cs.json"])
    assert result.exit_code == 0 and "token.json" in result.output
    assert str(seen["path"]) == "cs.json" and seen["token"] is None  # ARCHIBALD_HOME's
