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

import os
from typing import Any, Iterator, Mapping

from ..config import archibald_home
from ..errors import ConfigError
from .chat_models import unknown_provider
from .specs import SPECS, Provider, ProviderSpec, redact, register_secret

__all__ = ["ProviderSpec", "Provider", "ProviderSettings", "SPECS", "redact", "register_secret",
           "unknown_provider", "archibald_home"]


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
