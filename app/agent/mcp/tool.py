"""One tool of an MCP server, as a tool of the registry: ``mcp__<server>__<tool>``.

Its arguments are checked against the schema the server lists, like every tool's, before it
runs. A tool the server marks read-only (``readOnlyHint``) has no side effects: it runs
without asking, in plan mode too; any other follows the permission mode and asks. A call is
bounded by the server's ``timeout`` (at most ``[agent] tool_timeout_s``). When the server is
gone the call raises (a crash: it counts against the server's circuit breaker, shared by its
tools) and a notice says so; the next call starts the server again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from app.agent.events import core as ev
from app.agent.mcp.config import ServerConfig
from app.agent.mcp.connection import CallRefused, CallTimedOut, ServerGone, ToolSpec
from app.agent.mcp.results import tool_output
from app.agent.tools.base import ToolContext, ToolOutput

if TYPE_CHECKING:
    from app.agent.mcp.manager import McpManager

MAX_NAME_CHARS = 64  # what OpenAI and Anthropic accept for a function name
NOT_A_NAME = re.compile(r"[^A-Za-z0-9_-]")
PREFIX = "mcp__"

Emit = Callable[[ev.Event], Any]


class CallsServers(Protocol):
    async def call(self, server: str, tool: str, arguments: dict[str, Any],
                   timeout_s: float) -> tuple[Any, bool]: ...


def tool_name(server: str, tool: str) -> str:
    """``mcp__<server>__<tool>``, in the characters a function name may have, at most 64 of them."""
    name = NOT_A_NAME.sub("_", f"{PREFIX}{server}__{tool}")
    if len(name) <= MAX_NAME_CHARS:
        return name
    return name[: MAX_NAME_CHARS - 9] + "_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def breaker_name(server: str) -> str:
    """The circuit breaker every tool of ``server`` shares (a dead server is one failure, not N)."""
    return f"mcp server {server}"


def object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The server's input schema, as a function's parameters must be: an object at the root."""
    if "type" not in schema:
        return {**schema, "type": "object"}
    return schema if schema["type"] == "object" else {"type": "object", "properties": {}}


class McpTool:
    enforces_own_timeout = True

    def __init__(self, spec: ToolSpec, server: ServerConfig, servers: CallsServers, emit: Emit) -> None:
        self.name = tool_name(server.name, spec.name)
        self.server = server.name  # the tool-definition tax and the breakers group by it
        self.breaker = breaker_name(server.name)
        self.remote_name = spec.name
        self.description = spec.description or f"{spec.name} (MCP server {server.name})"
        self.parameters = object_schema(spec.input_schema)
        self.side_effects = not spec.read_only
        self.timeout_s = server.timeout_s
        self._servers = servers
        self._emit = emit

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        timeout = min(self.timeout_s or ctx.timeout_s, ctx.timeout_s)
        try:
            result, restarted = await self._servers.call(self.server, self.remote_name, args, timeout)
        except CallRefused as exc:  # e.g. arguments its own schema check refused: for the model to fix
            return ToolOutput(f"MCP server {self.server!r} refused the call: {exc}", is_error=True)
        except CallTimedOut:
            return ToolOutput(f"{self.name} timed out after {timeout:g} s (MCP server {self.server!r}); "
                              "the call was cancelled", is_error=True, timed_out=True)
        except ServerGone as exc:
            self._emit(ev.Notice(level="error", message=f"MCP server {self.server!r} is gone: {exc}; "
                                 "it is started again on the next call of one of its tools"))
            raise ServerGone(f"MCP server {self.server!r}: {exc}") from exc
        if restarted:
            self._emit(ev.Notice(level="info", message=f"MCP server {self.server!r} was started again"))
        return tool_output(result, ctx)


def mcp_tools(manager: "McpManager", emit: Emit, taken: Iterable[str],
              servers: Container[str] | None = None) -> tuple[list[McpTool], list[str]]:
    """The tools of every server that started (of ``servers``, when named), and the ones left out
    because their name is taken."""
    names = set(taken)
    tools, problems = [], []
    for connection in manager.ready():
        if servers is not None and connection.config.name not in servers:
            continue
        for spec in connection.tools:
            tool = McpTool(spec, connection.config, manager, emit)
            if tool.name in names:
                problems.append(f"MCP server {tool.server!r}: its tool {spec.name!r} is left out, "
                                f"another tool is already named {tool.name}")
                continue
            names.add(tool.name)
            tools.append(tool)
    return tools, problems
