"""Prices: LLM tokens from LiteLLM's bundled map, everything else from prices.toml.

The LiteLLM map is read as JSON from the installed package without importing LiteLLM, so the
offline path never pays LiteLLM's import time and never touches the network.
"""

from __future__ import annotations

import importlib.util
import json
import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, RouteUnavailable
from .tasks import Usage

__all__ = ["ModelPrice", "UnitPrice", "PriceBook", "litellm_price_map"]

_LITELLM_MAP = "model_prices_and_context_window_backup.json"
_UNITS = ("characters", "images", "megapixels", "audio_minutes", "audio_seconds",
          "agent_runs", "requests")


@dataclass(frozen=True)
class ModelPrice:
    """USD per token for one chat model, and where the figure came from."""

    model: str
    input_per_token: float
    output_per_token: float
    cached_input_per_token: float
    source: str
    #: writing the prompt cache (Anthropic charges 1.25x input for the 5-minute cache)
    cache_write_per_token: float | None = None

    def cost(self, usage: Usage) -> float:
        """Input tokens split into fresh, cache reads and cache writes, each at its price."""
        fresh = max(usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens, 0)
        write = self.input_per_token if self.cache_write_per_token is None \
            else self.cache_write_per_token
        return (fresh * self.input_per_token
                + usage.cached_input_tokens * self.cached_input_per_token
                + usage.cache_write_tokens * write
                + usage.output_tokens * self.output_per_token)


@dataclass(frozen=True)
class UnitPrice:
    """USD per unit of something that is not a token (characters, megapixels, minutes...)."""

    key: str
    unit: str
    usd_per_unit: float
    rounding: str
    source: str
    date: str

    def quantity(self, usage: Usage) -> float:
        if self.unit == "audio_minutes":
            q = usage.audio_seconds / 60.0
        else:
            q = float(getattr(usage, self.unit))
        return float(math.ceil(q - 1e-9)) if self.rounding == "ceil" and q > 0 else q

    def cost(self, usage: Usage) -> float:
        return self.quantity(usage) * self.usd_per_unit


def _price(value: Any, setting: str) -> float:
    """A price as a finite number >= 0: a negative or nan price would record negative or
    meaningless costs and slip past every budget."""
    if isinstance(value, bool):
        raise TypeError(value)
    price = float(value)
    if not math.isfinite(price) or price < 0:
        raise ConfigError(f"a price must be a finite amount >= 0, not {value!r}",
                          setting=setting)
    return price


@lru_cache(maxsize=1)
def litellm_price_map() -> Mapping[str, Any]:
    """LiteLLM's bundled price map of the installed version, read without importing it."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / _LITELLM_MAP
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@lru_cache(maxsize=1)
def _litellm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("litellm")
    except PackageNotFoundError:
        return "not installed"


@lru_cache(maxsize=1)
def _packaged_units() -> Mapping[str, Any]:
    text = resources.files("archibald").joinpath("prices.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text).get("units", {})
    return data


class PriceBook:
    """Looks up the price of a model or a unit, with the user's overrides first."""

    def __init__(self, models: Mapping[str, Any] | None = None,
                 units: Mapping[str, Any] | None = None) -> None:
        self._model_overrides = dict(models or {})
        merged = dict(_packaged_units())
        merged.update(units or {})
        self._units = {k: self._unit(k, v) for k, v in merged.items()}
        self._models: dict[str, ModelPrice] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> "PriceBook":
        prices = getattr(settings, "prices", {}) or {}
        return cls(prices.get("models"), prices.get("units"))

    @staticmethod
    def _unit(key: str, raw: Mapping[str, Any]) -> UnitPrice:
        unit = raw.get("unit")
        if unit not in _UNITS:
            raise ConfigError(f"price {key!r} has unit {unit!r}; use one of {', '.join(_UNITS)}",
                              setting=f"prices.units.{key}")
        try:
            usd = _price(raw["usd_per_unit"], f"prices.units.{key}")
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"price {key!r} needs a numeric usd_per_unit",
                              setting=f"prices.units.{key}") from None
        if not raw.get("source"):
            raise ConfigError(f"price {key!r} must name its source",
                              setting=f"prices.units.{key}")
        return UnitPrice(key, unit, usd, str(raw.get("rounding", "none")),
                         str(raw["source"]), str(raw.get("date", "")))

    def model(self, model: str) -> ModelPrice:
        """Token prices for ``model``; RouteUnavailable when nobody knows them (never $0)."""
        found = self._models.get(model)
        if found is None:
            found = self._models[model] = self._lookup(model)
        return found

    def _lookup(self, model: str) -> ModelPrice:
        if model in self._model_overrides:
            raw = self._model_overrides[model]
            try:
                where = f"prices.models.{model}"
                return ModelPrice(
                    model, _price(raw["input_per_mtok"], where) / 1e6,
                    _price(raw["output_per_mtok"], where) / 1e6,
                    _price(raw.get("cached_input_per_mtok", raw["input_per_mtok"]), where) / 1e6,
                    str(raw.get("source", "archibald.toml")),
                    _price(raw.get("cache_write_per_mtok", raw["input_per_mtok"]), where) / 1e6)
            except (KeyError, TypeError, ValueError):
                raise ConfigError(
                    f"model price {model!r} needs input_per_mtok and output_per_mtok",
                    setting=f"prices.models.{model}") from None
        table = litellm_price_map()
        entry = table.get(model)
        if entry is None and "/" in model:
            entry = table.get(model.split("/", 1)[1])
        if entry is None or entry.get("input_cost_per_token") is None:
            raise RouteUnavailable(
                f"no price known for model {model!r}: LiteLLM {_litellm_version()}'s map lacks "
                f"it; add [prices.models.\"{model}\"] with input_per_mtok and output_per_mtok "
                f"to archibald.toml")
        inp = float(entry["input_cost_per_token"])
        cached = entry.get("cache_read_input_token_cost")
        write = entry.get("cache_creation_input_token_cost")
        return ModelPrice(model, inp, float(entry.get("output_cost_per_token") or 0.0),
                          float(cached) if cached is not None else inp,
                          f"LiteLLM {_litellm_version()} bundled price map",
                          float(write) if write is not None else inp)

    def unit(self, key: str) -> UnitPrice:
        try:
            return self._units[key]
        except KeyError:
            raise RouteUnavailable(
                f"no price known for {key!r}; add [prices.units.\"{key}\"] (unit, usd_per_unit, "
                f"source) to archibald.toml") from None

    def cost(self, usage: Usage, *, model: str | None = None, unit: str | None = None) -> float:
        """The USD cost of ``usage``: tokens priced by ``model``, other units by ``unit``."""
        total = 0.0
        if model is not None:
            total += self.model(model).cost(usage)
        if unit is not None:
            total += self.unit(unit).cost(usage)
        return total

    def source(self, *, model: str | None = None, unit: str | None = None) -> str:
        parts = []
        if model is not None:
            parts.append(self.model(model).source)
        if unit is not None:
            u = self.unit(unit)
            parts.append(f"{u.source} ({u.date})")
        return "; ".join(parts)
