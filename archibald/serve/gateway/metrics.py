"""Prometheus metrics of the gateway: requests, latency, tokens, cost against the all-premium
baseline, the routes taken, and what each key may still spend. One registry per app (tests
build several); ``/metrics`` serves it in Prometheus's text format.

With several workers (``archibald serve --workers N``) each is its own process: the CLI sets
``PROMETHEUS_MULTIPROC_DIR`` (a fresh folder) before they start, every worker's counters live
in files there, and ``/metrics`` on any worker sums them all (prometheus-client's multiprocess
mode; a key's budget left is read from the shared ledger at each scrape).
"""

from __future__ import annotations

import os

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["Metrics", "MULTIPROC_VAR"]

#: prometheus-client's folder for the metrics of several processes
MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"


class _BudgetLeft(Collector):
    """What each key may still spend under its tightest budget, read from the ledger when
    the metrics are scraped (not on every request: it is a sum over the key's rows)."""

    def __init__(self, left: Callable[[], dict[str, float]]) -> None:
        self.left = left

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("archibald_gateway_budget_left_usd", "What a key may still "
                                  "spend under its tightest budget", labels=["key"])
        for name, usd in sorted(self.left().items()):
            gauge.add_metric([name], usd)
        yield gauge


class Metrics:
    def __init__(self, budget_left: Callable[[], dict[str, float]] = dict) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("archibald_gateway_requests", "Requests answered, by API, "
                                "route and HTTP status", ["api", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("archibald_gateway_request_seconds", "Time to answer a "
                                 "request", ["api"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                          10, 30, 60, 120))
        self.overhead = Histogram("archibald_gateway_overhead_seconds", "The gateway's own "
                                  "time in a request: its latency less the time spent waiting "
                                  "on providers", ["api"], registry=self.registry,
                                  buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01,
                                           0.015, 0.025, 0.05, 0.1, 0.25))
        self.tokens = Counter("archibald_gateway_tokens", "Tokens billed by providers",
                              ["direction"], registry=self.registry)
        self.cost = Counter("archibald_gateway_cost_usd", "Dollars spent, from the ledger's "
                            "rows", ["key"], registry=self.registry)
        self.baseline = Counter("archibald_gateway_baseline_usd", "What the all-premium "
                                "route would have cost for the same answers", ["key"],
                                registry=self.registry)
        self.routes = Counter("archibald_gateway_routes", "Answers by the route that made "
                              "them and the task type", ["route", "task_type"],
                              registry=self.registry)
        self.feedback = Counter("archibald_gateway_feedback", "Apps' verdicts on answers, "
                                "by the route that made them", ["route", "verdict"],
                                registry=self.registry)
        self.budget = _BudgetLeft(budget_left)
        self.registry.register(self.budget)
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def of(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, kept: the same child every time (prometheus_client's
        own lookup checks and locks on each call, about 5 us; a request makes eight)."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def text(self) -> bytes:
        """The metrics in Prometheus's text format: every worker's, summed, in multiprocess
        mode, else this app's."""
        if os.environ.get(MULTIPROC_VAR):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(self.budget)
            return bytes(generate_latest(registry))
        return bytes(generate_latest(self.registry))
