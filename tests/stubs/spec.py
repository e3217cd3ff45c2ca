"""JSON schemas taken from the providers' own material, and the check stubs and clients pass.

Request and response shapes come from the official SDK types (pydantic models and TypedDicts
of ``perplexityai``, ``anthropic``, ``openai``, ``elevenlabs``), from the YouTube discovery
document shipped in google-api-python-client, or — where a provider publishes neither (fal's
per-model inputs, the OpenHands app server) — from the JSON files in tests/specs/, each naming
the page or source file it was transcribed from. Schemas are *closed*: a field the provider
does not define is an error, so neither our client nor a stub can invent one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SPECS = Path(__file__).resolve().parent.parent / "specs"


def close(schema: Any) -> Any:
    """Forbid properties a schema does not list, at every level that lists some, and values
    outside an enum (the SDKs accept extras so that old clients survive new fields and
    values; a stub must not invent any)."""
    if isinstance(schema, dict):
        if "properties" in schema and schema.get("additionalProperties", True) is True:
            schema["additionalProperties"] = False
        if isinstance(schema.get("anyOf"), list) and len(schema["anyOf"]) > 1:
            # Fern SDKs type enums as Union[Literal[...], Any] to survive new values
            schema["anyOf"] = [b for b in schema["anyOf"] if b != {}] or [{}]
        for value in schema.values():
            close(value)
    elif isinstance(schema, list):
        for value in schema:
            close(value)
    return schema


def sdk_schema(tp: Any, *, closed: bool = True) -> dict[str, Any]:
    """The JSON schema of an SDK type (pydantic model or TypedDict)."""
    from pydantic import TypeAdapter

    schema: dict[str, Any] = TypeAdapter(tp).json_schema()
    return close(schema) if closed else schema


def signature_schema(method: Any, *, body: tuple[str, ...]) -> dict[str, Any]:
    """The JSON body an SDK method sends, from the annotations of its ``body`` parameters
    (Fern-generated SDKs such as ``elevenlabs`` build the body from keyword arguments)."""
    import inspect
    import typing

    from pydantic import create_model

    hints = typing.get_type_hints(method)
    params = inspect.signature(method).parameters
    fields: dict[str, Any] = {}
    for name in body:
        default = params[name].default
        fields[name] = (hints[name], ... if default is inspect.Parameter.empty else None)
    model = create_model(f"{method.__qualname__}Body", **fields)
    return close(model.model_json_schema())


def file_schema(name: str) -> dict[str, Any]:
    """A schema transcribed into tests/specs/<name>.json (its "$comment" names the source)."""
    data: dict[str, Any] = json.loads((SPECS / f"{name}.json").read_text(encoding="utf-8"))
    return close(data)


@lru_cache(maxsize=1)
def youtube_discovery() -> dict[str, Any]:
    from googleapiclient.discovery_cache import get_static_doc

    doc: dict[str, Any] = json.loads(get_static_doc("youtube", "v3"))
    return doc


def _from_discovery(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref":
                out["$ref"] = f"#/$defs/{value}"
            elif key == "properties":   # names here are fields, not annotations
                out[key] = {name: _from_discovery(v) for name, v in value.items()}
            elif key in ("id", "format", "annotations", "readOnly", "location", "enumDescriptions",
                         "description"):
                continue
            else:
                out[key] = _from_discovery(value)
        if node.get("format") in ("int64", "uint64") and node.get("type") == "string":
            out["type"] = ["string", "integer"]   # JSON clients may send a 64-bit int bare
        return out
    if isinstance(node, list):
        return [_from_discovery(v) for v in node]
    return node


def discovery_schema(name: str) -> dict[str, Any]:
    """Schema ``name`` of the YouTube v3 discovery document as closed JSON schema."""
    schemas = youtube_discovery()["schemas"]
    converted = {k: _from_discovery(v) for k, v in schemas.items()}
    return close({"$ref": f"#/$defs/{name}", "$defs": converted})


def violations(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every way ``instance`` breaks ``schema``, as readable lines (empty when it conforms)."""
    validator = Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))]


def assert_conforms(schema: dict[str, Any], instance: Any, what: str) -> None:
    problems = violations(schema, instance)
    assert not problems, f"{what} breaks the provider's schema:\n" + "\n".join(problems)
