"""The one baseline rule: what the premium route would have charged for the work really done.

A stage's baseline is the price of the premium backend the catalog would call for its task
type (from configuration), applied to the stage's *actual* work: the characters really voiced,
the seconds of music really made, the images really made, and for text the tokens of the
prompt sent and of the answer accepted, at the premium model's price per token. When the stage
ran on premium, the baseline is that call's own cost. No premium backend for a task type means
no baseline (0), and the reason is kept so the report can say why.

Prices come from the same :class:`~archibald.core.prices.PriceBook` the backends bill from: LiteLLM's
bundled map for tokens, ``prices.toml`` for characters, seconds and images.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..providers.backends.base import Backend
from ..errors import RouteUnavailable
from ..store.ledger import to_nano
from .prices import PriceBook, _litellm_version, megapixels
from .tasks import Outcome, Task, Usage

if TYPE_CHECKING:
    from .decisions import Registry, RouterParts

__all__ = ["Baseline", "baseline_for", "premium_baseline", "count_tokens", "answer_text",
           "has_baseline",
           "unpriced"]

#: the documented fallback when LiteLLM's tokenizer cannot run: about four characters a token
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Baseline:
    """One accepted attempt's all-premium price, with the work and price it came from."""

    nano: int
    backend: str | None = None          # the premium backend priced (None: there is none)
    work: dict[str, Any] = field(default_factory=dict)  # the usage priced
    basis: str = ""                      # how the work was measured
    source: str = ""                     # where the price came from
    missing: str = ""                    # why there is no baseline row

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["work"] = dict(self.work)  # numbers by unit: a shallow copy is a whole one
        return out


def premium_baseline(router: "RouterParts", task: Task, route: str, outcome: Outcome,
                     cost_nano: int) -> int:
    """The baseline of an accepted attempt (nano-dollars), its explanation kept on the outcome.

    This is the line ``Router.run`` calls; the explanation lands in ``outcome.detail
    ["baseline"]`` so run.json and the report can show the work and price behind the figure.
    """
    found = baseline_for(router.registry, router.prices, task, route, outcome, cost_nano)
    outcome.detail["baseline"] = found.as_dict()
    return found.nano


def baseline_for(registry: "Registry", prices: PriceBook, task: Task, route: str,
                 outcome: Outcome, cost_nano: int) -> Baseline:
    """What the premium backend for ``task`` would charge for the work ``outcome`` holds."""
    backend = registry.get(task.type, "premium")
    if backend is not None and route == "premium":
        return Baseline(cost_nano, backend.name, outcome.usage.as_dict(),
                        "the premium call itself",
                        str(outcome.detail.get("price_source", "")))
    pricer = _pricer(backend) if backend is not None else None
    if backend is None or pricer is None:
        why = backend.unavailable_reason() if backend is not None else None
        return Baseline(0, missing=why or f"no premium backend serves {task.type} here "
                                          f"with a known price")
    try:
        return pricer(backend, prices, task, outcome)
    except RouteUnavailable as exc:  # the premium backend's price is not known
        return Baseline(0, backend.name, missing=str(exc))


def has_baseline(registry: "Registry", task_type: str) -> bool:
    """Whether a task type's work has an all-premium price here: a premium backend that
    knows how to price the work (the rule of :func:`baseline_for`, for `plan`)."""
    backend = registry.get(task_type, "premium")
    return backend is not None and _pricer(backend) is not None


def unpriced(registry: "Registry", prices: PriceBook, task_types: list[str]) -> list[str]:
    """Every premium backend of ``task_types`` whose price the price book does not know, as
    "task type: why" lines (empty when every one is priced)."""
    missing = []
    for task_type in task_types:
        backend = registry.get(task_type, "premium")
        if backend is None or _pricer(backend) is None:
            continue
        model = getattr(backend, "model", None) if _prices_tokens(backend) else None
        unit = (getattr(backend, "request_fee", None) if model is not None
                else getattr(backend, "price_key", backend.name))
        try:
            prices.cost(Usage(), model=model, unit=unit)
        except RouteUnavailable as exc:
            missing.append(f"{task_type}: {exc}")
    return missing


def _prices_tokens(backend: Backend) -> bool:
    return _pricer(backend) is _text


# -- per kind of premium backend ------------------------------------------------------------
Pricer = Callable[[Any, PriceBook, Task, Outcome], Baseline]


def _pricer(backend: Backend) -> Pricer | None:
    return _pricer_of(type(backend))


@lru_cache(maxsize=None)
def _pricer_of(kind: type[Backend]) -> Pricer | None:
    """How a kind of premium backend's work is priced (one lookup per class: the gateway
    prices a baseline on every request)."""
    from ..providers.backends.elevenlabs import ElevenLabsBackend
    from ..providers.backends.fal import FalImageBackend, FalMusicBackend
    from ..providers.backends.llm import ChatBackend
    from ..providers.backends.perplexity import PerplexityBackend

    kinds: list[tuple[type[Backend], Pricer]] = [
        (ChatBackend, _text), (PerplexityBackend, _text), (ElevenLabsBackend, _speech),
        (FalMusicBackend, _music), (FalImageBackend, _image)]
    return next((p for cls, p in kinds if issubclass(kind, cls)), None)


def _text(backend: Any, prices: PriceBook, task: Task, outcome: Outcome) -> Baseline:
    """Tokens sent and accepted, at the premium model's per-token price (plus any request fee).

    Every input token is priced as fresh input: a cache discount belongs to the route that
    earned it, not to a premium call that was never made."""
    used = outcome.usage
    if used.input_tokens or used.output_tokens:
        usage = Usage(input_tokens=used.input_tokens, output_tokens=used.output_tokens,
                      requests=1)
        basis = f"tokens sent and accepted, as {outcome.backend} counted them"
    else:
        from ..providers.backends.llm import chat_messages

        prompt = str(task.inputs.get("prompt") or task.inputs.get("instruction") or "")
        messages = chat_messages(task, prompt)
        answer = answer_text(outcome.artifact)
        n_in, how = count_tokens(backend.model, messages=messages)
        n_out, _ = count_tokens(backend.model, text=answer)
        usage = Usage(input_tokens=n_in, output_tokens=n_out, requests=1)
        basis = (f"tokens of the prompt the premium route would be sent and of the accepted "
                 f"answer, counted with {how}")
    fee = getattr(backend, "request_fee", None)
    usd = prices.cost(usage, model=backend.model, unit=fee)
    return Baseline(to_nano(usd), backend.name, usage.as_dict(), basis,
                    prices.source(model=backend.model, unit=fee))


def _speech(backend: Any, prices: PriceBook, task: Task, outcome: Outcome) -> Baseline:
    """The characters really voiced, at the premium voice's per-character price."""
    from ..providers.backends.elevenlabs import speech_plan

    pieces = [p for p in speech_plan(str(task.inputs.get("text") or ""), backend.max_chars)
              if isinstance(p, str)]
    chars = sum(len(p) for p in pieces)  # pause marks are silence, not characters billed
    usage = Usage(characters=chars, requests=len(pieces))
    usd = prices.cost(usage, unit=backend.price_key)
    return Baseline(to_nano(usd), backend.name, usage.as_dict(),
                    f"{chars:,} characters voiced", prices.source(unit=backend.price_key))


def _music(backend: Any, prices: PriceBook, task: Task, outcome: Outcome) -> Baseline:
    """The seconds of music really made, as the premium backend would bill them: the pieces
    its model's per-request range allows (crossfaded into one bed), each rounded up as its
    price says."""
    from ..providers.backends.fal import CROSSFADE

    art = outcome.artifact if isinstance(outcome.artifact, dict) else {}
    seconds = float(art.get("seconds") or art.get("duration") or 0.0)
    price = prices.unit(backend.name)
    pieces = price.pieces(seconds, CROSSFADE) if seconds > 0 else []
    usage = Usage(audio_seconds=seconds, requests=len(pieces))
    usd = price.cost(Usage(audio_seconds=sum(pieces), requests=len(pieces))) if pieces else 0.0
    return Baseline(to_nano(usd), backend.name, usage.as_dict(),
                    f"{seconds:g} s of music made, {len(pieces)} request(s) of "
                    f"{pieces[0] if pieces else 0:g} s", prices.source(unit=backend.name))


def _image(backend: Any, prices: PriceBook, task: Task, outcome: Outcome) -> Baseline:
    """The image really made, at the premium image model's price (megapixels as fal counts)."""
    art = outcome.artifact if isinstance(outcome.artifact, dict) else {}
    width, height = _image_size(art, task)
    usage = Usage(images=1, megapixels=megapixels(width, height), requests=1)
    usd = prices.cost(usage, unit=backend.name)
    return Baseline(to_nano(usd), backend.name, usage.as_dict(),
                    f"1 image of {width}x{height}", prices.source(unit=backend.name))


def _image_size(art: dict[str, Any], task: Task) -> tuple[int, int]:
    """The made image's pixel size: from the file when it can be read, else as requested."""
    path = art.get("path")
    if path and Path(str(path)).is_file():
        try:
            from PIL import Image

            with Image.open(str(path)) as im:
                return int(im.width), int(im.height)
        except (ImportError, OSError):
            pass
    return (int(art.get("width") or task.inputs.get("width", 1920)),
            int(art.get("height") or task.inputs.get("height", 1080)))


# -- measuring text ---------------------------------------------------------------------------
def answer_text(artifact: Any) -> str:
    """The text a premium model would have answered with for this artifact: the text itself,
    the markdown (or text) form a stage keeps beside its data (a script as the markdown the
    prompts ask for), anything else as JSON."""
    if isinstance(artifact, str):
        return artifact
    for key in ("markdown", "text"):  # the text form a stage keeps beside its data
        if isinstance(artifact, dict) and isinstance(artifact.get(key), str):
            return str(artifact[key])
    if isinstance(artifact, dict) and len(artifact) == 1:
        artifact = next(iter(artifact.values()))
    return json.dumps(artifact, sort_keys=True, default=str)


def count_tokens(model: str, *, text: str = "",
                 messages: list[dict[str, str]] | None = None) -> tuple[int, str]:
    """Tokens of ``text`` or ``messages`` for ``model``, and the tokenizer that counted them:
    LiteLLM's ``token_counter`` (offline, bundled tokenizers) when it runs, else characters
    / 4 rounded up (a documented estimate). LiteLLM is imported only for a model whose
    tokenizer :mod:`archibald.core.tokens` does not reproduce: an offline run never imports it."""
    from .tokens import count_like_litellm

    counted = count_like_litellm(model, text=text, messages=messages)
    if counted is not None:
        return counted, f"LiteLLM {_litellm_version()} token_counter's tokenizers"
    counter = _litellm_counter()
    if counter is not None:
        try:
            if messages is not None:
                n = int(counter(model=model, messages=messages))
            else:
                n = int(counter(model=model, text=text)) if text else 0
            return n, f"LiteLLM {_litellm_version()} token_counter"
        except Exception:  # a tokenizer that cannot load offline: fall back, and say so
            pass
    chars = len(text) if messages is None else sum(len(m["content"]) for m in messages)
    return math.ceil(chars / CHARS_PER_TOKEN), "a characters/4 estimate (LiteLLM unavailable)"


@lru_cache(maxsize=1)
def _litellm_counter() -> Callable[..., Any] | None:
    try:
        from ..providers.chat_models import import_litellm

        counter: Callable[..., Any] = import_litellm().token_counter
        return counter
    except Exception:  # not installed, or fails to import: the estimate stands in
        return None
