"""The `archibald` command.

Each area registers its commands on :data:`app` from its own module in this package. Every
failure that is not a bug prints one line (:func:`~archibald.cli.common.failure_line`): exit
status 2 when the user's input must change (a :class:`~archibald.errors.UserError`, a bad path,
a damaged database), 1 when something failed at run time (a full disk, a busy database).
"""

from __future__ import annotations

import importlib
import sys

import typer

from .common import failure_line

app = typer.Typer(
    name="archibald",
    help="A cost-aware meta-orchestrator for AI content pipelines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: modules that add commands to `app` (imported for their side effect)
COMMAND_MODULES = ("route", "memory", "plan", "media", "produce", "batch", "providers",
                   "learning", "serve", "keys", "studio")

for _name in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, turning Archibald errors into one line."""
    try:
        # without standalone mode click returns a command's exit status (typer.Exit(1) from a
        # batch with failed items) instead of exiting with it: exit with it here
        status = app(args=argv, standalone_mode=False)
        if isinstance(status, int) and not isinstance(status, bool) and status != 0:
            raise SystemExit(status)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        print("archibald: aborted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as exc:  # usage errors arrive as click exceptions (typer may vendor click)
        if not any(c.__name__ == "ClickException" for c in type(exc).__mro__):
            line = failure_line(exc)
            if line is None:
                raise
            print(f"archibald: {line[0]}", file=sys.stderr)
            raise SystemExit(line[1]) from None
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print(f"archibald: error: {message.rstrip('.')}; see `archibald --help`",
              file=sys.stderr)
        raise SystemExit(getattr(exc, "exit_code", 2)) from None
