"""Test-wide guards: no paid call can leave this machine, and every test has its own home."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

#: provider keys and endpoints that must never leak in from the developer's shell
_PROVIDER_VARS = (
    "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL",
    "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL", "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL",
    "OLLAMA_BASE_URL", "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL", "FAL_KEY", "FAL_BASE_URL",
    "OPENHANDS_URL", "OPENHANDS_API_KEY", "YOUTUBE_BASE_URL", "ARCHIBALD_CONFIG",
    "ARCHIBALD_DB",
)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: object) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            if host == "localhost":
                return
        raise RuntimeError(f"tests may only connect to loopback, not {host!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _loopback_only(address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _loopback_only(address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network_no_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Block every non-loopback connection and strip provider keys; isolate ARCHIBALD_HOME."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    for var in _PROVIDER_VARS:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "archibald-home"
    home.mkdir()
    monkeypatch.setenv("ARCHIBALD_HOME", str(home))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder of the test's own (tmp_path also holds the test's ARCHIBALD_HOME)."""
    d = tmp_path / "work"
    d.mkdir()
    return d
