"""report.md / report.html: savings split by kind, quality maintenance beside them, markdown
rendered (no literal backticks or asterisks), every bar of the chart visible ($0 included), one
self-contained file; a resumed run keeps the original execution time."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from archibald.reports.chart import MIN_BAR
from archibald.reports.economics import economics, render_html, render_markdown

ROOT = Path(__file__).resolve().parents[1]


def _attempt(route: str, cost: int, baseline: int, purpose: str = "production",
             success: bool = True) -> dict[str, Any]:
    return {"route": route, "backend": route, "model": None, "success": success,
            "cost_nano": cost, "baseline_nano": baseline, "quality": 0.9, "seconds": 1.0,
            "usage": {}, "error": None, "price_source": "", "purpose": purpose}


def _stage(route: str, attempts: list[dict[str, Any]], baseline: dict[str, Any] | None,
           resumed: bool = False) -> dict[str, Any]:
    return {"phase": "creative work", "task_type": "x", "route": route, "decision": "delegate",
            "reason": "the `matrix` said **so**", "quality": 0.9, "seconds": 1.0,
            "resumed": resumed, "attempts": attempts,
            "cost_nano": sum(a["cost_nano"] for a in attempts),
            "baseline_nano": sum(a["baseline_nano"] for a in attempts), "baseline": baseline}


def _data(**extra: Any) -> dict[str, Any]:
    priced = {"nano": 1, "backend": "anthropic:claude-opus-4-5", "basis": "tokens",
              "source": "LiteLLM", "missing": ""}
    stages = {
        # a budget model did the premium model's work: a model-call saving
        "script_review": _stage("budget", [_attempt("budget", 1_234_000, 42_500_000)], priced),
        # a judge checked it: quality assurance, paid for out of the savings
        "quality_polish": _stage("budget", [_attempt("budget", 2_000_000, 30_000_000),
                                            _attempt("premium", 700_000, 0, "judge")], priced),
        # a local program replaced a paid service: substitution
        "audio_generation": _stage("local", [_attempt("local", 0, 750_000_000)], priced,
                                   resumed=True),
        # a cheaper attempt failed, then premium ran
        "script_writing": _stage("premium", [_attempt("budget", 300_000, 0, success=False),
                                             _attempt("premium", 34_500_000, 34_500_000)],
                                 priced),
        # no premium backend: no baseline, and why
        "thumbnail": _stage("local", [_attempt("local", 0, 0)],
                            {"nano": 0, "missing": "no premium backend serves image work"}),
    }
    data = {"run_id": "run-1", "channel": "calm", "topic": "Calm *evening* `now`",
            "minutes": 10, "seed": 1, "status": "done", "wall_seconds": 0.016,
            "execution": {"seconds": 61.5, "session_seconds": 0.016, "resumed": True,
                          "resumed_stages": 5, "ran_stages": 0, "earlier_seconds": 61.5},
            "stages": stages}
    data.update(extra)
    return data


def test_savings_are_split_by_kind_and_add_up() -> None:
    eco = economics(_data())
    p = eco["parts"]
    assert p["model call"] == (42_500 - 1_234) + (30_000 - 2_000)
    assert p["substitution"] == 750_000
    assert p["premium"] == -300            # the failed budget attempt before premium
    assert p["no baseline"] == 0
    assert p["quality assurance"] == -700
    assert sum(p.values()) == eco["saved"] == eco["traditional"] - eco["orchestrated"]
    assert eco["traditional"] == sum(r["traditional"] or 0 for r in eco["rows"])
    assert eco["orchestrated"] == sum(r["orchestrated"] for r in eco["rows"])
    thumb = next(r for r in eco["rows"] if r["stage"] == "thumbnail")
    assert thumb["traditional"] is None and thumb["kind"] == "no baseline"


def test_markdown_states_the_rule_the_parts_and_why_no_baseline() -> None:
    data = _data()
    md = render_markdown(data, economics(data))
    assert "model-call savings" in md and "substitution savings" in md
    assert "quality assurance (judge and shadow calls) -$0.0007" in md
    assert "not measured (no judge)" in md
    assert "thumbnail**: no baseline: no premium backend serves image work" in md
    assert "The baseline rule" in md
    # the saved column adds up to the total shown
    rows = re.findall(r"^\| (\w+) \| [^|]+ \| [^|]+ \| (?:\$[\d,.]+|n/a) \| \$[\d,.]+ \| "
                      r"(-?)\$([\d,.]+) \|", md, re.M)
    assert len(rows) == 5
    total = re.search(r"^\| \*\*Total\*\* \| \| \| \*\*\$[\d,.]+\*\* \| \*\*\$[\d,.]+\*\* \| "
                      r"\*\*\$([\d,.]+)\*\*", md, re.M)
    assert total and round(sum(float(r[1] + r[2].replace(",", "")) for r in rows), 6) == \
        float(total.group(1).replace(",", ""))


def test_resumed_run_reports_the_original_execution_time() -> None:
    data = _data()
    md = render_markdown(data, economics(data))
    assert "| Execution time (wall) | 61.5 s (resumed: this session took 0.016 s" in md
    assert "status **done** (resumed)" in md


def test_quality_maintenance_is_shown_when_measured() -> None:
    qm = {"overall": {"ratio": 0.97, "n": 12, "low": 0.9, "high": 1.02, "note": ""},
          "stages": {"audio_generation": {"ratio": 0.95, "n": 4, "low": 0.8, "high": 1.1,
                                          "note": ""}}}
    data = _data(quality_maintenance=qm)
    md = render_markdown(data, economics(data))
    assert "**97.0% (interval 90.0% to 102.0%), n = 12**" in md
    assert "| audio_generation | 95.0% (interval 80.0% to 110.0%), n = 4 |" in md


class _Page(HTMLParser):
    """The text outside <code>/<style>/<svg>, every external reference, and the chart's bars."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.refs: list[str] = []
        self.bars: list[dict[str, str]] = []
        self.labels: list[tuple[str, str]] = []
        self.tags: set[str] = set()
        self._skip = 0
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        if tag in ("code", "style", "title"):
            self._skip += 1
        for key in ("src", "href"):
            if key in a:
                self.refs.append(a[key])
        if tag == "rect" and a.get("class") == "bar":
            self.bars.append(a)
        if tag == "text" and a.get("class") == "value":
            self._label = a["data-series"]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "style", "title"):
            self._skip -= 1
        if tag == "text":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels.append((self._label, data))
        if not self._skip:
            self.text.append(data)


def _parse(html_text: str) -> _Page:
    page = _Page()
    page.feed(html_text)
    return page


def test_html_renders_markdown_and_every_bar_is_visible() -> None:
    data = _data()
    eco = economics(data)
    page = _parse(render_html(data, eco))
    text = "".join(page.text)
    assert "**" not in text and "`" not in text and "|---" not in text
    assert {"strong", "code", "table", "ul", "svg"} <= page.tags
    assert "<em>" not in text  # the topic's asterisks are text, escaped, not markup
    # self-contained: no script, nothing fetched from anywhere
    assert "script" not in page.tags and page.refs == []
    # every stage has an orchestrated bar; every stage with a baseline a traditional bar;
    # each at least MIN_BAR wide ($0 included) and with its value printed beside it
    series = [(b["data-series"], int(b["data-value"]), float(b["width"])) for b in page.bars]
    assert sum(1 for s, _, _ in series if s == "orchestrated") == len(eco["rows"])
    assert sum(1 for s, _, _ in series if s == "traditional") == \
        sum(1 for r in eco["rows"] if r["traditional"] is not None)
    assert all(w >= MIN_BAR for _, _, w in series)
    assert any(v == 0 for _, v, _ in series)  # the $0 bars are there
    assert len(page.labels) == 2 * len(eco["rows"])
    assert ("traditional", "no premium route") in page.labels
    assert ("orchestrated", "$0") in page.labels


def _bands(png: Path, rgb: tuple[int, int, int]) -> int:
    """How many separate horizontal bands of (about) this colour the screenshot has."""
    from PIL import Image

    with Image.open(png) as im:
        im = im.convert("RGB")
        w, h = im.size
        px = im.load()
        rows = [any(sum(abs(a - b) for a, b in zip(px[x, y], rgb)) < 30 for x in range(w))
                for y in range(h)]
    return sum(1 for y in range(1, h) if rows[y] and not rows[y - 1])


@pytest.mark.skipif(__import__("shutil").which("chromium") is None,
                    reason="chromium not installed (apt-get install -y chromium)")
def test_screenshot_in_headless_chromium_shows_every_bar(tmp_path: Path) -> None:
    data = _data()
    report = tmp_path / "report.html"
    report.write_text(render_html(data, economics(data)), encoding="utf-8")
    png = tmp_path / "report.png"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshot_report.py"), str(report),
                    str(png), "--height", "900"], check=True, timeout=180)
    # the legend's swatch plus one bar per stage, in each series' colour
    assert _bands(png, (0x2F, 0x7D, 0x6D)) == 1 + 5
    assert _bands(png, (0x8C, 0x9B, 0xC2)) == 1 + 4
