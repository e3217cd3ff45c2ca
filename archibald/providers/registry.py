"""Where each provider lives and with which key: settings from the environment and archibald.toml.

This module knows *where and with which key*; the backends in :mod:`archibald.providers.backends` know
*how to call*. One chat backend therefore serves every model LiteLLM serves, each with its own
:class:`Provider`.

The services Archibald calls itself (ElevenLabs, fal, Perplexity's Agent API, OpenHands,
YouTube) and the four chat providers of the shipped defaults are listed in :data:`SPECS`. Any
other chat model is resolved by LiteLLM (:mod:`archibald.providers.chat_models`): its provider from
``litellm.get_llm_provider``, its key variables from ``litellm.validate_environment``, its base
URL from ``<PROVIDER>_API_BASE``. Variables carry the SDKs' own names (``ANTHROPIC_API_KEY``,
``GROQ_API_KEY``, ``FAL_KEY``...). The same values may be set in archibald.toml under
``[providers.<name>]`` as ``api_key`` and ``base_url``; the environment wins. Every configured
key value is registered with :func:`redact`, which every log line and exception message of the
provider code passes through.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from ..config import archibald_home
from ..errors import ConfigError

__all__ = ["ProviderSpec", "Provider", "ProviderSettings", "SPECS", "redact", "register_secret",
           "unknown_provider", "archibald_home"]


@dataclass(frozen=True)
class ProviderSpec:
    """The static facts about one provider: its variables, default endpoint and purpose."""

    name: str
    key_var: str | None
    base_var: str | None
    default_base: str
    #: True when a key is needed to be usable; False when the base URL alone configures it
    needs_key: bool
    #: routes/capabilities it serves, for `archibald doctor`
    serves: str
    #: LiteLLM's other names for it (LiteLLM's ``ollama_chat`` is our ``ollama``)
    aliases: tuple[str, ...] = ()


SPECS: dict[str, ProviderSpec] = {s.name: s for s in (
    ProviderSpec("anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                 "https://api.anthropic.com", True, "premium chat (Claude)"),
    ProviderSpec("openai", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                 "https://api.openai.com/v1", True, "premium chat (GPT)"),
    ProviderSpec("deepseek", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL",
                 "https://api.deepseek.com", True, "budget chat (DeepSeek)"),
    ProviderSpec("perplexity", "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL",
                 "https://api.perplexity.ai", True, "research (Perplexity Agent API)"),
    ProviderSpec("ollama", None, "OLLAMA_BASE_URL",
                 "http://localhost:11434", False, "local chat (Ollama)", ("ollama_chat",)),
    ProviderSpec("elevenlabs", "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL",
                 "https://api.elevenlabs.io", True, "premium speech (ElevenLabs)"),
    ProviderSpec("fal", "FAL_KEY", "FAL_BASE_URL",
                 "https://queue.fal.run", True, "premium images and music (fal.ai)"),
    ProviderSpec("openhands", "OPENHANDS_API_KEY", "OPENHANDS_URL",
                 "https://app.all-hands.dev", False, "agent (OpenHands app server)"),
    ProviderSpec("youtube", None, "YOUTUBE_BASE_URL",
                 "https://www.googleapis.com/", False, "publish (YouTube Data API v3)"),
)}

#: key values shorter than this are not redacted (a placeholder like "x" would mangle text)
_MIN_SECRET = 6
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` hides it from now on."""
    if value and len(value) >= _MIN_SECRET:
        _secrets.add(value)


def redact(text: object, extra: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret (and any in ``extra``) replaced by ``***``."""
    out = str(text)
    for secret in sorted({*_secrets, *(e for e in extra if e and len(e) >= _MIN_SECRET)},
                         key=len, reverse=True):
        out = out.replace(secret, "***")
    # keys that were never configured but still appear in an echoed header
    return re.sub(r"(?i)((?:bearer|key)\s+)[A-Za-z0-9_\-.:]{20,}", r"\1***", out)


def unknown_provider(name: str) -> str | None:
    """Why ``name`` is no provider (with a did-you-mean), or None: a name of :data:`SPECS` or
    one LiteLLM serves (LiteLLM is only asked about names SPECS does not list)."""
    ours = {n for spec in SPECS.values() for n in (spec.name, *spec.aliases)}
    if name in ours:
        return None
    from .chat_models import litellm_providers

    served = litellm_providers()
    if name in served:
        return None
    close = difflib.get_close_matches(name, sorted(ours | served), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "use one of litellm.provider_list"
    return f"unknown provider {name!r}; {hint}"


@dataclass(frozen=True)
class Provider:
    """One provider's resolved settings. ``missing`` names what to set when not configured."""

    name: str
    api_key: str | None
    base_url: str
    configured: bool
    missing: str | None = None
    #: the variable(s) its key is read from, for `archibald doctor` ("" when it takes none)
    key_var: str = ""
    #: False when ``base_url`` only describes LiteLLM's own default, which LiteLLM applies
    sends_base: bool = field(default=True, compare=False)

    def __repr__(self) -> str:  # never show the key, not even in a traceback
        key = "***" if self.api_key else None
        return (f"Provider(name={self.name!r}, api_key={key!r}, base_url={self.base_url!r}, "
                f"configured={self.configured!r}, missing={self.missing!r})")

    def url(self, path: str) -> str:
        """``path`` joined to the base URL with exactly one slash."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def redact(self, text: object) -> str:
        return redact(text, (self.api_key,))


class ProviderSettings:
    """Every provider's settings, resolved once from archibald.toml and the environment."""

    def __init__(self, providers: Mapping[str, Provider],
                 table: Mapping[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._providers = dict(providers)
        self._table = dict(table or {})
        self._environ = environ
        self._chat: dict[str, Provider] = {}

    @classmethod
    def load(cls, providers_table: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> "ProviderSettings":
        """Resolve from ``[providers.<name>]`` tables and ``environ`` (which wins)."""
        env = os.environ if environ is None else environ
        table = dict(providers_table or {})
        for name in table:
            why = unknown_provider(name)
            if why:
                raise ConfigError(why, setting=f"providers.{name}")
        resolved = {}
        for name, spec in SPECS.items():
            raw: Any = table.get(name) or next(
                (table[a] for a in spec.aliases if a in table), {})
            if not isinstance(raw, Mapping):
                raise ConfigError("must be a table with api_key and/or base_url",
                                  setting=f"providers.{name}")
            resolved[name] = cls._resolve(spec, raw, env)
        return cls(resolved, table, environ)

    def table_of(self, name: str) -> Mapping[str, Any]:
        """The ``[providers.<name>]`` table of a provider SPECS does not list."""
        raw = self._table.get(name) or {}
        if not isinstance(raw, Mapping):
            raise ConfigError("must be a table with api_key and/or base_url",
                              setting=f"providers.{name}")
        return raw

    def for_model(self, model: str) -> Provider:
        """Where and with which key the chat model ``model`` is called, as LiteLLM resolves it
        (a :class:`~archibald.errors.RouteUnavailable` names an unknown provider)."""
        found = self._chat.get(model)
        if found is None:
            from .chat_models import resolve

            found = self._chat[model] = resolve(
                model, self, os.environ if self._environ is None else self._environ)
        return found

    @staticmethod
    def _resolve(spec: ProviderSpec, raw: Mapping[str, Any], env: Mapping[str, str]) -> Provider:
        key = (env.get(spec.key_var) if spec.key_var else None) or raw.get("api_key") or None
        base_set = (env.get(spec.base_var) if spec.base_var else None) or raw.get("base_url")
        base = str(base_set or spec.default_base)
        if key is not None and not isinstance(key, str):
            raise ConfigError("api_key must be a string", setting=f"providers.{spec.name}")
        register_secret(key)
        key_var = spec.key_var or ""
        missing: str | None = None
        if spec.name == "youtube":
            token = os.path.join(archibald_home(env), "youtube-token.json")
            if not os.path.exists(token):
                missing = "a login: run `archibald youtube login`"
        elif spec.needs_key and not key:
            missing = spec.key_var
        elif not spec.needs_key and not key and not base_set:
            # Ollama / OpenHands: configured by pointing at a server (or, for OpenHands
            # Cloud, by giving a key for the default URL)
            missing = spec.base_var if spec.key_var is None else f"{spec.base_var} or {spec.key_var}"
        return Provider(spec.name, key, base, missing is None, missing, key_var)

    def get(self, name: str) -> Provider:
        """The settings of provider ``name`` (KeyError-free: unknown names are a ConfigError)."""
        spec = next((s.name for s in SPECS.values() if name in s.aliases), name)
        try:
            return self._providers[spec]
        except KeyError:
            raise ConfigError(f"unknown provider {name!r}; known: {', '.join(SPECS)}") from None

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._providers.values())

    def redact(self, text: object) -> str:
        every = [*self._providers.values(), *self._chat.values()]
        return redact(text, (p.api_key for p in every))
