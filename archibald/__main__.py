"""`python -m archibald` runs the CLI."""

from .cli import main

main()
