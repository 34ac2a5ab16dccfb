"""Tool arguments: parse the model's JSON and check it against the tool's schema.

Only the small JSON-schema subset our tools use is understood: ``type``
(object, string, integer, number, boolean, array, null, or a list of those),
``properties``, ``required``, ``additionalProperties: false``, ``enum``,
``minimum`` / ``maximum``, ``minLength`` and ``items``. Every message names
the field, so the model can fix its call.
"""

from __future__ import annotations

import json
from typing import Any

from app.agent.tools.base import ToolError

_EXCERPT = 40


class ArgumentError(ToolError):
    """The arguments of a tool call are malformed or do not match the schema."""


def parse_arguments(raw: str | dict[str, Any] | None) -> dict[str, Any]:
    """The arguments as a dict; an empty string or ``None`` means no arguments."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    if not isinstance(raw, str):
        raise ArgumentError(f"arguments must be a JSON object, got {_json_type(raw)}")
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArgumentError(
            f"arguments are not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
            f"(character {exc.pos}), near {_excerpt(raw, exc.pos)}"
        ) from None
    if not isinstance(value, dict):
        raise ArgumentError(f"arguments must be a JSON object, got {_json_type(value)}: {_clip(raw.strip())}")
    return value


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


def _clip(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _excerpt(raw: str, pos: int) -> str:
    start = max(0, pos - _EXCERPT // 2)
    snippet = raw[start : pos + _EXCERPT // 2]
    prefix = "..." if start > 0 else ""
    suffix = "..." if pos + _EXCERPT // 2 < len(raw) else ""
    return repr(f"{prefix}{snippet}{suffix}")
