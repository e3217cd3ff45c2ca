"""Work a provider billed and that then failed is recorded at what it billed, never at $0;
what Archibald abandons it cancels; an answer that cannot be used falls back, still charged."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from archibald.providers.backends.base import FunctionBackend
from archibald.providers.backends.elevenlabs import ElevenLabsBackend
from archibald.providers.backends.fal import FalImageBackend, FalMusicBackend, FalQueue
from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.openhands import OpenHandsBackend
from archibald.config import load_settings
from archibald.errors import BackendError, DelegationError
from archibald.store.ledger import to_nano
from archibald.store.memory import Memory
from archibald.pipeline.run import stage_check
from archibald.pipeline.spec import load_pipeline
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.router import Registry, Router
from archibald.core.tasks import Context, Task
from stubs.fixtures import (elevenlabs_stub, fal_stub, openhands_stub, provider_env,  # noqa: F401
                            sleeps)


def _retry(sleeps: Any, attempts: int = 2) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay=0.5, sleep=sleeps, jitter=lambda: 1.0)


def _failure(coro: Any) -> DelegationError:
    with pytest.raises(DelegationError) as info:
        asyncio.run(coro)
    return info.value


def test_elevenlabs_second_chunk_fails_first_chunk_is_charged(elevenlabs_stub, provider_env,
                                                              sleeps, tmp_path: Path) -> None:
    first, second = "Breathe in slowly and feel the air. " * 3, "Let it go now, gently. " * 3
    backend = ElevenLabsBackend(ProviderSettings.load().get("elevenlabs"), PriceBook(),
                                max_chars=len(first), retry=_retry(sleeps))
    elevenlabs_stub.faults.clear()
    original = elevenlabs_stub.handle

    def second_fails(req: Any) -> Any:
        if len(elevenlabs_stub.requests) >= 2:
            from stubs.base import Reply
            return Reply(400, {"detail": {"status": "invalid", "message": "text rejected"}})
        return original(req)

    elevenlabs_stub.handle = second_fails  # type: ignore[method-assign]
    text = (first + second).strip()
    task = Task("voice", {"text": text, "out": tmp_path / "voice.wav"})
    exc = _failure(backend.execute(task, Context(workdir=tmp_path)))
    billed = len(elevenlabs_stub.requests[0].json()["text"])
    per_char = backend.prices.unit(backend.price_key).usd_per_unit
    assert billed > 0 and exc.cost == pytest.approx(billed * per_char, abs=1e-12)


def test_fal_image_completed_then_download_404_is_charged(fal_stub, provider_env, sleeps,
                                                          tmp_path: Path) -> None:
    fal_stub.states = []
    fal_stub.fail(404, {"detail": "file gone"}, path="/files/")
    queue = FalQueue(ProviderSettings.load().get("fal"), retry=_retry(sleeps), sleep=sleeps)
    backend = FalImageBackend(ProviderSettings.load().get("fal"), PriceBook(), queue=queue)
    task = Task("image_generation", {"prompt": "lake", "width": 1024, "height": 1024,
                                     "out": tmp_path / "bg.png"})
    exc = _failure(backend.execute(task, Context(workdir=tmp_path)))
    assert "404" in str(exc)
    assert exc.cost == pytest.approx(0.025)  # 1024x1024 is one of fal's megapixels
    assert not (tmp_path / "bg.png").exists()


def _openhands(sleeps: Any) -> OpenHandsBackend:
    return OpenHandsBackend(ProviderSettings.load().get("openhands"), PriceBook(),
                            poll_interval=1.0, retry=_retry(sleeps), sleep=sleeps)


def test_openhands_finished_then_events_500_is_charged(openhands_stub, provider_env, sleeps,
                                                       tmp_path: Path) -> None:
    openhands_stub.fail(500, {"detail": "boom"}, path="/events/search", times=5)
    task = Task("metadata", {"instruction": "Write the metadata."})
    exc = _failure(_openhands(sleeps).execute(task, Context(workdir=tmp_path)))
    assert exc.cost == pytest.approx(0.0734)
    assert openhands_stub.requests_to("/api/v1/app-conversations/conv", "DELETE") == []


def test_openhands_polls_failing_mid_run_cancel_and_keep_known_spend(
        openhands_stub, provider_env, sleeps, tmp_path: Path) -> None:
    openhands_stub.execution_states = ["running"]
    backend = _openhands(sleeps)
    task = Task("metadata", {"instruction": "Write the metadata."})
    seen: list[str] = []
    polls = 0
    original = openhands_stub.handle

    def flaky(req: Any) -> Any:
        nonlocal polls
        if req.method == "GET" and req.path == "/api/v1/app-conversations":
            polls += 1
            if polls > 1:  # the first poll shows the spend, then the server fails
                from stubs.base import Reply
                return Reply(503, {"detail": "unavailable"})
        return original(req)

    openhands_stub.handle = flaky  # type: ignore[method-assign]
    context = Context(workdir=tmp_path, request_id_sink=seen.append)
    exc = _failure(backend.execute(task, context))
    assert isinstance(exc, BackendError) and exc.status == 503
    assert exc.cost == pytest.approx(0.0734)  # what the last good poll said it had spent
    deleted = openhands_stub.requests_to("/api/v1/app-conversations/", "DELETE")
    assert [r.path.rsplit("/", 1)[1] for r in deleted] == [seen[-1].split(":", 1)[1]]
    assert seen[0].startswith("start-task:") and seen[-1].startswith("conversation:")


def test_fal_music_that_does_not_decode_is_charged_and_falls_back(fal_stub, provider_env,
                                                                  sleeps, tmp_path: Path) -> None:
    fal_stub.states = []
    fal_stub.real_audio = False  # the music file is 16 bytes that are not audio
    settings = load_settings()
    memory = Memory(f"sqlite:///{tmp_path / 'ledger.db'}")
    queue = FalQueue(ProviderSettings.load().get("fal"), retry=_retry(sleeps), sleep=sleeps)
    registry = Registry()
    registry.register("music_generation", "premium",
                      FalMusicBackend(ProviderSettings.load().get("fal"), PriceBook(),
                                      queue=queue))

    async def local(task: Task, context: Context) -> dict[str, Any]:
        from archibald.pipelines.meditation.stages import music_generation

        return dict(await music_generation(task, context))

    registry.register("music_generation", "local", FunctionBackend("local:music", "local",
                                                                   local))
    router = Router(settings, memory, registry)
    task = Task("music_generation", {"prompt": "calm pad", "seconds": 20.0, "key": "D",
                                     "out": str(tmp_path / "music.wav"), "minutes": 1.0})
    decision = router.decide(task)
    decision.chain = ["premium", "local"]
    result = asyncio.run(router.run(task, Context(workdir=tmp_path), run_id="m",
                                    stage="music_generation", check=stage_check(load_pipeline("meditation").stage("music_generation"), task),
                                    decision=decision))
    assert result.outcome.route == "local"
    paid = result.attempts[0]
    assert (paid.route, paid.success, paid.cost_nano) == ("premium", False,
                                                          to_nano(0.02))  # 1 minute
    assert "cannot be used" in (paid.error or "")
    assert memory.spent_nano(run_id="m") == to_nano(0.02)
    memory.close()
