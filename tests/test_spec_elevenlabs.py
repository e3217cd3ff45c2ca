"""The ElevenLabs client and stub against the ``elevenlabs`` SDK's own types."""

from __future__ import annotations

import asyncio

from elevenlabs.text_to_speech.raw_client import RawTextToSpeechClient
from elevenlabs.types import AudioWithTimestampsResponse

from archibald.backends.elevenlabs import ElevenLabsBackend
from archibald.backends.http import RetryPolicy
from archibald.prices import PriceBook
from archibald.providers import ProviderSettings
from archibald.tasks import Context, Task
from stubs.fixtures import elevenlabs_stub, provider_env, sleeps  # noqa: F401
from stubs.spec import assert_conforms, sdk_schema, signature_schema, violations

#: the JSON body of convert_with_timestamps (voice_id is the path, the rest are query params)
BODY = ("text", "model_id", "language_code", "voice_settings",
        "pronunciation_dictionary_locators", "seed", "previous_text", "next_text",
        "previous_request_ids", "next_request_ids", "use_pvc_as_ivc", "apply_text_normalization",
        "apply_language_text_normalization", "audio_effects")
REQUEST = signature_schema(RawTextToSpeechClient.convert_with_timestamps, body=BODY)
RESPONSE = sdk_schema(AudioWithTimestampsResponse)
FORMATS = signature_schema(RawTextToSpeechClient.convert_with_timestamps, body=("output_format",))


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
