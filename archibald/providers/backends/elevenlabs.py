"""Voice on ElevenLabs: ``POST /v1/text-to-speech/{voice_id}/with-timestamps``.

The with-timestamps variant returns JSON with ``audio_base64`` and a per-character alignment,
so the pipeline gets sentence timings for subtitles without a second pass. Audio is requested
as raw PCM (``pcm_24000`` is allowed on the Creator plan; 44.1 kHz needs Pro) and written as a
WAV with the standard library. Long scripts are sent in sentence-aligned chunks, each with its
neighbours as ``previous_text``/``next_text`` so the prosody carries across the seams.
Billing is per character; the response carries no cost, so ``len(text)`` is priced.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
import wave
from pathlib import Path
from typing import Any, Mapping

import httpx

from ...errors import (BackendError, ConfigError, DelegationError, InputError, NonRetryable,
                      RouteUnavailable)
from ...core.prices import PriceBook
from ..registry import Provider
from ...core.tasks import Context, Outcome, Task, Usage
from .base import Backend
from .http import RetryPolicy, log, request_json

__all__ = ["ElevenLabsBackend", "sentences_from_alignment", "split_for_requests"]

#: a 200 whose body was unusable: the chunk was synthesised, hence billed
_ANSWERED_BADLY = ("malformed_json", "malformed_audio")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n\s*\n")


_PAUSE = re.compile(r"\[pause (\d+(?:\.\d+)?)s\]")


def speech_plan(text: str, max_chars: int) -> list[str | float]:
    """What to ask for, in order: pieces of text (cut at sentence ends, at most ``max_chars``)
    and the script's ``[pause Ns]`` marks as seconds of silence, which the backend writes into
    the track itself: the provider never reads a mark aloud, nor bills its characters."""
    plan: list[str | float] = []
    parts = _PAUSE.split(text)
    for i, part in enumerate(parts):
        if i % 2:
            plan.append(float(part))
        elif part.strip():
            plan += split_for_requests(part.strip(), max_chars)
    return plan


def split_for_requests(text: str, max_chars: int) -> list[str]:
    """``text`` cut at sentence ends into pieces of at most ``max_chars`` (when possible)."""
    pieces, current = [], ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s and s.strip()):
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces or [text]


def sentences_from_alignment(alignment: Mapping[str, Any], offset: float = 0.0
                             ) -> list[list[Any]]:
    """``[[start, end, text], ...]`` per sentence from a character alignment."""
    chars = list(alignment.get("characters") or [])
    starts = list(alignment.get("character_start_times_seconds") or [])
    ends = list(alignment.get("character_end_times_seconds") or [])
    if not (len(chars) == len(starts) == len(ends)):
        raise BackendError("elevenlabs returned an alignment whose lengths disagree",
                           provider="elevenlabs", code="bad_alignment")
    out: list[list[Any]] = []
    buf: list[int] = []

    def flush() -> None:
        idx = [i for i in buf if chars[i].strip()]
        if idx:
            text = "".join(chars[i] for i in buf).strip()
            out.append([round(offset + float(starts[idx[0]]), 3),
                        round(offset + float(ends[idx[-1]]), 3), re.sub(r"\s+", " ", text)])
        buf.clear()

    for i, ch in enumerate(chars):
        buf.append(i)
        nxt = chars[i + 1] if i + 1 < len(chars) else " "
        if (ch in ".!?…" and not nxt.strip()) or (ch == "\n" and nxt == "\n"):
            flush()
    flush()
    return out


class ElevenLabsBackend(Backend):
    """Speech. ``execute`` reads inputs text and out (a Path for the WAV; optional voice_id) and
    returns ``{"path", "duration", "sentences": [[start, end, text], ...]}``."""

    capability = frozenset({"speech"})

    def __init__(self, provider: Provider, prices: PriceBook, *,
                 voice_id: str = "21m00Tcm4TlvDq8ikWAM", model_id: str = "eleven_multilingual_v2",
                 output_format: str = "pcm_24000", route: str = "premium",
                 voice_settings: Mapping[str, float] | None = None, max_chars: int = 4000,
                 timeout: float = 180.0, retry: RetryPolicy | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not re.fullmatch(r"pcm_\d+", output_format):
            raise ConfigError(f"output format {output_format!r} cannot be written as WAV; use "
                              f"pcm_16000, pcm_22050 or pcm_24000 (44.1 kHz needs the Pro plan)",
                              setting="elevenlabs.output_format")
        self._route = route
        self.provider = provider
        self.prices = prices
        self.voice_id = voice_id
        self.model_id = model_id
        self.output_format = output_format
        self.rate = int(output_format.split("_")[1])
        self.voice_settings = dict(voice_settings or {"stability": 0.6, "similarity_boost": 0.75})
        self.max_chars = max_chars
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.transport = transport
        self.name = f"elevenlabs:{model_id}"

    @property
    def route(self) -> str:  # type: ignore[override]
        return self._route

    @property
    def price_key(self) -> str:
        return f"elevenlabs:{self.model_id}"

    def unavailable_reason(self) -> str | None:
        if not self.provider.configured:
            return f"elevenlabs is not configured: set {self.provider.missing}"
        try:
            self.prices.unit(self.price_key)
        except RouteUnavailable as exc:
            return str(exc)
        return None

    async def _speak(self, client: httpx.AsyncClient, voice_id: str, text: str,
                     previous: str | None, following: str | None) -> tuple[bytes, Any]:
        payload: dict[str, Any] = {"text": text, "model_id": self.model_id,
                                   "voice_settings": self.voice_settings}
        if previous:
            payload["previous_text"] = previous
        if following:
            payload["next_text"] = following
        body, _ = await request_json(
            client, "POST", self.provider.url(f"v1/text-to-speech/{voice_id}/with-timestamps"),
            provider="elevenlabs", policy=self.retry, secrets=(self.provider.api_key,),
            params={"output_format": self.output_format}, json=payload,
            headers={"xi-api-key": self.provider.api_key or "", "accept": "application/json"})
        if not isinstance(body, Mapping) or not isinstance(body.get("audio_base64"), str):
            raise BackendError("elevenlabs answered without audio_base64", provider="elevenlabs",
                               code="malformed_json")
        try:
            pcm = base64.b64decode(body["audio_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise BackendError("elevenlabs sent audio that is not base64", provider="elevenlabs",
                               code="malformed_audio") from None
        return pcm, body.get("alignment") or body.get("normalized_alignment") or {}

    def max_cost(self, task: Task) -> float | None:
        """Every character of the text: ElevenLabs bills characters synthesised."""
        return self.prices.cost(Usage(characters=len(str(task.inputs.get("text") or ""))),
                                unit=self.price_key)

    async def execute(self, task: Task, context: Context) -> Outcome:
        reason = self.unavailable_reason()
        if reason:
            raise RouteUnavailable(reason)
        text = str(task.inputs.get("text") or "")
        if not text.strip():
            raise NonRetryable("nothing to speak: the task's 'text' input is empty",
                               provider="elevenlabs")
        out = Path(task.inputs.get("out") or context.workdir / "voice.wav")
        voice_id = str(task.inputs.get("voice_id") or self.voice_id)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create {out.parent}: {exc}") from None
        plan = speech_plan(text, self.max_chars)
        pieces = [x for x in plan if isinstance(x, str)]
        spoken_text = " ".join(pieces)
        audio, sentences, offset = bytearray(), [], 0.0
        start = time.perf_counter()
        spoken = 0  # characters already synthesised, hence billed
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            i = 0
            for item in plan:
                if not isinstance(item, str):  # a marked pause: real silence, never text
                    rest = int(round(item * self.rate))
                    audio += bytes(2 * rest)
                    offset += rest / self.rate
                    continue
                try:
                    pcm, alignment = await self._speak(
                        client, voice_id, item, pieces[i - 1] if i else None,
                        pieces[i + 1] if i + 1 < len(pieces) else None)
                except DelegationError as exc:  # the chunks before it were billed
                    answered = getattr(exc, "code", None) in _ANSWERED_BADLY
                    exc.cost = self.prices.cost(
                        Usage(characters=spoken + (len(item) if answered else 0),
                              requests=i + answered), unit=self.price_key)
                    raise
                i += 1
                spoken += len(item)
                pcm = pcm[: len(pcm) - len(pcm) % 2]
                sentences += sentences_from_alignment(alignment, offset)
                audio += pcm
                offset += len(pcm) / 2 / self.rate
        part = out.with_name(f".{out.name}.{os.getpid()}.part")
        with wave.open(str(part), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(self.rate)
            wav.writeframes(bytes(audio))
        os.replace(part, out)  # whole or not at all: a resume may re-use it
        usage = Usage(characters=spoken, requests=len(pieces))
        cost = self.prices.cost(usage, unit=self.price_key)
        log.info("%s: %d characters in %d request(s), %.1f s of audio, $%.4f", self.name,
                 len(spoken_text), len(pieces), offset, cost)
        return Outcome(artifact={"path": str(out), "duration": round(offset, 3),
                                 "sentences": sentences},
                       backend=self.name, route=self._route, model=self.model_id, usage=usage,
                       cost=cost, seconds=time.perf_counter() - start,
                       detail={"voice_id": voice_id, "requests": len(pieces),
                               "output_format": self.output_format,
                               "price_source": self.prices.source(unit=self.price_key)})
