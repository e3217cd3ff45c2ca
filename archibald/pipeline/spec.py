"""A pipeline file (TOML) read, checked and resolved: see docs/pipelines.md.

:func:`load_pipeline` takes a shipped pipeline's name (``meditation``, ``podcast``, ``short``)
or a path, validates every table strictly (an unknown key is refused with a did-you-mean, the
file and the line), checks the DAG and every template's names, and imports the functions the
stages name. What it returns, a :class:`Pipeline`, is data the runner turns into engine stages.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..config.locate import explain, parse_toml, suggest
from ..errors import ConfigError
from ..pipelines import shipped_pipelines

__all__ = ["Pipeline", "StageSpec", "InputSpec", "load_pipeline", "render", "template_names",
           "resolve_function", "parse_set"]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(" + _IDENT + r"(?:\.[A-Za-z0-9_-]+)*)(?::([^{}]*))?\}")
ImportPath = Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
                                  description='an import path such as "mypkg.stages:outline"')]
#: a function a stage names: an import path in a file, the function itself from Python
Function = ImportPath | Callable[..., Any]
StageName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1)]
PipelineName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", min_length=1)]
#: names every template may use besides the run's inputs and the stage's needs
BUILTIN_NAMES = ("channel", "seed", "media", "publish", "stage_dir")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class PipelineTable(_Table):
    name: PipelineName
    description: str = ""
    #: what one run makes ("video", "episode"): reports say "per <unit>"
    unit: Annotated[str, Field(min_length=1)] = "run"
    #: fn(memory, channel, outcomes) after a run: what the next run should know
    learn: Function | None = None


class InputTable(_Table):
    type: Literal["str", "int", "float", "bool"] = "str"
    required: bool = False
    default: str | int | float | bool | None = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    #: a str that must say something in words (a topic): never emoji, digits or one letter
    words: bool = False


class RubricTable(_Table):
    """How the judge scores a creative task type's work (see archibald.quality.judge)."""

    version: Annotated[int, Field(ge=1)] = 1
    what: Annotated[str, Field(min_length=1)]
    criteria: Annotated[list[str], Field(min_length=1)]


class StageTable(_Table):
    name: StageName
    task_type: StageName | None = None
    needs: list[StageName] = []
    phase: str = ""
    cpu: bool = False
    inputs: dict[str, Any] = {}
    prompt: str = ""
    system: str = ""
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    local: Function | None = None
    adopt: Function | None = None
    check: Function | None = None
    reuse: Function | None = None
    prepare: Function | None = None
    #: run inputs a prepare hook reads that no template names (they key the stage's result)
    keys: list[str] = []
    outputs: dict[str, str] = {}
    #: bump when the stage's code changes its output, to invalidate stored results
    version: str = ""


class PipelineFile(_Table):
    pipeline: PipelineTable
    inputs: dict[Annotated[str, Field(pattern="^" + _IDENT + "$")], InputTable] = {}
    #: [task_types.NAME] tables, checked with archibald.toml's schema when settings load
    task_types: dict[str, dict[str, Any]] = {}
    rubrics: dict[str, RubricTable] = {}
    stages: Annotated[list[StageTable], Field(min_length=1)]

    @model_validator(mode="after")
    def _names(self) -> "PipelineFile":
        for name in self.inputs:
            if name in BUILTIN_NAMES:
                raise ValueError(f"input {name!r} shadows a name every template has "
                                 f"({', '.join(BUILTIN_NAMES)}); rename it")
        return self


#: the profile a stage's task type gets when none is given or configured: local only
LOCAL_ONLY: dict[str, Any] = {"capability": "text", "complexity": 3,
                              "creativity_required": False, "execution_focused": True,
                              "routes": ["local"]}


def has_words(text: str) -> bool:
    """Whether ``text`` says something: a word of two letters or more, in any alphabet (a
    topic of emoji, digits or one letter gives a writer nothing to say)."""
    return bool(re.search(r"[^\W\d_]{2,}", text))


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    required: bool
    default: Any
    help: str
    min: float | None
    max: float | None
    words: bool = False

    def coerce(self, raw: Any, where: str) -> Any:
        """``raw`` (a --set string or a TOML value) as this input's type, range checked."""
        kinds: dict[str, Callable[[Any], Any]] = {"str": str, "int": int, "float": float,
                                                  "bool": _bool}
        try:
            value = kinds[self.type](raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.name} = {raw!r} is not a {self.type}; give a "
                              f"{self.type}", path=where) from None
        if self.type == "str" and self.required and not str(value).strip():
            raise ConfigError(f"{self.name} is empty; say {self.help or 'what it is'}",
                              path=where)
        if self.words and self.type == "str" and not has_words(str(value)):
            raise ConfigError(f"{self.name} {str(value).strip()!r} has no words; say "
                              f"{self.help or 'what it is'}", path=where)
        if self.type == "float" and not math.isfinite(value):
            raise ConfigError(f"{self.name} = {raw!r} is not a finite number; give a number"
                              + (f" from {self.min:g} to {self.max:g}" if self.min is not None
                                 and self.max is not None else ""), path=where)
        if self.type in ("int", "float"):
            if (self.min is not None and value < self.min) or \
                    (self.max is not None and value > self.max):
                raise ConfigError(f"{self.name} = {value:g} is out of range; use "
                                  f"{self.min:g} to {self.max:g}" if self.min is not None
                                  and self.max is not None else
                                  f"{self.name} = {value:g} is out of range", path=where)
        return value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ValueError(raw)


@dataclass(frozen=True)
class StageSpec:
    """One stage as the file declares it, its functions imported."""

    name: str
    task_type: str
    needs: tuple[str, ...]
    phase: str
    cpu: bool
    inputs: Mapping[str, Any]
    prompt: str
    system: str
    max_tokens: int | None
    #: an import path (a pipeline file) or the function (a pipeline defined in Python)
    local: str | Callable[..., Any] | None
    adopt: Callable[..., Any] | None
    check: Callable[..., Any] | None
    reuse: str | Callable[..., Any] | None
    prepare: Callable[..., Any] | None
    keys: tuple[str, ...]
    outputs: Mapping[str, str]
    version: str
    #: the run inputs this stage's result depends on (what its templates and keys name)
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pipeline:
    """A loaded pipeline: its inputs, task types, rubrics and stages, in the file's order."""

    name: str
    description: str
    unit: str
    inputs: Mapping[str, InputSpec]
    task_types: Mapping[str, Mapping[str, Any]]
    rubrics: Mapping[str, Mapping[str, Any]]
    stages: tuple[StageSpec, ...]
    path: Path
    learn: Callable[..., Any] | None = None
    #: the file's text, for the digest (a changed pipeline reruns what it reaches)
    text: str = field(default="", repr=False)

    def stage(self, name: str) -> StageSpec:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)

    def provides(self, name: str) -> frozenset[str]:
        """The keys of stage ``name``'s value that later stages' templates read (its declared
        shape): every route of the stage must return them."""
        keys: set[str] = set()
        for s in self.stages:
            for ref in template_names([s.inputs, s.prompt, s.system]):
                root, _, rest = ref.partition(".")
                if root == name and rest:
                    keys.add(rest.split(".", 1)[0])
        return frozenset(keys)

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Every name placed at the top of --out: (stage, key of its value)."""
        return {out: (s.name, key) for s in self.stages for out, key in s.outputs.items()}

    def run_inputs(self, given: Mapping[str, Any], where: str = "--set") -> dict[str, Any]:
        """The run's inputs: ``given`` (``--set`` strings or values) checked and typed, the
        defaults for the rest; one line naming what to fix otherwise."""
        unknown = [k for k in given if k not in self.inputs]
        if unknown:
            raise ConfigError(f"{self.name} has no input {unknown[0]!r}"
                              f"{suggest(unknown[0], list(self.inputs))}; its inputs: "
                              f"{', '.join(self.inputs) or 'none'}", path=where)
        out: dict[str, Any] = {}
        for name, spec in self.inputs.items():
            if name in given:
                out[name] = spec.coerce(given[name], where)
            elif spec.required:
                raise ConfigError(f"{self.name} needs {name} ({spec.help or spec.type}): "
                                  f"--set {name}=...", path=where)
            elif spec.default is not None:
                out[name] = spec.coerce(spec.default, where)
        return out


# -- templates ----------------------------------------------------------------------------------
def template_names(template: Any) -> set[str]:
    """The dotted names a template (a string, or tables and lists of them) refers to."""
    if isinstance(template, str):
        return {m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)}
    if isinstance(template, Mapping):
        return set().union(*(template_names(v) for v in template.values())) if template else set()
    if isinstance(template, (list, tuple)):
        return set().union(*(template_names(v) for v in template)) if template else set()
    return set()


def _lookup(name: str, namespace: Mapping[str, Any]) -> Any:
    root, *rest = name.split(".")
    value: Any = namespace[root]
    for part in rest:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, (list, tuple)) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(f"{{{name}}}: {part!r} is not in "
                           f"{'a ' + type(value).__name__ if not isinstance(value, Mapping) else 'its value (keys: ' + ', '.join(map(str, value)) + ')'}")
    return value


def _text(value: Any, spec: str | None) -> str:
    if spec:
        return format(value, spec)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return "; ".join(_text(v, None) for v in value)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def render(template: Any, namespace: Mapping[str, Any]) -> Any:
    """``template`` with every ``{name.key}`` replaced from ``namespace``; a string that is one
    placeholder alone keeps the value's type."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) and not whole.group(2):
            return _lookup(whole.group(1), namespace)

        def sub(m: re.Match[str]) -> str:
            if m.group(0) == "{{":
                return "{"
            if m.group(0) == "}}":
                return "}"
            return _text(_lookup(m.group(1), namespace), m.group(2))
        return _PLACEHOLDER.sub(sub, template)
    if isinstance(template, Mapping):
        return {k: render(v, namespace) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, namespace) for v in template]
    return template


# -- functions ----------------------------------------------------------------------------------
def resolve_function(path: str | Callable[..., Any], where: str = "") -> Callable[..., Any]:
    """``package.module:function`` imported (a function is itself); one line when it cannot
    be."""
    if callable(path):
        return path
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name} for {path} ({exc}); put the module "
                          f"beside the pipeline file or install its package", path=where
                          or None) from None
    except SyntaxError as exc:  # the module's own mistake: its file and line, not a traceback
        raise ConfigError(f"{module_name} for {path} has a syntax error at "
                          f"{exc.filename}:{exc.lineno}: {exc.msg}", path=where or None) from None
    except Exception as exc:  # noqa: BLE001 - a module that raises while it is imported
        raise ConfigError(f"{module_name} for {path} raised {type(exc).__name__} while it was "
                          f"imported: {' '.join(str(exc).split())[:200]}; fix the module",
                          path=where or None) from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        known = [n for n in dir(module) if not n.startswith("_")
                 and callable(getattr(module, n))]
        raise ConfigError(f"{module_name} has no function {attr!r}{suggest(attr, known)}",
                          path=where or None)
    return fn  # type: ignore[no-any-return]


# -- loading ------------------------------------------------------------------------------------
def _stage_line(text: str, index: int, key: str | None) -> int | None:
    """The line of the ``index``-th ``[[stages]]`` (of ``key`` inside it, when found)."""
    lines = text.splitlines()
    seen = -1
    for i, line in enumerate(lines):
        if line.strip() == "[[stages]]":
            seen += 1
            if seen == index:
                if key:
                    for j in range(i + 1, len(lines)):
                        if lines[j].lstrip().startswith("["):
                            break
                        if re.match(rf"\s*{re.escape(key)}\s*=", lines[j]):
                            return j + 1
                return i + 1
    return None


def _fail(text: str, where: str, message: str, stage: int | None = None,
          key: str | None = None, table: str | None = None,
          name: str | None = None) -> ConfigError:
    line = _stage_line(text, stage, key) if stage is not None else None
    if line is None and table:
        for i, raw in enumerate(text.splitlines()):
            if raw.strip() == f"[{table}]":
                line = i + 1
                break
    return ConfigError(message, path=where, line=line,
                       setting=(f"stage {name!r}" if name else f"stages.{stage}")
                       if stage is not None else table)


def _validate(raw: dict[str, Any], text: str, where: str) -> PipelineFile:
    try:
        return PipelineFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = err["loc"]
        if not (loc and loc[0] == "stages" and len(loc) > 1 and isinstance(loc[1], int)):
            raise explain(exc, PipelineFile, text, where) from None
        key = str(loc[2]) if len(loc) > 2 else None
        if err["type"] == "extra_forbidden":
            known = list(StageTable.model_fields)
            message = (f"unknown key {key!r}{suggest(key or '', known)}; a stage takes "
                       f"{', '.join(known)}")
        else:
            message = f"{key}: {err['msg']}" if key else str(err["msg"])
        stages = raw.get("stages")
        named = stages[loc[1]].get("name") if isinstance(stages, list) and \
            loc[1] < len(stages) and isinstance(stages[loc[1]], dict) else None
        raise _fail(text, where, message, loc[1], key,
                    name=named if isinstance(named, str) else None) from None


def _resolve_path(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if "/" not in text and "\\" not in text and not text.endswith(".toml"):
        shipped = shipped_pipelines()
        if text in shipped:
            return shipped[text]
        raise ConfigError(f"no pipeline named {text!r}{suggest(text, sorted(shipped))}; or "
                          f"give a pipeline file's path (a .toml file)")
    return Path(text)


def load_pipeline(name_or_path: str | Path) -> Pipeline:
    """Read, check and resolve a pipeline file (or a shipped pipeline by name: read once a
    process, as every `produce` and batch item asks for it)."""
    path = _resolve_path(name_or_path)
    if path in shipped_pipelines().values():
        return _load_shipped(path)
    return _load(path)


@lru_cache(maxsize=None)
def _load_shipped(path: Path) -> Pipeline:
    return _load(path)


def _load(path: Path) -> Pipeline:
    where = str(path)
    if path.is_symlink():
        raise ConfigError("the pipeline file is a symbolic link; give the file itself",
                          path=where)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found; give an existing pipeline file or a shipped "
                          f"pipeline's name ({', '.join(sorted(shipped_pipelines()))})",
                          path=where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read it ({exc})", path=where) from None
    data = _validate(parse_toml(text, where), text, where)
    folder = str(path.resolve().parent)
    shipped = Path(str(resources.files("archibald.pipelines"))).resolve()
    if Path(folder).parent != shipped and folder not in sys.path:  # a stage module beside the file
        sys.path.insert(0, folder)
    return _build(data, text, where, path)


def _build(data: PipelineFile, text: str, where: str, path: Path) -> Pipeline:
    names = [s.name for s in data.stages]
    inputs = {n: InputSpec(n, t.type, t.required, t.default, t.help, t.min, t.max, t.words)
              for n, t in data.inputs.items()}
    for name, spec in inputs.items():
        if spec.default is not None:
            spec.coerce(spec.default, f"{where} [inputs.{name}]")
    from ..config.schema import TaskTypeTable

    for name, table in data.task_types.items():
        try:
            TaskTypeTable.model_validate(table)
        except ValidationError as exc:
            err = explain(exc, TaskTypeTable, "", where)
            raise _fail(text, where, str(err).removeprefix(f"{where}: "),
                        table=f"task_types.{name}") from None
    run_names = set(inputs) | {"channel", "seed"}
    stages: list[StageSpec] = []
    locals_: dict[str, tuple[str, Any]] = {}
    for i, s in enumerate(data.stages):
        if names.count(s.name) > 1:
            raise _fail(text, where, f"two stages are named {s.name!r}; names must be unique",
                        i, "name", name=s.name)
        for need in s.needs:
            if need not in names or need == s.name:
                raise _fail(text, where, f"needs {need!r}, which is not another stage"
                            f"{suggest(need, names)}", i, "needs", name=s.name)
        allowed = run_names | set(s.needs) | {"media", "publish", "stage_dir"}
        for key, template in (("inputs", s.inputs), ("prompt", s.prompt),
                              ("system", s.system)):
            extra = set(s.inputs) if key != "inputs" else set()
            for ref in sorted(template_names(template)):
                root = ref.split(".")[0]
                if root not in allowed and root not in extra and not (key != "inputs"
                                                                       and s.prepare):
                    raise _fail(text, where, f"{{{ref}}} names {root!r}, which is not an input, "
                                f"a stage in needs, nor one of media, publish, stage_dir, channel, seed"
                                f"{suggest(root, sorted(allowed))}", i, key, name=s.name)
        for k in s.keys:
            if k not in run_names:
                raise _fail(text, where, f"keys names {k!r}, which is not an input"
                            f"{suggest(k, sorted(run_names))}", i, "keys", name=s.name)
        task_type = s.task_type or s.name
        if s.local:
            seen = locals_.get(task_type)
            if seen and seen[1] != s.local:
                raise _fail(text, where, f"stages {seen[0]!r} and {s.name!r} share task type "
                            f"{task_type!r} but name different local implementations; give "
                            f"one a task type of its own", i, "local", name=s.name)
            locals_[task_type] = (s.name, s.local)
        for out in s.outputs:
            if out in ("run.json", "report.md", "report.html", ".archibald") or "/" in \
                    out.rstrip("/") or out.startswith(".") or not out.strip("/"):
                raise _fail(text, where, f"output {out!r} is not a plain name Archibald may "
                            f"write at the top of --out (run.json and the reports are its own)",
                            i, "outputs", name=s.name)

        def fn(path_: str | Callable[..., Any] | None, key: str,
               index: int = i) -> Callable[..., Any] | None:
            if path_ is None:
                return None
            try:
                return resolve_function(path_)
            except ConfigError as exc:
                raise _fail(text, where, str(exc), index, key, name=s.name) from None

        if s.local:
            fn(s.local, "local")  # imported now, so a typo is found before anything runs
        if s.reuse:
            fn(s.reuse, "reuse")
        reads = {r.split(".")[0] for r in template_names([s.inputs, s.prompt, s.system])}
        stages.append(StageSpec(
            name=s.name, task_type=task_type, needs=tuple(s.needs), phase=s.phase, cpu=s.cpu,
            inputs=s.inputs, prompt=s.prompt, system=s.system, max_tokens=s.max_tokens,
            local=s.local, adopt=fn(s.adopt, "adopt"), check=fn(s.check, "check"),
            reuse=s.reuse, prepare=fn(s.prepare, "prepare"), keys=tuple(s.keys),
            outputs=dict(s.outputs), version=s.version,
            reads=tuple(sorted((reads & (run_names - {"seed"})) | set(s.keys) | {"channel"}))))
    outputs = [o for s in stages for o in s.outputs]
    dup = next((o for o in outputs if outputs.count(o) > 1), None)
    if dup:
        raise ConfigError(f"two stages place {dup!r} in --out; give one another name",
                          path=where)
    learn = None
    if data.pipeline.learn is not None:
        try:
            learn = resolve_function(data.pipeline.learn)
        except ConfigError as exc:
            raise _fail(text, where, str(exc), table="pipeline") from None
    from .dag import PipelineError, dag_order

    try:
        dag_order((s.name, s.needs) for s in stages)
    except PipelineError as exc:
        raise ConfigError(str(exc), path=where) from None
    # a local-only stage whose task type nothing defines gets the Python API's local-only
    # profile (a full [task_types.X] in archibald.toml still wins over it)
    from ..pipelines import shipped_task_types

    task_types = dict(data.task_types)
    for stage in stages:
        kind = stage.task_type
        if stage.local and kind not in task_types and kind not in shipped_task_types():
            task_types[kind] = dict(LOCAL_ONLY)
    return Pipeline(name=data.pipeline.name, description=data.pipeline.description,
                    unit=data.pipeline.unit, inputs=inputs, task_types=task_types,
                    rubrics={k: v.model_dump() for k, v in data.rubrics.items()},
                    stages=tuple(stages), path=path, learn=learn, text=text)


def parse_set(pairs: Sequence[str]) -> dict[str, str]:
    """``--set k=v`` options as a mapping; one line for a malformed one."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--set {pair!r} is not NAME=VALUE; write e.g. --set "
                              f"topic=\"sleep after a night shift\"")
        out[key.strip()] = value
    return out
