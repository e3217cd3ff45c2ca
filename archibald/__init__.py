"""Archibald: a cost-aware meta-orchestrator for AI content pipelines.

The public API, importable from here: pipelines (:func:`define_pipeline`, :func:`load_pipeline`,
:func:`run`, :func:`run_async`), settings (:func:`load_settings`), the router
(:class:`Router`, :class:`Registry`, :func:`build_registry`, :func:`open_router`,
:func:`run_sync`, :func:`backend`), the ledger and budgets (:class:`Memory`, :class:`Attempt`,
:class:`BudgetGuard`, :class:`PriceBook`, :func:`to_nano`, :func:`usd`), the data types and every
exception. Names are imported on first use, so ``import archibald`` stays cheap for worker
processes and the CLI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    # settings
    "load_settings": "config", "Settings": "config", "Profile": "config", "Channel": "config",
    "archibald_home": "config",
    # routing
    "Router": "core.router", "Registry": "core.router", "Decision": "core.router", "RouteResult": "core.router",
    "build_registry": "core.catalog", "open_router": "api", "run_sync": "api", "backend": "api",
    # your own backends' prices
    "per_call": "core.price_rules", "per_unit": "core.price_rules",
    "per_second": "core.price_rules", "priced": "core.price_rules", "FREE": "core.price_rules",
    "PriceRule": "core.price_rules",
    # pipelines
    "run": "api", "run_async": "api", "define_pipeline": "pipeline.define",
    "PipelineDef": "pipeline.define", "load_pipeline": "pipeline.spec",
    "Pipeline": "pipeline.spec", "StageInput": "pipeline.engine",
    "Backend": "providers.backends.base", "FunctionBackend": "providers.backends.base",
    # ledger, budgets, prices
    "Memory": "store.memory", "Attempt": "store.ledger", "to_nano": "store.ledger", "usd": "store.ledger",
    "NANO": "store.ledger", "BudgetGuard": "core.budgets", "PriceBook": "core.prices",
    # data
    "Task": "core.tasks", "Context": "core.tasks", "Outcome": "core.tasks", "TaskAnalysis": "core.tasks",
    "Usage": "core.tasks",
    # errors
    **{name: "errors" for name in (
        "ArchibaldError", "UserError", "ConfigError", "UnknownTaskType", "MissingKeyError",
        "InputError", "BudgetExceeded", "DelegationError", "RouteUnavailable", "BackendError",
        "RateLimited", "ProviderOverloaded", "NonRetryable", "BackendTimeout",
        "QualityRejected", "MediaError", "ValidationError", "StageFailed")},
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from .api import backend, open_router, run, run_async, run_sync
    from .pipeline.define import PipelineDef, define_pipeline
    from .pipeline.engine import StageInput
    from .pipeline.spec import Pipeline, load_pipeline
    from .providers.backends.base import Backend, FunctionBackend
    from .core.budgets import BudgetGuard
    from .core.price_rules import FREE, PriceRule, per_call, per_second, per_unit, priced
    from .core.catalog import build_registry
    from .config import Channel, Profile, Settings, archibald_home, load_settings
    from .errors import (ArchibaldError, BackendError, BackendTimeout, BudgetExceeded,
                         ConfigError, DelegationError, InputError, MediaError, MissingKeyError,
                         NonRetryable, ProviderOverloaded, QualityRejected, RateLimited,
                         RouteUnavailable, StageFailed, UnknownTaskType, UserError,
                         ValidationError)
    from .store.ledger import NANO, Attempt, to_nano, usd
    from .store.memory import Memory
    from .core.prices import PriceBook
    from .core.router import Decision, Registry, RouteResult, Router
    from .core.tasks import Context, Outcome, Task, TaskAnalysis, Usage


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'archibald' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
