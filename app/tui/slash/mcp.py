"""``/mcp``: this session's MCP servers, as ``cockpit mcp list`` shows them; ``/mcp approve [NAME...]``
approves the project's ``.mcp.json`` servers and starts them in this session (:mod:`app.tui.mcp_ask`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from app.tui.slash.registry import Builtin

if TYPE_CHECKING:
    from app.tui.app import CockpitApp

TITLE = "MCP servers"


async def mcp(app: CockpitApp, args: str) -> None:
    from app.mcp_servers import APPROVE_APP, approve_project, listed_servers, table_lines, waiting_as_approved
    from app.settings import ConfigError, load_settings

    session = app.session
    words = args.split()
    if words[:1] == ["approve"]:
        workspace = Path(session.agent.workspace) if session is not None else Path.cwd()
        done = await asyncio.to_thread(approve_project, workspace, words[1:])
        lines = [*done.problems, *(f"approved {s.name}: {s.target}" for s in done.approved)]
        now = waiting_as_approved(session.mcp, done.approved) if session is not None else []
        if done.unknown:
            lines.append(f"no server {', '.join(map(repr, done.unknown))} in {workspace}/.mcp.json")
        elif not done.approved:
            lines.append(f"no MCP servers to approve in {workspace}/.mcp.json")
        else:
            lines.append("they start now, in this session" if now else "they start with the next session (/new)")
        await app.transcript.add_notice(f"{TITLE}: approval", level="info", detail="\n".join(lines))
        if now and session is not None:
            app.mcp_ask.start(session, now)
        return
    manager = session.mcp if session is not None else None
    if manager is None:
        await app.transcript.add_notice(TITLE, level="info", detail="This session has no MCP servers.")
        return
    try:
        settings = load_settings()
    except ConfigError as exc:
        await app.transcript.add_notice(TITLE, level="warning", detail=str(exc))
        return
    listed, tokenizer = await asyncio.to_thread(listed_servers, settings, manager, session.agent.model.name)
    await app.transcript.add_notice(TITLE, level="info", detail="\n".join(table_lines(listed, tokenizer, APPROVE_APP)))


COMMANDS = [Builtin("mcp", "MCP servers: state, tools, definition tokens; approve the project's", mcp,
                    argument_hint="[approve [name…]]")]
