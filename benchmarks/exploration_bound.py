"""How many answers does learning online cost, per dataset, even with the budget price known?

Each dataset of a RouterBench-format directory is replayed on its own, in random orders, as a
Bernoulli bandit over its models with a fixed price of cost ``--lam`` (quality per dollar; 35 is
about the price at which GPT-4 and Yi-34B tie on Winogrande, i.e. the pacer's price at a 20-25%
budget). Arm costs are taken as known; only qualities are learned, from a flat prior. Regret is
the sum over queries of (best arm's ``q - lam * c``) minus (picked arm's), in answers.

Policies: Thompson sampling with the posterior s.d. scaled (``BanditRouter`` uses 0.6), UCB,
and Thompson sampling told in advance which ``n`` arms are the best (an oracle hint: the regret
left when only the top few candidates must be told apart).

    .venv/bin/python benchmarks/exploration_bound.py ../shared/data/routerbench [--reps 40]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from archibald.learning import replay

Pick = Callable[[np.ndarray, np.ndarray, np.ndarray, np.random.Generator], int]


def thompson(scale: float, keep: np.ndarray | None = None) -> Pick:
    def pick(a: np.ndarray, b: np.ndarray, value_cost: np.ndarray,
             rng: np.random.Generator) -> int:
        mu = a / (a + b)
        var = np.clip(mu * (1 - mu) / (a + b + 1) * scale**2, 1e-9, mu * (1 - mu) * 0.999)
        kappa = mu * (1 - mu) / var - 1
        v = rng.beta(mu * kappa, (1 - mu) * kappa) - value_cost
        if keep is not None:
            v = np.where(keep, v, -np.inf)
        return int(np.argmax(v))
    return pick


def ucb(c: float) -> Pick:
    def pick(a: np.ndarray, b: np.ndarray, value_cost: np.ndarray,
             rng: np.random.Generator) -> int:
        mu = a / (a + b)
        return int(np.argmax(mu + c * np.sqrt(mu * (1 - mu) / (a + b + 1)) - value_cost))
    return pick


def regret(scores: np.ndarray, cost: np.ndarray, lam: float, make: Callable[[np.ndarray], Pick],
           reps: int, seed: int) -> tuple[float, float]:
    value = scores.mean(axis=0) - lam * cost
    out = []
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep])
        a, b = np.ones(scores.shape[1]), np.ones(scores.shape[1])
        policy, lost = make(value), 0.0
        for i in rng.permutation(len(scores)):
            m = policy(a, b, lam * cost, rng)
            a[m] += scores[i, m]
            b[m] += 1 - scores[i, m]
            lost += value.max() - value[m]
        out.append(lost)
    return float(np.mean(out)), float(np.std(out) / np.sqrt(reps))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("directory", nargs="?", default="../shared/data/routerbench")
    ap.add_argument("--lam", type=float, default=35.0)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data = replay.load(args.directory)
    ref = data.reference()
    ref_q = data.scores[np.arange(len(ref)), ref].sum()

    def top(n: int) -> Callable[[np.ndarray], Pick]:
        return lambda value: thompson(0.6, keep=np.isin(np.arange(len(value)),
                                                        np.argsort(-value)[:n]))

    def fixed(pick: Pick) -> Callable[[np.ndarray], Pick]:
        return lambda _value: pick

    policies = [(f"Thompson, s.d. x {s}", fixed(thompson(s))) for s in (1.0, 0.6, 0.4)]
    policies += [(f"UCB, c = {c}", fixed(ucb(c))) for c in (1.0, 2.0)]
    policies += [(f"Thompson x 0.6, told the top {n}", top(n)) for n in (5, 3, 2)]
    print(f"regret in answers (mean ± s.e. over {args.reps} orders), price {args.lam:g}/$; "
          f"total as % of the premium's {ref_q:.0f} correct answers")
    print(f"{'policy':34s} " + " ".join(f"{d[:13]:>13s}" for d in data.datasets) + "   total")
    for name, make in policies:
        cells, total = [], 0.0
        for d in range(len(data.datasets)):
            r = (data.dataset == d) & data.available.all(axis=1)
            cols = data.available[r].all(axis=0)
            mean, se = regret(data.scores[r][:, cols], data.costs[r][:, cols].mean(axis=0),
                              args.lam, make, args.reps, args.seed + d)
            cells.append(f"{mean:6.1f} ± {se:3.1f}")
            total += mean
        print(f"{name:34s} " + " ".join(f"{c:>13s}" for c in cells)
              + f"   {total:5.1f} ({100 * total / ref_q:.1f}%)")


if __name__ == "__main__":
    main()
