"""Helpers the media tests share."""

from __future__ import annotations

from archibald.cli import main


def run_cli(args: list[str]) -> int:
    """Run the CLI in-process and return its exit status."""
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
