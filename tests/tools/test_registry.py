from __future__ import annotations

from pathlib import Path

import pytest

from app.agent.tools.base import Tool, ToolContext
from app.agent.tools.files import ReadFile
from app.agent.tools.registry import ToolRegistry, default_tools
from app.agent.tools.validation import validate

ALL = ["read_file", "write_file", "edit_file", "list_dir", "glob", "grep", "bash", "todo_write"]


def test_default_tools_are_the_eight_built_ins() -> None:
    registry = default_tools()
    assert registry.names() == ALL
    assert len(registry) == 8
    assert all(isinstance(tool, Tool) for tool in registry)
    assert registry.get("nope") is None
    assert "grep" in registry


def test_only_writers_and_bash_have_side_effects_and_a_preview() -> None:
    registry = default_tools()
    with_effects = {tool.name for tool in registry if tool.side_effects}
    assert with_effects == {"write_file", "edit_file", "bash"}
    for name in with_effects:
        assert callable(getattr(registry.get(name), "preview"))


def test_schemas_are_openai_functions_that_refuse_unknown_fields() -> None:
    schemas = default_tools().schemas()
    assert [s["function"]["name"] for s in schemas] == ALL
    for schema in schemas:
        assert schema["type"] == "function"
        assert schema["function"]["description"]
        parameters = schema["function"]["parameters"]
        assert parameters["type"] == "object"
        assert parameters["additionalProperties"] is False
        assert set(parameters.get("required", [])) <= set(parameters["properties"])
        assert validate(parameters, {"surprise": 1}) != []


def test_schemas_are_copies() -> None:
    registry = default_tools()
    registry.schemas()[0]["function"]["parameters"]["properties"].clear()
    assert registry.schemas()[0]["function"]["parameters"]["properties"]


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="read_file"):
        ToolRegistry([ReadFile(), ReadFile()])


async def test_a_registered_tool_runs(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi\n")
    tool = default_tools().get("read_file")
    assert tool is not None
    out = await tool.run({"path": "hello.txt"}, ToolContext(workspace=tmp_path))
    assert out.text == "     1\thi"
