"""The Tool protocol and what a tool gets and gives back.

A tool is an object with a name, a description, a JSON schema for its
arguments and an async ``run``. It never raises for bad input: it returns a
:class:`ToolOutput` with ``is_error=True`` and a message the model can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


class ToolError(Exception):
    """Raised inside a tool for an expected failure; becomes an error result."""


@dataclass
class ToolContext:
    workspace: Path
    timeout_s: float = 120.0
    output_cap_chars: int = 30_000
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolOutput:
    text: str
    is_error: bool = False
    exit_code: int | None = None
    timed_out: bool = False
    full_output: str | None = None  # set when ``text`` is a capped view of a larger output
    data: dict[str, Any] = field(default_factory=dict)  # e.g. {"path": ..., "diff": ...}

    @property
    def truncated(self) -> bool:
        return self.full_output is not None


@runtime_checkable
class Tool(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema (type: object)
    side_effects: bool  # writes or executes: needs approval

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput: ...


def openai_schema(tool: Tool) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }
