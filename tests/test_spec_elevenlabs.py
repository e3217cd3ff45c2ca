"""The ElevenLabs client and stub against the ``elevenlabs`` SDK's own types."""

from __future__ import annotations

import asyncio

from elevenlabs.types import AudioWithTimestampsResponse

from archibald.providers.backends.elevenlabs import ElevenLabsBackend
from archibald.providers.backends.http import RetryPolicy
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fixtures import elevenlabs_stub, provider_env, sleeps  # noqa: F401
from stubs.elevenlabs import schemas
from stubs.spec import assert_conforms, sdk_schema, violations

REQUEST, FORMATS = schemas()
RESPONSE = sdk_schema(AudioWithTimestampsResponse)


def test_request_and_answer_match_the_sdk(elevenlabs_stub, provider_env, sleeps, tmp_path):
    b = ElevenLabsBackend(ProviderSettings.load().get("elevenlabs"), PriceBook(),
                          retry=RetryPolicy(attempts=1, sleep=sleeps))
    task = Task("voice", {"text": "Breathe in. Breathe out slowly.", "out": tmp_path / "v.wav"})
    asyncio.run(b.execute(task, Context(workdir=tmp_path)))
    for req in elevenlabs_stub.requests_to("/with-timestamps", "POST"):
        assert_conforms(REQUEST, req.json(), "our text-to-speech body")
        assert_conforms(FORMATS, {"output_format": req.q("output_format")}, "output_format")
        assert_conforms(RESPONSE, elevenlabs_stub.handle(req).body, "the stub's answer")


def test_the_schemas_have_teeth() -> None:
    assert violations(REQUEST, {"text": "x", "voice_id": "v"})
    assert violations(REQUEST, {"text": "x", "voice_settings": {"stabilty": 0.5}})
    assert violations(FORMATS, {"output_format": "pcm_44000"})


def test_stub_refuses_what_the_api_refuses(elevenlabs_stub):
    import httpx

    for body, fmt in (({"text": "x", "voice_settings": {"stabilty": 0.5}}, "pcm_24000"),
                      ({"text": "x"}, "pcm_44000")):
        r = httpx.post(elevenlabs_stub.url("v1/text-to-speech/v/with-timestamps"), json=body,
                       params={"output_format": fmt},
                       headers={"xi-api-key": elevenlabs_stub.api_key})
        assert r.status_code == 422, (body, fmt)
