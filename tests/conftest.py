"""Test-wide guards: no paid call can leave this machine, every test has its own home, and no
test leaves a process behind."""

from __future__ import annotations

import ctypes
import ipaddress
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from proc_helpers import alive, children, command

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
    # a developer's own Ollama must not change what a test's routes are (test_local_model*
    # turns detection on against its stub server)
    monkeypatch.setenv("ARCHIBALD_LOCAL_MODEL", "off")
    monkeypatch.delenv("LOCAL_LLM_BASE_URL", raising=False)
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder of the test's own (tmp_path also holds the test's ARCHIBALD_HOME)."""
    d = tmp_path / "work"
    d.mkdir()
    return d


_PR_SET_CHILD_SUBREAPER = 36


def _own_helpers() -> set[int]:
    """This process's multiprocessing forkserver and resource tracker: they live as long as it
    does by design (and exit with it), so they are not leftovers."""
    pids = {getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None),
            getattr(multiprocessing.resource_tracker._resource_tracker, "_pid", None)}
    return {p for p in pids if p}


def _leftovers(grace: float) -> dict[int, int]:
    """Children of this process still running after ``grace`` seconds, helpers aside."""
    deadline = time.monotonic() + grace
    while True:
        left = {pid: t for pid, t in children(os.getpid()).items() if pid not in _own_helpers()}
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def _fail_with(left: dict[int, int], when: str) -> None:
    described = "; ".join(f"{pid} {command(pid)[:120]}" for pid in left)
    for pid in alive(left):  # do not let one test's leftovers fail every test after it
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pytest.fail(f"{when} left {len(left)} process(es) running: {described}", pytrace=False)


@pytest.fixture(autouse=True, scope="session")
def _no_process_left_by_the_session() -> Iterator[None]:
    """Make pytest the subreaper of everything its tests start, so that a process orphaned by
    a killed parent is re-parented here (not to init) and counted; fail if any is left."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    yield
    left = _leftovers(grace=5.0)
    if left:
        _fail_with(left, "the test session")


@pytest.fixture(autouse=True)
def _no_process_left(_no_process_left_by_the_session: None) -> Iterator[None]:
    """Fail the test that leaves a child process (or an orphan of one) running."""
    yield
    left = _leftovers(grace=5.0)
    if left:
        _fail_with(left, "this test")
