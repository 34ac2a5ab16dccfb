"""When a session opens with project MCP servers waiting for approval, ask once (the modal of
:mod:`app.tui.screens.mcp_approval`) and start the approved ones in the running session.

The servers are started by :func:`app.mcp_servers.start_in_session` on the agent's loop (their
start itself on a thread of its own): their tools join the session's registry between two steps,
so the next model call offers them and the Context budget measures them at once. What is left
unapproved ("not now", or unchecked) is not asked again while the app runs; ``/mcp approve`` can
still approve it. ``cockpit run`` never asks: it says how to approve, in a line.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.agent.mcp.config import ServerConfig
    from app.agent.session import Session
    from app.tui.app import CockpitApp

TITLE = "MCP servers"


def _key(workspace: str, server: "ServerConfig") -> tuple[str, str, str]:
    return workspace, server.name, server.digest()


class McpAsk:
    def __init__(self, app: CockpitApp) -> None:
        self.app = app
        self.not_now: set[tuple[str, str, str]] = set()  # (workspace, server, definition) not asked again

    def session_opened(self, session: Session) -> None:
        """Ask about the servers of ``session`` that wait for approval (unless "not now" was the answer)."""
        from app.tui.screens.mcp_approval import McpApprovalScreen

        manager, workspace = session.mcp, str(session.agent.workspace)
        waiting = [s for s in manager.waiting() if _key(workspace, s) not in self.not_now] if manager else []
        if not waiting:
            return

        def answered(names: list[str] | None) -> None:
            chosen = names or []
            self.not_now |= {_key(workspace, s) for s in waiting if s.name not in chosen}
            if chosen and session is self.app.session:
                self.start(session, chosen)

        self.app.push_screen(McpApprovalScreen(waiting, Path(workspace).name), callback=answered)

    def start(self, session: Session, names: list[str]) -> None:
        """Start the approved servers ``names`` of ``session`` in a worker (the app stays responsive; a failure
        is a notification): what their start says comes as the session's notices."""
        from app.mcp_servers import start_in_session

        async def start() -> None:
            self.app.status.activity = "starting MCP servers"
            try:
                await asyncio.wrap_future(self.app.runner.call(start_in_session, session, names))
            finally:
                self.app.show_activity()

        self.app.run_guarded(start(), f"{TITLE} {', '.join(names)}")  # its own group: another start cancels none
