"""report.md as HTML: the small part of markdown the reports write, rendered properly.

Headings, paragraphs, bullet lists, pipe tables with their alignment row, and inline ``**bold**``
and backtick ``code``. Everything is escaped before markup is added, so text from a topic or a
model can never inject HTML. The page is one file with its style inline: it opens offline.
"""

from __future__ import annotations

import html
import re
from typing import Mapping

__all__ = ["inline", "page", "to_html"]

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;"
          "color:#223;line-height:1.45}table{border-collapse:collapse;margin:1em 0}"
          "td,th{border:1px solid #ccd;padding:4px 8px}th{background:#eef1f7}"
          ".r{text-align:right}code{background:#eef1f7;padding:0 3px;border-radius:3px}"
          "svg{max-width:100%;height:auto}")


def inline(text: str) -> str:
    """One line's inline markdown as HTML: escaped, then code spans, then bold."""
    parts = _CODE.split(text)  # odd indexes are code spans: no bold inside them
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
        else:
            out.append(_BOLD.sub(r"<strong>\1</strong>", html.escape(part)))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> str:
    head, align, body = _cells(lines[0]), _cells(lines[1]) if len(lines) > 1 else [], lines[2:]
    right = [a.endswith(":") and not a.startswith(":") for a in align]

    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="r"' if i < len(right) and right[i] else ""
        return f"<{tag}{cls}>{inline(text)}</{tag}>"

    rows = ["<tr>" + "".join(cell("th", i, c) for i, c in enumerate(head)) + "</tr>"]
    rows += ["<tr>" + "".join(cell("td", i, c) for i, c in enumerate(_cells(r))) + "</tr>"
             for r in body]
    return "<table>" + "".join(rows) + "</table>"


def to_html(markdown: str, after_heading: Mapping[str, str] | None = None) -> str:
    """The body HTML of ``markdown``; ``after_heading`` puts raw HTML (a chart) right after
    the heading that starts with a given text."""
    extra = dict(after_heading or {})
    out: list[str] = []
    block: list[str] = []
    kind = ""

    def flush() -> None:
        nonlocal kind
        if kind == "table":
            out.append(_table(block))
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{inline(x[2:])}</li>" for x in block) + "</ul>")
        elif kind == "p":
            out.append(f"<p>{inline(' '.join(block))}</p>")
        block.clear()
        kind = ""

    for line in markdown.splitlines():
        want = ("table" if line.startswith("|") else "list" if line.startswith("- ")
                else "" if not line.strip() or line.startswith("#") else "p")
        if want != kind:
            flush()
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{inline(line[level:].strip())}</h{level}>")
            for prefix, raw in extra.items():
                if line.startswith(prefix):
                    out.append(raw)
            continue
        if want:
            kind = want
            block.append(line)
    flush()
    return "\n".join(out)


def page(markdown: str, *, title: str, after_heading: Mapping[str, str] | None = None) -> str:
    """A complete, self-contained HTML document for ``markdown``."""
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            f"{to_html(markdown, after_heading)}\n</body></html>\n")
