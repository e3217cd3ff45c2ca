"""Worker processes that die with the process that started them.

A SIGKILLed process runs no cleanup, and a ``ProcessPoolExecutor``'s workers wait on queues
whose pipes they hold both ends of, while a forkserver waits for its children: left alone they
live on forever, holding hundreds of megabytes and the killed process's stdout. So every pool
Archibald starts gives each worker two guards, set up before the worker's own initializer:

- ``PR_SET_PDEATHSIG``: the kernel kills the worker when its parent dies. Its parent is the
  forkserver, not the pool's owner, and the signal follows the *thread* that forked, so this
  alone is not enough;
- a watchdog thread blocked reading a pipe whose only write end stays in the pool's owner
  (:class:`Lifeline`). However the owner ends, the kernel closes that end, the read returns,
  and the worker exits. The forkserver then has no child left and exits too.

    lifeline = Lifeline()
    pool = ProcessPoolExecutor(..., initializer=guarded, initargs=lifeline.initargs(init, x))
    ...
    pool.shutdown(); lifeline.close()
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Lifeline", "guarded", "die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not fatal: the watchdog still guards
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _watch(reader: Any) -> None:
    try:
        reader.recv_bytes()  # nothing is ever sent: this returns only when the owner is gone
    except (EOFError, OSError):
        pass
    os._exit(1)


def guarded(reader: Any, init: Callable[..., object] | None, *args: Any) -> None:
    """A pool worker's initializer: the two guards, then the worker's own ``init(*args)``."""
    die_with_parent()
    threading.Thread(target=_watch, args=(reader,), name="lifeline", daemon=True).start()
    if init is not None:
        init(*args)


class Lifeline:
    """A pipe whose write end only the pool's owner holds; workers watch the read end."""

    def __init__(self) -> None:
        # a Connection is handed to a forkserver/spawn child by descriptor passing, and the
        # write end, never passed, stays in this process alone
        self._reader, self._writer = multiprocessing.Pipe(duplex=False)

    def initargs(self, init: Callable[..., object] | None = None, *args: Any) -> tuple[Any, ...]:
        """The ``initargs`` for :func:`guarded` that run ``init(*args)`` after the guards."""
        return (self._reader, init, *args)

    def close(self) -> None:
        """Let go of the workers: any still running exit, as if the owner had died."""
        self._writer.close()
        self._reader.close()
