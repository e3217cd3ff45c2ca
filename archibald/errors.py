"""Every exception Archibald raises, in one place.

The tree::

    ArchibaldError
    ├── UserError                  your mistake; the CLI prints one line and exits 2
    │   ├── ConfigError            malformed or invalid archibald.toml (file, line, setting)
    │   ├── UnknownTaskType        a task type with no profile
    │   ├── MissingKeyError        a route you chose needs a key that is not set
    │   ├── InputError             a missing, corrupt, empty or unwritable file you gave us
    │   └── BudgetExceeded         a call would cross a budget; refused before any money is spent
    ├── DelegationError            a route failed at run time; the router falls back or escalates
    │   ├── RoutesFailed           every route of a task failed: each route and why, in one line
    │   ├── RouteUnavailable       the route cannot run here (no key, no server, no model price)
    │   ├── BackendError           a provider answered with an error
    │   │   ├── RateLimited        429 (retry_after in seconds, when the provider said)
    │   │   ├── ProviderOverloaded 5xx / 529 / 503
    │   │   ├── NonRetryable       401, 402, 403, spend limit reached, bad request: never retried
    │   │   └── UnreadableAnswer   a 200 that cannot be read: maybe billed, kept at its maximum
    │   ├── ProviderUnreachable    the provider could not be reached (nothing sent): skipped
    │   │                          for a cool-down, not retried
    │   ├── BackendTimeout         the provider or agent did not finish in time
    │   └── QualityRejected        the result scored below the task type's floor
    ├── MediaError                 a local media program failed (ffmpeg, piper) or produced a
    │   └── ValidationError        file that does not meet its spec
    └── StageFailed                a pipeline stage failed; names the stage and the cause

Third-party exceptions (httpx, LiteLLM, ffmpeg's exit status) are translated into these where
they enter, so callers only ever catch what is listed here.
"""

from __future__ import annotations

from collections.abc import Iterable

from .store.ledger import format_usd

__all__ = [
    "ArchibaldError",
    "UserError",
    "ConfigError",
    "UnknownTaskType",
    "MissingKeyError",
    "InputError",
    "BudgetExceeded",
    "DelegationError",
    "RoutesFailed",
    "why_failed",
    "each_failure",
    "RouteUnavailable",
    "BackendError",
    "RateLimited",
    "ProviderOverloaded",
    "NonRetryable",
    "ProviderUnreachable",
    "UnreadableAnswer",
    "BackendTimeout",
    "QualityRejected",
    "MediaError",
    "ValidationError",
    "StageFailed",
]


class ArchibaldError(Exception):
    """Base of every Archibald exception."""


class UserError(ArchibaldError):
    """A mistake the user can fix; the message says how. The CLI exits with status 2."""

    exit_code = 2


class ConfigError(UserError):
    """The configuration file or a setting is malformed or invalid."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 setting: str | None = None) -> None:
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        if setting:
            where += f"[{setting}] "
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.setting = setting


class UnknownTaskType(UserError):
    """No profile exists for this task type."""

    def __init__(self, task_type: str, known: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(task_type, sorted(known), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        super().__init__(
            f"unknown task type {task_type!r}; {hint}known types: {', '.join(sorted(known))} "
            f"(add a [task_types.{task_type}] table to archibald.toml to define it)"
        )
        self.task_type = task_type


class MissingKeyError(UserError):
    """A route was chosen explicitly but its credentials are not configured."""

    def __init__(self, route: str, variable: str) -> None:
        # ``variable`` is a name (ELEVENLABS_API_KEY) or a backend's sentence saying it is unset
        need = f": {variable}" if " is not set" in variable else f" needs {variable}"
        super().__init__(
            f"route {route!r}{need}; set it in the environment or in archibald.toml "
            f"[providers], or choose another route"
        )
        self.route = route
        self.variable = variable


class InputError(UserError):
    """A file given as input (or an output location) is unusable."""


class BudgetExceeded(UserError):
    """A call would cross a budget. Raised before the call, so nothing was spent."""

    def __init__(self, scope: str, spent: float, cost: float, limit: float, setting: str) -> None:
        def money(amount: float) -> str:  # each at its real size: $0.00012, $12.50, $5
            return format_usd(amount, 4, trim=True)

        super().__init__(
            f"budget refused: {scope} has spent {money(spent)}, this call would cost up to "
            f"{money(cost)}, the limit is {money(limit)}; raise {setting} in archibald.toml "
            f"to allow it"
        )
        self.scope = scope
        self.spent = spent
        self.cost = cost
        self.limit = limit
        self.setting = setting


class DelegationError(ArchibaldError):
    """A route failed while running a task; the router may fall back to another route."""

    #: what the failed attempt had already cost (a provider may bill a failed call)
    cost: float = 0.0


def why_failed(exc: BaseException) -> str:
    """Why a route failed, as a person reads it: Archibald's own errors by their message (it is
    written to be read and names the provider), anything else with its type's name."""
    said = str(exc)
    if isinstance(exc, ArchibaldError) and said:
        return said
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def each_failure(failures: Iterable[tuple[str, str]]) -> str:
    """``(route, why)`` pairs in one line: ``budget: deepseek unreachable ...; premium: ...``."""
    return "; ".join(f"{route}: {why}" for route, why in failures)


class RoutesFailed(DelegationError):
    """Every route of a task's chain failed; ``failures`` holds each route tried and why.

    ``summary`` says it without the task type (a gateway's 502 answer): ``every route failed:
    budget: deepseek unreachable at ...; premium: anthropic answered HTTP 500: ...``."""

    def __init__(self, task_type: str, failures: Iterable[tuple[str, str]]) -> None:
        self.task_type = task_type
        self.failures = list(failures)
        self.summary = "every route failed: " + each_failure(self.failures)
        super().__init__(f"{task_type}: {self.summary}")


class RouteUnavailable(DelegationError):
    """The route cannot run in this environment (missing key, server, or price)."""


class BackendError(DelegationError):
    """A provider answered with an error status."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None,
                 retry_after: float | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retry_after = retry_after
        self.code = code


class RateLimited(BackendError):
    """HTTP 429; ``retry_after`` holds the provider's Retry-After in seconds, if any."""


class ProviderOverloaded(BackendError):
    """5xx, 503 or Anthropic's 529: retry with backoff."""


class NonRetryable(BackendError):
    """An error a retry cannot fix: bad key, no balance, spend limit, invalid request."""


class UnreadableAnswer(BackendError):
    """The provider answered (HTTP 200) but the answer cannot be read: it was probably billed,
    so it is never retried, and its ledger row keeps its maximum as *unknown* (counted against
    budgets) instead of a $0 that hides a bill."""

    billed_unknown = True


class ProviderUnreachable(DelegationError):
    """The provider could not be reached at all (connection refused, unknown host): nothing
    was sent or billed. Not retried; the provider is skipped for a cool-down (see
    :mod:`archibald.providers.backends.breaker`)."""

    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message)
        self.provider = provider


class BackendTimeout(DelegationError):
    """The provider or agent did not finish within its time limit."""


class QualityRejected(DelegationError):
    """The result's quality score fell below the task type's floor."""

    def __init__(self, message: str, *, score: float, floor: float) -> None:
        super().__init__(message)
        self.score = score
        self.floor = floor


class MediaError(ArchibaldError):
    """A local media program failed."""


class ValidationError(MediaError):
    """A produced file does not meet its specification."""


class StageFailed(ArchibaldError):
    """A pipeline stage failed; other stages' work is kept."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"stage {stage!r} failed: {cause}")
        self.stage = stage
        self.cause = cause
