"""The LLM judge: scores creative work against a versioned rubric, alone or pairwise.

A route never grades its own work; the judge is a separate model call (``[quality]
judge_model``, a budget-class model by default, any model LiteLLM serves) that sees the task
type's rubric and the work, never which route made it, and answers JSON ``{"score", "reasons"}``
(pairwise: ``{"a", "b", "reasons"}``). A pair is judged in both orders and averaged, which
cancels the judge's preference for whichever text it reads first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Sequence

from ..providers.backends.base import Backend
from ..core.tasks import Outcome, Task, Usage

__all__ = ["Rubric", "rubric", "rubrics", "Verdict", "Judge", "judge_text", "parse_verdict"]

#: the most of a work the judge reads (characters); a 60-minute script is about 40k
MAX_TEXT = 24000
#: expected answer length, for the budget check before a call
ANSWER_TOKENS = 300


@dataclass(frozen=True)
class Rubric:
    task_type: str
    version: int
    what: str
    criteria: tuple[str, ...]
    #: what the judge is shown: "text", or an "image" / "audio" attachment
    kind: str = "text"
    #: who the judge is told it is ("": the pipelines' editor of a channel's work)
    system: str = ""

    def text(self) -> str:
        return "\n".join(f"- {c}" for c in self.criteria)


@lru_cache(maxsize=1)
def rubrics() -> dict[str, Rubric]:
    """Every shipped pipeline's rubrics (its ``[rubrics.NAME]`` tables), by task type."""
    from ..pipelines import shipped_rubrics

    return {t: Rubric(t, int(r.get("version", 1)), str(r["what"]), tuple(r["criteria"]))
            for t, r in shipped_rubrics().items()}


#: rubrics a pipeline file declared ([rubrics.NAME]), over the shipped ones
_ADDED: dict[str, Rubric] = {}


def add_rubrics(tables: Mapping[str, Mapping[str, Any]]) -> None:
    """Judge a pipeline's own creative task types: its ``[rubrics.NAME]`` tables."""
    for t, r in tables.items():
        _ADDED[t] = Rubric(t, int(r.get("version", 1)), str(r["what"]), tuple(r["criteria"]))


def rubric(task_type: str) -> Rubric | None:
    """The rubric of a task type, or None when its work is not judged (not creative text)."""
    return _ADDED.get(task_type) or rubrics().get(task_type)


def judge_text(outcome: Outcome) -> str:
    """The work as the judge reads it: the stage's artifact (as adopted by its check, so every
    route's answer has one shape) in plain text, without a word on who made it."""
    art = outcome.detail.get("artifact", outcome.artifact)
    if isinstance(art, dict) and isinstance(art.get("markdown") or art.get("text"), str):
        text = str(art.get("markdown") or art.get("text"))
    elif isinstance(art, dict) and "metadata" in art:
        meta = art["metadata"]
        text = (f"Title: {meta.get('title', '')}\n\n{meta.get('description', '')}\n\n"
                f"Tags: {', '.join(map(str, meta.get('tags', [])))}")
    elif isinstance(art, dict):
        inner = next(iter(art.values())) if len(art) == 1 else art
        text = json.dumps(inner, indent=1, sort_keys=True, default=str)
    else:
        text = str(art)
    return text[:MAX_TEXT]


@dataclass
class Verdict:
    """What one judge call said, and what it cost."""

    scores: dict[str, float]
    reasons: list[str]
    outcome: Outcome
    rubric_version: int
    raw: str = ""
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_verdict(text: str, keys: tuple[str, ...]) -> tuple[dict[str, float], list[str]]:
    """The scores (each in [0, 1]) and reasons of a judge's JSON answer; ValueError if absent."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the judge answered without a JSON object")
    data = json.loads(text[start:end + 1])
    scores = {}
    for k in keys:
        v = data.get(k)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ValueError(f"the judge's {k!r} is {v!r}, not a number from 0 to 1")
        scores[k] = float(v)
    reasons = data.get("reasons", [])
    if isinstance(reasons, str):
        reasons = [reasons]
    return scores, [str(r) for r in reasons][:10]


_SYSTEM = ("You are a strict, impartial editor judging work for a YouTube channel against a "
           "rubric. You are not told who or what made the work; judge only the text. Answer "
           "with one JSON object and nothing else.")


SYSTEM_MEDIA = ("You are a strict, impartial editor judging media for a YouTube channel "
                 "against a rubric. You are not told who or what made the work; judge only "
                 "what is attached. Answer with one JSON object and nothing else.")


class Judge:
    """Scores work with a chat backend against the task type's rubric: text in the prompt,
    or (``senses`` "image" / "audio") media attached as content parts."""

    def __init__(self, backend: Backend, model: str, senses: str = "text") -> None:
        self.backend = backend
        self.model = model
        self.senses = senses

    @property
    def name(self) -> str:
        return self.backend.name

    def unavailable_reason(self) -> str | None:
        return self.backend.unavailable_reason()

    @staticmethod
    def single_prompt(r: Rubric, topic: str, work: str) -> str:
        return (f"Judge this {r.what} (rubric v{r.version}).\nTopic: {topic}\n\nRubric:\n"
                f"{r.text()}\n\nThe work:\n<<<\n{work}\n>>>\n\nAnswer as JSON: "
                f'{{"score": <0 to 1, where 0.7 is publishable>, "reasons": [<short '
                f'strings>]}}')

    @staticmethod
    def pair_prompt(r: Rubric, topic: str, a: str, b: str) -> str:
        return (f"Compare two versions of {r.what} (rubric v{r.version}) for the same task."
                f"\nTopic: {topic}\n\nRubric:\n{r.text()}\n\nVersion A:\n<<<\n{a}\n>>>\n\n"
                f"Version B:\n<<<\n{b}\n>>>\n\nScore each version on its own merits against "
                f'the rubric. Answer as JSON: {{"a": <0 to 1>, "b": <0 to 1>, "reasons": '
                f"[<short strings>]}}")

    def task(self, task: Task, prompt: str, parts: Sequence[Mapping[str, Any]] = (),
             system: str = "") -> Task:
        """The judge's call: the prompt (under ``system``, the rubric's own brief of who the
        judge is, else the pipelines' editor), and the media ``parts`` (OpenAI chat content
        parts: ``image_url``, ``input_audio``) after it in the same user message."""
        inputs: dict[str, Any] = {"system": system or _SYSTEM, "prompt": prompt,
                                  "temperature": 0.0, "max_tokens": ANSWER_TOKENS * 2}
        if parts:
            inputs["system"] = SYSTEM_MEDIA
            inputs["messages"] = [
                {"role": "system", "content": SYSTEM_MEDIA},
                {"role": "user", "content": [{"type": "text", "text": prompt},
                                             *(dict(p) for p in parts)]}]
        return Task(task.type, inputs, task.channel)

    def expected_usage(self, prompt: str, media_tokens: int = 0) -> Usage:
        """Roughly four characters a token, plus the most the attached media may count;
        what the budget check prices before the call."""
        return Usage(input_tokens=(len(prompt) + len(_SYSTEM)) // 4 + 1 + media_tokens,
                     output_tokens=ANSWER_TOKENS * (2 if media_tokens else 1), requests=1)

    def verdict(self, outcome: Outcome, keys: tuple[str, ...], version: int) -> Verdict:
        """What an answer says; a reply without valid scores is a Verdict with ``error`` set
        (its cost is still real)."""
        raw = str(outcome.artifact)
        try:
            scores, reasons = parse_verdict(raw, keys)
        except ValueError as exc:
            return Verdict({}, [], outcome, version, raw[:500], error=str(exc))
        return Verdict(scores, reasons, outcome, version, raw[:500])


def build_judge(settings: Any, prices: Any) -> Judge | None:
    """The configured judge, or None when ``[quality] judge_model`` is "" (no judge)."""
    name = settings.quality.judge_model
    if not name:
        return None
    from ..providers.backends.llm import ChatBackend
    from ..errors import RouteUnavailable
    from ..providers.registry import ProviderSettings

    model = settings.model_for(name)
    try:  # resolved by LiteLLM's conventions, like every chat model
        provider = ProviderSettings.load(settings.providers).for_model(model)
    except RouteUnavailable:
        return None
    return Judge(ChatBackend("judge", model, provider, prices), model)
