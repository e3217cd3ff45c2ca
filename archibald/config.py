"""Settings: the shipped defaults.toml, merged with the user's archibald.toml and environment.

The user's file is found by ``--config`` or ``ARCHIBALD_CONFIG`` (else ``./archibald.toml`` if it
exists). Every mistake in it is a :class:`~archibald.errors.ConfigError` naming the file, the
line and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, UnknownTaskType
from .tasks import ROUTES, Task, TaskAnalysis, Usage

__all__ = ["Settings", "Profile", "RouterSettings", "Budgets", "QualitySettings", "load_settings",
           "archibald_home"]

_TOP_LEVEL = {"router", "models", "budgets", "publish", "task_types", "providers", "prices",
              "channels", "media", "quality"}
_PROFILE_KEYS = {"phase", "capability", "complexity", "creativity_required", "execution_focused",
                 "routes", "premium_model", "premium_unit", "premium_usage", "scale",
                 "quality_floor", "route", "description", "timeout_seconds"}
_CAPABILITIES = {"text", "research", "speech", "music", "image", "video", "upload"}


def archibald_home(environ: Mapping[str, str] | None = None) -> Path:
    """Where Archibald keeps its database and tokens (ARCHIBALD_HOME, else the user data dir)."""
    env = (os.environ if environ is None else environ).get("ARCHIBALD_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("archibald", appauthor=False))


@dataclass(frozen=True)
class RouterSettings:
    learned_min_outcomes: int = 3
    learned_min_success: float = 0.8
    cost_threshold_usd: float = 0.02
    strategy: str = "matrix"
    explore_share: float = 0.0
    evidence_half_life_days: float = 30.0


@dataclass(frozen=True)
class QualitySettings:
    """[quality]: who judges creative work (see archibald.quality)."""

    judge_model: str = "budget"       # a [models] alias or any model LiteLLM serves; "" = none
    shadow_share: float = 0.2         # share of delegated creative tasks also run on premium
    maintenance_floor: float = 0.95   # judged quality a cheaper route keeps, relative to premium


@dataclass(frozen=True)
class Budgets:
    per_task_usd: float | None = None
    per_run_usd: float | None = None
    per_month_usd: float | None = None
    channels: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """How one task type is analysed and routed."""

    task_type: str
    phase: str
    capability: str
    complexity: int
    creativity_required: bool
    execution_focused: bool
    routes: tuple[str, ...]
    premium_model: str | None
    premium_unit: str | None
    premium_usage: Mapping[str, float]
    scale: str
    quality_floor: float
    forced_route: str | None = None
    #: a paid call's deadline; None: the router's default for the capability
    timeout_seconds: float | None = None

    def expected_usage(self, task: Task) -> Usage:
        factor = task.minutes / 10.0 if self.scale == "per_minute" else 1.0
        values = {k: v * factor for k, v in self.premium_usage.items()}
        for k in ("input_tokens", "output_tokens", "characters", "images", "requests",
                  "agent_runs"):
            if k in values:
                values[k] = int(round(values[k]))
        return Usage.from_dict(values)

    def delegate_routes(self) -> tuple[str, ...]:
        return tuple(r for r in self.routes if r != "premium")


@dataclass
class Settings:
    """Everything configurable, merged and validated."""

    router: RouterSettings
    models: dict[str, str]
    budgets: Budgets
    profiles: dict[str, Profile]
    publish: dict[str, Any]
    providers: dict[str, Any]
    prices: dict[str, Any]
    channels: dict[str, Any]
    media: dict[str, Any]
    path: Path | None = None
    digest: str = ""
    quality: QualitySettings = field(default_factory=QualitySettings)

    def profile(self, task_type: str) -> Profile:
        try:
            return self.profiles[task_type]
        except KeyError:
            raise UnknownTaskType(task_type, list(self.profiles)) from None

    def model_for(self, alias_or_name: str) -> str:
        """A model alias from [models] (premium, budget, research...) or a literal name."""
        return self.models.get(alias_or_name, alias_or_name)

    def analyse(self, task: Task, estimated_cost: float) -> TaskAnalysis:
        p = self.profile(task.type)
        return TaskAnalysis(p.complexity, p.creativity_required, p.execution_focused,
                            estimated_cost)


def _defaults_text() -> str:
    return resources.files("archibald").joinpath("defaults.toml").read_text(encoding="utf-8")


def _line_of(text: str, table: str, key: str | None = None) -> int | None:
    """Best-effort line number of ``[table]`` (and ``key =`` inside it) in a TOML text."""
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    start = None
    for i, line in enumerate(lines):
        if header.match(line):
            start = i
            break
    if start is None:
        # dotted keys or inline tables: look for the last part as a key anywhere
        needle = key or table.split(".")[-1]
        for i, line in enumerate(lines):
            if re.match(r"^\s*" + re.escape(needle) + r"\s*=", line):
                return i + 1
        return None
    if key is None:
        return start + 1
    for j in range(start + 1, len(lines)):
        if lines[j].lstrip().startswith("["):
            break
        if re.match(r"^\s*" + re.escape(key) + r"\s*=", lines[j]):
            return j + 1
    return start + 1


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict) and k != "premium_usage":
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


class _Validator:
    """Turns the merged TOML data into Settings, reporting errors at the user's line."""

    def __init__(self, user_text: str, user_path: Path | None) -> None:
        self.text = user_text
        self.path = user_path

    def fail(self, message: str, table: str, key: str | None = None) -> ConfigError:
        line = _line_of(self.text, table, key) if self.path else None
        setting = f"{table}.{key}" if key else table
        return ConfigError(message, path=str(self.path) if self.path else "defaults.toml",
                           line=line, setting=setting)

    def number(self, data: Mapping[str, Any], table: str, key: str, *, lo: float | None = None,
               hi: float | None = None, optional: bool = False) -> float | None:
        if key not in data:
            if optional:
                return None
            raise self.fail(f"missing {key}", table, key)
        v = data[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(f"{key} must be a number, not {v!r}", table, key)
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise self.fail(f"{key} = {v} is out of range [{lo}, {hi}]", table, key)
        return float(v)

    def boolean(self, data: Mapping[str, Any], table: str, key: str) -> bool:
        v = data.get(key)
        if not isinstance(v, bool):
            raise self.fail(f"{key} must be true or false, not {v!r}", table, key)
        return v

    def profile(self, name: str, data: Mapping[str, Any], models: Mapping[str, str]) -> Profile:
        table = f"task_types.{name}"
        if not isinstance(data, Mapping):
            raise self.fail("must be a table", table)
        unknown = set(data) - _PROFILE_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise self.fail(f"unknown setting {key!r}; known: {', '.join(sorted(_PROFILE_KEYS))}",
                            table, key)
        complexity = self.number(data, table, "complexity", lo=1, hi=10)
        assert complexity is not None
        if complexity != int(complexity):
            raise self.fail("complexity must be a whole number from 1 to 10", table, "complexity")
        routes = data.get("routes", ["premium", "local"])
        if (not isinstance(routes, list) or not routes
                or any(r not in ROUTES for r in routes)):
            raise self.fail(f"routes must be a list drawn from {', '.join(ROUTES)}",
                            table, "routes")
        forced = data.get("route")
        if forced is not None and forced not in routes:
            raise self.fail(f"route {forced!r} is not one of this task type's routes {routes}",
                            table, "route")
        capability = data.get("capability", "text")
        if capability not in _CAPABILITIES:
            raise self.fail(f"capability must be one of {', '.join(sorted(_CAPABILITIES))}",
                            table, "capability")
        usage = data.get("premium_usage", {})
        if not isinstance(usage, Mapping) or any(
                k not in Usage.__dataclass_fields__ or isinstance(v, bool)
                or not isinstance(v, (int, float)) for k, v in usage.items()):
            raise self.fail("premium_usage must map usage fields (input_tokens, output_tokens, "
                            "characters, megapixels, audio_seconds, requests...) to numbers",
                            table, "premium_usage")
        model = data.get("premium_model")
        unit = data.get("premium_unit")
        if model is None and unit is None:
            raise self.fail("give premium_model or premium_unit so the premium route can be "
                            "priced", table)
        scale = data.get("scale", "per_video")
        if scale not in ("per_video", "per_minute"):
            raise self.fail("scale must be \"per_video\" or \"per_minute\"", table, "scale")
        floor = self.number(data, table, "quality_floor", lo=0, hi=1, optional=True)
        timeout = self.number(data, table, "timeout_seconds", lo=1, hi=86400, optional=True)
        return Profile(
            task_type=name, phase=str(data.get("phase", "")), capability=capability,
            complexity=int(complexity),
            creativity_required=self.boolean(data, table, "creativity_required"),
            execution_focused=self.boolean(data, table, "execution_focused"),
            routes=tuple(routes), premium_model=models.get(model, model) if model else None,
            premium_unit=unit, premium_usage=dict(usage), scale=scale,
            quality_floor=0.6 if floor is None else floor, forced_route=forced,
            timeout_seconds=timeout)

    def build(self, data: dict[str, Any]) -> Settings:
        unknown = set(data) - _TOP_LEVEL
        if unknown:
            key = sorted(unknown)[0]
            raise self.fail(f"unknown table [{key}]; known: {', '.join(sorted(_TOP_LEVEL))}", key)
        r = data.get("router", {})
        strategy = r.get("strategy", "matrix")
        if strategy not in ("matrix", "bandit"):
            raise self.fail("strategy must be \"matrix\" or \"bandit\"", "router", "strategy")
        router = RouterSettings(
            learned_min_outcomes=int(self.number(r, "router", "learned_min_outcomes", lo=1) or 3),
            learned_min_success=self.number(r, "router", "learned_min_success", lo=0, hi=1) or 0.0,
            cost_threshold_usd=self.number(r, "router", "cost_threshold_usd", lo=0) or 0.0,
            strategy=strategy,
            explore_share=self.number(r, "router", "explore_share", lo=0, hi=1) or 0.0,
            evidence_half_life_days=self.number(r, "router", "evidence_half_life_days",
                                                lo=0.01) or 30.0)
        b = data.get("budgets", {})
        channels = b.get("channels", {})
        for ch in channels:
            self.number(channels, "budgets.channels", ch, lo=0)
        budgets = Budgets(
            per_task_usd=self.number(b, "budgets", "per_task_usd", lo=0, optional=True),
            per_run_usd=self.number(b, "budgets", "per_run_usd", lo=0, optional=True),
            per_month_usd=self.number(b, "budgets", "per_month_usd", lo=0, optional=True),
            channels={k: float(v) for k, v in channels.items()})
        models = data.get("models", {})
        if not all(isinstance(v, str) for v in models.values()):
            raise self.fail("model names must be strings", "models")
        profiles = {name: self.profile(name, p, models)
                    for name, p in data.get("task_types", {}).items()}
        publish = data.get("publish", {})
        if publish.get("privacy", "private") not in ("private", "unlisted", "public"):
            raise self.fail("privacy must be private, unlisted or public", "publish", "privacy")
        return Settings(router=router, models=dict(models), budgets=budgets, profiles=profiles,
                        publish=dict(publish), providers=dict(data.get("providers", {})),
                        prices=dict(data.get("prices", {})),
                        channels=dict(data.get("channels", {})),
                        media=dict(data.get("media", {})),
                        quality=self.quality(data.get("quality", {})))

    def quality(self, q: Mapping[str, Any]) -> QualitySettings:
        unknown = set(q) - {"judge_model", "shadow_share", "maintenance_floor"}
        if unknown:
            raise self.fail(f"unknown setting {sorted(unknown)[0]!r}; known: judge_model, "
                            f"maintenance_floor, shadow_share", "quality", sorted(unknown)[0])
        judge = q.get("judge_model", "budget")
        if not isinstance(judge, str):
            raise self.fail("judge_model must be a model name or a [models] alias (\"\" for "
                            "no judge)", "quality", "judge_model")
        share = self.number(q, "quality", "shadow_share", lo=0, hi=1, optional=True)
        floor = self.number(q, "quality", "maintenance_floor", lo=0, hi=1, optional=True)
        return QualitySettings(judge, 0.2 if share is None else share,
                               0.95 if floor is None else floor)


def _parse(text: str, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"not valid TOML ({msg}); fix the syntax on that line",
                          path=path, line=line) from None


def _user_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("ARCHIBALD_CONFIG")
    if env:
        return Path(env)
    local = Path("archibald.toml")
    return local if local.exists() else None


def load_settings(config: str | os.PathLike[str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Load defaults, then the user's file, then ``overrides`` (a dict shaped like the TOML)."""
    defaults = _parse(_defaults_text(), "defaults.toml")
    path = _user_path(config)
    user_text = ""
    user: dict[str, Any] = {}
    if path is not None:
        try:
            user_text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError("file not found; pass an existing file with --config or "
                              "ARCHIBALD_CONFIG", path=str(path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read it ({exc})", path=str(path)) from None
        user = _parse(user_text, str(path))
    merged = _merge(defaults, user)
    if overrides:
        merged = _merge(merged, overrides)
    settings = _Validator(user_text, path).build(merged)
    settings.path = path
    safe = {k: v for k, v in merged.items() if k != "providers"}  # keys never enter a digest
    settings.digest = hashlib.sha256(
        json.dumps(safe, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return settings
