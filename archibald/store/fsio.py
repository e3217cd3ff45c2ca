"""Every file Archibald writes in ``--out`` and ``ARCHIBALD_HOME``, written one safe way.

A user's folder may hold anything, symbolic links included, at the very names we write. So:

- a new file is made under a random name in its own folder with
  ``O_CREAT | O_EXCL | O_NOFOLLOW`` (never an existing file, never through a link), written,
  fsynced, then renamed over its final name with ``os.replace``: a rename replaces the name,
  it never writes through whatever the name pointed at;
- a final name that is a symbolic link is refused, not replaced: the link is the user's;
- folders we make are checked to be real folders; existing files are opened ``O_NOFOLLOW``;
- nothing is removed that this module did not create: the only names it cleans up are its own
  temporary ones (:func:`sweep_temporaries`), and only when they are plain files.

Programs that write by path (ffmpeg, Pillow, ``wave``) get a temporary name we created
ourselves (:func:`new_file`); they overwrite our own empty file, which we then rename.

A stage's folder (under ``.archibald/stages/``) is the run's own: what a killed stage left
there (those temporaries, a download's ``.<name>.<pid>.part``, a work folder
``.<label>.<random>.tmpdir``) is swept when the stage runs again or finishes
(:func:`sweep_stage_folder`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

__all__ = ["make_dir", "refuse_link", "new_file", "write_file", "place", "open_existing",
           "sweep_temporaries", "check_writable", "fsync_dir", "is_temporary", "swap_dirs",
           "sweep_stage_folder", "TEMPORARY_DIR_SUFFIX"]

_FLAGS_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
#: our temporary names: ".<final name>.<12 hex>.tmp" with the final suffix kept for ffmpeg/Pillow
_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp(\.[A-Za-z0-9]+)?$")
#: a hidden work folder's name ends so (``tempfile.TemporaryDirectory(prefix=".x.",
#: suffix=TEMPORARY_DIR_SUFFIX)``)
TEMPORARY_DIR_SUFFIX = ".tmpdir"
#: in a stage's folder, besides ours: a download written beside its final name, a work folder
#: (and the assembler's, as it was named before it took the suffix)
_PARTIAL = re.compile(r"^\..+\.[0-9]+\.part$")
_WORK_DIR = re.compile(r"^\..+" + re.escape(TEMPORARY_DIR_SUFFIX) + r"$|^\.assemble\.[a-z0-9_]{8}$")


def _temporary(final: Path) -> Path:
    """A fresh random name beside ``final`` that keeps its suffix (formats are chosen by it)."""
    return final.parent / f".{final.name}.{secrets.token_hex(6)}.tmp{final.suffix}"


def is_temporary(name: str) -> bool:
    """Whether ``name`` is one of this module's temporary names."""
    return bool(_TEMPORARY.match(name))


def refuse_link(path: Path) -> None:
    """Raise InputError if ``path`` is a symbolic link: we neither follow nor remove it."""
    if os.path.islink(path):
        raise InputError(f"{path} is a symbolic link; Archibald does not write through links: "
                         f"remove it or choose another folder")


def make_dir(path: Path) -> Path:
    """Make the folder ``path`` (its parent must exist), or accept it if it is a real folder."""
    try:
        os.mkdir(path)
    except FileExistsError:
        refuse_link(path)
        if not path.is_dir():
            raise InputError(f"{path} exists and is not a folder; move it away") from None
    return path


def fsync_dir(path: Path) -> None:
    """Make a rename or a new name in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create(tmp: Path, mode: int) -> int:
    try:
        return os.open(tmp, _FLAGS_NEW, mode)
    except OSError as exc:
        raise InputError(f"cannot write in {tmp.parent}: {exc.strerror}; check its "
                         f"permissions or choose another folder") from None


def _commit(tmp: Path, final: Path) -> None:
    """Rename our finished temporary over ``final`` (never over a link) and make it durable."""
    refuse_link(final)
    os.replace(tmp, final)
    fsync_dir(final.parent)


@contextlib.contextmanager
def new_file(final: Path | str, *, mode: int = 0o644) -> Iterator[Path]:
    """Yield a new empty temporary path beside ``final``; on success fsync it and rename it to
    ``final``, on any exception remove it and leave ``final`` untouched."""
    final = Path(final)
    refuse_link(final)
    tmp = _temporary(final)
    os.close(_create(tmp, mode))
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _commit(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_file(final: Path | str, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write ``data`` (str as UTF-8) to ``final`` all-or-nothing; return ``final``."""
    final = Path(final)
    refuse_link(final)
    tmp = _temporary(final)
    fd = _create(tmp, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        _commit(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final


def place(src: Path | str, final: Path | str) -> Path:
    """Put the file ``src`` at ``final``: a hard link (no second copy of a video), else a copy.

    ``final`` already being ``src`` (an earlier run's link) is left as it is: renaming a link
    over another link to the same file does nothing, which used to strand the temporary.
    """
    src, final = Path(src), Path(final)
    refuse_link(final)
    with contextlib.suppress(FileNotFoundError):
        if os.path.samefile(src, final):
            return final
    tmp = _temporary(final)
    try:
        os.link(src, tmp, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        with open_existing(src) as f_in, new_file(final) as copy:
            with open(copy, "wb") as f_out:
                shutil.copyfileobj(f_in, f_out, 1 << 20)
        return final
    try:
        _commit(tmp, final)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # only if the rename did not take it (it always should)
    return final


@contextlib.contextmanager
def open_existing(path: Path | str) -> Iterator[BinaryIO]:
    """Open an existing file for reading without following a link at its name."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        yield f


def swap_dirs(new: Path, old: Path) -> None:
    """Put the folder ``new`` at ``old``'s name and ``old``'s content at ``new``'s, at once
    where the kernel can (Linux ``renameat2(RENAME_EXCHANGE)``), else by two renames.

    Either way the caller then removes ``new`` (which holds the old content); with the
    exchange, ``old``'s name never stands empty, even if the process dies in between.
    """
    at_fdcwd, rename_exchange = -100, 2
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is not None:
        if renameat2(at_fdcwd, os.fsencode(new), at_fdcwd, os.fsencode(old),
                     rename_exchange) == 0:
            fsync_dir(old.parent)
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), str(old))
    aside = old.parent / f".{old.name}.{secrets.token_hex(6)}.aside"
    os.rename(old, aside)
    os.rename(new, old)
    os.rename(aside, new)
    fsync_dir(old.parent)


def check_writable(folder: Path) -> None:
    """Raise InputError unless a file can be made in ``folder`` (made and removed again)."""
    probe = _temporary(folder / "write-test")
    fd = _create(probe, 0o600)
    os.close(fd)
    os.unlink(probe)


def sweep_temporaries(folder: Path) -> list[Path]:
    """Remove the temporaries a killed run left in ``folder``: our names, plain files only."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        path = folder / name
        if not is_temporary(name):
            continue
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid():
                os.unlink(path)
                removed.append(path)
    return removed


def sweep_stage_folder(folder: Path) -> list[Path]:
    """Remove what a killed stage left in its own ``folder`` (a stage folder of the run, not a
    user's): our temporaries and partial downloads (plain files), and hidden work folders
    (removed without following a link in them). The files the stage made stay."""
    removed = sweep_temporaries(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        path = folder / name
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if _PARTIAL.match(name) and stat.S_ISREG(st.st_mode):
                os.unlink(path)
                removed.append(path)
            elif _WORK_DIR.match(name) and stat.S_ISDIR(st.st_mode):
                shutil.rmtree(path)
                removed.append(path)
    return removed
