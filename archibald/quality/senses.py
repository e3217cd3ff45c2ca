"""The judge's eyes and ears: media judged like text.

Images and thumbnails are shown to a vision-capable model, voice and music played to an
audio-capable one (OpenAI chat content parts: ``image_url`` with a data URL, ``input_audio``
with base64 WAV; LiteLLM translates them for other providers), each against a rubric of its
kind — relevance to the topic and the script, legibility at phone size, appeal; clarity,
pace, pronunciation; mood, cleanliness, steadiness — alone, or pairwise against premium's answer
to the same task in the shadow. Like the text judge, the model never learns which route made
the work.

Which model: ``[quality] vision_judge_model`` / ``audio_judge_model``, else ``judge_model``
when LiteLLM's model map says it can see (``supports_vision``) or hear
(``supports_audio_input``). With none, the route-blind measures of :mod:`archibald.quality.media`
(loudness, clipping, silence structure, speech rate; contrast and legibility at phone size)
stand alone, and the assurance note says "not judged" plainly.
"""

from __future__ import annotations

import base64
import io
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.tasks import Outcome
from .judge import Judge, Rubric

__all__ = ["MEDIA", "MEDIA_RUBRICS", "Shown", "media_kind", "media_rubric", "shown",
           "build_media_judge", "can_sense", "audio_rate", "IMAGE_TOKENS", "AUDIO_TOKENS_PER_S"]

#: a task type's capability -> what the judge must do to take it in
MEDIA = {"image": "image", "speech": "audio", "music": "audio"}
#: the most tokens one attached image may count (Anthropic: w*h/750 for 1092 px a side;
#: OpenAI's high detail: 85 + 170 a tile): what is reserved, not what is billed
IMAGE_TOKENS = 1600
#: the most tokens a second of attached audio may count (Gemini counts 32 a second)
AUDIO_TOKENS_PER_S = 32
#: the longest side of an image shown to the judge, and the phone's share of its width
_MAX_SIDE = 768
_PHONE = 1 / 8
_AUDIO_RATE = 16000

MEDIA_RUBRICS = {
    "image": Rubric("image", 1, "an image for a YouTube video (an artwork or a thumbnail)", (
        "relevant to the topic and to the script or title it goes with",
        "legible at phone size: any words readable in the small copy, as a phone shows it; "
        "without words, still clear and calm at that size",
        "appealing: well composed, pleasant colours, no artefacts (warped shapes, garbled "
        "letters, seams)"), kind="image"),
    "speech": Rubric("speech", 1, "a narration read from a script", (
        "every word clear; numbers, names and abbreviations pronounced as a listener expects",
        "an even, calm pace, with pauses where the sense needs them",
        "a natural voice: no clicks, glitches, robotic prosody or sudden level changes"),
        kind="audio"),
    "music": Rubric("music", 1, "a music bed under a spoken narration", (
        "fits the topic's mood; nothing jarring",
        "clean: no clipping, distortion, clicks or abrupt cuts",
        "steady: no pumping, sudden loudness changes or a beat that pulls attention from the "
        "voice"), kind="audio"),
}


def media_kind(capability: str) -> str | None:
    """"image" or "audio" for a capability whose work is media, else None."""
    return MEDIA.get(capability)


def media_rubric(task_type: str, capability: str) -> Rubric | None:
    """The rubric a media task type is judged by: its pipeline's own (``[rubrics.NAME]``)
    when it declares one, else the shipped one for its kind of media."""
    from .judge import rubric

    kind = media_kind(capability)
    if kind is None:
        return None
    own = rubric(task_type)
    if own is not None:
        return Rubric(own.task_type, own.version, own.what, own.criteria, kind=kind)
    return MEDIA_RUBRICS[capability]


@dataclass
class Shown:
    """What the judge is shown of one result: a line for the prompt and the attachments."""

    text: str
    parts: list[dict[str, Any]] = field(default_factory=list)
    #: the most tokens the attachments may count (reserved before the call)
    tokens: int = 0


def _path(outcome: Outcome) -> Path | None:
    art = outcome.detail.get("artifact", outcome.artifact)
    raw = art.get("path") if isinstance(art, dict) else art if isinstance(art, str) else None
    if not isinstance(raw, str) or not raw or len(raw) > 4096:
        return None
    p = Path(raw)
    return p if p.is_file() and not p.is_symlink() else None


def _jpeg(im: Any, max_side: int) -> str:
    from PIL import Image

    copy = im.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    copy.save(buf, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _image(path: Path) -> Shown:
    """The image at 768 px a side at most, then as a phone shows it (1/8 of its width)."""
    from PIL import Image

    with Image.open(path) as im:
        rgb = im.convert("RGB")
    phone = max(24, round(rgb.width * _PHONE))
    parts = [{"type": "image_url", "image_url": {"url": _jpeg(rgb, _MAX_SIDE), "detail": "high"}},
             {"type": "image_url", "image_url": {"url": _jpeg(rgb, phone), "detail": "low"}}]
    return Shown(f"the image ({rgb.width}x{rgb.height}), then the same image at the size a "
                 f"phone shows it ({phone} px wide)", parts, 2 * IMAGE_TOKENS)


def _audio(path: Path, seconds: float) -> Shown:
    """The first ``seconds`` of the audio, 16 kHz mono 16-bit WAV."""
    import numpy as np

    from ..media.audio import read_audio, resample, to_pcm16

    samples, rate = read_audio(path, "audio to judge")
    total = samples.shape[0] / rate if rate else 0.0
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    clip = mono[: int(seconds * rate)].astype(np.float32)
    clip = resample(clip[:, None], rate, _AUDIO_RATE)[:, 0] if rate != _AUDIO_RATE else clip
    pcm = to_pcm16(clip)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(_AUDIO_RATE)
        w.writeframes(pcm.tobytes())
    heard = len(pcm) / _AUDIO_RATE
    part = {"type": "input_audio",
            "input_audio": {"data": base64.b64encode(buf.getvalue()).decode(), "format": "wav"}}
    said = (f"the audio ({total:.0f} s)" if heard >= total - 0.05
            else f"the first {heard:.0f} s of the audio ({total:.0f} s in all)")
    return Shown(said, [part], int(AUDIO_TOKENS_PER_S * heard) + 50)


def shown(outcome: Outcome, kind: str, excerpt_seconds: float) -> Shown | None:
    """What the judge is shown of an outcome's media; None when it names no file to show."""
    path = _path(outcome)
    if path is None:
        return None
    try:
        return _image(path) if kind == "image" else _audio(path, excerpt_seconds)
    except Exception:  # noqa: BLE001 - a file no decoder reads: nothing to show, said so
        return None


# -- who judges media -------------------------------------------------------------------------
def _entry(model: str) -> dict[str, Any]:
    from ..core.prices import litellm_price_map

    m = litellm_price_map()
    for key in (model, model.split("/", 1)[-1]):
        found = m.get(key)
        if isinstance(found, dict):
            return found
    return {}


def can_sense(model: str, kind: str) -> bool:
    """Whether LiteLLM's model map says ``model`` takes images ("image") or audio in."""
    flag = "supports_vision" if kind == "image" else "supports_audio_input"
    return bool(_entry(model).get(flag))


def audio_rate(model: str) -> float | None:
    """The model's price per input audio token, when the map gives one."""
    rate = _entry(model).get("input_cost_per_audio_token")
    return float(rate) if isinstance(rate, (int, float)) and rate > 0 else None


def build_media_judge(settings: Any, prices: Any, kind: str) -> tuple[Judge | None, str]:
    """The judge of ``kind`` ("image" or "audio") media, or None and why there is none."""
    from ..errors import RouteUnavailable
    from ..providers.backends.llm import ChatBackend
    from ..providers.registry import ProviderSettings

    q = settings.quality
    setting = "vision_judge_model" if kind == "image" else "audio_judge_model"
    name = getattr(q, setting) or q.judge_model
    if not name:
        return None, f"no judge configured ([quality] {setting} and judge_model are \"\")"
    model = settings.model_for(name)
    if not getattr(q, setting) and not can_sense(model, kind):
        sense = "see images" if kind == "image" else "hear audio"
        return None, (f"the judge {model} cannot {sense}; set [quality] {setting} to a model "
                      f"that can")
    try:
        provider = ProviderSettings.load(settings.providers).for_model(model)
    except RouteUnavailable as exc:
        return None, str(exc)
    judge = Judge(ChatBackend("judge", model, provider, prices), model, senses=kind)
    why = judge.unavailable_reason()
    return (None, f"judge {model} unavailable: {why}") if why else (judge, "")


def reprice_audio(outcome: Outcome, model: str, output_rate: float) -> None:
    """An audio judge's answer priced with every prompt token at the audio input rate: the
    usage LiteLLM returns does not split audio tokens from text ones, so this is the upper
    bound, never an understatement."""
    rate = audio_rate(model)
    if rate is None:
        return
    cost = outcome.usage.input_tokens * rate + outcome.usage.output_tokens * output_rate
    if cost > outcome.cost:
        outcome.cost = cost
        outcome.detail["price_source"] = (f"{outcome.detail.get('price_source', '')}; every "
                                          f"prompt token at the audio input rate (an upper "
                                          f"bound)").lstrip("; ")
