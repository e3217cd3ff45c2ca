"""The `archibald` command.

Each area registers its commands on :data:`app` from its own module in this package;
user mistakes (:class:`~archibald.errors.UserError`) print one line and exit with status 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ..errors import ArchibaldError, UserError

app = typer.Typer(
    name="archibald",
    help="A cost-aware meta-orchestrator for AI content pipelines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: modules that add commands to `app` (imported for their side effect)
COMMAND_MODULES = ("route", "memory", "plan", "media", "produce", "batch", "providers",
                   "learning")

for _name in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, turning Archibald errors into one line."""
    try:
        app(args=argv, standalone_mode=False)
    except UserError as exc:
        print(f"archibald: error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    except ArchibaldError as exc:
        print(f"archibald: failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        print("archibald: aborted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as exc:  # usage errors arrive as click exceptions (typer may vendor click)
        if not any(c.__name__ == "ClickException" for c in type(exc).__mro__):
            raise
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print(f"archibald: error: {message.rstrip('.')}; see `archibald --help`",
              file=sys.stderr)
        raise SystemExit(getattr(exc, "exit_code", 2)) from None
