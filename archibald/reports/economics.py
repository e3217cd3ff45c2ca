"""The economics report: per stage, what the premium route would have charged for the work
really done (the baseline of archibald.core.baseline) against what was really spent, and the
savings split by where they came from, with quality maintenance beside them.

Savings come in kinds a user must be able to tell apart: a *model-call* saving is the same
work done by a cheaper model (budget or agent routes); a *substitution* saving is a paid
service replaced by a program on this machine (local and memory routes); the cost of quality
assurance (judge and shadow calls) is subtracted from both. Rows are shown to the micro-dollar
and every total is the sum of the rows shown; run.json holds the exact nano-dollars.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..quality.maintenance import summarise
from ..store.ledger import format_usd
from ..store.memory import Memory

__all__ = ["economics", "render_markdown", "render_html", "write_reports", "micro", "KINDS"]

MICRO = 1000  # nano-dollars per micro-dollar

#: the kind of saving a stage makes, by the route its accepted result came from
KINDS = {"budget": "model call", "agent": "model call", "local": "substitution",
         "memory": "substitution", "premium": "premium"}
#: attempts made to check quality rather than to produce (see archibald.quality)
QA_PURPOSES = ("judge", "shadow")
NO_JUDGE = "not measured (no judge)"


def micro(nano: int) -> int:
    """Nano-dollars rounded to whole micro-dollars (half away from zero)."""
    return (abs(nano) + MICRO // 2) // MICRO * (1 if nano >= 0 else -1)


def _usd(micros: int) -> str:
    """Micro-dollars as the report says them: $12.50, $0.000021, $0 (never $12.500000)."""
    return format_usd(micros / 1e6, 6, trim=True)


def _row(name: str, s: dict[str, Any]) -> dict[str, Any]:
    qa_nano = sum(a.get("cost_nano", 0) for a in s["attempts"]
                  if a.get("purpose", "production") in QA_PURPOSES)
    base = s.get("baseline") or {}
    has_baseline = not base.get("missing") if base else s["baseline_nano"] > 0
    trad = micro(s["baseline_nano"]) if has_baseline else None
    orch, qa = micro(s["cost_nano"]), micro(qa_nano)
    kind = KINDS.get(str(s["route"]), "other") if has_baseline else "no baseline"
    # what this stage saved before quality assurance is paid for
    saved = (trad or 0) - (orch - qa)
    return {"stage": name, "phase": s["phase"], "route": s["route"], "decision": s["decision"],
            "traditional": trad, "orchestrated": orch, "qa": qa, "saved": saved, "kind": kind,
            "baseline": base, "quality": s["quality"], "seconds": s["seconds"],
            "resumed": s["resumed"], "attempts": len(s["attempts"]), "reason": s["reason"]}


def economics(data: dict[str, Any], memory: Memory | None = None,
              videos_per_month: int = 100) -> dict[str, Any]:
    """The report's numbers, from run.json's content."""
    rows = [_row(name, s) for name, s in data["stages"].items()]
    trad = sum(r["traditional"] or 0 for r in rows)
    orch = sum(r["orchestrated"] for r in rows)
    qa = sum(r["qa"] for r in rows)
    parts = {kind: sum(r["saved"] for r in rows if r["kind"] == kind)
             for kind in ("model call", "substitution", "premium", "no baseline")}
    parts["quality assurance"] = -qa
    delegated = [a for s in data["stages"].values() for a in s["attempts"]
                 if a["route"] != "premium" and a.get("purpose", "production") not in QA_PURPOSES]
    ok = sum(1 for a in delegated if a["success"])
    qualities = [r["quality"] for r in rows if r["quality"] is not None]
    execution = data.get("execution") or {}
    metrics: dict[str, Any] = {
        "cost_per_video_micro": orch,
        "execution_seconds": execution.get("seconds", data.get("wall_seconds")),
        "execution_note": _execution_note(execution),
        "stage_seconds_sum": round(sum(r["seconds"] for r in rows), 3),
        "delegation_attempts": len(delegated),
        "delegation_success_rate": ok / len(delegated) if delegated else None,
        "mean_quality": sum(qualities) / len(qualities) if qualities else None,
        "learning_improvement": None, "learning_note": "",
    }
    if memory is not None:
        earlier = [r for r in memory.finished_runs(data["channel"], data.get("pipeline", "meditation"))
                   if r["run_id"] != data["run_id"]]
        if earlier:
            mean = sum(r["cost_nano"] for r in earlier) / len(earlier)
            if mean > 0:
                metrics["learning_improvement"] = (mean - orch * MICRO) / mean
            metrics["learning_note"] = f"against the mean of {len(earlier)} earlier runs"
        else:
            metrics["learning_note"] = "first run on this channel: nothing to compare yet"
    verified, unverified = _evidence(rows, data, memory)
    n = videos_per_month
    return {"rows": rows, "verified": verified, "unverified": unverified, "traditional": trad, "orchestrated": orch, "saved": trad - orch,
            "savings_pct": 100.0 * (trad - orch) / trad if trad else 0.0,
            "parts": parts, "qa": qa,
            "quality_maintenance": _maintenance(data.get("quality_maintenance")),
            "batch_api": _batch_api(data),
            "monthly": {"videos": n, "traditional": trad * n, "orchestrated": orch * n,
                        "saved": (trad - orch) * n},
            "metrics": metrics}


def batch_api_calls(data: dict[str, Any]) -> tuple[int, int, int]:
    """Calls of a run (its run.json) answered through a provider batch API, priced at its
    batch rate with a price source that says so: (calls, cost, the same tokens' synchronous
    cost), in nano-dollars."""
    from ..providers.backends.batchapi import BATCH_PRICED
    from ..core.prices import PriceBook
    from ..core.tasks import Usage

    book = PriceBook()
    calls, cost, sync = 0, 0, 0
    for s in data["stages"].values():
        for a in s["attempts"]:
            if not str(a.get("price_source") or "").startswith(BATCH_PRICED) or not a["model"]:
                continue
            calls += 1
            cost += int(a["cost_nano"])
            sync += round(book.cost(Usage.from_dict(a.get("usage") or {}), model=a["model"])
                          * 1e9)
    return calls, cost, sync


def _batch_api(data: dict[str, Any]) -> dict[str, Any]:
    calls, cost, sync = batch_api_calls(data)
    return {"calls": calls, "cost": cost // MICRO, "synchronous": sync // MICRO,
            "saved": (sync - cost) // MICRO}


def _execution_note(execution: dict[str, Any]) -> str:
    if not execution.get("resumed"):
        return ""
    if execution.get("earlier_seconds") is None:
        return (f"resumed: {execution.get('resumed_stages', 0)} finished stage(s) re-used; the "
                f"interrupted session ended before recording its time, so this is this "
                f"session's time alone")
    return (f"resumed: this session took {execution.get('session_seconds', 0):g} s and re-used "
            f"{execution.get('resumed_stages', 0)} finished stage(s); the time shown is the "
            f"original run's plus this session's")


def _evidence(rows: list[dict[str, Any]], data: dict[str, Any],
              memory: Memory | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The savings split by what stands behind them. A stage's saving is *verified* when a
    delegated result of its task type on that route was judged against premium's answer to the
    same input (a judged pair, or a person's verdict on one; memory keeps them, and run.json
    keeps the run's own); otherwise — a substitution never compared, a cheaper model never
    shadowed — it is *unverified*, labelled with the strongest evidence it had (a judge's score
    alone, a route-blind check, nothing). A premium stage saves nothing and is never its own
    comparison."""
    from ..quality.evidence import comparisons, describe

    own = (data.get("quality_maintenance") or {}).get("stages") or {}
    saved = {"verified": 0, "unverified": 0}
    stages: dict[str, list[str]] = {"verified": [], "unverified": []}
    pairs: list[tuple[float, float]] = []
    for r in rows:
        if r["route"] == "premium" or r["kind"] not in ("model call", "substitution") \
                or r["saved"] <= 0:
            r["evidence"] = "none needed" if r["saved"] <= 0 else "unverified"
            continue
        stage = data["stages"].get(r["stage"]) or {}
        found = [] if memory is None else comparisons(
            memory, str(stage.get("task_type") or r["stage"]), None, str(r["route"]))
        usable = [(float(x["quality"]), float(x["premium_quality"])) for x in found
                  if x["quality"] is not None and x["premium_quality"] is not None]
        mine = own.get(r["stage"]) or {}
        if not usable and mine.get("n") and mine.get("ratio") is not None:
            usable = [(float(mine["ratio"]), 1.0)]  # this run's own pair (run.json)
        which = "verified" if usable else "unverified"
        saved[which] += r["saved"]
        stages[which].append(r["stage"])
        pairs += usable
        people = sum(1 for x in found if x.get("evidence") == "human")
        r["evidence"] = (f"verified ({len(usable)} judged comparisons with premium"
                         + (f", {people} by people" if people else "") + ")" if usable
                         else f"unverified (no comparison with premium yet; "
                              f"{describe(_accepted_evidence(stage))})")
    verified = {"saved": saved["verified"], "stages": stages["verified"], "n": len(pairs),
                "maintenance": summarise(pairs, "judged against premium on the same input")}
    unverified = {"saved": saved["unverified"], "stages": stages["unverified"]}
    return verified, unverified


def _accepted_evidence(stage: dict[str, Any]) -> str:
    """The evidence behind a stage's accepted result (run.json's attempts)."""
    accepted = [a for a in stage.get("attempts") or []
                if a.get("purpose", "production") == "production" and a.get("success")]
    return str(accepted[-1].get("evidence") or "") if accepted else ""


def _maintenance(raw: Any) -> dict[str, Any]:
    """The quality-maintenance figures of run.json, or the note saying they were not measured."""
    if not isinstance(raw, dict) or not isinstance(raw.get("overall"), dict):
        return {"overall": {"ratio": None, "n": 0, "low": None, "high": None,
                            "note": NO_JUDGE}, "stages": {}}
    return {"overall": raw["overall"], "stages": dict(raw.get("stages") or {})}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _qm(m: dict[str, Any]) -> str:
    """One quality-maintenance figure as text: ratio, interval and sample size, or the note."""
    if m.get("ratio") is None:
        return str(m.get("note") or NO_JUDGE)
    text = f"{_pct(m['ratio'])}"
    if m.get("low") is not None and m.get("high") is not None:
        text += f" (interval {_pct(m['low'])} to {_pct(m['high'])})"
    text += f", n = {m.get('n', 0)}"
    return text + (f"; {m['note']}" if m.get("note") else "")


def _headline(eco: dict[str, Any]) -> list[str]:
    p = eco["parts"]
    said = [f"model-call savings (same work, a cheaper model) **{_usd(p['model call'])}**",
            f"substitution savings (a paid service replaced by a program on this machine) "
            f"**{_usd(p['substitution'])}**"]
    if p["premium"]:
        said.append(f"cheaper attempts that failed before premium ran {_usd(p['premium'])}")
    if p["no baseline"]:
        said.append(f"spent on stages with no premium route {_usd(p['no baseline'])}")
    said.append(f"quality assurance (judge and shadow calls) {_usd(p['quality assurance'])}")
    qm = eco["quality_maintenance"]["overall"]
    v, u = eco["verified"], eco["unverified"]
    if v["n"]:
        kept = v["maintenance"]
        interval = "" if kept["low"] is None else \
            f" (95% interval {_pct(kept['low'])} to {_pct(kept['high'])})"
        verified = (f"**verified savings {_usd(v['saved'])}** ({v['n']} judged comparisons "
                    f"with premium on the same input, quality kept {_pct(kept['ratio'])}"
                    f"{interval})")
    else:
        verified = f"**verified savings {_usd(v['saved'])}** (no judged comparison yet)"
    return [f"**Saved {_usd(eco['saved'])} of {_usd(eco['traditional'])} all-premium "
            f"({eco['savings_pct']:.1f}%)**: " + "; ".join(said) + ".", "",
            f"What stands behind them: {verified}; **unverified savings {_usd(u['saved'])}** "
            f"(no comparison with premium yet"
            + (f": {', '.join(u['stages'])}" if u["stages"] else "") + ").", "",
            f"Quality maintained beside these savings: **{_qm(qm)}**.", ""]


def render_markdown(data: dict[str, Any], eco: dict[str, Any]) -> str:
    m = eco["metrics"]
    unit = data.get("unit", "video")
    what = (f"a {data['minutes']:g}-minute {unit}" if isinstance(data.get("minutes"), (int, float))
            else f"a {unit}")
    subject = data.get("topic") or ", ".join(f"{k}={v}" for k, v in
                                             (data.get("inputs") or {}).items())
    lines = [f"# Production report: {subject}", "",
             f"Run `{data['run_id']}` of the {data.get('pipeline', 'meditation')} pipeline on "
             f"channel `{data['channel']}`, {what}, "
             f"seed {data['seed']}, status **{data['status']}**"
             f"{' (resumed)' if (data.get('execution') or {}).get('resumed') else ''}.", "",
             *[f"**Note:** {n}\n" for n in data.get("notices") or []],
             *_headline(eco),
             "## Cost per stage: traditional (all premium) vs orchestrated", "",
             "The baseline rule: a stage's traditional cost is the price of the premium backend "
             "the catalog would call for it here, applied to the work the stage really did "
             "(characters voiced, seconds of music made, images made; for text the tokens of "
             "the prompt sent and of the answer accepted). A stage with no premium backend "
             "has no baseline (shown as n/a).", "",
             "| Stage | Phase | Route | Traditional | Orchestrated | Saved | Kind | Quality "
             "| Attempts |",
             "|---|---|---|---:|---:|---:|---|---:|---:|"]
    for r in eco["rows"]:
        q = "-" if r["quality"] is None else f"{r['quality']:.2f}"
        trad = "n/a" if r["traditional"] is None else _usd(r["traditional"])
        lines.append(f"| {r['stage']} | {r['phase']} | {r['route']}"
                     f"{' (resumed)' if r['resumed'] else ''} | {trad} | "
                     f"{_usd(r['orchestrated'])} | {_usd(r['saved'] - r['qa'])} | {r['kind']} "
                     f"| {q} | {r['attempts']} |")
    lines += [f"| **Total** | | | **{_usd(eco['traditional'])}** | **{_usd(eco['orchestrated'])}**"
              f" | **{_usd(eco['saved'])}** | | | |", "",
              "Orchestrated is the sum of every recorded attempt, failed ones and quality "
              "checks included.", "",
              "## How each baseline was priced", ""]
    for r in eco["rows"]:
        b = r["baseline"]
        if r["traditional"] is None:
            lines.append(f"- **{r['stage']}**: no baseline: {b.get('missing') or 'none'}")
        else:
            lines.append(f"- **{r['stage']}**: {b.get('backend') or 'premium'}, "
                         f"{b.get('basis') or 'as recorded'} → {_usd(r['traditional'])} "
                         f"(price: {b.get('source') or 'recorded with the attempt'})")
    lines += ["", "## Savings by kind", "", "| Kind | Saved |", "|---|---:|"]
    lines += [f"| {kind} | {_usd(v)} |" for kind, v in eco["parts"].items()]
    lines += [f"| **Total** | **{_usd(eco['saved'])}** |", ""]
    api = eco["batch_api"]
    if api["calls"]:
        lines += [f"Provider batch APIs (work that could wait): {api['calls']} call(s) for "
                  f"{_usd(api['cost'])} instead of {_usd(api['synchronous'])} synchronously "
                  f"(saved {_usd(api['saved'])}, inside the model-call figures above).", ""]
    stages_qm = eco["quality_maintenance"]["stages"]
    if stages_qm:
        lines += ["## Quality maintenance per stage", "", "| Stage | Quality maintained |",
                  "|---|---|"]
        lines += [f"| {name} | {_qm(v)} |" for name, v in stages_qm.items()]
        lines.append("")
    exec_note = f" ({m['execution_note']})" if m["execution_note"] else ""
    lines += [f"## Monthly projection ({eco['monthly']['videos']} {unit}s)", "",
              f"| | Per {unit} | Per month |", "|---|---:|---:|",
              f"| Traditional (all premium) | {_usd(eco['traditional'])} | "
              f"{_usd(eco['monthly']['traditional'])} |",
              f"| Orchestrated | {_usd(eco['orchestrated'])} | "
              f"{_usd(eco['monthly']['orchestrated'])} |",
              f"| Saved | {_usd(eco['saved'])} | {_usd(eco['monthly']['saved'])} |", "",
              "## Production metrics", "",
              "| Metric | Value |", "|---|---|",
              f"| Cost per {unit} | {_usd(m['cost_per_video_micro'])} |",
              f"| Execution time (wall) | {m['execution_seconds']} s{exec_note}; stages' own "
              f"time summed: {m['stage_seconds_sum']} s |",
              f"| Delegation success rate | {_pct(m['delegation_success_rate'])} of "
              f"{m['delegation_attempts']} delegated attempts |",
              f"| Quality maintenance | {_qm(eco['quality_maintenance']['overall'])} |",
              f"| Memory-learning improvement | {_pct(m['learning_improvement'])} "
              f"{m['learning_note']} |", "",
              "## Why each route", ""]
    for r in eco["rows"]:
        lines.append(f"- **{r['stage']}** → {r['route']}: {r['reason']}")
    lines.append("")
    return "\n".join(lines)


def render_html(data: dict[str, Any], eco: dict[str, Any]) -> str:
    """report.md as one self-contained HTML page, with the cost chart as inline SVG."""
    from .html import page
    from .chart import cost_chart

    return page(render_markdown(data, eco), title=f"Archibald report: {data['topic']}",
                after_heading={"## Cost per stage": cost_chart(eco["rows"])})


def write_reports(out: Path, data: dict[str, Any], memory: Memory | None = None, *,
                  videos_per_month: int = 100) -> dict[str, Any]:
    from ..store.fsio import write_file as write_atomic

    eco = economics(data, memory, videos_per_month)
    write_atomic(out / "report.md", render_markdown(data, eco))
    write_atomic(out / "report.html", render_html(data, eco))
    return eco
