"""Where media files come from and go to: input checks and all-or-nothing outputs.

Every producer writes to a temporary name in the output's own folder, validates it, and only
then renames it over the output path, so a failure never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError, MediaError
from ..store.fsio import new_file, refuse_link

__all__ = ["atomic_output", "check_input", "check_output", "check_picture"]


def check_input(path: Path | str, what: str = "input file") -> Path:
    """Return ``path`` if it is an existing, non-empty, readable file; else raise InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} {p} does not exist; check the path")
    if not p.is_file():
        raise InputError(f"{what} {p} is not a file")
    if p.stat().st_size == 0:
        raise InputError(f"{what} {p} is empty (0 bytes); give a file with content")
    if not os.access(p, os.R_OK):
        raise InputError(f"{what} {p} is not readable; check its permissions")
    return p


def check_picture(path: Path | str, what: str = "image") -> Path:
    """Return ``path`` if it is an input file whose header Pillow would decode; else InputError.

    Only the header is read: a picture with more pixels than Pillow's decompression-bomb
    limit (``Image.MAX_IMAGE_PIXELS``, where it starts warning) is refused before any pixel is
    decoded, since a 40000x40000 PNG of a few kilobytes would take gigabytes to open.
    """
    import warnings

    from PIL import Image, UnidentifiedImageError

    p = check_input(path, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p):
                pass
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{what} {p} has more pixels than can be decoded safely (limit "
                         f"{Image.MAX_IMAGE_PIXELS:,}); give a smaller picture, e.g. "
                         f"1920x1080") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{what} {p} is not a readable image ({exc}); give a PNG or JPEG") \
            from None
    return p


def check_output(path: Path | str, suffixes: tuple[str, ...] = ()) -> Path:
    """Return ``path`` if a file can be written there; else raise InputError."""
    p = Path(path)
    refuse_link(p)
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"output {p} must end in {' or '.join(suffixes)}")
    if p.is_dir():
        raise InputError(f"output {p} is a directory; give a file name")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"output folder {folder} is not writable; choose another --out")
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(f"output {p} exists and is not writable")
    return p


@contextlib.contextmanager
def atomic_output(path: Path | str, suffixes: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary name keeps the output's suffix (ffmpeg and Pillow choose formats by it) and
    is created by us, exclusively, so a program writing to it never writes through a link.
    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    final = check_output(path, suffixes)
    with new_file(final) as tmp:
        yield tmp
        if tmp.stat().st_size == 0:
            raise MediaError(f"nothing was written for {final}")
