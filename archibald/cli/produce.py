"""CLI commands: `archibald run PIPELINE` (any pipeline) and `archibald produce` (the
meditation pipeline's shortcut)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

from ..store.ledger import format_usd
from . import app
from .common import ConfigOption, check_channel, open_pipeline, open_settings


@app.command()
def produce(topic: str = typer.Option(..., "--topic", help="What the meditation is about."),
            minutes: float = typer.Option(10.0, "--minutes", help="Target length in minutes."),
            channel: str = typer.Option("default", "--channel", help="Channel (brand)."),
            out: Path = typer.Option(Path("out"), "--out", help="Folder for the results."),
            seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1,
                                    help="Same topic + seed, same script."),
            sequential: bool = typer.Option(False, "--sequential",
                                            help="Run stages one at a time (benchmarks)."),
            videos_per_month: int = typer.Option(100, "--videos-per-month",
                                                 help="For the report's monthly projection."),
            config: Optional[str] = ConfigOption) -> None:
    """Make a guided-meditation video: script, voice, music, art, MP4, thumbnail, report."""
    from ..pipeline.produce import ProduceRequest
    from ..pipeline.produce import produce as run
    from ..pipeline.progress import progress_display

    settings = open_settings(config)
    check_channel(settings, channel)
    req = ProduceRequest(topic=topic, minutes=minutes, channel=channel, out=out, seed=seed,
                         sequential=sequential, videos_per_month=videos_per_month)
    with progress_display(sys.stdout) as progress:
        data = run(req, settings, progress=progress)
    _summary(data, out)


def _summary(data: dict[str, Any], out: Path) -> None:
    t = data["totals"]
    typer.echo(f"done in {data['wall_seconds']:.1f} s: cost {format_usd(t['cost_usd'], 4)} vs "
               f"all-premium {format_usd(t['baseline_usd'], 4)} ({t['savings_pct']:.1f}% saved)")
    for name in (*data.get("files", {}), "run.json", "report.md", "report.html"):
        typer.echo(f"  {out / name}")


@app.command("run")
def run_command(
        pipeline: Optional[str] = typer.Argument(
            None, help="A pipeline file (.toml) or a shipped pipeline: meditation, podcast, "
                       "short (default: the channel's [channels.NAME] pipeline)."),
        set_: List[str] = typer.Option([], "--set", help="An input: NAME=VALUE (repeat)."),
        channel: str = typer.Option("default", "--channel", help="Channel (brand)."),
        out: Path = typer.Option(Path("out"), "--out", help="Folder for the results."),
        seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1,
                                help="Same inputs + seed, same result."),
        sequential: bool = typer.Option(False, "--sequential",
                                        help="Run stages one at a time (benchmarks)."),
        per_month: int = typer.Option(100, "--per-month",
                                      help="Runs a month, for the report's projection."),
        config: Optional[str] = ConfigOption) -> None:
    """Run any pipeline: its stages routed, resumable, budgeted, with run.json and a report."""
    from ..errors import InputError
    from ..pipeline.progress import progress_display
    from ..pipeline.run import RunRequest, run_pipeline
    from ..pipeline.spec import parse_set

    base = open_settings(config)
    check_channel(base, channel)
    if pipeline is None:
        default = base.channel(channel).pipeline
        if default is None:
            raise InputError(f"name a pipeline (a .toml file, or meditation, podcast, short), "
                             f"or give channel {channel!r} one: [channels.{channel}] pipeline")
        pipeline = default
    spec = open_pipeline(pipeline)
    inputs = spec.run_inputs(parse_set(set_))
    # the settings are read once; again only for a file of the user's that declares task
    # types (they go under the user's archibald.toml, so a partial override there applies)
    from ..pipelines import shipped_pipelines

    shipped = spec.path is not None and spec.path in shipped_pipelines().values()
    settings = base if shipped or not spec.task_types else open_settings(config, spec)
    req = RunRequest(pipeline=spec, inputs=inputs, channel=channel, out=out, seed=seed,
                     sequential=sequential, runs_per_month=per_month)
    with progress_display(sys.stdout) as progress:
        data = run_pipeline(req, settings, progress=progress)
    _summary(data, out)


@app.command("pipelines")
def pipelines_command(
        pipeline: Optional[str] = typer.Argument(
            None, help="A pipeline file or a shipped pipeline, to show its inputs and stages."),
        as_json: bool = typer.Option(False, "--json")) -> None:
    """The shipped pipelines, or one pipeline's inputs (what --set takes) and stages."""
    from ..pipeline.spec import load_pipeline
    from ..pipelines import shipped_pipelines
    from .common import print_json

    names = [pipeline] if pipeline else list(shipped_pipelines())
    shown: list[dict[str, Any]] = []
    for name in names:
        spec = load_pipeline(name)
        shown.append({
            "name": spec.name, "description": spec.description, "unit": spec.unit,
            "file": str(spec.path),
            "inputs": {n: {"type": i.type, "required": i.required, "default": i.default,
                           "help": i.help, "min": i.min, "max": i.max}
                       for n, i in spec.inputs.items()},
            "stages": [{"name": s.name, "task_type": s.task_type, "needs": list(s.needs),
                        "outputs": list(s.outputs)} for s in spec.stages]})
    if as_json:
        print_json(shown if pipeline is None else shown[0])
        return
    for p in shown:
        typer.echo(f"{p['name']}: {p['description']} (one run: one {p['unit']})")
        for n, i in p["inputs"].items():
            what = "required" if i["required"] else f"default {i['default']!r}"
            bounds = f", {i['min']:g} to {i['max']:g}" if i["min"] is not None \
                and i["max"] is not None else ""
            typer.echo(f"  --set {n}=<{i['type']}>  {i['help'] or ''} ({what}{bounds})")
        if pipeline is not None:
            for s in p["stages"]:
                after = f" after {', '.join(s['needs'])}" if s["needs"] else ""
                out = f" -> {', '.join(s['outputs'])}" if s["outputs"] else ""
                typer.echo(f"  stage {s['name']} ({s['task_type']}){after}{out}")
