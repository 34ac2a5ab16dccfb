"""The set of tools the agent may call, by name, and their schemas for the model."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

from app.agent.tools.base import Tool, openai_schema
from app.agent.tools.bash import Bash
from app.agent.tools.files import EditFile, ListDir, ReadFile, WriteFile
from app.agent.tools.search import Glob, Grep


class ToolRegistry:
    """Tools by name, in the order given (which is the order the model sees them)."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def schemas(self) -> list[dict[str, Any]]:
        """The tools in OpenAI function-calling format, for ``tools=`` of a completion call."""
        return [copy.deepcopy(openai_schema(tool)) for tool in self._tools.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)


def default_tools() -> ToolRegistry:
    """The built-in tools: reading, writing and searching files, and running commands."""
    return ToolRegistry([ReadFile(), WriteFile(), EditFile(), ListDir(), Glob(), Grep(), Bash()])
