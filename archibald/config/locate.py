"""Turning a schema violation into one line: file, line, setting, what to do, and a did-you-mean.

Pydantic reports *where* in the data a value is wrong (``("budgets", "per_run")``); this module
finds that place in the user's TOML text and words the fix the way a person would.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import typing
from typing import Any, Sequence

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ..errors import ConfigError

__all__ = ["locate", "explain", "suggest"]

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')


def _dotted(text: str) -> tuple[str, ...] | None:
    """``a."b.c".d`` as ("a", "b.c", "d"); None when it is not a dotted key."""
    parts, pos = [], 0
    while True:
        m = _PART.match(text, pos)
        if m is None:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


def _key_line(lines: Sequence[str], start: int, end: int, keys: Sequence[str]) -> int | None:
    """The first line in [start, end) that sets ``keys[0]`` (as ``k =``, ``k.x =`` or inline)."""
    names = [re.escape(k) for k in keys]
    first = rf"^\s*(?:{names[0]}|\"{names[0]}\"|'{names[0]}')\s*[=.]"
    last = rf"(?:^|[{{,\s.]){names[-1]}\s*="
    hit = None
    for i in range(start, end):
        if re.match(first, lines[i]):
            hit = i
            if len(keys) == 1 or re.search(last, lines[i]):
                return i
            break
    if len(keys) > 1:  # the innermost key may sit on its own line of a multi-line value
        for i in range(hit or start, end):
            if re.search(last, lines[i]):
                return i
    return hit


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    """Best-effort 1-based line of the setting at ``loc`` in a TOML text, None if not in it."""
    lines = text.splitlines()
    headers: list[tuple[int, tuple[str, ...]]] = []
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m and not line.lstrip().startswith("[["):
            parsed = _dotted(m.group(1))
            if parsed:
                headers.append((i, parsed))
    keys = [str(k) for k in loc]
    for cut in range(len(keys), -1, -1):
        head = tuple(keys[:cut])
        if cut == 0:
            start, end = 0, headers[0][0] if headers else len(lines)
        else:
            found = [(i, j) for j, (i, h) in enumerate(headers) if h == head]
            if not found:
                continue
            start = found[0][0] + 1
            nxt = found[0][1] + 1
            end = headers[nxt][0] if nxt < len(headers) else len(lines)
        rest = keys[cut:]
        if not rest:
            return start  # the header line itself (start is one past it, 1-based)
        hit = _key_line(lines, start, end, rest)
        if hit is not None:
            return hit + 1
        if cut:
            return start
    return None


def suggest(word: str, known: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` when a known word is close, else the list of known words."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    if not close:
        # a prefix ("per_run" for "per_run_usd") is as good a hint as an edit distance
        close = [k for k in known if k.startswith(word) or word.startswith(k)][:1]
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known: {', '.join(sorted(known))}" if known else ""


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The table model that holds the key at ``loc`` (for the list of keys it knows)."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            if field is None:
                return None
            model = field.annotation
        else:  # a dict of tables: dict[str, Table] -> Table
            args = typing.get_args(model)
            model = args[-1] if args else None
        # unwrap Optional / Annotated
        while typing.get_origin(model) in (typing.Union, typing.Annotated) \
                or type(model).__name__ == "UnionType":
            model = next(a for a in typing.get_args(model) if a is not type(None))
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _description(field: FieldInfo) -> str | None:
    """What a field expects, said in its type's description (also inside ``X | None``)."""
    if field.description:
        return field.description
    for arg in typing.get_args(field.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            for meta in typing.get_args(arg)[1:]:
                if isinstance(meta, FieldInfo) and meta.description:
                    return meta.description
    return None


def _value(v: Any) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (dict, list)):
        return "a table" if isinstance(v, dict) else "a list"
    return repr(v)


def _message(err: Any, root: type[BaseModel]) -> str:
    loc = err["loc"]
    key = str(loc[-1]) if loc else ""
    if len(loc) > 1 and isinstance(loc[-1], int):
        key = f"{loc[-2]}[{loc[-1]}]"
    kind = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        model = _model_at(root, loc)
        known = list(model.model_fields) if model else []
        what = "table" if isinstance(given, dict) and len(loc) == 1 else "setting"
        return f"unknown {what} {key!r}{suggest(key, known)}"
    if kind == "unknown_key":
        expected = [e.strip(" '") for e in re.split(r",| or ", ctx.get("expected", ""))]
        return f"unknown key {key!r} in {loc[-2]}{suggest(key, [e for e in expected if e])}"
    if kind == "missing":
        return f"missing {key}; add `{key} = ...` to the table"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{key} must be a table ([...] or {{ ... }}), not {_value(given)}"
    if kind == "bool_type":
        return f"{key} must be true or false, not {_value(given)}"
    if kind == "finite_number":
        return f"{key} must be a finite number, not {_value(given)}"
    if kind in ("float_type", "int_type", "int_from_float"):
        whole = "a whole number" if kind != "float_type" else "a number"
        return f"{key} must be {whole}, not {_value(given)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
                  "less_than": "<"}
        limit = next(iter(ctx.values()), "")
        return f"{key} = {_value(given)} is out of range; it must be {bounds[kind]} {limit}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return f"{key} = {_value(given)} is not allowed; use one of {expected}"
    if kind in ("string_type", "list_type"):
        noun = "text in quotes" if kind == "string_type" else "a list [...]"
        return f"{key} must be {noun}, not {_value(given)}"
    if kind == "string_pattern_mismatch":
        model = _model_at(root, loc)
        field = model.model_fields.get(key) if model else None
        want = _description(field) if field is not None else None
        return f"{key} = {_value(given)} is not well formed" + (f"; give {want}" if want else "")
    if kind in ("too_short", "string_too_short"):
        return f"{key} must not be empty"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{key}: {err['msg'][:1].lower()}{err['msg'][1:]}"


def explain(exc: ValidationError, root: type[BaseModel], text: str,
            path: str | None) -> ConfigError:
    """The first violation as a ConfigError at the user's line."""
    # a misspelt key explains the "missing" error beside it: report the typo first
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
    # pydantic appends the literal choice or union branch to the location; drop those
    while loc and isinstance(loc[-1], str) and loc[-1].startswith(("literal[", "function-")):
        loc = loc[:-1]
    if loc and loc[-1] == "[key]":  # a key of a dict that only takes some keys
        loc, err = loc[:-1], {**err, "type": "unknown_key"}
    err = {**err, "loc": loc}
    table = loc
    while table and isinstance(table[-1], int):  # routes[1] is set on the routes line
        table = table[:-1]
    table = table if err["type"] == "value_error" else table[:-1]
    line = locate(text, [p for p in loc if isinstance(p, str)]) if text else None
    setting = ".".join(str(p) for p in table)
    return ConfigError(_message(err, root), path=path, line=line, setting=setting or None)


def parse_toml(text: str, path: str) -> dict[str, Any]:
    """``text`` as TOML; a syntax error is a ConfigError at its line of ``path``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"not valid TOML ({msg}); fix the syntax on that line",
                          path=path, line=line) from None
