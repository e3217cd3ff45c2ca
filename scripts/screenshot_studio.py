#!/usr/bin/env python3
"""Screenshots of every studio page, offline, for docs/studio/.

    python scripts/screenshot_studio.py [docs/studio]

Makes a throwaway home: two one-minute meditation videos made by `archibald batch` with
``[publish] review = true`` (so they wait in the publish queue), two answers to one script
task for blind review, a schedule; serves the studio on loopback and photographs each page in
Debian's headless Chromium (Playwright, no browser download). PNGs are 256-colour, ~1100 px
wide. Exits 2 with one line when Chromium is missing.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PAGES = [("overview", "/"), ("runs", "/runs"), ("run", None), ("new-run", "/runs/new"),
         ("learning", "/learning"), ("review", "/review"), ("publish", "/publish"),
         ("schedules", "/schedules")]


def main() -> None:
    from PIL import Image

    from studio_helpers import CHROMIUM, archibald, chromium, logged_in, make_place, serve
    from test_studio_browser import _seed_pair

    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "studio")
    if not Path(CHROMIUM).exists():
        print(f"screenshot_studio: {CHROMIUM} is missing; apt-get install -y chromium",
              file=sys.stderr)
        raise SystemExit(2)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        place = make_place(Path(tmp), '''
[budgets]
per_month_usd = 20

[schedules.calm-weekly]
when = "3 per week"
channel = "calm"
pipeline = "meditation"
topics = ["Calm before an exam", "Rest after a night shift", "A quiet Sunday morning"]
inputs = { minutes = 8 }
deadline_hours = 12
''')
        manifest = Path(tmp) / "videos.csv"
        with manifest.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["topic", "minutes", "channel"])
            w.writerow(["Calm before an exam", "1", "calm"])
            w.writerow(["Rest after a night shift", "1", "calm"])
        made = archibald(place, "batch", str(manifest), "--out", str(Path(tmp) / "made"),
                         "--no-batch-api", timeout=900)
        if made.returncode != 0:
            raise SystemExit(made.stdout + made.stderr)
        _seed_pair(place.db)
        with serve(place) as served, chromium() as browser:
            page = logged_in(browser, served)
            page.set_viewport_size({"width": 1100, "height": 820})
            page.goto(served.url + "/runs")
            run_href = page.locator("table.runs tbody a").first.get_attribute("href")
            for name, path in PAGES:
                page.goto(served.url + (path or str(run_href)))
                page.wait_for_load_state("networkidle")
                png = out / f"{name}.png"
                page.screenshot(path=str(png))
                Image.open(png).convert("RGB").quantize(256).save(png, optimize=True)
                print(f"{png} ({png.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
