"""Pytest fixtures for the provider stubs; import the ones you need into a test module::

    from stubs.fixtures import anthropic_stub, sleeps  # noqa: F401

    def test_x(anthropic_stub, monkeypatch):
        monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_stub.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_stub.base_url)

Each stub runs on 127.0.0.1 on an ephemeral port for one test, records ``.requests`` and takes
scripted faults (``.fail(...)``, ``.slow(...)``, ``.malformed()`` and provider-specific ones).
``sleeps`` / ``sync_sleeps`` are injectable sleep functions that record instead of waiting.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .anthropic import AnthropicStub
from .base import StubServer
from .elevenlabs import ElevenLabsStub
from .fal import FalStub
from .openai_compat import OpenAIStub
from .openhands import OpenHandsStub
from .perplexity import PerplexityStub
from .youtube import YouTubeStub

__all__ = ["anthropic_stub", "openai_stub", "deepseek_stub", "ollama_stub", "perplexity_stub",
           "elevenlabs_stub", "fal_stub", "openhands_stub", "youtube_stub", "sleeps",
           "sync_sleeps", "SleepRecorder", "SyncSleepRecorder", "provider_env"]


def _run(stub: StubServer) -> Iterator[StubServer]:
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def anthropic_stub() -> Iterator[AnthropicStub]:
    yield from _run(AnthropicStub("sk-ant-api03-STUBSECRET-anthropic-0123456789"))  # type: ignore[misc]


@pytest.fixture
def openai_stub() -> Iterator[OpenAIStub]:
    yield from _run(OpenAIStub("sk-proj-STUBSECRET-openai-0123456789"))  # type: ignore[misc]


@pytest.fixture
def deepseek_stub() -> Iterator[OpenAIStub]:
    yield from _run(OpenAIStub("sk-STUBSECRET-deepseek-0123456789",  # type: ignore[misc]
                               thinks_by_default=True))


@pytest.fixture
def ollama_stub() -> Iterator[OpenAIStub]:
    yield from _run(OpenAIStub(None))  # type: ignore[misc]


@pytest.fixture
def perplexity_stub() -> Iterator[PerplexityStub]:
    yield from _run(PerplexityStub("pplx-STUBSECRET-perplexity-0123456789"))  # type: ignore[misc]


@pytest.fixture
def elevenlabs_stub() -> Iterator[ElevenLabsStub]:
    yield from _run(ElevenLabsStub("sk_STUBSECRET_elevenlabs_0123456789"))  # type: ignore[misc]


@pytest.fixture
def fal_stub() -> Iterator[FalStub]:
    yield from _run(FalStub("STUBSECRET-fal-id:0123456789abcdef"))  # type: ignore[misc]


@pytest.fixture
def openhands_stub() -> Iterator[OpenHandsStub]:
    yield from _run(OpenHandsStub("STUBSECRET-openhands-0123456789"))  # type: ignore[misc]


@pytest.fixture
def youtube_stub() -> Iterator[YouTubeStub]:
    yield from _run(YouTubeStub("ya29.STUBSECRET-youtube-token-0123456789"))  # type: ignore[misc]


_ENV = {"anthropic_stub": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", ""),
        "openai_stub": ("OPENAI_API_KEY", "OPENAI_BASE_URL", "/v1"),
        "deepseek_stub": ("DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL", ""),
        "ollama_stub": (None, "OLLAMA_BASE_URL", ""),
        "perplexity_stub": ("PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL", ""),
        "elevenlabs_stub": ("ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL", ""),
        "fal_stub": ("FAL_KEY", "FAL_BASE_URL", ""),
        "openhands_stub": ("OPENHANDS_API_KEY", "OPENHANDS_URL", ""),
        "youtube_stub": (None, "YOUTUBE_BASE_URL", "/")}


@pytest.fixture
def provider_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point every provider whose stub fixture this test also uses at that stub, via the
    environment variables the SDKs use; returns the variables set."""
    env: dict[str, str] = {}
    for fixture, (key_var, base_var, suffix) in _ENV.items():
        if fixture not in request.fixturenames:
            continue
        stub: StubServer = request.getfixturevalue(fixture)
        if key_var and stub.api_key:
            env[key_var] = stub.api_key
        env[base_var] = stub.base_url + suffix
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


class SleepRecorder:
    """An async sleep that records what was asked and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class SyncSleepRecorder:
    """A blocking sleep that records what was asked and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def sync_sleeps() -> SyncSleepRecorder:
    return SyncSleepRecorder()
