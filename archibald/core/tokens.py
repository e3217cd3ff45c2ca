"""Tokens counted as LiteLLM's ``token_counter`` counts them, without importing LiteLLM.

A run on the local route still prices what the premium route would have cost: the tokens of
the prompt it would have been sent and of the accepted answer (:mod:`archibald.baseline`).
Importing LiteLLM for that takes seconds, in a run that calls no model. Its tokenizers are
files it ships (tiktoken's encodings, Claude's tokenizer as JSON), so for the models whose
tokenizer is one of those this module counts with tiktoken and tokenizers directly, by
LiteLLM's rules (read from its installed price map):

- a model of the ``anthropic`` provider, ``claude-3`` models apart: the Claude tokenizer;
- an OpenAI chat model: its tiktoken encoding (``o200k_base`` for a gpt-4o);
- any other model: ``cl100k_base`` (LiteLLM counts it as gpt-3.5-turbo);
- text in 1,024-character chunks (tiktoken), a chat message 3 tokens plus its role's and its
  content's, a reply 3 more.

Anything else (a Llama, Cohere or Azure name, a list-valued message, LiteLLM's counting
settings changed by environment) returns None, and the caller asks LiteLLM itself.
tests/test_tokens.py checks that both count the same.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["count_like_litellm", "prompt_tokens"]

#: LiteLLM's defaults; set in the environment, they change its counts: leave those to it
_SETTINGS = ("TIKTOKEN_ENCODE_CHUNK_SIZE_CHARS", "TOKEN_COUNTER_MAX_EXACT_CHARS",
             "CUSTOM_TIKTOKEN_CACHE_DIR", "LITELLM_RUST")
_CHUNK = 1024
_MAX_EXACT = 4_000_000
_PER_MESSAGE, _PER_NAME, _PER_REPLY = 3, 1, 3


@lru_cache(maxsize=1)
def _bundled() -> Path | None:
    """LiteLLM's folder of tokenizer files, found without importing it."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
    return folder if folder.is_dir() else None


@lru_cache(maxsize=1)
def _providers() -> tuple[frozenset[str], frozenset[str]]:
    """LiteLLM's anthropic models and OpenAI chat models, from its installed price map."""
    from .prices import litellm_price_map

    anthropic, openai = set(), set()
    for name, entry in litellm_price_map().items():
        provider = entry.get("litellm_provider") if isinstance(entry, dict) else None
        if provider == "anthropic":
            anthropic.add(name)
        elif provider == "openai" and not name.startswith("ft:"):
            openai.add(name)
    return frozenset(anthropic), frozenset(openai)


@lru_cache(maxsize=8)
def _encoding(name: str) -> Callable[[str], int] | None:
    folder = _bundled()
    if folder is None:
        return None
    import tiktoken

    # what importing LiteLLM sets too: its bundled encodings, never a download
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    encoding = tiktoken.get_encoding(name)
    return lambda text: len(encoding.encode(text, disallowed_special=()))


@lru_cache(maxsize=1)
def _claude() -> Callable[[str], int] | None:
    folder = _bundled()
    if folder is None or not (folder / "anthropic_tokenizer.json").is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "anthropic_tokenizer.json"))
    return lambda text: len(tokenizer.encode_batch_fast([text])[0])


def _counter(model: str) -> Callable[[str], int] | None:
    """How LiteLLM counts a text for ``model``, or None when this module does not know."""
    low = model.lower()
    if any(os.environ.get(v) for v in _SETTINGS) or "llama-2" in low or "llama-3" in low \
            or "replicate" in low or "command-r" in low or "gpt-35" in low \
            or model.startswith("azure/"):
        return None
    anthropic, openai = _providers()
    if model in anthropic and "claude-3" not in model:
        return _claude()
    if model in openai:
        if model == "gpt-3.5-turbo-0301":
            return None  # counted with other per-message constants
        import tiktoken

        try:
            name = "o200k_base" if "gpt-4o" in model else tiktoken.encoding_name_for_model(model)
        except KeyError:
            name = "cl100k_base"
    else:
        name = "cl100k_base"
    count = _encoding(name)
    if count is None:
        return None
    return lambda text: sum(count(text[i:i + _CHUNK]) for i in range(0, len(text), _CHUNK))


def count_like_litellm(model: str, *, text: str = "",
                       messages: list[dict[str, Any]] | None = None) -> int | None:
    """``token_counter(model=model, text=text)`` (or ``messages=``) as LiteLLM would answer,
    or None when only LiteLLM can say."""
    try:
        count = _counter(model)
    except Exception:  # noqa: BLE001 - a tokenizer that will not load here: LiteLLM's path decides
        return None
    if count is None:
        return None
    if messages is None:
        return count(text) if len(text) <= _MAX_EXACT else None
    total = 0
    for message in messages:
        total += _PER_MESSAGE
        for key, value in message.items():
            if value is None:
                continue
            if not isinstance(value, str) or key in ("tool_calls", "function_call") \
                    or len(value) > _MAX_EXACT:
                return None
            total += count(value) + (_PER_NAME if key == "name" else 0)
    return total + _PER_REPLY


def _said(value: Any) -> list[str]:
    """Every string in a message's value (text blocks, tool calls' arguments, results)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _said(v)]
    if isinstance(value, list):
        return [t for v in value for t in _said(v)]
    return []


def prompt_tokens(model: str, messages: list[dict[str, Any]],
                  tools: list[dict[str, Any]] | None = None) -> int:
    """The tokens ``messages`` and ``tools`` make as ``model``'s prompt: as LiteLLM counts a
    chat (3 a message, its role and every text it holds, 3 for the reply), with the tools'
    definitions as their JSON; a model this module cannot count is counted as a gpt-4o
    (every system prompt, tool result and tool definition counted, never only the text)."""
    count = _counter_or_gpt(model)
    total = _PER_REPLY
    for message in messages:
        total += _PER_MESSAGE + sum(count(t) for t in _said(message) if t)
    if tools:
        total += count(json.dumps(tools, separators=(",", ":")))
    return total


def _counter_or_gpt(model: str) -> Callable[[str], int]:
    for name in (model, "gpt-4o"):
        try:
            count = _counter(name)
        except Exception:  # noqa: BLE001 - a tokenizer that will not load: the next
            count = None
        if count is not None:
            return count
    return lambda text: max(1, len(text.encode()) // 4)  # no tokenizer at all: bytes / 4
