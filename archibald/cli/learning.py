"""CLI commands: `archibald bench replay DIR` — the learning router on real model outcomes."""

from __future__ import annotations

import csv
import functools
import json
import time

import typer

from ..errors import InputError
from . import app

#: the replay's default budget; equal to ``archibald.learning.policies.COST_SHARE`` (kept here
#: so that loading the CLI does not import numpy and scipy)
DEFAULT_COST_SHARE = 0.24

bench_app = typer.Typer(help="Benchmarks on recorded data.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("replay")
def replay(
    directory: str = typer.Argument(..., metavar="DIR",
                                    help="Directory of RouterBench-format CSV files."),
    orders: int = typer.Option(5, "--orders", min=1, help="Random query orders to average."),
    seed: int = typer.Option(0, "--seed", help="Seed of the orders and of every policy."),
    cost_share: float = typer.Option(
        DEFAULT_COST_SHARE, "--cost-share", min=0.0, max=1.0,
        help="Budget of the cost-aware online routers, as a share of the premium model's cost."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Replay per-query outcomes online: each policy picks one model and sees only its result."""
    from ..learning import policies
    from ..learning import replay as rp

    started = time.perf_counter()
    try:
        data = rp.load(directory)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{directory}: not RouterBench-format CSV text ({exc}); give a "
                         f"directory of UTF-8 CSV files") from None
    online = [(name, functools.partial(factory, share=cost_share)
               if factory in (policies.KnnRouter, policies.BanditRouter) else factory)
              for name, factory in policies.ONLINE]
    result = rp.run(data, orders=orders, seed=seed, online=online)
    elapsed = time.perf_counter() - started
    if as_json:
        out = result.as_dict()
        out["cost_share"] = cost_share
        out["seconds"] = round(elapsed, 2)
        typer.echo(json.dumps(out, indent=2))
        return
    typer.echo(f"{result.queries} queries in {len(result.datasets)} datasets "
               f"({', '.join(result.datasets)}); {result.skipped} rows skipped for a missing "
               f"score or cost; {len(result.models)} models")
    typer.echo(f"premium reference: {rp.REFERENCE_MODEL} (or a file's dearest model); online "
               f"policies averaged over {orders} orders (seed {seed}); budget {cost_share:.0%}")
    typer.echo("")
    width = max(len(p.name) for p in result.policies)
    typer.echo(f"{'policy':<{width}}  {'quality':>7}  {'cost $':>8}  {'% quality':>9}  "
               f"{'% cost':>7}  {'median %q/%c':>13}")
    for p in result.policies:
        mq, mc = p.median()
        typer.echo(f"{p.name:<{width}}  {p.mean_quality:>7.3f}  {p.total_cost:>8.3f}  "
                   f"{p.pct_quality:>8.1f}%  {p.pct_cost:>6.1f}%  {mq:>6.1f}/{mc:<5.1f}")
    typer.echo(f"\n({elapsed:.1f} s)")
