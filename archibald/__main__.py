"""`python -m archibald` runs the CLI."""

from .cli import main

if __name__ == "__main__":  # worker processes import this module too: do not rerun the CLI
    main()
