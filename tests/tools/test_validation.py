from __future__ import annotations

import pytest

from app.agent.tools.base import ToolError
from app.agent.tools.files import EditFile, ReadFile
from app.agent.tools.validation import ArgumentError, parse_arguments, require_valid, validate


def test_parse_accepts_objects_dicts_and_empty() -> None:
    assert parse_arguments('{"path": "a.py"}') == {"path": "a.py"}
    assert parse_arguments({"path": "a.py"}) == {"path": "a.py"}
    assert parse_arguments("") == {}
    assert parse_arguments("  ") == {}
    assert parse_arguments(None) == {}


def test_malformed_json_names_position_and_excerpt() -> None:
    raw = '{"path": "a.py", "content": "x}'
    with pytest.raises(ArgumentError) as info:
        parse_arguments(raw)
    message = str(info.value)
    assert "not valid JSON" in message
    assert "line 1 column" in message
    assert '"content"' in message  # the excerpt around the error
    assert isinstance(info.value, ToolError)


def test_malformed_json_excerpt_is_short_for_long_input() -> None:
    raw = '{"content": "' + "a" * 5000 + '", }'
    with pytest.raises(ArgumentError) as info:
        parse_arguments(raw)
    assert len(str(info.value)) < 300
    assert "..." in str(info.value)


@pytest.mark.parametrize(("raw", "kind"), [("[1, 2]", "array"), ('"a.py"', "string"), ("3", "integer")])
def test_non_object_json_is_refused(raw: str, kind: str) -> None:
    with pytest.raises(ArgumentError, match=f"must be a JSON object, got {kind}"):
        parse_arguments(raw)


def test_unknown_fields_are_named() -> None:
    errors = validate(ReadFile.parameters, {"path": "a", "line": 3, "mode": "r"})
    assert errors == ["unknown fields 'line', 'mode' (allowed: path, start_line, end_line)"]


def test_missing_required_is_named() -> None:
    errors = validate(EditFile.parameters, {"path": "a", "new_string": "b"})
    assert errors == ["missing required field 'old_string'"]


def test_wrong_types_are_explained() -> None:
    errors = validate(ReadFile.parameters, {"path": 3, "start_line": "5"})
    assert "'path' must be a string, got integer 3" in errors
    assert "'start_line' must be an integer, got string \"5\"" in errors


def test_booleans_are_not_integers_and_integers_are_numbers() -> None:
    assert validate({"type": "integer"}, True) == ["arguments must be an integer, got boolean true"]
    assert validate({"type": "number"}, 3) == []
    assert validate({"type": "integer"}, 2.5) != []
    assert validate({"type": ["string", "null"]}, None) == []


def test_minimum_maximum_enum_and_items() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 10},
            "mode": {"enum": ["fast", "slow"]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    errors = validate(schema, {"n": 0, "mode": "medium", "tags": ["a", 2]})
    assert "'n' must be at least 1, got 0" in errors
    assert "'mode' must be one of \"fast\", \"slow\", got \"medium\"" in errors
    assert "'tags[1]' must be a string, got integer 2" in errors
    assert validate(schema, {"n": 11}) == ["'n' must be at most 10, got 11"]
    assert validate(schema, {"n": 10, "mode": "fast", "tags": []}) == []


def test_require_valid_joins_every_problem() -> None:
    with pytest.raises(ArgumentError) as info:
        require_valid(ReadFile.parameters, {"start_line": 0})
    assert "missing required field 'path'" in str(info.value)
    assert "'start_line' must be at least 1" in str(info.value)
