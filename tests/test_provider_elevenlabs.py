"""ElevenLabs with-timestamps backend against its stub: WAV, sentence timings, faults."""

from __future__ import annotations

import asyncio
import logging
import wave

import pytest

from archibald.providers.backends.elevenlabs import (ElevenLabsBackend, sentences_from_alignment,
                                           split_for_requests)
from archibald.providers.backends.http import RetryPolicy
from archibald.errors import (BackendError, BackendTimeout, ConfigError, NonRetryable,
                              RateLimited, RouteUnavailable)
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.elevenlabs import CHAR_SECONDS
from stubs.fixtures import elevenlabs_stub, provider_env, sleeps  # noqa: F401

TEXT = "Breathe in slowly. Hold it there!  And let it go."
#: the characters sent (and billed): the text as its sentences are sent, spaces collapsed
SENT = len(" ".join(TEXT.split()))


def make(sleeps, timeout: float = 5.0, attempts: int = 4, **kw) -> ElevenLabsBackend:  # type: ignore[no-untyped-def]
    return ElevenLabsBackend(ProviderSettings.load().get("elevenlabs"), PriceBook(),
                             voice_id="voice123", timeout=timeout,
                             retry=RetryPolicy(attempts=attempts, base_delay=0.5, sleep=sleeps,
                                               jitter=lambda: 1.0), **kw)


def go(b: ElevenLabsBackend, tmp_path, text: str = TEXT):  # type: ignore[no-untyped-def]
    task = Task("voice", {"text": text, "out": tmp_path / "out" / "voice.wav"})
    return asyncio.run(b.execute(task, Context(workdir=tmp_path)))


def test_wav_sentences_and_cost(elevenlabs_stub, provider_env, sleeps, tmp_path):
    out = go(make(sleeps), tmp_path)
    art = out.artifact
    with wave.open(art["path"]) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        assert wav.getnframes() / 24000 == pytest.approx(art["duration"], abs=1e-3)
    sent = sum(len(r.json()["text"]) for r in elevenlabs_stub.requests)
    assert art["duration"] == pytest.approx(sent * CHAR_SECONDS, abs=1e-3)
    assert [s[2] for s in art["sentences"]] == ["Breathe in slowly.", "Hold it there!",
                                                "And let it go."]
    assert art["sentences"][0][0] == 0.0
    assert art["sentences"][1][0] == pytest.approx(19 * CHAR_SECONDS)
    assert out.usage.characters == SENT
    assert out.cost == pytest.approx(SENT * 0.0001, abs=1e-9)
    [req] = elevenlabs_stub.requests
    assert req.path == "/v1/text-to-speech/voice123/with-timestamps"
    assert req.q("output_format") == "pcm_24000"
    assert req.headers["xi-api-key"] == elevenlabs_stub.api_key
    assert req.json()["model_id"] == "eleven_multilingual_v2"


def test_long_text_is_chunked_with_context_and_offsets(elevenlabs_stub, provider_env, sleeps,
                                                       tmp_path):
    out = go(make(sleeps, max_chars=25), tmp_path)
    assert len(elevenlabs_stub.requests) == 3
    second = elevenlabs_stub.requests[1].json()
    assert second["previous_text"] == "Breathe in slowly."
    assert second["next_text"] == "And let it go."
    starts = [s[0] for s in out.artifact["sentences"]]
    assert starts == sorted(starts) and starts[2] == pytest.approx(
        (len("Breathe in slowly.") + len("Hold it there!")) * CHAR_SECONDS)


def test_too_many_concurrent_requests_is_queued_then_retried(elevenlabs_stub, provider_env,
                                                              sleeps, tmp_path):
    elevenlabs_stub.too_many_concurrent(times=2)
    out = go(make(sleeps), tmp_path)
    assert sleeps.calls == [0.5, 1.0] and out.usage.characters == SENT
    assert out.cost == pytest.approx(SENT * 0.0001)  # charged once


def test_429_honours_retry_after(elevenlabs_stub, provider_env, sleeps, tmp_path):
    elevenlabs_stub.too_many_concurrent(retry_after=2)
    go(make(sleeps), tmp_path)
    assert sleeps.calls == [2.0]


def test_429_exhausted_is_rate_limited(elevenlabs_stub, provider_env, sleeps, tmp_path):
    elevenlabs_stub.too_many_concurrent(times=3)
    with pytest.raises(RateLimited) as err:
        go(make(sleeps, attempts=3), tmp_path)
    assert err.value.code == "too_many_concurrent_requests"


def test_500_then_success(elevenlabs_stub, provider_env, sleeps, tmp_path):
    elevenlabs_stub.fail(500, {"detail": {"status": "internal", "message": "oops"}})
    go(make(sleeps), tmp_path)
    assert len(elevenlabs_stub.requests) == 2


def test_quota_exceeded_and_402_are_not_retried(elevenlabs_stub, provider_env, sleeps,
                                                tmp_path):
    elevenlabs_stub.quota_exceeded()
    with pytest.raises(NonRetryable):
        go(make(sleeps), tmp_path)
    elevenlabs_stub.fail(402, {"detail": {"status": "payment_required", "message": "pay"}})
    with pytest.raises(NonRetryable):
        go(make(sleeps), tmp_path)
    assert len(elevenlabs_stub.requests) == 2 and sleeps.calls == []


def test_malformed_json_and_timeout(elevenlabs_stub, provider_env, sleeps, tmp_path):
    elevenlabs_stub.malformed()
    with pytest.raises(BackendError):
        go(make(sleeps), tmp_path)
    elevenlabs_stub.slow(1.0, times=2)
    with pytest.raises(BackendTimeout):
        go(make(sleeps, timeout=0.2, attempts=2), tmp_path)


def test_unconfigured_and_bad_format(sleeps, tmp_path):
    with pytest.raises(RouteUnavailable, match="ELEVENLABS_API_KEY"):
        go(make(sleeps), tmp_path)
    with pytest.raises(ConfigError):
        make(sleeps, output_format="mp3_44100_128")


def test_no_secret_leaks(elevenlabs_stub, provider_env, sleeps, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    key = elevenlabs_stub.api_key
    elevenlabs_stub.too_many_concurrent()
    elevenlabs_stub.fail(401, {"detail": {"status": "invalid_api_key", "message": f"{key}?"}})
    with pytest.raises(NonRetryable) as err:
        go(make(sleeps), tmp_path)
    assert key not in caplog.text + str(err.value)


def test_alignment_helpers():
    assert split_for_requests("A b. C d. E f.", 6) == ["A b.", "C d.", "E f."]
    al = {"characters": list("Hi. Yo"), "character_start_times_seconds": [0, 1, 2, 3, 4, 5],
          "character_end_times_seconds": [1, 2, 3, 4, 5, 6]}
    assert sentences_from_alignment(al, 10) == [[10.0, 13.0, "Hi."], [14.0, 16.0, "Yo"]]


def test_pause_marks_are_silence_in_the_track_never_text_sent_or_billed(
        elevenlabs_stub, provider_env, sleeps, tmp_path):
    text = "Breathe in slowly. [pause 4s] And let it go. [pause 12.5s]\n\nRest here."
    out = go(make(sleeps), tmp_path, text)
    sent = [r.json()["text"] for r in elevenlabs_stub.requests]
    assert sent == ["Breathe in slowly.", "And let it go.", "Rest here."]
    assert not any("pause" in t or "[" in t for t in sent)
    chars = sum(len(t) for t in sent)
    assert out.usage.characters == chars and out.cost == pytest.approx(chars * 0.0001)
    art = out.artifact
    assert art["duration"] == pytest.approx(chars * CHAR_SECONDS + 16.5, abs=1e-3)
    starts = [s[0] for s in art["sentences"]]
    assert starts[1] == pytest.approx(len("Breathe in slowly.") * CHAR_SECONDS + 4.0, abs=1e-3)
    assert starts[2] == pytest.approx((len(sent[0]) + len(sent[1])) * CHAR_SECONDS + 16.5,
                                      abs=1e-3)
    with wave.open(art["path"]) as wav:
        frames = wav.readframes(wav.getnframes())
    gap = frames[int((len(sent[0]) * CHAR_SECONDS + 1.0) * 24000) * 2:
                 int((len(sent[0]) * CHAR_SECONDS + 3.5) * 24000) * 2]
    assert gap and set(gap) == {0}  # the pause is digital silence
