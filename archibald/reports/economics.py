"""The economics report: per-stage traditional (all premium) vs orchestrated cost, savings, a
monthly projection and the production metrics, computed from run.json (itself the ledger's
rows). Rows are shown to the micro-dollar and every total is the sum of the rows shown."""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path
from typing import Any

from ..memory import Memory

__all__ = ["economics", "render_markdown", "render_html", "write_reports", "micro"]

MICRO = 1000  # nano-dollars per micro-dollar


def micro(nano: int) -> int:
    """Nano-dollars rounded to whole micro-dollars (half away from zero)."""
    return (abs(nano) + MICRO // 2) // MICRO * (1 if nano >= 0 else -1)


def _usd(micros: int) -> str:
    return f"${micros / 1e6:,.6f}"


def economics(data: dict[str, Any], memory: Memory | None = None,
              videos_per_month: int = 100) -> dict[str, Any]:
    """The report's numbers, from run.json's content."""
    rows = []
    for name, s in data["stages"].items():
        rows.append({"stage": name, "phase": s["phase"], "route": s["route"],
                     "decision": s["decision"], "traditional": micro(s["baseline_nano"]),
                     "orchestrated": micro(s["cost_nano"]), "quality": s["quality"],
                     "seconds": s["seconds"], "resumed": s["resumed"],
                     "attempts": len(s["attempts"]), "reason": s["reason"]})
    trad = sum(r["traditional"] for r in rows)
    orch = sum(r["orchestrated"] for r in rows)
    delegated = [a for s in data["stages"].values() for a in s["attempts"]
                 if a["route"] != "premium"]
    ok = sum(1 for a in delegated if a["success"])
    qualities = [r["quality"] for r in rows if r["quality"] is not None]
    metrics: dict[str, Any] = {
        "cost_per_video_micro": orch,
        "execution_seconds": data.get("wall_seconds"),
        "stage_seconds_sum": round(sum(r["seconds"] for r in rows), 3),
        "delegation_attempts": len(delegated),
        "delegation_success_rate": ok / len(delegated) if delegated else None,
        "mean_quality": sum(qualities) / len(qualities) if qualities else None,
        "quality_maintenance": None, "quality_maintenance_note": "",
        "learning_improvement": None, "learning_note": "",
    }
    if memory is not None:
        premium_q = []
        for name in data["stages"]:
            s = memory.route_stats(data["stages"][name]["task_type"]).get("premium")
            if s is not None and s.mean_quality is not None:
                premium_q.append(s.mean_quality)
        if premium_q and qualities:
            metrics["quality_maintenance"] = metrics["mean_quality"] / (
                sum(premium_q) / len(premium_q))
        else:
            metrics["quality_maintenance_note"] = ("not measured yet: memory holds no premium "
                                                   "outcomes for these task types to compare")
        earlier = [r for r in memory.finished_runs(data["channel"], "meditation")
                   if r["run_id"] != data["run_id"]]
        if earlier:
            mean = sum(r["cost_nano"] for r in earlier) / len(earlier)
            if mean > 0:
                metrics["learning_improvement"] = (mean - orch * MICRO) / mean
            metrics["learning_note"] = f"against the mean of {len(earlier)} earlier runs"
        else:
            metrics["learning_note"] = "first run on this channel: nothing to compare yet"
    qm = (data.get("quality_maintenance") or {}).get("overall")
    if qm is not None:  # measured from judged pairs (archibald.quality.maintenance)
        metrics["quality_maintenance"] = qm["ratio"]
        metrics["quality_maintenance_note"] = qm["note"] if qm["ratio"] is None else (
            f"n = {qm['n']}" + ("" if qm["low"] is None else
                                f", 95% interval {qm['low']:.0%} to {qm['high']:.0%}"))
    n = videos_per_month
    return {"rows": rows, "traditional": trad, "orchestrated": orch, "saved": trad - orch,
            "savings_pct": 100.0 * (trad - orch) / trad if trad else 0.0,
            "monthly": {"videos": n, "traditional": trad * n, "orchestrated": orch * n,
                        "saved": (trad - orch) * n},
            "metrics": metrics}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def render_markdown(data: dict[str, Any], eco: dict[str, Any]) -> str:
    m = eco["metrics"]
    lines = [f"# Production report: {data['topic']}", "",
             f"Run `{data['run_id']}` on channel `{data['channel']}`, {data['minutes']:g} minutes, "
             f"seed {data['seed']}, status **{data['status']}**.", "",
             "## Cost per stage: traditional (all premium) vs orchestrated", "",
             "| Stage | Phase | Route | Traditional | Orchestrated | Saved | Quality | Attempts |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in eco["rows"]:
        q = "-" if r["quality"] is None else f"{r['quality']:.2f}"
        lines.append(f"| {r['stage']} | {r['phase']} | {r['route']}"
                     f"{' (resumed)' if r['resumed'] else ''} | {_usd(r['traditional'])} | "
                     f"{_usd(r['orchestrated'])} | {_usd(r['traditional'] - r['orchestrated'])} "
                     f"| {q} | {r['attempts']} |")
    lines += [f"| **Total** | | | **{_usd(eco['traditional'])}** | **{_usd(eco['orchestrated'])}**"
              f" | **{_usd(eco['saved'])}** | | |", "",
              f"Savings: **{eco['savings_pct']:.1f}%**. Traditional = what the premium route "
              f"cost or, where another route ran, its priced estimate; orchestrated = the sum of "
              f"every recorded attempt, failed ones included.", "",
              f"## Monthly projection ({eco['monthly']['videos']} videos)", "",
              "| | Per video | Per month |", "|---|---:|---:|",
              f"| Traditional (all premium) | {_usd(eco['traditional'])} | "
              f"{_usd(eco['monthly']['traditional'])} |",
              f"| Orchestrated | {_usd(eco['orchestrated'])} | "
              f"{_usd(eco['monthly']['orchestrated'])} |",
              f"| Saved | {_usd(eco['saved'])} | {_usd(eco['monthly']['saved'])} |", "",
              "## Production metrics", "",
              "| Metric | Value |", "|---|---|",
              f"| Cost per video | {_usd(m['cost_per_video_micro'])} |",
              f"| Execution time (wall) | {m['execution_seconds']} s (stages' own time summed: "
              f"{m['stage_seconds_sum']} s) |",
              f"| Delegation success rate | {_pct(m['delegation_success_rate'])} of "
              f"{m['delegation_attempts']} delegated attempts |",
              f"| Quality maintenance | {_pct(m['quality_maintenance'])} "
              f"{m['quality_maintenance_note']} |",
              f"| Memory-learning improvement | {_pct(m['learning_improvement'])} "
              f"{m['learning_note']} |", "",
              "## Why each route", ""]
    for r in eco["rows"]:
        lines.append(f"- **{r['stage']}** → {r['route']}: {r['reason']}")
    lines.append("")
    return "\n".join(lines)


def _plot(eco: dict[str, Any]) -> str:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["stage"] for r in eco["rows"]]
    trad = [r["traditional"] / 1e6 for r in eco["rows"]]
    orch = [r["orchestrated"] / 1e6 for r in eco["rows"]]
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    y = range(len(names))
    ax.barh([i + 0.2 for i in y], trad, height=0.4, label="traditional (all premium)",
            color="#9aa7c7")
    ax.barh([i - 0.2 for i in y], orch, height=0.4, label="orchestrated", color="#2f7d6d")
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_xlabel("USD per video")
    ax.set_xscale("symlog", linthresh=0.001)
    ax.legend(loc="lower right")
    ax.set_title("Cost breakdown per stage")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def render_html(data: dict[str, Any], eco: dict[str, Any]) -> str:
    md = render_markdown(data, eco)
    body = []
    table: list[str] = []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            cells = [[c.strip() for c in row.strip("|").split("|")] for row in table
                     if not set(row) <= set("|-: ")]
            head, rest = cells[0], cells[1:]
            body.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head)
                        + "</tr>" + "".join("<tr>" + "".join(
                            f"<td>{html.escape(c).replace('**', '')}</td>" for c in row)
                            + "</tr>" for row in rest) + "</table>")
            table = []
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
            if line.startswith("## Cost per stage"):
                body.append(f'<img alt="cost breakdown" src="data:image/png;base64,'
                            f'{_plot(eco)}">')
        elif line.startswith("- "):
            body.append(f"<p>{html.escape(line[2:]).replace('**', '')}</p>")
        elif line.strip():
            body.append(f"<p>{html.escape(line).replace('**', '')}</p>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#223}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccd;"
             "padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
             "img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Archibald report</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>")


def write_reports(out: Path, data: dict[str, Any], memory: Memory | None = None, *,
                  videos_per_month: int = 100) -> dict[str, Any]:
    from ..pipeline.publish import write_atomic

    eco = economics(data, memory, videos_per_month)
    write_atomic(out / "report.md", render_markdown(data, eco))
    write_atomic(out / "report.html", render_html(data, eco))
    return eco
