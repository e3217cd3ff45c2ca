"""RouterBench-format data for replay: real per-query outcomes of several models.

Input: CSV files in the RouterBench format — one row per query, a ``prompt`` column, one score
column per model and a ``<model>|total_cost`` column per model (a column ``X`` is a model when
``X|total_cost`` exists too). The dataset (the task context) is the row's ``eval_name`` or the
file's name. Rows with an empty or unparsable score or cost for any of the file's models are
skipped and counted, never read as zero. The policies (:mod:`.policies`) and the replay
(:mod:`.replay`) both read it; it reads neither.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["ReplayData", "load", "REFERENCE_MODEL", "COST_SUFFIX"]

#: the premium model every figure is a percentage of; when a file lacks it, its dearest model
REFERENCE_MODEL = "gpt-4-1106-preview"
COST_SUFFIX = "|total_cost"


@dataclass
class ReplayData:
    """Every clean query of every file: scores and costs per model, dataset, prompt."""

    models: list[str]
    datasets: list[str]
    scores: np.ndarray  # (queries, models); NaN where the model is not in the query's file
    costs: np.ndarray  # (queries, models); NaN likewise
    dataset: np.ndarray  # (queries,) index into ``datasets``
    prompts: list[str]
    skipped: int = 0
    skipped_by_file: dict[str, int] = field(default_factory=dict)

    @property
    def available(self) -> np.ndarray:
        return np.asarray(~np.isnan(self.scores))

    def reference(self) -> np.ndarray:
        """Per query, the index of its dataset's reference (premium) model."""
        ref = np.empty(len(self.prompts), dtype=int)
        for d in range(len(self.datasets)):
            rows = self.dataset == d
            avail = self.available[rows].all(axis=0)
            if REFERENCE_MODEL in self.models and avail[self.models.index(REFERENCE_MODEL)]:
                ref[rows] = self.models.index(REFERENCE_MODEL)
            else:
                total = np.nansum(self.costs[rows], axis=0)
                mean_cost = np.where(avail, total / max(1, int(rows.sum())), -np.inf)
                ref[rows] = int(np.argmax(mean_cost))
        return ref


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def load(directory: str | Path) -> ReplayData:
    """Read every ``*.csv`` in ``directory`` (sorted by name)."""
    root = Path(directory)
    files = sorted(root.glob("*.csv")) if root.is_dir() else [root]
    if not files or not all(f.is_file() for f in files):
        raise InputError(f"{root}: no CSV files found; give a directory of RouterBench-format CSVs")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    models: list[str] = []
    datasets: list[str] = []
    rows_s: list[dict[str, float]] = []
    rows_c: list[dict[str, float]] = []
    row_ds: list[int] = []
    prompts: list[str] = []
    skipped: dict[str, int] = {}
    for f in files:
        with f.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            file_models = [h[: -len(COST_SUFFIX)] for h in header
                           if h.endswith(COST_SUFFIX) and h[: -len(COST_SUFFIX)] in header]
            if not file_models:
                raise InputError(
                    f"{f}: no model columns (need X and X{COST_SUFFIX} for each model)")
            if "prompt" not in header:
                raise InputError(f"{f}: no 'prompt' column")
            for m in file_models:
                if m not in models:
                    models.append(m)
            skipped[f.name] = 0
            for row in reader:
                s = {m: _number(row.get(m)) for m in file_models}
                c = {m: _number(row.get(m + COST_SUFFIX)) for m in file_models}
                if any(v is None for v in s.values()) or any(v is None for v in c.values()):
                    skipped[f.name] += 1
                    continue
                name = (row.get("eval_name") or "").strip() or f.stem
                if name not in datasets:
                    datasets.append(name)
                rows_s.append({m: v for m, v in s.items() if v is not None})
                rows_c.append({m: v for m, v in c.items() if v is not None})
                row_ds.append(datasets.index(name))
                prompts.append(row.get("prompt") or "")
    if not prompts:
        raise InputError(f"{root}: no complete rows (every row has a missing score or cost)")
    scores = np.full((len(prompts), len(models)), np.nan)
    costs = np.full_like(scores, np.nan)
    for i, (row_s, row_c) in enumerate(zip(rows_s, rows_c)):
        for m, v in row_s.items():
            scores[i, models.index(m)] = v
            costs[i, models.index(m)] = row_c[m]
    return ReplayData(models, datasets, scores, costs, np.array(row_ds), prompts,
                      sum(skipped.values()), skipped)
