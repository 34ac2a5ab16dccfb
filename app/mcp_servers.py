"""Composition of the MCP client: the configured servers, the user's approvals, the started servers'
tools in the registry, and what ``cockpit mcp list`` and ``/mcp`` show.

The config file's ``[mcp_servers.NAME]`` tables are the user's own and start as they are; a
project's ``.mcp.json`` servers start once approved (:mod:`app.mcp_approvals`). A bad table
in the config file stops the start with its file and line, as every setting; a bad
``.mcp.json`` entry is a notice, and the other servers still start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import ConfigError, Settings

if TYPE_CHECKING:
    from app.agent.events.core import Notice
    from app.agent.mcp.config import ServerConfig
    from app.agent.mcp.manager import McpManager, ServerRow
    from app.agent.mcp.tool import McpTool
    from app.agent.session import Session
    from app.agent.tools.registry import ToolRegistry

TABLE = "mcp_servers"


def configured_servers(settings: Settings, workspace: Path) -> "McpManager":
    """Every configured server of this workspace, none started yet."""
    from app.agent.mcp.config import all_servers, servers_from_table
    from app.agent.mcp.manager import McpManager
    from app.mcp_approvals import McpApprovals

    for name, entry in settings.mcp_servers.items():  # a bad table is named with its line, as every setting
        try:
            servers_from_table({name: entry}, str(settings.path))
        except ValueError as exc:
            raise ConfigError(f"{settings.where(TABLE, name)}: [{TABLE}.{name}] {exc}") from None
    found = all_servers(settings.mcp_servers, str(settings.path), workspace)
    return McpManager(found.servers, workspace, approved=McpApprovals(workspace).approves, problems=found.problems)


def start_servers(settings: Settings, workspace: Path, bus: Any,
                  tools: "ToolRegistry") -> tuple["ToolRegistry", list["Notice"], "McpManager"]:
    """Start the servers that may start (blocking, each within its start-up timeout): the registry
    with their tools, the notices for the session's start, the manager (closed when the session
    finishes: it is subscribed to ``bus``)."""
    from app.agent.events.core import Notice
    from app.agent.mcp.tool import mcp_tools

    manager = configured_servers(settings, workspace)
    manager.start()
    bus.subscribe(manager)
    served, left_out = mcp_tools(manager, bus.emit, tools.names())
    notices = [*manager.startup_notices(), *(Notice(level="warning", message=p) for p in left_out)]
    return tools.extended(served), notices, manager


def approve_and_start(manager: "McpManager", names: Sequence[str], emit: Any,
                      taken: Sequence[str]) -> tuple[list["McpTool"], list["Notice"]]:
    """Approve the project's servers named (waiting in ``manager``) for this folder, as defined now, and
    start them (blocking, each within its start-up timeout): their tools, and what the start said."""
    from app.agent.events.core import Notice
    from app.agent.mcp.tool import mcp_tools
    from app.mcp_approvals import McpApprovals

    chosen = [server for server in manager.waiting() if server.name in names]
    if chosen:
        McpApprovals(manager.workspace).approve(chosen)
    started = manager.start_approved([server.name for server in chosen])
    served, left_out = mcp_tools(manager, emit, taken, servers=started)
    return served, [*manager.startup_notices(started), *(Notice(level="warning", message=p) for p in left_out)]


def waiting_as_approved(manager: "McpManager | None", approved: Sequence["ServerConfig"]) -> list[str]:
    """The servers of ``approved`` that ``manager`` holds for approval with that same definition: those
    :func:`start_in_session` can start now (one changed since the session started waits for the next)."""
    digests = {server.name: server.digest() for server in approved}
    return [s.name for s in (manager.waiting() if manager is not None else []) if digests.get(s.name) == s.digest()]


async def start_in_session(session: "Session", names: Sequence[str]) -> list[str]:
    """On the session's event loop: approve and start the project's servers named, then their tools join the
    session's registry (the next model call offers them; the Context budget measures them now). The names
    of the tools added."""
    import asyncio

    agent = session.agent
    served, notices = await asyncio.to_thread(approve_and_start, session.mcp, names, session.bus.emit,
                                              agent.tools.names())
    added = agent.tools.add(served)
    for notice in notices:
        session.bus.emit(notice)
    session.measure_context()
    return added


@dataclass(frozen=True)
class ListedServer:
    row: "ServerRow"
    approved: bool | None  # None: needs no approval (the config file's own)
    definition_tokens: int | None  # its tools' definitions; None when they were never listed
    estimated: bool = False  # counted by an approximate tokenizer: shown with ≈


def listed_servers(settings: Settings, manager: "McpManager", model: str) -> tuple[list[ListedServer], str]:
    """What ``mcp list`` shows per server, and the name of the tokenizer that counted the definitions
    (``≈`` when it is an estimate)."""
    from app.agent.budget.counter import MessageCounter
    from app.agent.budget.tokenizer import tokenizer_for
    from app.agent.mcp.config import FROM_PROJECT
    from app.agent.mcp.tool import mcp_tools
    from app.agent.tools.base import openai_schema
    from app.mcp_approvals import McpApprovals

    tokenizer = tokenizer_for(model, str(settings.budget.get("tokenizer", "auto")))
    counter = MessageCounter(tokenizer.count)
    tools, _ = mcp_tools(manager, lambda event: None, ())
    approvals = McpApprovals(manager.workspace)
    listed = []
    for row in manager.rows():
        tokens = None
        if row.tools is not None:
            counter.update_tools([openai_schema(t) for t in tools if t.server == row.config.name])
            tokens = sum(count.tokens for count in counter.tools)
        approved = approvals.approves(row.config) if row.config.source == FROM_PROJECT else None
        listed.append(ListedServer(row, approved, tokens, tokenizer.approximate))
    return listed, tokenizer.name


APPROVE_CLI = "approve the project's servers with: cockpit mcp approve [NAME...]"
APPROVE_APP = "/mcp approve [name…] approves them and starts them in this session"


def table_lines(listed: Sequence[ListedServer], tokenizer: str, approve_hint: str = APPROVE_CLI) -> list[str]:
    """The servers as ``cockpit mcp list`` and ``/mcp`` print them: a row each, with what it runs or reaches
    on the line below (so that 80 columns hold it), then what went wrong."""
    from app.agent.events.format import UNKNOWN, tokens

    if not listed:
        return ["No MCP servers: add [mcp_servers.NAME] to the config file, or a .mcp.json to the project."]
    rows = [("NAME", "SOURCE", "APPROVED", "STATE", "TOOLS", "DEFINITIONS")]
    for server in listed:
        row = server.row
        approved = UNKNOWN if server.approved is None else "yes" if server.approved else "no"
        rows.append((row.config.name, row.config.source, approved, row.state.value,
                     UNKNOWN if row.tools is None else str(row.tools),
                     UNKNOWN if server.definition_tokens is None
                     else f"{'≈' if server.estimated else ''}{tokens(server.definition_tokens)} tok"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(rows[0], widths)).rstrip()]
    for cells, server in zip(rows[1:], listed):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
        lines.append(" " * (widths[0] + 2) + server.row.config.target)
    lines.append(f"definition tokens counted with {tokenizer}")
    lines += [f"{s.row.config.name}: {s.row.error}" for s in listed if s.row.error]
    if any(server.approved is False for server in listed):
        lines.append(approve_hint)
    return lines


@dataclass(frozen=True)
class Approval:
    approved: list["ServerConfig"]
    unknown: list[str]  # names asked for that the project file does not have
    problems: list[str]  # entries of the file that could not be read


def approve_project(workspace: Path, names: Sequence[str] = ()) -> Approval:
    """Approve the project's ``.mcp.json`` servers (those named, or all) for this folder, as defined now."""
    from app.agent.mcp.config import servers_from_project
    from app.mcp_approvals import McpApprovals

    found = servers_from_project(workspace)
    unknown = sorted(set(names) - {s.name for s in found.servers})
    chosen = [] if unknown else [s for s in found.servers if not names or s.name in names]
    if chosen:
        McpApprovals(workspace).approve(chosen)
    return Approval(chosen, unknown, found.problems)
