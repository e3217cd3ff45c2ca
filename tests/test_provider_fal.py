"""fal.ai queue backends (image, music) against the queue stub."""

from __future__ import annotations

import asyncio
import logging

import pytest

from archibald.providers.backends.fal import FalImageBackend, FalMusicBackend, FalQueue
from archibald.providers.backends.http import RetryPolicy
from archibald.errors import (BackendError, BackendTimeout, NonRetryable, ProviderOverloaded,
                              RouteUnavailable)
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fal import tiny_png
from stubs.fixtures import fal_stub, provider_env, sleeps  # noqa: F401


class Clock:
    """A fake monotonic clock that the fake sleep advances."""

    def __init__(self, sleeps) -> None:  # type: ignore[no-untyped-def]
        self.sleeps = sleeps

    def __call__(self) -> float:
        return sum(self.sleeps.calls)


def queue(sleeps, deadline: float = 600.0, attempts: int = 4, timeout: float = 5.0) -> FalQueue:  # type: ignore[no-untyped-def]
    return FalQueue(ProviderSettings.load().get("fal"), poll_interval=2.0, deadline=deadline,
                    request_timeout=timeout, clock=Clock(sleeps),
                    retry=RetryPolicy(attempts=attempts, base_delay=0.5, sleep=sleeps,
                                      jitter=lambda: 1.0))


def image(sleeps, **kw) -> FalImageBackend:  # type: ignore[no-untyped-def]
    return FalImageBackend(ProviderSettings.load().get("fal"), PriceBook(), queue=queue(sleeps, **kw))


def run_image(b, tmp_path, w: int = 1920, h: int = 1080):  # type: ignore[no-untyped-def]
    task = Task("background", {"prompt": "misty lake at dawn", "width": w, "height": h,
                               "out": tmp_path / "bg.png"})
    return asyncio.run(b.execute(task, Context(workdir=tmp_path, seed=7)))


def test_image_queue_walk_download_and_cost(fal_stub, provider_env, sleeps, tmp_path):
    out = run_image(image(sleeps), tmp_path)
    assert out.artifact["width"] == 1920 and out.artifact["height"] == 1080
    assert (tmp_path / "bg.png").read_bytes() == tiny_png()
    assert out.usage.megapixels == pytest.approx(1920 * 1080 / 1024 ** 2)
    assert out.cost == pytest.approx(2 * 0.025, abs=1e-9)  # 1.98 fal megapixels billed as 2
    paths = [(r.method, r.path) for r in fal_stub.requests]
    rid = out.detail["request_id"]
    assert paths == [("POST", "/fal-ai/flux/dev"),
                     ("GET", f"/fal-ai/flux/requests/{rid}/status"),
                     ("GET", f"/fal-ai/flux/requests/{rid}/status"),
                     ("GET", f"/fal-ai/flux/requests/{rid}/status"),
                     ("GET", f"/fal-ai/flux/requests/{rid}"),
                     ("GET", f"/files/{rid}.png")]
    assert sleeps.calls == [2.0, 2.0]  # IN_QUEUE, IN_PROGRESS, then COMPLETED
    submit = fal_stub.requests[0]
    assert submit.headers["authorization"] == f"Key {fal_stub.api_key}"
    assert submit.json()["image_size"] == {"width": 1920, "height": 1080}
    assert submit.json()["seed"] == 7


def test_thumbnail_is_one_megapixel(fal_stub, provider_env, sleeps, tmp_path):
    out = run_image(image(sleeps), tmp_path, 1280, 720)
    assert out.cost == pytest.approx(0.025, abs=1e-9)


def test_music_minutes_rounded_up(fal_stub, provider_env, sleeps, tmp_path):
    b = FalMusicBackend(ProviderSettings.load().get("fal"), PriceBook(), queue=queue(sleeps))
    task = Task("music", {"prompt": "calm ambient pads", "seconds": 150,
                          "out": tmp_path / "bed.wav"})
    out = asyncio.run(b.execute(task, Context(workdir=tmp_path)))
    assert out.cost == pytest.approx(3 * 0.02, abs=1e-9)  # 2.5 min billed as 3
    assert (tmp_path / "bed.wav").read_bytes().startswith(b"RIFF")
    assert fal_stub.requests[0].path == "/cassetteai/music-generator"
    assert fal_stub.requests[0].json() == {"prompt": "calm ambient pads", "duration": 150}



def music(sleeps, model: str = "cassetteai/music-generator") -> FalMusicBackend:  # type: ignore[no-untyped-def]
    return FalMusicBackend(ProviderSettings.load().get("fal"), PriceBook(), model=model,
                           queue=queue(sleeps))


def test_long_bed_is_several_priced_pieces_crossfaded(fal_stub, provider_env, sleeps, tmp_path):
    """A 10-minute video asks for 610 s: CassetteAI makes at most 180 s a request, so four
    156 s pieces (each billed 3 minutes) are crossfaded into one bed of the length asked."""
    from archibald.media.probe import probe_audio

    task = Task("music", {"prompt": "calm pads", "seconds": 610, "out": tmp_path / "bed.wav"})
    out = asyncio.run(music(sleeps).execute(task, Context(workdir=tmp_path)))
    submits = [r.json() for r in fal_stub.requests if r.method == "POST"]
    assert submits == [{"prompt": "calm pads", "duration": 156}] * 4
    assert out.usage.requests == 4 and out.usage.audio_seconds == 624
    assert out.cost == pytest.approx(4 * 3 * 0.02, abs=1e-9)
    assert len(out.detail["request_ids"]) == 4 and out.artifact["pieces"] == 4
    assert probe_audio(tmp_path / "bed.wav").duration == pytest.approx(610, abs=0.01)
    assert probe_audio(tmp_path / "bed.wav").duration >= 0.95 * 610   # the pipeline's check
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".wav") == ["bed.wav"]
    # the estimate prices the same model the same way
    from archibald.config import load_settings

    profile = load_settings().profile("music_generation")
    assert profile.premium_unit == "fal:cassetteai/music-generator"
    assert PriceBook().cost(profile.expected_usage(Task("music_generation", {"minutes": 10})),
                            unit=profile.premium_unit) == pytest.approx(out.cost)


def test_a_failed_piece_carries_the_pieces_already_paid(fal_stub, provider_env, sleeps,
                                                        tmp_path):
    """The second of three pieces is refused: the first one was made and is owed."""
    task = Task("music", {"prompt": "calm pads", "seconds": 400, "out": tmp_path / "bed.wav"})
    b = music(sleeps)
    original = b.queue.run
    calls = []

    async def second_fails(app, args, *rest):  # type: ignore[no-untyped-def]
        calls.append(args)
        if len(calls) == 2:
            return await original(app, {**args, "duration": 5}, *rest)   # fal answers 422
        return await original(app, args, *rest)

    b.queue.run = second_fails  # type: ignore[method-assign]
    with pytest.raises(NonRetryable) as err:
        asyncio.run(b.execute(task, Context(workdir=tmp_path)))
    assert err.value.status == 422
    assert err.value.cost == pytest.approx(3 * 0.02)   # the first 3-minute piece was paid


def test_short_request_is_raised_to_the_models_minimum(fal_stub, provider_env, sleeps, tmp_path):
    task = Task("music", {"prompt": "calm pads", "seconds": 4, "out": tmp_path / "bed.wav"})
    out = asyncio.run(music(sleeps).execute(task, Context(workdir=tmp_path)))
    assert fal_stub.requests[0].json()["duration"] == 10 and out.cost == pytest.approx(0.02)


def test_stub_refuses_what_fal_refuses(fal_stub, provider_env, sleeps, tmp_path):
    import httpx

    auth = {"Authorization": f"Key {fal_stub.api_key}"}
    for body in ({"prompt": "p", "duration": 9}, {"prompt": "p", "duration": 181},
                 {"prompt": "p", "seconds": 60}):
        r = httpx.post(fal_stub.url("cassetteai/music-generator"), json=body, headers=auth)
        assert r.status_code == 422, body
    r = httpx.post(fal_stub.url("fal-ai/elevenlabs/music"), json={"prompt": "p", "duration": 60},
                   headers=auth)
    assert r.status_code == 422


def test_elevenlabs_music_takes_music_length_ms(fal_stub, provider_env, sleeps, tmp_path):
    prices = PriceBook()
    b = FalMusicBackend(ProviderSettings.load().get("fal"), prices,
                        model="fal-ai/elevenlabs/music", queue=queue(sleeps))
    task = Task("music", {"prompt": "calm pads", "seconds": 90, "out": tmp_path / "bed.wav"})
    out = asyncio.run(b.execute(task, Context(workdir=tmp_path)))
    assert fal_stub.requests[0].json() == {"prompt": "calm pads", "music_length_ms": 90000}
    assert out.cost == pytest.approx(2 * 0.60)

def test_completed_with_error_is_a_delegation_failure(fal_stub, provider_env, sleeps, tmp_path):
    fal_stub.complete_with_error = "NSFW content detected"
    with pytest.raises(BackendError) as err:
        run_image(image(sleeps), tmp_path)
    assert "NSFW" in str(err.value) and err.value.code == "runner_error"
    assert not (tmp_path / "bg.png").exists()


def test_deadline_is_a_timeout_and_cancels(fal_stub, provider_env, sleeps, tmp_path):
    fal_stub.states = ["IN_QUEUE"] + ["IN_PROGRESS"] * 50
    with pytest.raises(BackendTimeout):
        run_image(image(sleeps, deadline=10.0), tmp_path)
    assert fal_stub.requests_to("/cancel", "PUT")


def test_429_and_5xx_on_submit_are_retried(fal_stub, provider_env, sleeps, tmp_path):
    fal_stub.fail(429, {"detail": "slow down"}, headers={"retry-after": "3"}, path="/flux/dev")
    fal_stub.fail(503, {"detail": "unavailable"}, path="/flux/dev")
    out = run_image(image(sleeps), tmp_path)
    assert sleeps.calls[:2] == [3.0, 1.0]  # Retry-After, then backoff for attempt 2
    assert len(fal_stub.requests_to("/flux/dev", "POST")) == 3
    assert out.cost == pytest.approx(0.05)  # charged once


def test_5xx_exhausted(fal_stub, provider_env, sleeps, tmp_path):
    fal_stub.fail(500, {"detail": "boom"}, times=3)
    with pytest.raises(ProviderOverloaded):
        run_image(image(sleeps, attempts=3), tmp_path)


def test_402_and_422_not_retried(fal_stub, provider_env, sleeps, tmp_path):
    fal_stub.fail(402, {"detail": "Exhausted balance"}, headers={"x-fal-error-type": "billing"})
    with pytest.raises(NonRetryable):
        run_image(image(sleeps), tmp_path)
    fal_stub.fail(422, {"detail": [{"loc": ["body", "prompt"], "msg": "required"}]})
    with pytest.raises(NonRetryable):
        run_image(image(sleeps), tmp_path)
    assert len(fal_stub.requests) == 2 and sleeps.calls == []


def test_malformed_status_and_timeout(fal_stub, provider_env, sleeps, tmp_path):
    fal_stub.malformed(path="/status")
    with pytest.raises(BackendError) as err:
        run_image(image(sleeps), tmp_path)
    assert err.value.code == "malformed_json"
    fal_stub.slow(1.0, times=2, path="/flux/dev")
    with pytest.raises(BackendTimeout):
        run_image(image(sleeps, attempts=2, timeout=0.2), tmp_path)


def test_key_never_sent_to_other_hosts_nor_leaked(fal_stub, provider_env, sleeps, tmp_path,
                                                   caplog):
    caplog.set_level(logging.DEBUG)
    q = queue(sleeps)
    assert q._auth("https://v3.fal.media/files/x.png") == {}
    fal_stub.fail(500, {"detail": f"bad key {fal_stub.api_key}"})
    fal_stub.fail(401, {"detail": f"bad key {fal_stub.api_key}"})
    with pytest.raises(NonRetryable) as err:
        run_image(image(sleeps), tmp_path)
    assert fal_stub.api_key not in caplog.text + str(err.value)


def test_unconfigured(sleeps, tmp_path):
    with pytest.raises(RouteUnavailable, match="FAL_KEY"):
        run_image(image(sleeps), tmp_path)


def test_one_megapixel_rule_everywhere():
    """The client, the estimate and prices.toml count a megapixel as fal bills it (1024x1024),
    so the 1920x1080 background is 2 billed megapixels and the 1280x720 thumbnail 1."""
    from archibald.config import load_settings
    from archibald.core.prices import megapixels
    from archibald.core.tasks import Usage

    settings, prices = load_settings(), PriceBook()
    for task_type, (w, h), billed in (("image_generation", (1920, 1080), 2),
                                      ("thumbnail", (1280, 720), 1)):
        profile = settings.profile(task_type)
        assert profile.premium_usage["megapixels"] == pytest.approx(megapixels(w, h), abs=1e-4)
        assert prices.cost(Usage(megapixels=megapixels(w, h), images=1, requests=1),
                           unit=profile.premium_unit) == pytest.approx(billed * 0.025)
    assert megapixels(1024, 1024) == 1.0


def test_long_bed_to_a_non_wav_path_is_refused_before_paying(fal_stub, provider_env, sleeps,
                                                             tmp_path):
    from archibald.errors import InputError

    task = Task("music", {"prompt": "calm", "seconds": 400, "out": tmp_path / "bed.mp3"})
    with pytest.raises(InputError, match=r"\.wav"):
        asyncio.run(music(sleeps).execute(task, Context(workdir=tmp_path)))
    assert fal_stub.requests == []
