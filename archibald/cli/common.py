"""What every command shares: loading settings, memory and the router from the options, and
the one line (and exit status) every failure ends in."""

from __future__ import annotations

import difflib
import errno
import json
import os
from typing import Any, Optional

import typer

from ..config import Settings, archibald_home, load_settings
from ..errors import ArchibaldError, InputError, StageFailed, UserError
from ..store.memory import Memory, _plain

#: seconds `serve` and `studio` keep an idle client connection open: longer than the clients'
#: own (httpx and the openai and anthropic SDKs keep one 5 s), so the client always closes
#: first; at equal timeouts a request sent as the server closes is reset (a ReadError)
KEEP_ALIVE = 75

ConfigOption = typer.Option(None, "--config", "-c", envvar="ARCHIBALD_CONFIG",
                            help="archibald.toml to use (default: ./archibald.toml if present).")


def open_settings(config: Optional[str], pipeline: Any = None) -> Settings:
    """The settings, with the task types of ``pipeline`` (a loaded pipeline) known."""
    return load_settings(config, pipeline=pipeline)


def open_pipeline(name_or_path: Optional[str], settings_channel: Any = None) -> Any:
    """A shipped pipeline by name or a pipeline file (default: the channel's, else
    meditation)."""
    from ..pipeline.spec import load_pipeline

    return load_pipeline(name_or_path or getattr(settings_channel, "pipeline", None)
                         or "meditation")


def check_channel(settings: Settings, channel: str, memory: Memory | None = None) -> None:
    """Refuse (one line, exit 2) a ``--channel`` nothing knows: not ``default``, no
    ``[channels.NAME]`` table or budget in the settings, no run or attempt in memory. A typo
    would otherwise start a new channel's ledger, learning and budget silently."""
    known = {"default", *settings.channels, *settings.budgets.channels}
    if channel in known:
        return
    own = memory or open_memory(settings)
    try:
        known |= own.channels()
    finally:
        if memory is None:
            own.close()
    if channel in known:
        return
    close = difflib.get_close_matches(channel, sorted(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InputError(f"unknown channel {channel!r}; {hint}known: {', '.join(sorted(known))}; "
                     f"a new channel needs a [channels.{channel}] table in archibald.toml")


def open_memory(settings: Settings) -> Memory:
    return Memory(half_life_days=settings.router.evidence_half_life_days)


def open_router(settings: Settings, memory: Memory) -> Any:
    from ..core.catalog import build_registry
    from ..core.router import Router

    return Router(settings, memory, build_registry(settings, memory))


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


#: filesystem errors the user fixes (a path, a permission, a link): exit 2; others exit 1
_USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EISDIR,
                errno.ELOOP, errno.EROFS, errno.EEXIST, errno.ENAMETOOLONG}
#: database messages (SQLite's and PostgreSQL's) -> (what to do, exit status)
_DATABASE_ADVICE = (
    (("not a database", "malformed", "corrupt"),
     "the database file is damaged; move it aside (a new one is made) or set ARCHIBALD_DB", 2),
    (("locked", "busy"), "another program holds the database; wait for it and run again", 1),
    (("disk is full", "disk full", "no space"),
     "no space left for the database; free some space and run again (finished stages resume)",
     1),
    (("readonly", "read-only", "permission denied"),
     "the database cannot be written; check its permissions or set ARCHIBALD_DB", 2),
    (("unable to open",), "the database cannot be opened; check ARCHIBALD_HOME or ARCHIBALD_DB",
     2),
)


def _database() -> str:
    """The database in use, for messages (any password in its URL masked)."""
    url = os.environ.get("ARCHIBALD_DB")
    return _plain(url) if url else str(archibald_home() / "archibald.db")


def _database_line(exc: Exception) -> tuple[str, int]:
    detail = _plain(getattr(exc, "orig", None) or exc).split(" [SQL:")[0]
    lowered = detail.lower()
    for needles, advice, status in _DATABASE_ADVICE:
        if any(n in lowered for n in needles):
            return f"database {_database()}: {detail}; {advice}", status
    return (f"database {_database()}: {detail}; check ARCHIBALD_DB (or ARCHIBALD_HOME) and run "
            f"again", 1)


def _file_line(exc: OSError) -> tuple[str, int]:
    where = f"{exc.filename}: " if exc.filename else ""
    what = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        return (f"{where}{what}; free some space and run again (finished stages resume)", 1)
    if exc.errno in _USER_ERRNOS:
        return f"{where}{what}; check the path and its permissions", 2
    return f"{where}{what}; check the disk and run again", 1


def failure_line(exc: BaseException) -> tuple[str, int] | None:
    """The one line and exit status for a failure: 2 ("error: ...") when the user's input must
    change, 1 ("failed: ...") for a failure at run time; None for a bug, which should show its
    traceback."""
    described = _describe(exc)
    if described is None:
        return None
    text, status = described
    return f"{'error' if status == 2 else 'failed'}: {' '.join(text.split())}", status


def _describe(exc: BaseException) -> tuple[str, int] | None:
    from sqlalchemy.exc import SQLAlchemyError

    from ..config.extras import missing_extra

    if isinstance(exc, (ArchibaldError, ModuleNotFoundError)):
        extra = missing_extra(exc)  # a part the slim install left out: say which extra
        if extra is not None:
            return str(extra), extra.exit_code
    if isinstance(exc, StageFailed):
        inner = _describe(exc.cause)
        return (f"stage {exc.stage!r} failed: {inner[0]}", inner[1]) if inner else (str(exc), 1)
    if isinstance(exc, UserError):
        return str(exc), exc.exit_code
    if isinstance(exc, ArchibaldError):
        return str(exc), 1
    if isinstance(exc, SQLAlchemyError):
        return _database_line(exc)
    if isinstance(exc, OSError):
        return _file_line(exc)
    return None
