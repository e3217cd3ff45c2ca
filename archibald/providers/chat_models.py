"""Any chat model LiteLLM serves: its provider, endpoint and key, as LiteLLM resolves them.

Nothing here is a table of prefixes. LiteLLM's price map (``litellm_provider``) or
``litellm.get_llm_provider`` names the provider of a model string (``groq/openai/gpt-oss-20b``
-> groq, ``claude-sonnet-4-6`` -> anthropic) and its default endpoint; ``litellm.validate_environment`` names the variables that provider reads
(``GROQ_API_KEY``; ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``; Azure's key, base and version).
The base URL may be moved with ``<PROVIDER>_API_BASE`` (LiteLLM's own convention) or
``[providers.<provider>] base_url``.

A model whose key is missing resolves to an unconfigured :class:`~archibald.providers.specs.Provider`
that names the variable, so its route is unavailable and never called: LiteLLM would otherwise
fall back to ``OPENAI_API_KEY`` for OpenAI-compatible providers and send OpenAI's key to them.
"""

from __future__ import annotations

import difflib
import types
from functools import lru_cache
from typing import Any, Mapping, Protocol

from ..errors import RouteUnavailable
from .specs import SPECS, Provider, register_secret


class ProviderTables(Protocol):
    """What :func:`resolve` reads of the settings (:class:`~.registry.ProviderSettings`)."""

    def get(self, name: str) -> Provider: ...

    def table_of(self, name: str) -> Mapping[str, Any]: ...

__all__ = ["resolve", "litellm_providers", "import_litellm", "unknown_provider"]


def import_litellm() -> Any:
    """LiteLLM, imported on first use, with its price map read from the package (no fetch)."""
    import os

    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # never fetch the price map at import
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


@lru_cache(maxsize=1)
def litellm_providers() -> frozenset[str]:
    """Every provider name LiteLLM knows (``litellm.provider_list``)."""
    return frozenset(str(getattr(p, "value", p)) for p in import_litellm().provider_list)


def _missing(litellm: Any, model: str, environ: Mapping[str, str], *,
             api_key: str | None = None, api_base: str | None = None) -> list[str]:
    """``litellm.validate_environment``'s missing variables, judged against ``environ``.

    LiteLLM reads ``os.environ`` only; the function is re-bound to a namespace whose ``environ``
    is the given mapping, so the process environment is neither read nor changed."""
    fn = litellm.validate_environment
    scope = dict(fn.__globals__)
    scope["os"] = types.SimpleNamespace(environ=environ)
    isolated = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__,
                                  fn.__closure__)
    isolated.__kwdefaults__ = fn.__kwdefaults__
    result = isolated(model=model, api_key=api_key, api_base=api_base)
    return [str(v) for v in result.get("missing_keys") or []]


def _variables(litellm: Any, model: str, provider: str) -> list[str]:
    """The variables LiteLLM reads for ``provider`` (all of them missing from an empty env)."""
    try:
        return _missing(litellm, model, {})
    except Exception:  # a LiteLLM without validate_environment: its naming convention
        return [f"{provider.upper()}_API_KEY"]


def _wording(litellm: Any, model: str, names: list[str], missing: list[str]) -> str:
    """``GEMINI_API_KEY or GOOGLE_API_KEY`` when any one will do, else all that are missing."""
    if len(names) > 1:
        either = [n for n in names if not _missing(litellm, model, {n: "set"})]
        if len(either) > 1:
            return " or ".join(either)
    return " and ".join(missing)


def _spec_of(provider: str) -> str | None:
    for spec in SPECS.values():
        if provider == spec.name or provider in spec.aliases:
            return spec.name
    return None


def resolve(model: str, settings: ProviderTables, environ: Mapping[str, str]) -> "Provider":
    """The provider that serves ``model``, with its endpoint and key (or what is missing)."""
    from ..core.prices import litellm_price_map

    # LiteLLM's own price map names the provider of every model it prices, and reading it
    # costs nothing; importing LiteLLM costs seconds, so it is only paid for the providers
    # Archibald does not list itself
    entry = litellm_price_map().get(model)
    listed = _spec_of(str(entry.get("litellm_provider"))) if isinstance(entry, Mapping) else None
    if listed is not None:
        return settings.get(listed)
    litellm = import_litellm()
    try:
        _, provider, dynamic_key, default_base = litellm.get_llm_provider(model=model)
    except Exception:
        raise RouteUnavailable(
            f"LiteLLM does not know which provider serves model {model!r}; write it as "
            f"provider/model, e.g. groq/openai/gpt-oss-20b (docs.litellm.ai/docs/providers)"
        ) from None
    provider = str(provider)
    known = _spec_of(provider)
    if known is not None:
        return settings.get(known)
    raw = settings.table_of(provider)
    names = _variables(litellm, model, provider)
    keys = [n for n in names if n.endswith(("API_KEY", "API_TOKEN"))]
    bases = list(dict.fromkeys([*(n for n in names if n.endswith(("API_BASE", "BASE_URL"))),
                                f"{provider.upper()}_API_BASE"]))
    key = next((environ[n] for n in keys if environ.get(n)), None) or raw.get("api_key")
    base_set = next((environ[n] for n in bases if environ.get(n)), None) or raw.get("base_url")
    register_secret(key)
    missing = _missing(litellm, model, environ, api_key=raw.get("api_key"), api_base=base_set)
    if not key and provider in set(map(str, litellm.openai_compatible_providers)):
        # never leave the key empty: LiteLLM would reach for OPENAI_API_KEY
        key = dynamic_key if isinstance(dynamic_key, str) and dynamic_key else "none"
    base = str(base_set or default_base or f"{provider}'s default (LiteLLM)")
    return Provider(provider, key, base, not missing,
                    _wording(litellm, model, names, missing) if missing else None,
                    key_var=" or ".join(keys) if keys else ", ".join(names),
                    sends_base=bool(base_set or default_base))


def unknown_provider(name: str) -> str | None:
    """Why ``name`` is no provider (with a did-you-mean), or None: a name of :data:`SPECS` or
    one LiteLLM serves (LiteLLM is only asked about names SPECS does not list)."""
    ours = {n for spec in SPECS.values() for n in (spec.name, *spec.aliases)}
    if name in ours:
        return None
    served = litellm_providers()
    if name in served:
        return None
    close = difflib.get_close_matches(name, sorted(ours | served), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "use one of litellm.provider_list"
    return f"unknown provider {name!r}; {hint}"
