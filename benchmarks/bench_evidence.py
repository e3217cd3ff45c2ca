"""Every dollar saved backed by evidence (issue 23): what the router learns, which savings are
verified, and the quality kept, on six topics no test uses, with stub keys whose answers differ
in quality.

The providers are the test suite's stub servers on 127.0.0.1 (nothing leaves the machine, no
key is real): Anthropic answers every topic cleanly (premium); DeepSeek (budget) truncates its
answers on two topics and repeats itself on a third; fal (premium pictures) paints blue, the
local art red; the judge (an OpenAI stub standing for gpt-4o-mini, text and vision) reads the
work and never who made it — a truncated text, a repeated one or a template scores low, a red
picture lower than a blue one. A Python pipeline (notes, script, summary, art) runs first once
offline per topic (templates, route-blind checks only), then ``--rounds`` keyed rounds over the
six topics, each run in its own folder, with ``[quality] shadow_share`` of the delegated text and
pictures also run on premium and judged pairwise, and ``[router] explore_share`` trying other
routes.

Printed: the route each stage takes after learning and the evidence behind it; the verified and
unverified savings of the last round's reports (with the comparisons behind the verified ones);
quality maintenance per task type and route with its 95% interval; the judge's and shadow's cost.

    .venv/bin/python benchmarks/bench_evidence.py                    # 3 keyed rounds, seed 1
    .venv/bin/python benchmarks/bench_evidence.py --rounds 4 --seed 2 --json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

#: six unrelated topics no test uses
TOPICS = ("Tide pools of the Pacific Northwest at low tide",
          "Restoring a 1970s analogue synthesizer",
          "Keeping bees on an apartment balcony",
          "The history of the humble paperclip",
          "Photographing fireflies on a summer night",
          "Knitting socks for marathon runners")
#: how the budget model fails on some topics
FLAWS = {TOPICS[1]: "truncate", TOPICS[3]: "repeat", TOPICS[4]: "truncate"}
STAGES = ("bench_notes", "bench_script", "bench_summary", "image_generation")


def _clean(kind: str, topic: str) -> str:
    lines = {
        "notes": [f"{topic}: who it is for, and why it matters now.",
                  f"Three facts a newcomer to {topic.lower()} should know first.",
                  "One common mistake, and how to avoid it."],
        "script": [f"Welcome. Today we look at {topic.lower()}.",
                   "We begin with the basics, then take one careful step at a time.",
                   "By the end you will know what to try first, and what to leave alone.",
                   "Thank you for watching."],
        "summary": [f"A short guide to {topic.lower()}: the basics, one mistake to avoid, "
                    f"and a first step to try."]}[kind]
    return "\n".join(lines)


def _kind(prompt: str) -> str:
    return "script" if "Write the script" in prompt else "summary" \
        if "Summarise" in prompt else "notes"


def _topic(prompt: str) -> str:
    m = re.search(r"Topic: (.+)", prompt)
    return m.group(1).strip() if m else ""


def _prompt(body: Any) -> str:
    msgs = body.get("messages") or []
    content = msgs[-1]["content"] if msgs else ""
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def premium_reply(body: Any) -> str:
    prompt = _prompt(body)
    return _clean(_kind(prompt), _topic(prompt))


def budget_reply(body: Any) -> str:
    prompt = _prompt(body)
    topic, text = _topic(prompt), _clean(_kind(prompt), _topic(prompt))
    flaw = FLAWS.get(topic)
    if flaw == "truncate":
        return text[: int(len(text) * 0.55)].rstrip(" .")  # cut off mid-sentence
    if flaw == "repeat":
        return "\n".join([text, text, text])
    return text


def text_score(text: str) -> float:
    """What the stub judge gives a text: it reads the work, never who made it."""
    body = text.strip()
    lines = [x.strip() for x in body.splitlines() if x.strip()]
    if "TODO" in body or "[template]" in body:
        return 0.2
    if len(lines) != len(set(lines)):
        return 0.45
    if not body.endswith((".", "!", "?")):
        return 0.35
    return 0.9


def _colour_score(url: str) -> float:
    from PIL import Image

    data = base64.b64decode(url.split(",", 1)[1])
    r, _, b = Image.open(io.BytesIO(data)).convert("RGB").resize((4, 4)).getpixel((2, 2))
    return 0.6 if r > b else 0.9


def judge_reply(body: Any) -> str:
    parts = (body.get("messages") or [{}])[-1].get("content")
    if isinstance(parts, list) and any(p.get("type") == "image_url" for p in parts):
        urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        if len(urls) == 4:
            return json.dumps({"a": _colour_score(urls[0]), "b": _colour_score(urls[2]),
                               "reasons": ["compared the pictures"]})
        return json.dumps({"score": _colour_score(urls[0]), "reasons": ["looked"]})
    prompt = _prompt(body)
    works = re.findall(r"<<<\n(.*?)\n>>>", prompt, re.S)
    if "Version A:" in prompt and len(works) >= 2:
        return json.dumps({"a": text_score(works[0]), "b": text_score(works[1]),
                           "reasons": ["compared"]})
    return json.dumps({"score": text_score(works[0] if works else ""), "reasons": ["read"]})


def pipeline() -> Any:
    import archibald

    p = archibald.define_pipeline("bench_explainer", unit="video")
    p.input("topic", required=True)
    usage = {"input_tokens": 400, "output_tokens": 300}
    p.task_type("bench_notes", phase="research", complexity=6, creativity_required=False,
                execution_focused=False, routes=["premium", "budget", "local"],
                premium_usage=usage)
    p.task_type("bench_script", phase="writing", complexity=8, creativity_required=True,
                execution_focused=False, routes=["premium", "budget", "local"],
                premium_usage={"input_tokens": 800, "output_tokens": 1200})
    p.task_type("bench_summary", phase="writing", complexity=3, creativity_required=False,
                execution_focused=True, routes=["premium", "budget", "local"],
                premium_usage=usage)
    for t, what in (("bench_notes", "research notes for an explainer video"),
                    ("bench_script", "the script of an explainer video"),
                    ("bench_summary", "a one-paragraph summary of a video")):
        p.rubric(t, what, ["complete sentences, nothing cut off", "no repetition",
                           "specific to the topic"])

    @p.stage(name="notes", task_type="bench_notes", inputs={"topic": "{topic}"},
             prompt="Write research notes.\nTopic: {topic}", outputs={"notes.md": "text"})
    async def notes(task: Any, context: Any) -> dict[str, Any]:
        return {"text": f"TODO notes about {task.inputs['topic']}"}

    @p.stage(name="script", task_type="bench_script", needs=["notes"],
             inputs={"topic": "{topic}"}, prompt="Write the script.\nTopic: {topic}",
             outputs={"script.md": "text"})
    async def script(task: Any, context: Any) -> dict[str, Any]:
        return {"text": f"[template] A script about {task.inputs['topic']}."}

    @p.stage(name="summary", task_type="bench_summary", needs=["script"],
             inputs={"topic": "{topic}"}, prompt="Summarise the video.\nTopic: {topic}",
             outputs={"summary.md": "text"})
    async def summary(task: Any, context: Any) -> dict[str, Any]:
        return {"text": f"TODO summary of {task.inputs['topic']}"}

    @p.stage(name="art", task_type="image_generation",
             inputs={"prompt": "a calm picture of {topic}", "topic": "{topic}",
                     "width": 1280, "height": 720})
    async def art(task: Any, context: Any) -> dict[str, Any]:
        from PIL import Image

        path = context.workdir / "art.png"
        Image.new("RGB", (1280, 720), (190, 60, 50)).save(path)
        return {"path": str(path), "width": 1280, "height": 720}

    return p


def _settings(servers: dict[str, Any] | None, shadow: float, explore: float,
              spec: Any, strategy: str = "matrix") -> Any:
    from archibald.config import load_settings

    over: dict[str, Any] = {"quality": {"judge_model": "openai/gpt-4o-mini",
                                        "vision_judge_model": "openai/gpt-4o-mini",
                                        "shadow_share": shadow},
                            "router": {"explore_share": explore, "strategy": strategy},
                            "budgets": {"per_run_usd": 50.0, "per_month_usd": 5000.0}}
    if servers:
        over["providers"] = {
            "anthropic": {"api_key": "sk-ant-stub-key", "base_url": servers["premium"].base_url},
            "deepseek": {"api_key": "sk-deepseek", "base_url": servers["budget"].base_url},
            "openai": {"api_key": "sk-judge", "base_url": servers["judge"].base_url + "/v1"},
            "fal": {"api_key": "fal-stub-key", "base_url": servers["fal"].base_url}}
    base = load_settings(overrides=over)
    return base.with_task_types(spec.task_types)


def _servers() -> dict[str, Any]:
    from PIL import Image
    from stubs.anthropic import AnthropicStub
    from stubs.fal import FalStub
    from stubs.openai_compat import OpenAIStub

    premium, budget = AnthropicStub(), OpenAIStub("sk-deepseek", thinks_by_default=True)
    judge, fal = OpenAIStub("sk-judge"), FalStub("fal-stub-key")
    premium.reply_text, budget.reply_text, judge.reply_text = (premium_reply, budget_reply,
                                                               judge_reply)
    premium.usage = {"input_tokens": 500, "output_tokens": 250}
    budget.usage = {"prompt_tokens": 500, "completion_tokens": 250, "total_tokens": 750}
    judge.usage = {"prompt_tokens": 700, "completion_tokens": 60, "total_tokens": 760}
    buf = io.BytesIO()
    Image.new("RGB", (1280, 720), (40, 70, 190)).save(buf, "PNG")
    fal.file_bytes["png"] = buf.getvalue()
    for s in (premium, budget, judge, fal):
        s.start()
    return {"premium": premium, "budget": budget, "judge": judge, "fal": fal}


async def _run_all(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    import archibald
    from archibald.reports.economics import economics
    from archibald.store.memory import Memory

    memory = Memory(f"sqlite:///{home / 'bench.db'}")
    from archibald.config import load_settings

    spec = pipeline().build(list(load_settings().profiles))
    offline = archibald.open_router(_settings(None, args.shadow, 0.0, spec), memory=memory)
    for i, topic in enumerate(TOPICS):  # the offline runs: templates, checked only
        await archibald.run_async(spec, {"topic": topic}, out=str(home / f"offline-{i}"),
                                  settings=offline.settings, router=offline)
    servers = _servers()
    try:
        settings = _settings(servers, args.shadow, args.explore, spec, args.strategy)
        router = archibald.open_router(settings, memory=memory)
        router.rng = random.Random(args.seed)
        last: list[dict[str, Any]] = []
        per_round = []
        for r in range(args.rounds):
            last = []
            for i, topic in enumerate(TOPICS):
                data = await archibald.run_async(spec, {"topic": topic},
                                                 out=str(home / f"r{r}-{i}"),
                                                 settings=settings, router=router)
                last.append(data)
            # each round's reports as they were written (run.json's own comparisons), and as
            # the record stands once the round is over
            ecos = [economics(d, memory) for d in last]
            per_round.append({"verified_usd": round(sum(e["verified"]["saved"]
                                                        for e in ecos) / 1e6, 6),
                              "unverified_usd": round(sum(e["unverified"]["saved"]
                                                          for e in ecos) / 1e6, 6),
                              "comparisons": sum(m["n"] for m in memory.maintenance().values())})
        calm = archibald.open_router(_settings(servers, args.shadow, 0.0, spec, args.strategy),
                                     memory=memory)
        calm.rng = random.Random(args.seed)
        choices = {}
        for t in STAGES:
            picks = [calm.decide(archibald.Task(t, {"prompt": "x", "topic": TOPICS[0]}))
                     for _ in range(20 if args.strategy == "bandit" else 1)]
            d = picks[-1]
            choices[t] = {"route": d.route, "learned": bool(d.learned),
                          "evidence_used": (d.learned or {}).get("evidence_used"),
                          "picks": {r: sum(p.route == r for p in picks)
                                    for r in sorted({p.route for p in picks})},
                          "why": d.reason[:220]}
        taken: dict[str, dict[str, int]] = {}
        for data in last:
            for name, st in data["stages"].items():
                taken.setdefault(name, {})
                taken[name][st["route"]] = taken[name].get(st["route"], 0) + 1
        split = {"verified_usd": 0.0, "unverified_usd": 0.0, "qa_usd": 0.0,
                 "verified_stages": set(), "unverified_stages": set()}
        for data in last:
            eco = economics(data, memory)
            split["verified_usd"] += eco["verified"]["saved"] / 1e6
            split["unverified_usd"] += eco["unverified"]["saved"] / 1e6
            split["qa_usd"] += eco["qa"] / 1e6
            split["verified_stages"] |= set(eco["verified"]["stages"])
            split["unverified_stages"] |= set(eco["unverified"]["stages"])
        maintenance = memory.maintenance()
        spent = memory.summary()
        return {"rounds": args.rounds, "seed": args.seed, "strategy": args.strategy,
                "choices": choices, "taken_last_round": taken, "per_round": per_round,
                "last_round": {k: sorted(v) if isinstance(v, set) else round(v, 6)
                               for k, v in split.items()},
                "maintenance": maintenance, "qa_cost_usd": round(spent["qa_cost_usd"], 6),
                "cost_usd": round(spent["cost_usd"], 6),
                "judge_calls": sum(1 for r in servers["judge"].requests
                                   if r.path.endswith("completions"))}
    finally:
        for s in servers.values():
            s.stop()
        memory.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="keyed rounds over the six topics")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shadow", type=float, default=0.5, help="[quality] shadow_share")
    ap.add_argument("--explore", type=float, default=0.25, help="[router] explore_share")
    ap.add_argument("--strategy", choices=("matrix", "bandit"), default="matrix",
                    help="[router] strategy")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "DEEPSEEK_API_KEY", "FAL_KEY",
                "ARCHIBALD_CONFIG", "ARCHIBALD_DB"):
        os.environ.pop(var, None)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ARCHIBALD_HOME"] = tmp
        out = asyncio.run(_run_all(args, Path(tmp)))
    out["seconds"] = round(time.perf_counter() - start, 1)
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{len(TOPICS)} topics, 1 offline round then {args.rounds} keyed rounds, seed "
          f"{args.seed}, shadow {args.shadow:.0%}, explore {args.explore:.0%} "
          f"({out['seconds']} s)")
    print(f"routes after learning ({args.strategy}"
          + (", 20 decisions each" if args.strategy == "bandit" else "") + "):")
    for t, c in out["choices"].items():
        used = f", evidence {c['evidence_used']}" if c["evidence_used"] else ""
        picks = f" {c['picks']}" if args.strategy == "bandit" else ""
        print(f"  {t:<18} {c['route']:<8}{picks} learned={c['learned']}{used}")
    print("routes taken in the last round: " + "; ".join(
        f"{k} {v}" for k, v in out["taken_last_round"].items()))
    s = out["last_round"]
    print(f"last round ({len(TOPICS)} videos): verified savings ${s['verified_usd']:.6f} "
          f"({', '.join(s['verified_stages']) or 'none'}); unverified ${s['unverified_usd']:.6f}"
          f" ({', '.join(s['unverified_stages']) or 'none'}); quality assurance "
          f"${s['qa_usd']:.6f}")
    print("savings of each keyed round's six reports (verified / unverified, comparisons on "
          "record after it): " + "; ".join(
              f"round {i + 1} ${r['verified_usd']:.4f} / ${r['unverified_usd']:.4f} "
              f"({r['comparisons']})" for i, r in enumerate(out["per_round"])))
    print("quality maintenance (comparisons with premium on the same input):")
    for key, m in out["maintenance"].items():
        interval = "" if m["low"] is None else f", 95% interval {m['low']:.1%} to {m['high']:.1%}"
        print(f"  {key:<28} {m['ratio']:.1%} (n = {m['n']}{interval})")
    print(f"spent ${out['cost_usd']:.6f}, of which judge and shadow ${out['qa_cost_usd']:.6f} "
          f"({out['judge_calls']} judge calls)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
