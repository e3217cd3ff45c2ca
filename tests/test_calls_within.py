"""The router's deadline for a call (archibald.core.calls.within): a call that winds down at
once runs in the caller's own task; any other is given up at the deadline without waiting
for its clean-up."""

from __future__ import annotations

import asyncio
import time

import pytest

from archibald.core.calls import within
from archibald.providers.backends.base import Backend
from archibald.providers.backends.llm import ChatBackend


def test_an_inline_call_runs_in_the_callers_task_and_returns_its_outcome() -> None:
    async def main() -> tuple[object, object]:
        async def call() -> object:
            return asyncio.current_task()
        return await within(call(), 5.0, inline=True), asyncio.current_task()  # type: ignore

    inner, outer = asyncio.run(main())
    assert inner is outer  # no task of its own: no turn of the loop to start or to hand back


def test_an_inline_call_past_its_deadline_is_a_timeout_after_its_own_wind_down() -> None:
    wound: list[str] = []

    async def main() -> float:
        async def call() -> object:
            try:
                await asyncio.sleep(10)
            finally:
                wound.append("released")  # (a chat call's connection, released at once)
            return None
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await within(call(), 0.05, inline=True)  # type: ignore[arg-type]
        return time.monotonic() - started

    assert asyncio.run(main()) < 2
    assert wound == ["released"]


def test_a_caller_cancelled_cancels_its_inline_call_and_is_not_a_timeout() -> None:
    async def main() -> None:
        started = asyncio.Event()

        async def call() -> object:
            started.set()
            await asyncio.sleep(10)
        running = asyncio.ensure_future(within(call(), 5.0, inline=True))  # type: ignore
        await started.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    asyncio.run(main())


def test_a_call_with_a_slow_wind_down_is_given_up_at_the_deadline_not_after_it() -> None:
    async def main() -> float:
        async def call() -> object:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                await asyncio.sleep(1.5)  # its clean-up: a request of its own (fal, OpenHands)
                raise
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await within(call(), 0.05)  # type: ignore[arg-type]
        return time.monotonic() - started

    assert asyncio.run(main()) < 1.0


def test_only_chat_calls_run_inline() -> None:
    assert ChatBackend.cancels_at_once and not Backend.cancels_at_once
