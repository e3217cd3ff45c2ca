"""Prices: LLM tokens from LiteLLM's bundled map, everything else from prices.toml.

The LiteLLM map is read as JSON from the installed package without importing LiteLLM, so the
offline path never pays LiteLLM's import time and never touches the network. prices.toml also
carries token rates the map gets wrong for the endpoint we call (Perplexity's Agent API), the
off-peak schedules some providers bill by (DeepSeek), and the map's ``deprecation_date`` is
read so `doctor` can warn before a configured model stops answering.
"""

from __future__ import annotations

import importlib.util
import json
import math
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError, RouteUnavailable
from .tasks import Usage

__all__ = ["ModelPrice", "UnitPrice", "PriceBook", "litellm_price_map", "megapixels",
           "model_lifecycle", "packaged_table", "utc_now"]

_LITELLM_MAP = "model_prices_and_context_window_backup.json"
_UNITS = ("characters", "images", "megapixels", "audio_minutes", "audio_seconds",
          "agent_runs", "requests", "tool_calls")
#: fal bills image models "per megapixel, rounded up" with 1024x1024 (the square_hd preset,
#: $0.025 on FLUX.1 [dev]) as one megapixel; the same rule prices the call and the estimate
_MEGAPIXEL = 1024 * 1024


def utc_now() -> datetime:
    """The clock rates are chosen by (one function, so tests can fix the hour)."""
    return datetime.now(timezone.utc)


def megapixels(width: int, height: int) -> float:
    """The megapixels fal bills an image of ``width`` x ``height`` by (before rounding up)."""
    return width * height / _MEGAPIXEL


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
    #: which of the provider's rates this is ("standard", "peak", "off-peak")
    rate: str = "standard"

    def scaled(self, factor: float, rate: str, source: str) -> "ModelPrice":
        """Every token price times ``factor`` (an off-peak discount), labelled ``rate``."""
        write = None if self.cache_write_per_token is None \
            else self.cache_write_per_token * factor
        return replace(self, input_per_token=self.input_per_token * factor,
                       output_per_token=self.output_per_token * factor,
                       cached_input_per_token=self.cached_input_per_token * factor,
                       cache_write_per_token=write, rate=rate,
                       source=f"{self.source}; {rate} rate: {source}")

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
    #: the longest (and shortest) output one request may ask for, in seconds (music models)
    max_seconds: float | None = None
    min_seconds: float | None = None

    def pieces(self, seconds: float, overlap: float = 0.0) -> list[float]:
        """Equal request lengths that cover ``seconds`` when joined with ``overlap`` each.

        One request when it fits; otherwise as few as the per-request maximum allows. Each is
        at least ``min_seconds`` (asking for less is a 422 on fal), in whole seconds.
        """
        low = self.min_seconds or 0.0
        if self.max_seconds is None or seconds <= self.max_seconds:
            return [float(max(math.ceil(seconds - 1e-9), low))]
        n = math.ceil((seconds - overlap) / (self.max_seconds - overlap) - 1e-9)
        each = math.ceil((seconds + (n - 1) * overlap) / n - 1e-9)
        return [float(max(min(each, self.max_seconds), low))] * n

    def quantity(self, usage: Usage) -> float:
        """Billed units. ``ceil`` rounds each request up: ``requests`` equal requests are
        rounded one by one; an estimate (no requests yet) is split as the model must be."""
        if self.unit == "audio_minutes":
            q = usage.audio_seconds / 60.0
        else:
            q = float(getattr(usage, self.unit))
        if self.rounding != "ceil" or q <= 0:
            return q
        if self.unit == "audio_minutes" and not usage.requests:
            return float(sum(math.ceil(s / 60.0 - 1e-9) for s in self.pieces(usage.audio_seconds)))
        n = max(usage.requests if self.unit in ("audio_minutes", "audio_seconds", "megapixels")
                else 1, 1)
        return float(n * math.ceil(q / n - 1e-9))

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
def _packaged() -> Mapping[str, Any]:
    text = resources.files("archibald").joinpath("prices.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return data


def packaged_table(name: str) -> Mapping[str, Any]:
    """One table of the shipped prices.toml (read and parsed once per process)."""
    table: Mapping[str, Any] = _packaged().get(name, {})
    return table


def _packaged_units() -> Mapping[str, Any]:
    units: Mapping[str, Any] = _packaged().get("units", {})
    return units


def _map_entry(model: str) -> Mapping[str, Any] | None:
    table = litellm_price_map()
    entry = table.get(model)
    if entry is None and "/" in model:
        entry = table.get(model.split("/", 1)[1])
    return entry if isinstance(entry, Mapping) else None


def model_lifecycle(model: str, *, today: date | None = None,
                    warn_days: int = 30) -> dict[str, Any]:
    """Where ``model`` stands: ``state`` is "current", "retiring" (within ``warn_days`` of its
    deprecation date), "deprecated" (past it) or "unknown" (not in LiteLLM's map, so neither
    its price nor its end date is known). The date is LiteLLM's ``deprecation_date``, else
    prices.toml ``[lifecycle]`` (dates with their source that some LiteLLM releases dropped)."""
    today = today or utc_now().date()
    entry = _map_entry(model)
    if entry is None:
        return {"model": model, "state": "unknown", "deprecation_date": None,
                "source": f"LiteLLM {_litellm_version()} bundled price map"}
    source = f"LiteLLM {_litellm_version()} bundled price map"
    raw = entry.get("deprecation_date")
    known = _packaged().get("lifecycle", {}).get(model)
    if not raw and isinstance(known, Mapping):
        raw, source = known.get("deprecation_date"), str(known.get("source", "prices.toml"))
    try:
        when = date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        when = None
    state = "current"
    if when is not None:
        state = "deprecated" if when <= today else \
            "retiring" if (when - today).days <= warn_days else "current"
    return {"model": model, "state": state,
            "deprecation_date": when.isoformat() if when else None, "source": source}


def _off_peak(schedule: Mapping[str, Any], at: datetime) -> bool:
    """Whether ``at`` falls outside the schedule's peak hours (UTC, optionally weekdays only)."""
    at = at.astimezone(timezone.utc)
    if schedule.get("weekdays_only", False) and at.weekday() >= 5:
        return True
    hour = at.hour + at.minute / 60.0
    return not any(float(lo) <= hour < float(hi) for lo, hi in schedule.get("peak_utc", []))


class PriceBook:
    """Looks up the price of a model or a unit, with the user's overrides first."""

    def __init__(self, models: Mapping[str, Any] | None = None,
                 units: Mapping[str, Any] | None = None) -> None:
        self._model_overrides = dict(models or {})
        merged = dict(_packaged_units())
        merged.update(units or {})
        self._units = {k: self._unit(k, v) for k, v in merged.items()}
        self._models: dict[str, ModelPrice] = {}
        #: a model's price at its peak or off-peak rate, made once (read on every call)
        self._rated: dict[tuple[str, bool], ModelPrice] = {}
        self._schedules: Mapping[str, Any] = _packaged().get("off_peak", {})

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
        bounds = {k: float(raw[k]) for k in ("max_seconds", "min_seconds") if k in raw}
        return UnitPrice(key, unit, usd, str(raw.get("rounding", "none")),
                         str(raw["source"]), str(raw.get("date", "")), **bounds)

    def model(self, model: str, at: datetime | None = None) -> ModelPrice:
        """Token prices for ``model`` at time ``at`` (now by default): the off-peak rate when
        the provider has one and ``at`` is off-peak. RouteUnavailable when nobody knows them
        (never $0)."""
        found = self._models.get(model)
        if found is None:
            found = self._models[model] = self._lookup(model)
        schedule = self._schedules.get(model)
        if schedule is None or model in self._model_overrides:
            return found
        off = _off_peak(schedule, at or utc_now())
        rated = self._rated.get((model, off))
        if rated is None:
            rated = self._rated[(model, off)] = found.scaled(
                float(schedule["multiplier"]), "off-peak",
                f"{schedule['source']} ({schedule.get('date', '')})") if off \
                else replace(found, rate="peak")
        return rated

    def rate(self, model: str | None, at: datetime | None = None) -> str:
        """Which of ``model``'s rates applies at ``at`` ("standard", "peak", "off-peak"), or
        "" when there is no model or no price for it."""
        if model is None:
            return ""
        try:
            return self.model(model, at).rate
        except RouteUnavailable:
            return ""

    def _lookup(self, model: str) -> ModelPrice:
        packaged = _packaged().get("models", {})
        if model in self._model_overrides or model in packaged:
            raw = self._model_overrides.get(model) or packaged[model]
            try:
                where = f"prices.models.{model}"
                return ModelPrice(
                    model, _price(raw["input_per_mtok"], where) / 1e6,
                    _price(raw["output_per_mtok"], where) / 1e6,
                    _price(raw.get("cached_input_per_mtok", raw["input_per_mtok"]), where) / 1e6,
                    str(raw.get("source", "archibald.toml"))
                    + (f" ({raw['date']})" if raw.get("date") else ""),
                    _price(raw.get("cache_write_per_mtok", raw["input_per_mtok"]), where) / 1e6)
            except (KeyError, TypeError, ValueError):
                raise ConfigError(
                    f"model price {model!r} needs input_per_mtok and output_per_mtok",
                    setting=f"prices.models.{model}") from None
        entry = _map_entry(model)
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

    def cost(self, usage: Usage, *, model: str | None = None, unit: str | None = None,
             at: datetime | None = None) -> float:
        """The USD cost of ``usage``: tokens priced by ``model`` (at the rate in force at
        ``at``, now by default), other units by ``unit``."""
        total = 0.0
        if model is not None:
            total += self.model(model, at).cost(usage)
        if unit is not None:
            total += self.unit(unit).cost(usage)
        return total

    def source(self, *, model: str | None = None, unit: str | None = None,
               at: datetime | None = None) -> str:
        parts = []
        if model is not None:
            parts.append(self.model(model, at).source)
        if unit is not None:
            u = self.unit(unit)
            parts.append(f"{u.source} ({u.date})")
        return "; ".join(parts)
