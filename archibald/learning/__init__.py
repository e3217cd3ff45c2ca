"""Learning which delegations can be trusted: pure functions over stored numbers.

- :mod:`.bandit` — Thompson-sampling route choice from per-route sufficient statistics;
- :mod:`.pooling` — evidence shared across channels / task types (cold starts);
- :mod:`.stats` — A/B comparison of two routes, the exploration coin;
- :mod:`.forecast` — cost and time of the next videos, with intervals;
- :mod:`.replay`, :mod:`.policies`, :mod:`.features` — the RouterBench replay benchmark.
"""

from __future__ import annotations

from .bandit import (
    ArmPrior, ArmStats, Decision, choose, decay_factor, decayed, expected_cost, matrix_prior,
    pool, posterior, update,
)
from .forecast import Forecast, forecast
from .pooling import pooled_evidence, shared_priors
from .stats import Comparison, Difference, compare, explore

__all__ = [
    "ArmPrior", "ArmStats", "Decision", "choose", "update", "decayed", "decay_factor", "pool",
    "matrix_prior", "posterior", "expected_cost", "pooled_evidence", "shared_priors",
    "Comparison", "Difference", "compare", "explore", "Forecast", "forecast",
]
