"""What a gateway request is: its task type, named by the app or found from the request.

An app may name the task type (header ``x-archibald-task`` or ``metadata.task``): any task type
the settings know, a pipeline's included. Otherwise the request is analysed — its length,
code, maths, structured output or tools, language, and whether it asks for creative writing —
into one of the gateway's task types below, each a profile of the same kind a pipeline stage
has (complexity, creativity, execution focus), so the decision matrix, the bandit, memory and
learning are the pipelines' own code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

__all__ = ["GATEWAY_TASK_TYPES", "RequestProfile", "analyse_request", "request_text"]

def _table(complexity: int, creative: bool, execution: bool, floor: float,
           description: str) -> dict[str, Any]:
    """A gateway task type's [task_types] table: a chat between premium and budget."""
    return {"phase": "gateway", "capability": "text", "complexity": complexity,
            "creativity_required": creative, "execution_focused": execution,
            "routes": ["premium", "budget"],
            "premium_usage": {"input_tokens": 800, "output_tokens": 400},
            "quality_floor": floor, "description": description}


#: the gateway's task types, as [task_types] tables (added to the settings at start-up)
GATEWAY_TASK_TYPES: dict[str, dict[str, Any]] = {
    "chat_simple": _table(3, False, True, 0.6, "short questions, rewording, lookups"),
    "chat_structured": _table(4, False, True, 0.7, "JSON output, extraction, function calling"),
    "chat_code": _table(6, False, True, 0.7, "code to write, fix or explain"),
    "chat_reasoning": _table(8, False, False, 0.7, "maths, long analysis, many-step reasoning"),
    "chat_creative": _table(7, True, False, 0.7,
                            "stories, scripts, copy: kept on premium by the matrix"),
    # a budget model that cannot see an image would answer without it (or be refused for it)
    "chat_vision": {**_table(6, False, True, 0.7, "images to look at: the premium route's "
                                                  "model sees them"), "routes": ["premium"]},
}

#: content parts that are images, in Chat Completions' and Responses' shapes
_IMAGE_PARTS = frozenset({"image_url", "input_image", "image"})


def _images(messages: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for m in messages if isinstance(m.get("content"), list)
               for p in m["content"] if isinstance(p, Mapping) and p.get("type") in _IMAGE_PARTS)

_CODE = re.compile(r"```|\b(def|class|function|import|return|public static|SELECT|#include)\b"
                   r"|[{};]\s*$", re.M)
_MATHS = re.compile(r"\b(prove|integral|derivative|equation|solve|theorem|probability|"
                    r"calculate|compute)\b|\d\s*[-+*/^=]\s*\d", re.I)
_CREATIVE = re.compile(r"\b(story|poem|poetry|lyrics|script|slogan|tagline|novel|creative|"
                       r"imagine|narrat\w*|meditation|screenplay|joke)\b", re.I)


@dataclass(frozen=True)
class RequestProfile:
    """What the analysis found, and the task type it chose (shown in `x-archibald-task`)."""

    task_type: str
    named: bool
    features: dict[str, Any] = field(default_factory=dict)


def request_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of a request's messages (content strings and text parts)."""
    parts: list[str] = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [str(p.get("text", "")) for p in content
                      if isinstance(p, Mapping) and p.get("type") in ("text", "input_text")]
    return "\n".join(parts)


def analyse_request(messages: Sequence[Mapping[str, Any]], *, tools: Any = None,
                    response_format: Any = None, named: str | None = None,
                    known: set[str] | frozenset[str] = frozenset()) -> RequestProfile:
    """The request's task type: ``named`` when the app gave one (it must be known), else the
    analysis's."""
    if named:
        return RequestProfile(named, True)
    text = request_text(messages)
    chars = len(text)
    non_ascii = sum(ord(c) > 127 for c in text) / chars if chars else 0.0
    features = {"chars": chars, "messages": len(messages), "tools": bool(tools),
                "structured": bool(tools) or bool(response_format),
                "code": bool(_CODE.search(text)), "maths": bool(_MATHS.search(text)),
                "creative": bool(_CREATIVE.search(text)), "non_ascii_share": round(non_ascii, 3),
                "images": _images(messages)}
    if features["images"]:
        kind = "chat_vision"
    elif features["structured"]:
        kind = "chat_structured"
    elif features["code"]:
        kind = "chat_code"
    elif features["creative"]:
        kind = "chat_creative"
    elif features["maths"] or chars > 12_000:
        kind = "chat_reasoning"
    else:
        kind = "chat_simple"
    return RequestProfile(kind, False, features)


def check_answer(text: str, tool_calls: list[dict[str, Any]], *, finish_reason: str | None,
                 wants_json: bool) -> tuple[float, dict[str, Any]]:
    """A route-blind check of an answer: something to use, not cut off, and the JSON it was
    asked for (the answer's words only; which route wrote them is not known here)."""
    misses: list[str] = []
    if not text.strip() and not tool_calls:
        misses.append("empty")
    if finish_reason == "length":
        misses.append("cut off at max_tokens")
    if wants_json and text.strip():
        try:
            json.loads(text)
        except ValueError:
            misses.append("not the JSON asked for")
    for call in tool_calls:
        try:
            json.loads(call.get("function", {}).get("arguments") or "{}")
        except ValueError:
            misses.append("tool arguments are not JSON")
    score = 1.0 if not misses else (0.5 if misses == ["cut off at max_tokens"] else 0.0)
    return score, {"misses": misses}
