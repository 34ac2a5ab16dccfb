"""The set of tools the agent may call, by name, their schemas for the model, and the
check of a call's name and arguments before it runs."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from app.agent.tools.base import Tool, openai_schema
from app.agent.tools.bash import Bash
from app.agent.tools.files import EditFile, ListDir, ReadFile, WriteFile
from app.agent.tools.search import Glob, Grep
from app.agent.tools.todo import TodoWrite
from app.agent.tools.validation import ArgumentError, parse_arguments, validate


class InvalidCall(Exception):
    """A call the harness refuses before running it; ``arguments`` when they parsed."""

    def __init__(self, message: str, arguments: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.arguments = arguments


@runtime_checkable
class Served(Protocol):
    """A tool another program serves (an MCP server's, ``app.agent.mcp``): the Context budget groups
    tool definitions by ``server``, and all its tools share the circuit breaker named ``breaker``."""

    server: str
    breaker: str


def server_of(tool: Tool) -> str | None:
    """The server a tool comes from; None for Cockpit's own tools."""
    return tool.server if isinstance(tool, Served) else None


def breaker_of(tool: Tool) -> str:
    """The circuit breaker a tool's calls count on: its server's, else its own."""
    return tool.breaker if isinstance(tool, Served) else tool.name


class ToolRegistry:
    """Tools by name, in the order given (which is the order the model sees them)."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        self._disabled: set[str] = set()  # left out by disable(), and from tools added later too
        self.add(tools)

    def add(self, tools: Iterable[Tool]) -> list[str]:
        """Add ``tools`` to this registry (an MCP server approved mid-session), except the disabled ones;
        the names added."""
        added = []
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            if tool.name not in self._disabled:
                self._tools[tool.name] = tool
                added.append(tool.name)
        return added

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def breaker_name(self, name: str) -> str:
        """The circuit breaker the calls of ``name`` count on (``breaker_of``); an unknown name's own."""
        tool = self._tools.get(name)
        return breaker_of(tool) if tool is not None else name

    def extended(self, tools: Iterable[Tool]) -> "ToolRegistry":
        """These tools and then ``tools`` (e.g. an MCP server's), as a new registry."""
        return ToolRegistry([*self._tools.values(), *tools])

    def disable(self, names: Iterable[str]) -> list[str]:
        """Leave out the tools named (the project's ``[tools] disabled``): the model is not sent them and
        cannot call them. The names of the tools left out, in the registry's order."""
        wanted = set(names)
        self._disabled |= wanted
        removed = [name for name in self._tools if name in wanted]
        for name in removed:
            del self._tools[name]
        return removed

    def resolve(self, name: str, arguments_raw: str) -> tuple[Tool, dict[str, Any]]:
        """The tool called ``name`` and its parsed, sane, schema-checked arguments; else :class:`InvalidCall`
        (whatever the model sent: see :func:`~app.agent.tools.validation.check_sane`)."""
        tool = self._tools.get(name)
        if tool is None:
            shown = repr(name) if len(name) <= 60 else repr(name[:57]) + "..."
            raise InvalidCall(f"unknown tool {shown}; available tools: {', '.join(self._tools)}")
        try:
            args = parse_arguments(arguments_raw)
        except ArgumentError as exc:
            raise InvalidCall(f"invalid arguments for {name}: {exc}") from exc
        problems = validate(tool.parameters, args)
        if problems:
            raise InvalidCall(f"invalid arguments for {name}: " + "; ".join(problems), args)
        return tool, args

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
    """The built-in tools: reading, writing and searching files, running commands, the todo list."""
    return ToolRegistry([ReadFile(), WriteFile(), EditFile(), ListDir(), Glob(), Grep(), Bash(), TodoWrite()])
