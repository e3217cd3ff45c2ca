"""The report's cost chart as inline SVG: a linear scale with every value printed on its bar.

A log scale hides the $0 bars that are the point of the report, so the scale is linear and a
bar of $0 is drawn as a thin mark with its value beside it: every bar is visible and readable
without hovering. Written by hand (no plotting library), so the HTML stays one small file.
"""

from __future__ import annotations

import html
from typing import Any, Sequence

from ..store.ledger import format_usd

__all__ = ["cost_chart", "MIN_BAR"]

#: the width of a bar worth $0, so that it is still seen (pixels)
MIN_BAR = 3.0
_SERIES = (("traditional", "traditional (all premium)", "#8c9bc2"),
           ("orchestrated", "orchestrated", "#2f7d6d"))


def _label(micros: int | None) -> str:
    if micros is None:
        return "no premium route"
    return format_usd(micros / 1e6, 4)


def cost_chart(rows: Sequence[dict[str, Any]], *, width: int = 960) -> str:
    """Grouped horizontal bars, traditional and orchestrated, one group per stage."""
    name_w, value_w, bar_h, gap, top = 170.0, 120.0, 13.0, 10.0, 34.0
    plot_w = width - name_w - value_w
    peak = max([max(r["traditional"] or 0, r["orchestrated"]) for r in rows] + [1])
    group = 2 * bar_h + gap
    height = top + group * len(rows) + 28
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height:.0f}" viewBox="0 0 {width} {height:.0f}" '
             f'font-family="system-ui,sans-serif" font-size="12">',
             '<title>Cost per stage, USD per video (linear scale)</title>']
    x = name_w
    for key, label, color in _SERIES:
        parts.append(f'<rect x="{x:.1f}" y="8" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 16:.1f}" y="18">{label}</text>')
        x += 200
    for i, r in enumerate(rows):
        y0 = top + i * group
        parts.append(f'<text x="{name_w - 8:.1f}" y="{y0 + bar_h + 4:.1f}" '
                     f'text-anchor="end">{html.escape(str(r["stage"]))}</text>')
        for j, (key, _, color) in enumerate(_SERIES):
            value = r[key]
            y = y0 + j * bar_h
            w = 0.0 if value is None else max(MIN_BAR, plot_w * value / peak)
            if value is not None:
                parts.append(f'<rect class="bar" data-series="{key}" data-value="{value}" '
                             f'x="{name_w:.1f}" y="{y:.1f}" width="{w:.1f}" '
                             f'height="{bar_h - 2:.1f}" fill="{color}"/>')
            parts.append(f'<text class="value" data-series="{key}" x="{name_w + w + 4:.1f}" '
                         f'y="{y + bar_h - 3:.1f}" fill="#223">{_label(value)}</text>')
    axis_y = top + group * len(rows) + 4
    parts.append(f'<line x1="{name_w}" y1="{axis_y:.1f}" x2="{name_w + plot_w:.1f}" '
                 f'y2="{axis_y:.1f}" stroke="#99a"/>'
                 f'<text x="{name_w}" y="{axis_y + 16:.1f}">$0</text>'
                 f'<text x="{name_w + plot_w:.1f}" y="{axis_y + 16:.1f}" text-anchor="end">'
                 f'{_label(int(peak))} (linear scale, USD per video)</text>')
    parts.append("</svg>")
    return "".join(parts)
