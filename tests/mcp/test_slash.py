"""``/mcp`` in the app: the session's servers as ``cockpit mcp list`` shows them, and ``/mcp approve``."""

from __future__ import annotations

import json

from app.agent.mcp.manager import McpManager
from app.mcp_approvals import McpApprovals
from app.agent.mcp.config import servers_from_project
from tests.mcp.conftest import server, stdio_entry
from tests.tui.conftest import harness, warm_imports  # noqa: F401  (fixtures)
from tests.tui.slash_support import opened, run


async def test_slash_mcp_lists_the_sessions_servers_and_approves_the_projects(harness, workspace):  # noqa: F811
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"proj": stdio_entry()}}), encoding="utf-8")
    manager = McpManager([server("t")], workspace, approved=lambda s: True)
    manager.start()
    h = harness([])
    try:
        async with opened(h) as (app, pilot):
            app.session.mcp = manager  # as app.runtime.build_session composes it
            listed = await run(pilot, "/mcp", "MCP servers")
            (row,) = [line for line in listed.detail.splitlines() if line.startswith("t ")]
            assert row.split()[:5] == ["t", "config", "—", "ready", "10"] and " tok " in row
            approved = await run(pilot, "/mcp approve", "MCP servers: approval")
            assert "approved proj" in approved.detail and "next session (/new)" in approved.detail
    finally:
        manager.close()
    (proj,) = servers_from_project(workspace).servers
    assert McpApprovals(workspace).approves(proj)
