"""The fal client and stub against fal's queue protocol (fal-client) and the model schemas."""

from __future__ import annotations

import asyncio

from archibald.providers.backends.fal import FalImageBackend, FalMusicBackend, FalQueue
from archibald.providers.backends.http import RetryPolicy
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fal import model_schema
from stubs.fixtures import fal_stub, provider_env, sleeps  # noqa: F401
from stubs.spec import assert_conforms, file_schema, violations

QUEUE = file_schema("fal_queue")
SUBMITTED = {"$ref": "#/$defs/submitted", "$defs": QUEUE["$defs"]}
STATUS = {"$ref": "#/$defs/status", "$defs": QUEUE["$defs"]}


def queue(sleeps) -> FalQueue:  # type: ignore[no-untyped-def]
    return FalQueue(ProviderSettings.load().get("fal"), poll_interval=1.0,
                    retry=RetryPolicy(attempts=1, sleep=sleeps))


def check_exchange(stub, app: str) -> None:  # type: ignore[no-untyped-def]
    """Every request we sent and every answer the stub gave, against the schemas."""
    for req in stub.requests:
        reply = stub.handle(req) if req.method == "GET" and "/files/" not in req.path else None
        if req.method == "POST":
            assert_conforms(model_schema(app, "input"), req.json(), f"our {app} input")
        elif req.path.endswith("/status"):
            assert_conforms(STATUS, reply.body, "the stub's status")   # type: ignore[union-attr]
        elif reply is not None:
            assert_conforms(model_schema(app, "output"), reply.body, f"the stub's {app} result")


def test_image_exchange(fal_stub, provider_env, sleeps, tmp_path):
    b = FalImageBackend(ProviderSettings.load().get("fal"), PriceBook(), queue=queue(sleeps))
    task = Task("image", {"prompt": "lake", "width": 1920, "height": 1080,
                          "out": tmp_path / "a.png"})
    asyncio.run(b.execute(task, Context(workdir=tmp_path)))
    submit = fal_stub.requests[0]
    assert_conforms(SUBMITTED, fal_stub._submit(submit, submit.path.strip("/").split("/")).body,
                    "the stub's submit answer")
    check_exchange(fal_stub, "fal-ai/flux/dev")


def test_music_exchange(fal_stub, provider_env, sleeps, tmp_path):
    for model, seconds in (("cassetteai/music-generator", 200), ("fal-ai/elevenlabs/music", 30)):
        fal_stub.requests.clear()
        b = FalMusicBackend(ProviderSettings.load().get("fal"), PriceBook(), model=model,
                            queue=queue(sleeps))
        task = Task("music", {"prompt": "calm", "seconds": seconds, "out": tmp_path / "m.wav"})
        asyncio.run(b.execute(task, Context(workdir=tmp_path)))
        check_exchange(fal_stub, model)


def test_the_schemas_have_teeth() -> None:
    cassette = model_schema("cassetteai/music-generator", "input")
    assert violations(cassette, {"prompt": "p", "duration": 610})          # old long request
    assert violations(model_schema("fal-ai/elevenlabs/music", "input"),
                      {"prompt": "p", "duration": 600})                     # wrong param name
    assert violations(STATUS, {"status": "IN_PROGRESS"})                   # fal-client needs logs
