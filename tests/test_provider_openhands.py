"""OpenHands V1 app-server backend against its stub: start task, conversation, events."""

from __future__ import annotations

import asyncio
import uuid
import logging

import pytest

from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.openhands import OpenHandsBackend
from archibald.errors import (BackendError, BackendTimeout, DelegationError, NonRetryable,
                              RouteUnavailable)
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fixtures import openhands_stub, provider_env, sleeps  # noqa: F401

TASK = Task("metadata", {"instruction": "Write the video metadata.", "title": "metadata"})


class Clock:
    def __init__(self, sleeps) -> None:  # type: ignore[no-untyped-def]
        self.sleeps = sleeps

    def __call__(self) -> float:
        return sum(self.sleeps.calls)


def make(sleeps, deadline: float = 600.0, timeout: float = 5.0, attempts: int = 4):  # type: ignore[no-untyped-def]
    return OpenHandsBackend(ProviderSettings.load().get("openhands"), PriceBook(),
                            poll_interval=3.0, deadline=deadline, request_timeout=timeout,
                            clock=Clock(sleeps),
                            retry=RetryPolicy(attempts=attempts, base_delay=0.5, sleep=sleeps,
                                              jitter=lambda: 1.0))


def go(b, tmp_path):  # type: ignore[no-untyped-def]
    return asyncio.run(b.execute(TASK, Context(workdir=tmp_path)))


def test_full_flow_answer_cost_tokens(openhands_stub, provider_env, sleeps, tmp_path):
    out = go(make(sleeps), tmp_path)
    assert out.artifact == openhands_stub.final_message
    assert out.cost == pytest.approx(0.0734, abs=1e-9)
    assert (out.usage.input_tokens, out.usage.output_tokens,
            out.usage.cached_input_tokens, out.usage.agent_runs) == (21000, 1900, 5000, 1)
    assert out.route == "agent" and uuid.UUID(out.detail["conversation_id"])
    post = openhands_stub.requests[0]
    assert (post.method, post.path) == ("POST", "/api/v1/app-conversations")
    assert post.json()["initial_message"] == {
        "content": [{"type": "text", "text": "Write the video metadata."}]}
    assert post.headers["authorization"] == f"Bearer {openhands_stub.api_key}"
    starts = openhands_stub.requests_to("/start-tasks")
    assert len(starts) == 4  # WORKING, WAITING_FOR_SANDBOX, STARTING_CONVERSATION, READY
    assert openhands_stub.requests_to("/events/search")[0].q("sort_order") == "TIMESTAMP_DESC"
    assert all(s == 3.0 for s in sleeps.calls)


def test_message_event_when_no_finish_action(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.use_finish_action = False
    out = go(make(sleeps), tmp_path)
    assert out.artifact == "Agent message: " + openhands_stub.final_message


@pytest.mark.parametrize("state", ["error", "stuck"])
def test_error_and_stuck_are_delegation_failures_with_cost(openhands_stub, provider_env, sleeps,
                                                           tmp_path, state):
    openhands_stub.execution_states = ["running", state]
    with pytest.raises(DelegationError) as err:
        go(make(sleeps), tmp_path)
    assert isinstance(err.value, BackendError) and err.value.code == f"agent_{state}"
    assert err.value.cost == pytest.approx(0.0734)


@pytest.mark.parametrize("sandbox", ["ERROR", "MISSING"])
def test_sandbox_lost_is_fatal(openhands_stub, provider_env, sleeps, tmp_path, sandbox):
    openhands_stub.sandbox_status = sandbox
    with pytest.raises(BackendError, match=sandbox):
        go(make(sleeps), tmp_path)


def test_start_task_error(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.start_states = ["WORKING", "ERROR"]
    with pytest.raises(BackendError) as err:
        go(make(sleeps), tmp_path)
    assert err.value.code == "start_error"


def test_overall_deadline_is_a_timeout(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.execution_states = ["running"]
    with pytest.raises(BackendTimeout) as err:
        go(make(sleeps, deadline=30.0), tmp_path)
    assert err.value.cost == pytest.approx(0.0734)


def test_poll_faults_are_retried(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.fail(503, {"detail": "busy"}, path="/start-tasks")
    openhands_stub.fail(429, {"detail": "slow"}, headers={"retry-after": "9"},
                        path="/app-conversations", method="GET")
    out = go(make(sleeps), tmp_path)
    assert 9.0 in sleeps.calls and 0.5 in sleeps.calls
    assert out.cost == pytest.approx(0.0734)


def test_402_401_not_retried_and_malformed(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.fail(402, {"detail": "Out of credits"})
    with pytest.raises(NonRetryable):
        go(make(sleeps), tmp_path)
    assert len(openhands_stub.requests) == 1
    openhands_stub.malformed(path="/app-conversations")
    with pytest.raises(BackendError) as err:
        go(make(sleeps), tmp_path)
    assert err.value.code == "malformed_json"


def test_request_timeout(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.slow(1.0, times=2)
    with pytest.raises(BackendTimeout):
        go(make(sleeps, timeout=0.2, attempts=2), tmp_path)


def test_old_events_route_fallback(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.fail(404, {"detail": "Not Found"}, path="/events/search")
    with pytest.raises(NonRetryable):  # the stub has no old route either: 404 again
        go(make(sleeps), tmp_path)
    assert openhands_stub.requests[-1].path == "/api/v1/events/search"
    assert openhands_stub.requests[-1].q("conversation_id__eq", ) is not None


def test_unconfigured_and_no_secret_leak(openhands_stub, monkeypatch, sleeps, tmp_path, caplog):
    assert "OPENHANDS_URL" in (make(sleeps).unavailable_reason() or "")
    with pytest.raises(RouteUnavailable):
        go(make(sleeps), tmp_path)
    monkeypatch.setenv("OPENHANDS_URL", openhands_stub.base_url)
    sent = "wrong-key-" + openhands_stub.api_key
    monkeypatch.setenv("OPENHANDS_API_KEY", sent)
    caplog.set_level(logging.DEBUG)
    # the provider echoes the key it was sent (never registered by an earlier test in this
    # process: under pytest-xdist this test may be its worker's first)
    openhands_stub.fail(500, {"detail": f"who is {sent}?"})
    with pytest.raises(NonRetryable) as err:
        go(make(sleeps), tmp_path)
    assert err.value.status == 401
    assert sent not in caplog.text + str(err.value)
    assert openhands_stub.api_key not in caplog.text + str(err.value)


def test_paused_sandbox_is_resumed_and_the_task_finishes(openhands_stub, provider_env, sleeps,
                                                         tmp_path):
    openhands_stub.sandbox_states = ["RUNNING", "PAUSED"]
    out = go(make(sleeps), tmp_path)
    assert out.artifact == openhands_stub.final_message
    [sandbox] = openhands_stub.resumed
    assert openhands_stub.requests_to(f"/api/v1/sandboxes/{sandbox}/resume", "POST")
    assert sum(sleeps.calls) < 60      # not polled out to the deadline


def test_paused_sandbox_that_cannot_be_resumed_fails_at_once(openhands_stub, provider_env, sleeps,
                                                             tmp_path):
    openhands_stub.sandbox_states = ["PAUSED"]
    openhands_stub.resumable = False
    with pytest.raises(BackendError) as err:
        go(make(sleeps, deadline=1800.0), tmp_path)
    assert err.value.code == "sandbox_paused" and "could not resume" in str(err.value)
    assert err.value.cost == pytest.approx(0.0734) and sum(sleeps.calls) < 60


def test_sandbox_paused_again_and_again_gives_up(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.sandbox_states = ["PAUSED"] + ["RUNNING", "PAUSED"] * 5
    openhands_stub.execution_states = ["running"]
    with pytest.raises(BackendError) as err:
        go(make(sleeps, deadline=1800.0), tmp_path)
    assert err.value.code == "sandbox_paused" and len(openhands_stub.resumed) == 2
    assert "again after 2 resume" in str(err.value) and sum(sleeps.calls) < 120


@pytest.mark.parametrize("state", ["deleting", "paused"])
def test_deleting_or_paused_conversation_fails_at_once(openhands_stub, provider_env, sleeps,
                                                       tmp_path, state):
    openhands_stub.execution_states = ["running", state]
    with pytest.raises(BackendError) as err:
        go(make(sleeps, deadline=1800.0), tmp_path)
    assert err.value.code == f"conversation_{state}" and sum(sleeps.calls) < 60
    assert ("being deleted" if state == "deleting" else "was paused") in str(err.value)
