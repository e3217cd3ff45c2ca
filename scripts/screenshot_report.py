#!/usr/bin/env python3
"""Render a report.html in headless Chromium to a PNG, offline.

    python scripts/screenshot_report.py out/report.html docs/report/report.png [--height 1800]

Uses Debian's ``chromium`` (``apt-get install -y chromium``) with a fresh profile and every
background fetch off, so the page is rendered exactly as a user opening the file offline sees it.
Exits 2 with one line when Chromium or the report is missing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--force-device-scale-factor=1")


def chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(report: Path, png: Path, *, width: int = 1100, height: int = 1800,
               timeout: float = 120.0) -> Path:
    """Write ``png``, a screenshot of ``report`` at ``width`` x ``height`` CSS pixels."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="archibald-chromium-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={png.resolve()}", report.resolve().as_uri()]
        subprocess.run(cmd, check=True, timeout=timeout, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {png}")
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the report.html to render")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"error: {args.report} is not a file; give the report.html of a run",
              file=sys.stderr)
        return 2
    try:
        screenshot(args.report, args.png, width=args.width, height=args.height)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
