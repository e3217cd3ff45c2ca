"""The nouns of one task's flow: Task, TaskAnalysis, Usage, Outcome."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..store.ledger import format_usd

__all__ = ["ROUTES", "Task", "TaskAnalysis", "Usage", "Outcome", "Context"]

#: every route, cheapest-to-trust last; "premium" is the fallback of every delegation
ROUTES = ("premium", "budget", "agent", "local", "memory")


@dataclass(frozen=True)
class Task:
    """One unit of work of a pipeline: a task type with its inputs, for a channel."""

    type: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    channel: str = "default"

    @property
    def minutes(self) -> float:
        """Target length in minutes for media tasks (scales usage estimates)."""
        return float(self.inputs.get("minutes", 10))


@dataclass(frozen=True)
class TaskAnalysis:
    """What the decision matrix looks at."""

    complexity: int
    creativity_required: bool
    execution_focused: bool
    estimated_cost: float  # what the premium route is expected to cost, USD

    def should_delegate(self, cost_threshold: float) -> bool:
        """The decision matrix of MISSION.md, exactly."""
        if self.creativity_required and self.complexity >= 7:
            return False
        if self.execution_focused and self.complexity <= 6:
            return True
        return self.estimated_cost < cost_threshold

    def matrix_reason(self, cost_threshold: float) -> str:
        """One sentence that says which rule of the matrix decided."""
        if self.creativity_required and self.complexity >= 7:
            return (f"creative work of complexity {self.complexity}/10 (>= 7) stays with the "
                    f"premium route")
        if self.execution_focused and self.complexity <= 6:
            return (f"execution-focused work of complexity {self.complexity}/10 (<= 6) is "
                    f"delegated")
        verb = "is delegated" if self.estimated_cost < cost_threshold else "stays premium"
        rel = "under" if self.estimated_cost < cost_threshold else "not under"
        return (f"the premium route would cost {format_usd(self.estimated_cost, 4, trim=True)}, "
                f"{rel} the {format_usd(cost_threshold, 4, trim=True)} threshold, so it {verb}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Usage:
    """What a call consumed, in the units its price is quoted in."""

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0         # thinking tokens, already counted in output_tokens
    cached_input_tokens: int = 0      # read from a provider's prompt cache (part of input)
    cache_write_tokens: int = 0       # written to a provider's prompt cache (part of input)
    characters: int = 0
    images: int = 0
    megapixels: float = 0.0
    audio_seconds: float = 0.0
    agent_runs: int = 0
    requests: int = 0
    tool_calls: int = 0               # server-side tool calls billed per call (web search)

    def as_dict(self) -> dict[str, Any]:
        """The non-zero counts (every field is a number: no deep copy needed, and
        ``dataclasses.asdict``'s was a tenth of a gateway request's time)."""
        return {k: v for k in self.__dataclass_fields__ if (v := getattr(self, k))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Usage":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Outcome:
    """What a backend returns: the artifact plus what it cost."""

    artifact: Any
    backend: str
    route: str
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0  # USD actually spent, priced from usage
    seconds: float = 0.0
    quality: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Where and with what a backend runs: the working folder, settings, seed."""

    workdir: Path
    seed: int = 0
    settings: Any = None  # archibald.config.Settings (Any to avoid an import cycle)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the router's hook for a provider's request id learnt mid-call (a fal request id, an
    #: OpenHands conversation id): it lands in the pending ledger row, so a run killed before
    #: the answer can fetch it by id on resume instead of paying for the work again
    request_id_sink: Callable[[str], None] | None = field(default=None, repr=False)
    #: where the router leaves the accepted answer's settlement (``core.calls.Unsettled``) for
    #: its caller to write once the answer is on its way (the gateway: right after the response
    #: is sent); until then its pending row holds the maximum and the wire row keeps the answer,
    #: as after a kill, so no money is lost or counted short in between
    settle_later: list[Any] | None = field(default=None, repr=False)

    def on_request_id(self, request_id: str) -> None:
        """Report the provider's id of the call in flight (backends call this)."""
        if self.request_id_sink is not None and request_id:
            self.request_id_sink(request_id)
