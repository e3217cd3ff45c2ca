"""A chat model on this machine: an Ollama server, or an OpenAI-compatible server the settings
name (llama.cpp, vLLM, LM Studio), found by one quick probe, and the model the text stages'
local route uses on it.

Ollama is asked ``GET /api/tags`` (the models it holds) and ``GET /api/version``; an
OpenAI-compatible server ``GET <base_url>/models``. The probe waits ``probe_seconds`` at most
(half a second by default): nothing listening is one refused connection, so a run without a
server never waits for one. What a probe found is remembered for a minute per address.
``ARCHIBALD_LOCAL_MODEL=off`` (or ``[local_model] detect = false``) turns detection off.

The model: the configured ``[models] local_llm`` when the server holds it, else the first chat
model it lists (embedding models are skipped). Its name is LiteLLM's: ``ollama_chat/llama3.2``
for Ollama, ``openai/<id>`` for an OpenAI-compatible server.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Mapping

import httpx

__all__ = ["LocalServer", "detect", "detection_off", "pick_model", "forget", "HOW_TO_GET_ONE", "OFF_VAR"]

#: the variable that turns detection off ("off", "0", "false", "no")
OFF_VAR = "ARCHIBALD_LOCAL_MODEL"
#: one line that says how to get a local model (the podcast's notice, `archibald doctor`)
HOW_TO_GET_ONE = ("install Ollama (https://ollama.com), run `ollama pull llama3.2`, and set "
                  "OLLAMA_BASE_URL if it is not at http://localhost:11434")
_OLLAMA_DEFAULT = "http://localhost:11434"
_REMEMBER_SECONDS = 60.0
#: names and families of models that embed rather than chat
_EMBEDDERS = ("embed", "bert", "minilm", "bge-", "e5-")
_LLM_PREFIXES = ("ollama_chat/", "ollama/", "openai/", "hosted_vllm/", "lm_studio/",
                 "llamafile/")

_seen: dict[str, tuple[float, "LocalServer | None"]] = {}


@dataclass(frozen=True)
class LocalServer:
    """A chat server on this machine that answered the probe."""

    #: "ollama", or "openai" (an OpenAI-compatible server)
    kind: str
    base_url: str
    #: the chat models it holds, as it names them ("llama3.2:latest")
    models: tuple[str, ...]
    version: str = ""
    #: the model the local route uses, in LiteLLM's naming ("ollama_chat/llama3.2"); "" when
    #: the server holds no chat model
    chosen: str = ""

    @property
    def label(self) -> str:
        name = "Ollama" if self.kind == "ollama" else "an OpenAI-compatible server"
        return f"{name}{' ' + self.version if self.version else ''} at {self.base_url}"

    def describe(self) -> str:
        """One line for `archibald doctor` and the run's console."""
        if not self.chosen:
            return f"{self.label} holds no chat model: {HOW_TO_GET_ONE.split(', ', 1)[1]}"
        return (f"{self.label} with {', '.join(self.models)}; the text stages' local route "
                f"uses {self.chosen} at $0")


def detection_off(settings: Any, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ARCHIBALD_LOCAL_MODEL or [local_model] detect turned detection off."""
    environ = os.environ if environ is None else environ
    if environ.get(OFF_VAR, "").strip().lower() in ("off", "0", "false", "no"):
        return True
    table = getattr(getattr(settings, "tables", None), "local_model", None)
    return table is not None and not table.detect


def _short(name: str) -> str:
    """``llama3.2:latest`` as ``llama3.2`` (Ollama's default tag is implied)."""
    return name.removesuffix(":latest")


def _is_chat(name: str, family: str = "") -> bool:
    low = f"{name} {family}".lower()
    return not any(e in low for e in _EMBEDDERS)


def pick_model(kind: str, models: tuple[str, ...], wanted: str = "") -> str:
    """The model the local route uses: ``wanted`` (a [models] local_llm such as
    ``ollama_chat/llama3.1``) when the server holds it, else the first model listed; named
    as LiteLLM names it. "" when there is none."""
    if not models:
        return ""
    bare = wanted
    for prefix in _LLM_PREFIXES:
        bare = bare.removeprefix(prefix)
    found = next((m for m in models if m == bare or _short(m) == _short(bare)
                  or (":" not in bare and m.split(":", 1)[0] == bare)), models[0])
    return f"ollama_chat/{_short(found)}" if kind == "ollama" else f"openai/{found}"


def _ollama(client: httpx.Client, base: str) -> tuple[tuple[str, ...], str]:
    tags = client.get(base + "/api/tags")
    tags.raise_for_status()
    names = []
    for m in tags.json().get("models") or []:
        name = str(m.get("model") or m.get("name") or "")
        family = str((m.get("details") or {}).get("family") or "")
        if name and _is_chat(name, family):
            names.append(name)
    version = ""
    try:
        answer = client.get(base + "/api/version")
        if answer.status_code == 200:
            version = str(answer.json().get("version") or "")
    except (httpx.HTTPError, ValueError):
        pass
    return tuple(names), version


def _openai(client: httpx.Client, base: str, key: str | None) -> tuple[str, ...]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answer = client.get(base + "/models", headers=headers)
    answer.raise_for_status()
    return tuple(str(m["id"]) for m in answer.json().get("data") or []
                 if isinstance(m, dict) and m.get("id") and _is_chat(str(m["id"])))


def detect(settings: Any = None, environ: Mapping[str, str] | None = None) -> LocalServer | None:
    """The local chat server the settings point at (Ollama at OLLAMA_BASE_URL, default
    localhost:11434, unless ``[local_model] base_url`` names an OpenAI-compatible one), or
    None when nothing answers, detection is off, or the answer is not the server's."""
    env = os.environ if environ is None else environ
    if detection_off(settings, env):
        return None
    table = getattr(getattr(settings, "tables", None), "local_model", None)
    openai_base = getattr(table, "base_url", None) or env.get("LOCAL_LLM_BASE_URL") or ""
    timeout = float(getattr(table, "probe_seconds", 0.5) or 0.5)
    if openai_base:
        kind, base = "openai", openai_base.rstrip("/")
    else:
        providers = getattr(settings, "providers", None) or {}
        own = providers.get("ollama") or providers.get("ollama_chat") or {}
        own = own if isinstance(own, Mapping) else {}
        kind = "ollama"
        base = str(env.get("OLLAMA_BASE_URL") or own.get("base_url") or _OLLAMA_DEFAULT)
        base = base.rstrip("/").removesuffix("/v1")
    wanted = str((getattr(settings, "models", None) or {}).get("local_llm", ""))
    key = (kind, base, wanted)
    remembered = _seen.get("|".join(key))
    if remembered is not None and time.monotonic() - remembered[0] < _REMEMBER_SECONDS:
        return remembered[1]
    found: LocalServer | None = None
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), trust_env=False) as client:
            if kind == "ollama":
                models, version = _ollama(client, base)
            else:
                models, version = _openai(client, base, env.get("LOCAL_LLM_API_KEY")), ""
        found = LocalServer(kind, base, models, version, pick_model(kind, models, wanted))
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
        found = None  # nothing listens, or what answered is not a model server
    _seen["|".join(key)] = (time.monotonic(), found)
    return found


def forget() -> None:
    """Probe again next time (tests; a server started after the first look)."""
    _seen.clear()
