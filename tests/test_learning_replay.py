"""The replay benchmark on small synthetic CSVs in the RouterBench format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from archibald.cli import app
from archibald.errors import InputError
from archibald.learning import replay
from archibald.learning.features import hashed_tfidf, lexical, query_text

MODELS = {"big/premium": (0.9, 0.01), "mid": (0.8, 0.002), "small": (0.5, 0.0005)}


def _write(path: Path, name: str | None, rows: int, seed: int, *, missing: int = 0,
           models: dict[str, tuple[float, float]] = MODELS) -> None:
    rng = np.random.default_rng(seed)
    header = ["", "sample_id", "prompt"] + (["eval_name"] if name else [])
    header += list(models) + [f"{m}|model_response" for m in models]
    header += [f"{m}|total_cost" for m in models] + ["oracle_model_to_route_to"]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(rows):
            kind = "def f(x): return x" if i % 2 else "Which is larger?\nA) 1\nB) 2\nAnswer:"
            row = [str(i), f"s.{i}", str([f"Example.\n\n{kind} {i}"])] + ([name] if name else [])
            scores = [str(float(rng.random() < q)) for q, _ in models.values()]
            costs = [f"{c * (1 + 0.1 * rng.random()):.6f}" for _, c in models.values()]
            if i < missing:  # blank one score or one cost
                (scores if i % 2 else costs)[i % len(models)] = ""
            row += scores + ["answer"] * len(models) + costs + ["x"]
            w.writerow(row)


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    _write(tmp_path / "alpha.csv", "alpha-eval", 60, 1, missing=3)
    _write(tmp_path / "beta_test.csv", None, 40, 2, missing=2)
    return tmp_path


def test_load_detects_models_datasets_and_counts_missing_rows(bench: Path) -> None:
    data = replay.load(bench)
    assert data.models == list(MODELS)
    assert data.datasets == ["alpha-eval", "beta_test"]  # eval_name, else the file name
    assert data.skipped == 5 and data.skipped_by_file == {"alpha.csv": 3, "beta_test.csv": 2}
    assert len(data.prompts) == 95
    assert not np.isnan(data.scores).any()
    # no premium-named model: the reference is each file's dearest model
    assert set(data.reference()) == {0}


def test_oracle_bounds_every_policy_and_always_matches_the_column(bench: Path) -> None:
    data = replay.load(bench)
    result = replay.run(data, orders=2, seed=3)
    by_name = {p.name: p for p in result.policies}
    oracle = by_name["oracle (cheapest best per query)"]
    assert all(oracle.mean_quality >= p.mean_quality - 1e-12 for p in result.policies)
    always = by_name["always premium"]
    assert always.mean_quality == pytest.approx(data.scores[:, 0].mean())
    assert always.total_cost == pytest.approx(data.costs[:, 0].sum())
    assert always.pct_quality == pytest.approx(100) and always.pct_cost == pytest.approx(100)
    assert {"random", "kNN router (online)", "ours: Thompson sampling + pacing"} <= set(by_name)
    assert all(len(p.per_order) == 2 for p in result.policies if p.name in
               ("random", "ours: Thompson sampling + pacing"))


def test_files_with_different_models_use_their_own_premium(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "a", 30, 4)
    _write(tmp_path / "b.csv", "b", 30, 5, models={"gpt-4-1106-preview": (0.9, 0.004),
                                                   "cheap": (0.7, 0.001)})
    data = replay.load(tmp_path)
    assert len(data.models) == 5
    ref = data.reference()
    assert data.models[ref[data.dataset == 1][0]] == "gpt-4-1106-preview"
    result = replay.run(data, orders=1, seed=0)
    picks_ok = [p for p in result.policies if p.name.startswith("ours")]
    assert picks_ok and 0 < picks_ok[0].mean_quality <= 1


def test_unusable_input_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        replay.load(tmp_path)
    (tmp_path / "x.csv").write_text("prompt,a\nhi,1\n")
    with pytest.raises(InputError, match="no model columns"):
        replay.load(tmp_path)


def test_cli_prints_the_table_and_json(bench: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["bench", "replay", str(bench), "--orders", "1"])
    assert out.exit_code == 0, out.output
    assert "5 rows skipped" in out.output and "oracle" in out.output
    out = runner.invoke(app, ["bench", "replay", str(bench), "--orders", "1", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["skipped"] == 5 and data["queries"] == 95
    assert {p["name"] for p in data["policies"]} >= {"always premium", "random"}


def test_features_describe_the_query_not_the_few_shot_prefix() -> None:
    prompt = str(["Q: 1+1?\nAnswer: 2\n\nWrite a python function to add.\ndef add(a, b):"])
    assert query_text(prompt).startswith("Write a python function")
    f = lexical(prompt)
    assert f[2] >= 2  # code markers
    x = hashed_tfidf([prompt, prompt, "something else entirely"])
    assert x[0] @ x[1] == pytest.approx(1.0) and x[0] @ x[2] < 0.5


def test_cli_default_budget_matches_the_policies() -> None:
    from archibald.cli.learning import DEFAULT_COST_SHARE
    from archibald.learning.policies import COST_SHARE

    assert DEFAULT_COST_SHARE == COST_SHARE
