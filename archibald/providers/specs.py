"""The static facts about providers and one provider's resolved settings: :data:`SPECS` (the
services Archibald calls itself and the chat providers of the shipped defaults), the
:class:`Provider` a backend is given, and the redaction of every configured secret.

It imports nothing of Archibald's: settings (:mod:`.registry`), LiteLLM's names
(:mod:`.chat_models`) and every backend read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["ProviderSpec", "Provider", "SPECS", "redact", "register_secret"]


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
