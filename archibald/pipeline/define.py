"""Pipelines defined in Python: the same stages a pipeline file declares, with the functions
themselves instead of import paths.

    notes = archibald.define_pipeline("notes", unit="note")
    notes.input("topic", required=True, help="what the notes are about")

    @notes.stage(prompt="List facts about {topic}, one per line.", inputs={"topic": "{topic}"})
    async def facts(task, context):                       # the local (offline) route
        return {"facts": [f"{w} matters" for w in task.inputs["topic"].split()]}

    @notes.stage(needs=["facts"], inputs={"facts": "{facts.facts}"},
                 outputs={"notes.md": "text"})
    async def write(task, context):
        return {"text": "\\n".join(task.inputs["facts"])}

    data = archibald.run(notes, {"topic": "river otters"}, out="out")     # or await run_async

A stage whose task type no configuration defines gets a local-only one (a local program, cost
0, never delegated); give :meth:`PipelineDef.task_type` a profile to let model routes take it.
Everything else (templates, checks, DAG, resume, budgets, run.json, report) is the runner's, as
for a file. The pipeline's identity for resume is its definition: names, templates, and the
functions' qualified names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from .spec import LOCAL_ONLY, Pipeline, PipelineFile, _build

__all__ = ["PipelineDef", "define_pipeline", "LOCAL_ONLY"]

F = TypeVar("F", bound=Callable[..., Any])



def _name(value: Any) -> Any:
    if callable(value):
        return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', '?')}"
    if isinstance(value, Mapping):
        return {k: _name(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_name(v) for v in value]
    return value


class PipelineDef:
    """A pipeline being defined in Python; :meth:`build` checks it as a file is checked."""

    def __init__(self, name: str, *, description: str = "", unit: str = "run") -> None:
        self._head: dict[str, Any] = {"name": name, "description": description, "unit": unit}
        self._inputs: dict[str, dict[str, Any]] = {}
        self._task_types: dict[str, dict[str, Any]] = {}
        self._rubrics: dict[str, dict[str, Any]] = {}
        self._stages: list[dict[str, Any]] = []

    def input(self, name: str, type: str = "str", *, required: bool = False,
              default: Any = None, help: str = "", min: float | None = None,
              max: float | None = None) -> "PipelineDef":
        """Declare an input of the run (``--set NAME=...`` on the command line)."""
        self._inputs[name] = {k: v for k, v in {"type": type, "required": required,
                                                "default": default, "help": help,
                                                "min": min, "max": max}.items()
                              if v is not None}
        return self

    def task_type(self, name: str, **profile: Any) -> "PipelineDef":
        """A task type's profile, as ``[task_types.NAME]`` takes it (complexity, routes,
        premium_usage, quality_floor...)."""
        self._task_types[name] = dict(profile)
        return self

    def rubric(self, task_type: str, what: str, criteria: Sequence[str]) -> "PipelineDef":
        """How the judge scores this task type's work when a model route made it."""
        self._rubrics[task_type] = {"what": what, "criteria": list(criteria)}
        return self

    def learn(self, fn: F) -> F:
        """Decorate ``fn(memory, channel, outcomes)``: called after every run."""
        self._head["learn"] = fn
        return fn

    def stage(self, name: str | None = None, *, task_type: str | None = None,
              needs: Sequence[str] = (), inputs: Mapping[str, Any] | None = None,
              prompt: str = "", system: str = "", max_tokens: int | None = None,
              adopt: Callable[..., Any] | None = None, check: Callable[..., Any] | None = None,
              reuse: Callable[..., Any] | None = None,
              prepare: Callable[..., Any] | None = None, cpu: bool = False, phase: str = "",
              outputs: Mapping[str, str] | None = None,
              version: str = "") -> Callable[[F], F]:
        """Decorate the stage's local implementation ``async def fn(task, context)``."""
        def register(fn: F) -> F:
            table = {"name": name or fn.__name__, "task_type": task_type, "needs": list(needs),
                     "inputs": dict(inputs or {}), "prompt": prompt, "system": system,
                     "max_tokens": max_tokens, "local": fn, "adopt": adopt, "check": check,
                     "reuse": reuse, "prepare": prepare, "cpu": cpu, "phase": phase,
                     "outputs": dict(outputs or {}), "version": version}
            self._stages.append({k: v for k, v in table.items() if v is not None})
            return fn
        return register

    def build(self, known_task_types: Sequence[str] = ()) -> Pipeline:
        """The checked pipeline; a stage's task type nobody defines gets :data:`LOCAL_ONLY`
        (``known_task_types``: those the settings already define)."""
        from ..pipelines import shipped_task_types

        known = set(known_task_types) | set(shipped_task_types()) | set(self._task_types)
        task_types = dict(self._task_types)
        for s in self._stages:
            t = s.get("task_type") or s["name"]
            if t not in known:
                task_types[t] = dict(LOCAL_ONLY)
        raw = {"pipeline": self._head, "inputs": self._inputs, "task_types": task_types,
               "rubrics": self._rubrics, "stages": self._stages}
        data = PipelineFile.model_validate(raw)
        text = json.dumps(_name(raw), sort_keys=True, default=str)
        where = f"<pipeline {self._head['name']} defined in Python>"
        return _build(data, text, where, Path(where))


def define_pipeline(name: str, *, description: str = "", unit: str = "run") -> PipelineDef:
    """Start a pipeline in Python (see the module's docstring)."""
    return PipelineDef(name, description=description, unit=unit)
