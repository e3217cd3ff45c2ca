"""Settings: the shipped defaults.toml, merged with the user's archibald.toml and environment.

The user's file is found by ``--config`` or ``ARCHIBALD_CONFIG`` (else ``./archibald.toml`` if it
exists). It is checked against :mod:`archibald.config.schema`; every mistake in it is a
:class:`~archibald.errors.ConfigError` naming the file, the line and what to do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

from pydantic import ValidationError

from ..errors import ConfigError, UnknownTaskType
from ..core.tasks import Task, TaskAnalysis, Usage
from .locate import explain, locate, parse_toml
from .schema import BudgetsTable, ChannelTable, QualityTable, Root, RouterTable, TaskTypeTable

__all__ = ["Settings", "Profile", "Channel", "RouterSettings", "Budgets", "QualitySettings",
           "load_settings", "archibald_home"]

#: the [router] table as the router reads it
RouterSettings = RouterTable
#: the [quality] table as the judge and the router read it
QualitySettings = QualityTable
#: the [budgets] table as the budget guard reads it (channels' budget_usd folded in)
Budgets = BudgetsTable


def archibald_home(environ: Mapping[str, str] | None = None) -> Path:
    """Where Archibald keeps its database and tokens (ARCHIBALD_HOME, else the user data dir)."""
    env = (os.environ if environ is None else environ).get("ARCHIBALD_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("archibald", appauthor=False))


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
    #: the model of each LLM route of this task type, aliases resolved
    models: Mapping[str, str] = field(default_factory=dict)
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

    def model_of(self, route: str) -> str | None:
        """The chat model this task type uses on ``route`` (None: the route has no model)."""
        return self.models.get(route)


@dataclass(frozen=True)
class Channel:
    """One channel's voice, music, art, language, budget, YouTube account and pipeline:
    its ``[channels.NAME]`` table over ``[media]``."""

    name: str
    voice_id: str
    music_style: str
    art_style: str
    language: str
    budget_usd: float | None = None
    youtube_token: Path | None = None
    pipeline: str | None = None


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
    channels: dict[str, ChannelTable]
    media: dict[str, Any]
    #: every table as validated, typed (a new table added to the schema is here at once)
    tables: Root
    path: Path | None = None
    digest: str = ""
    #: partial [task_types.NAME] tables of archibald.toml for task types no known pipeline
    #: defines yet: set aside, merged over the pipeline's table once it is known
    partial_task_types: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def quality(self) -> QualitySettings:
        """[quality]: the judge, the shadow share and the maintenance floor."""
        return self.tables.quality

    def profile(self, task_type: str) -> Profile:
        try:
            return self.profiles[task_type]
        except KeyError:
            if task_type in self.partial_task_types:
                raise ConfigError(
                    f"task type {task_type!r} has only a partial [task_types.{task_type}] "
                    f"here; the pipeline that defines it gives the rest: name it "
                    f"(--pipeline FILE, or the channel's [channels.NAME] pipeline)") from None
            raise UnknownTaskType(task_type, list(self.profiles)) from None

    def model_for(self, alias_or_name: str) -> str:
        """A model alias from [models] (premium, budget, research...) or a literal name."""
        return self.models.get(alias_or_name, alias_or_name)

    def channel(self, name: str) -> Channel:
        """The settings of channel ``name`` ([media] where its table says nothing)."""
        media = self.tables.media
        table = self.channels.get(name) or ChannelTable()
        token = table.youtube_token
        return Channel(
            name=name, voice_id=table.voice_id or media.voice_id,
            music_style=media.music_style if table.music_style is None else table.music_style,
            art_style=media.art_style if table.art_style is None else table.art_style,
            language=table.language or media.language,
            budget_usd=self.budgets.channels.get(name),
            youtube_token=self._relative(Path(token).expanduser()) if token else None,
            pipeline=table.pipeline)

    def _relative(self, path: Path) -> Path:
        """A path in the config file is relative to that file's folder."""
        if path.is_absolute() or self.path is None:
            return path
        return self.path.parent / path

    def with_task_types(self, tables: Mapping[str, Mapping[str, Any]]) -> "Settings":
        """These settings and the task types of ``tables`` they lack (a pipeline's
        ``[task_types]``, checked by the schema), with a digest that covers them."""
        missing = {n: {**dict(t), **self.partial_task_types.get(n, {})}
                   for n, t in tables.items() if n not in self.profiles}
        if not missing:
            return self
        try:
            added = {n: _profile(n, TaskTypeTable.model_validate(t), self.models)
                     for n, t in missing.items()}
        except ValidationError as exc:
            raise explain(exc, TaskTypeTable, "", "pipeline task types") from None
        digest = hashlib.sha256(json.dumps([self.digest, missing], sort_keys=True,
                                           default=str).encode()).hexdigest()[:16]
        return dataclasses.replace(self, profiles={**self.profiles, **added}, digest=digest)

    def analyse(self, task: Task, estimated_cost: float) -> TaskAnalysis:
        p = self.profile(task.type)
        return TaskAnalysis(p.complexity, p.creativity_required, p.execution_focused,
                            estimated_cost)


#: makes the error for a message about the setting at a location of the user's file
Fail = Callable[[str, tuple[str, ...]], ConfigError]


def _defaults_text() -> str:
    return resources.files("archibald").joinpath("defaults.toml").read_text(encoding="utf-8")


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict) and k != "premium_usage":
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _profile(name: str, t: TaskTypeTable, models: Mapping[str, str]) -> Profile:
    def resolve(model: str) -> str:
        return models.get(model, model)

    chat = t.capability in ("text", "research")
    premium = t.models.get("premium") or t.premium_model or \
        ("premium" if chat and t.premium_unit is None else None)
    chosen: dict[str, str] = {route: resolve(m) for route, m in t.models.items()}
    if "premium" in t.routes and chat and premium:
        chosen.setdefault("premium", resolve(premium))
    if "budget" in t.routes and chat:
        chosen.setdefault("budget", resolve("budget"))
    return Profile(
        task_type=name, phase=t.phase, capability=t.capability, complexity=t.complexity,
        creativity_required=t.creativity_required, execution_focused=t.execution_focused,
        routes=tuple(t.routes), premium_model=resolve(premium) if premium else None,
        premium_unit=t.premium_unit,
        premium_usage={k: v for k, v in t.premium_usage.model_dump().items() if v},
        scale=t.scale, quality_floor=t.quality_floor, forced_route=t.route, models=chosen,
        timeout_seconds=t.timeout_seconds)


def _channel_budgets(root: Root, fail: Fail) -> dict[str, float]:
    """[budgets.channels] and every [channels.NAME] budget_usd, which must agree."""
    limits = dict(root.budgets.channels)
    for name, table in root.channels.items():
        if table.budget_usd is None:
            continue
        if name in limits and limits[name] != table.budget_usd:
            raise fail(f"budget_usd = {table.budget_usd} disagrees with [budgets.channels] "
                       f"{name} = {limits[name]}; keep one of them", ("channels", name,
                                                                      "budget_usd"))
        limits[name] = table.budget_usd
    return limits


def _strategy_installed(root: Root, fail: Fail) -> None:
    """The bandit needs NumPy and SciPy, which the slim install leaves out."""
    import importlib.util

    def absent(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is None
        except ImportError:
            return True

    if root.router.strategy == "bandit" and (absent("numpy") or absent("scipy")):
        raise fail("strategy = \"bandit\" needs NumPy and SciPy: pip install "
                   "'archibald[learning]', or use strategy = \"matrix\"", ("router", "strategy"))


def _providers_known(root: Root, fail: Fail) -> None:
    """Every [providers.NAME] is a provider Archibald calls itself or one LiteLLM serves."""
    from ..providers.chat_models import unknown_provider

    for name in root.providers:
        why = unknown_provider(name)
        if why:
            raise fail(why, ("providers", name))


def build(data: dict[str, Any], text: str = "", path: Path | None = None) -> Settings:
    """Settings from merged TOML data; ``text`` and ``path`` place errors in the user's file."""
    where = str(path) if path else "defaults.toml"
    try:
        root = Root.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, Root, text, where) from None

    def fail(message: str, loc: tuple[str, ...]) -> ConfigError:
        return ConfigError(message, path=where, line=locate(text, loc) if text else None,
                           setting=".".join(loc[:-1]))

    _strategy_installed(root, fail)
    _providers_known(root, fail)
    models = root.models.model_dump()
    budgets = root.budgets.model_copy(update={"channels": _channel_budgets(root, fail)})
    return Settings(
        router=root.router, models=models, budgets=budgets,
        profiles={n: _profile(n, t, models) for n, t in root.task_types.items()},
        publish=root.publish.model_dump(),
        providers={n: p.model_dump(exclude_none=True) for n, p in root.providers.items()},
        prices=root.prices.model_dump(exclude_none=True), channels=dict(root.channels),
        media=root.media.model_dump(), tables=root, path=path)


def _user_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("ARCHIBALD_CONFIG")
    if env:
        return Path(env)
    local = Path("archibald.toml")
    return local if local.exists() else None


def _pipeline_task_types(pipeline: Any) -> dict[str, Any]:
    """The [task_types] of every shipped pipeline, then of ``pipeline`` (the one being run):
    the shipped defaults under the user's file."""
    from ..pipelines import shipped_task_types

    tables = dict(shipped_task_types())
    if pipeline is not None:
        tables.update({k: dict(v) for k, v in pipeline.task_types.items()})
    return tables


#: what a [task_types] table must hold to be a whole profile
_REQUIRED_PROFILE = frozenset({"complexity", "creativity_required", "execution_focused"})


def load_settings(config: str | os.PathLike[str] | None = None,
                  overrides: Mapping[str, Any] | None = None, *,
                  pipeline: Any = None) -> Settings:
    """Load defaults (with the shipped pipelines' task types, and those of ``pipeline``, a
    loaded :class:`~archibald.pipeline.spec.Pipeline` about to run), then the user's file,
    then ``overrides`` (a dict shaped like the TOML)."""
    defaults = parse_toml(_defaults_text(), "defaults.toml")
    defaults["task_types"] = {**_pipeline_task_types(pipeline),
                              **defaults.get("task_types", {})}
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
        user = parse_toml(user_text, str(path))
    merged = _merge(defaults, user)
    if overrides:
        merged = _merge(merged, overrides)
    # a partial [task_types.X] for a task type no known pipeline defines waits for its
    # pipeline (merged over its table by with_task_types) instead of failing every command
    partial = {name: dict(table) for name, table in merged.get("task_types", {}).items()
               if name not in defaults["task_types"] and isinstance(table, Mapping)
               and not _REQUIRED_PROFILE <= set(table)}
    for name in partial:
        del merged["task_types"][name]
    settings = build(merged, user_text, path)
    settings.partial_task_types = partial
    safe = {k: v for k, v in merged.items() if k != "providers"}  # keys never enter a digest
    settings.digest = hashlib.sha256(
        json.dumps(safe, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return settings
