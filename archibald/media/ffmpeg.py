"""Locate the ffmpeg that ships with imageio-ffmpeg and run it, translating its failures.

The runner is the I/O seam: :func:`run` takes ``runner=`` (anything shaped like
:func:`subprocess.run`), so tests can stand in for ffmpeg, and :func:`set_runner` swaps the
default for a whole process.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import MediaError

__all__ = ["Runner", "executable", "run", "set_runner", "subprocess_runner"]

#: ``runner(argv, **kwargs) -> CompletedProcess``, the shape of :func:`subprocess.run`
Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]


def subprocess_runner(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` with :func:`subprocess.run`, capturing output."""
    return subprocess.run(list(argv), capture_output=True, check=False, **kwargs)


_runner: Runner = subprocess_runner


def set_runner(runner: Runner | None) -> Runner:
    """Replace the process-wide default runner (``None`` restores the real one); return the old."""
    global _runner
    old = _runner
    _runner = runner or subprocess_runner
    return old


@functools.cache
def executable() -> str:
    """Path of the static ffmpeg binary shipped by the imageio-ffmpeg wheel."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MediaError("imageio-ffmpeg is not installed; run `pip install imageio-ffmpeg`") \
            from exc
    try:
        path = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise MediaError(f"no ffmpeg binary found in imageio-ffmpeg: {exc}") from exc
    if not Path(path).exists():
        raise MediaError(f"ffmpeg binary {path} does not exist; reinstall imageio-ffmpeg")
    return str(path)


def _last_lines(stderr: bytes, n: int = 3) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return " | ".join(lines[-n:]) or "no message"


def run(args: Sequence[str | Path], *, runner: Runner | None = None,
        timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with ``args`` (without the program name); raise MediaError if it fails.

    ``-hide_banner -nostdin -loglevel error`` are always added so stderr holds only errors.
    """
    argv = [executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
            *[str(a) for a in args]]
    use = runner or _runner
    try:
        result = use(argv, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg did not finish within {timeout} s") from exc
    except OSError as exc:
        raise MediaError(f"could not start ffmpeg ({argv[0]}): {exc}") from exc
    if result.returncode != 0:
        raise MediaError(
            f"ffmpeg failed with status {result.returncode}: {_last_lines(result.stderr or b'')}"
        )
    return result
