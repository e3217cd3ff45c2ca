"""The OpenHands client and stub against the app server's own models (tests/specs/)."""

from __future__ import annotations

import asyncio

from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.openhands import OpenHandsBackend
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fixtures import openhands_stub, provider_env, sleeps  # noqa: F401
from stubs.spec import assert_conforms, file_schema, violations

SPEC = file_schema("openhands_app_server")


def schema(name: str) -> dict:  # type: ignore[type-arg]
    return {"$ref": f"#/$defs/{name}", "$defs": SPEC["$defs"]}


def test_exchange_matches_the_app_server_models(openhands_stub, provider_env, sleeps, tmp_path):
    openhands_stub.sandbox_states = ["STARTING", "PAUSED"]
    b = OpenHandsBackend(ProviderSettings.load().get("openhands"), PriceBook(),
                         llm_model="claude-sonnet-4-6", poll_interval=1.0,
                         retry=RetryPolicy(attempts=1, sleep=sleeps), sleep=sleeps)
    task = Task("qa", {"instruction": "Check the script.", "title": "qa",
                       "repository": "acme/scripts"})
    asyncio.run(b.execute(task, Context(workdir=tmp_path)))
    start = openhands_stub.requests_to("/api/v1/app-conversations", "POST")[0]
    assert_conforms(schema("start_request"), start.json(), "our start request")
    [task_row] = openhands_stub.tasks.values()
    assert_conforms(schema("start_task"), openhands_stub._public(task_row), "the stub's task")
    conv = openhands_stub._poll_conv(next(iter(openhands_stub.conversations)))
    assert_conforms(schema("conversation"), conv, "the stub's conversation")
    sandbox = conv["sandbox_id"]  # type: ignore[index]
    assert_conforms(schema("success"), openhands_stub._resume(sandbox).body, "resume answer")


def test_the_schemas_have_teeth() -> None:
    conv = {"id": "c", "created_by_user_id": None, "sandbox_id": "s",
            "execution_status": "done", "sandbox_status": "RUNNING"}
    assert violations(schema("conversation"), conv)
    assert violations(schema("conversation"), {"id": "c", "created_by_user_id": None})
    assert violations(schema("start_request"), {"initial_user_msg": "v0 field"})
