"""Tool arguments: parse the model's JSON and check it against the tool's schema.

Only the small JSON-schema subset our tools use is understood: ``type``
(object, string, integer, number, boolean, array, null, or a list of those),
``properties``, ``required``, ``additionalProperties: false``, ``enum``,
``minimum`` / ``maximum``, ``minLength`` and ``items``. Every message names
the field, so the model can fix its call.

Before any schema, the arguments must be sane (:func:`check_sane`): at most
:data:`MAX_ARGUMENT_CHARS` of JSON, nested at most :data:`MAX_DEPTH` deep, every
string valid Unicode without NUL characters, every number finite. What a broken
or hostile model sends is then an error it can read, never a crash of the loop.
"""

from __future__ import annotations

import json
import math
from typing import Any

from app.agent.tools.base import ToolError

_EXCERPT = 40
MAX_ARGUMENT_CHARS = 1_000_000  # more than any model writes in one reply
MAX_DEPTH = 32  # our tools take flat objects; JSON nested deeper than this is not a call


class ArgumentError(ToolError):
    """The arguments of a tool call are malformed or do not match the schema."""


def parse_arguments(raw: str | dict[str, Any] | None) -> dict[str, Any]:
    """The arguments as a dict; an empty string or ``None`` means no arguments."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return check_sane(dict(raw))
    if not isinstance(raw, str):
        raise ArgumentError(f"arguments must be a JSON object, got {_json_type(raw)}")
    if not raw.strip():
        return {}
    if len(raw) > MAX_ARGUMENT_CHARS:
        raise ArgumentError(f"arguments are too large: {len(raw):,} characters of JSON (at most {MAX_ARGUMENT_CHARS:,})")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArgumentError(
            f"arguments are not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
            f"(character {exc.pos}), near {_excerpt(raw, exc.pos)}"
        ) from None
    except RecursionError:
        raise ArgumentError(f"arguments are nested too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise ArgumentError(f"arguments are not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ArgumentError(f"arguments must be a JSON object, got {_json_type(value)}: {_clip(_printable(raw.strip()))}")
    return check_sane(value)


def check_sane(args: dict[str, Any]) -> dict[str, Any]:
    """``args`` if no value is nested too deeply, no string holds a lone surrogate or a NUL
    and no number is infinite or NaN; else :class:`ArgumentError` naming the first such field.
    Iterative, so hostile nesting cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(args, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ArgumentError(f"arguments are nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(value, str):
            _check_text(value, _name(where))
        elif isinstance(value, float) and not math.isfinite(value):
            raise ArgumentError(f"{_clip(_name(where))} must be a finite number, got {value}")
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(str(key), f"the field name {ascii(str(key))}")
                stack.append((item, _join(where, str(key)), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
    return args


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise ArgumentError(f"{_clip(what)} contains a NUL character (\\u0000)")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = ascii(text[exc.start : exc.start + 1])
            raise ArgumentError(f"{_clip(what)} contains a lone surrogate {bad}, which is not valid Unicode") from None


def validate(schema: dict[str, Any], args: Any) -> list[str]:
    """Human-readable problems with ``args``; an empty list means valid."""
    return _check(schema, args, "")


def require_valid(schema: dict[str, Any], args: Any) -> None:
    """Raise :class:`ArgumentError` listing every problem, if there are any."""
    errors = validate(schema, args)
    if errors:
        raise ArgumentError("invalid arguments: " + "; ".join(errors))


# --- the checks --------------------------------------------------------------

_TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _check(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    expected = schema.get("type")
    if expected is not None:
        kinds = expected if isinstance(expected, list) else [expected]
        if not any(_TYPE_CHECKS.get(k, lambda v: True)(value) for k in kinds):
            wanted = " or ".join(_article(k) for k in kinds)
            return [f"{_name(where)} must be {wanted}, got {_json_type(value)} {_short(value)}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        errors.append(f"{_name(where)} must be one of {allowed}, got {_short(value)}")
    if _is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{_name(where)} must be at least {schema['minimum']}, got {value}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{_name(where)} must be at most {schema['maximum']}, got {value}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        errors.append(f"{_name(where)} must have at least {schema['minLength']} characters")
    if isinstance(value, dict):
        errors.extend(_check_object(schema, value, where))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            errors.extend(_check(schema["items"], item, f"{where}[{i}]"))
    return errors


def _check_object(schema: dict[str, Any], value: dict[str, Any], where: str) -> list[str]:
    properties: dict[str, Any] = schema.get("properties", {})
    errors = [
        f"missing required field {_name(_join(where, key))}"
        for key in schema.get("required", [])
        if key not in value
    ]
    if schema.get("additionalProperties") is False:
        unknown = [key for key in value if key not in properties]
        if unknown:
            names = ", ".join(repr(k) for k in unknown)
            allowed = ", ".join(properties) or "none"
            errors.append(f"unknown field{'s' if len(unknown) > 1 else ''} {names} (allowed: {allowed})")
    for key, sub in properties.items():
        if key in value:
            errors.extend(_check(sub, value[key], _join(where, key)))
    return errors


# --- wording -------------------------------------------------------------------


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _name(where: str) -> str:
    return f"'{where}'" if where else "arguments"


def _article(kind: str) -> str:
    return {"integer": "an integer", "object": "an object", "array": "an array"}.get(kind, f"a {kind}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return _clip(text)


def _printable(text: str) -> str:
    """``text`` with lone surrogates written as escapes (``\\ud800``), so any sink can encode it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _clip(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _excerpt(raw: str, pos: int) -> str:
    start = max(0, pos - _EXCERPT // 2)
    snippet = raw[start : pos + _EXCERPT // 2]
    prefix = "..." if start > 0 else ""
    suffix = "..." if pos + _EXCERPT // 2 < len(raw) else ""
    return repr(f"{prefix}{snippet}{suffix}")
