"""``/mcp`` in the app: the session's servers as ``cockpit mcp list`` shows them, and ``/mcp approve``."""

from __future__ import annotations

import json

import pytest

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
            assert row.split()[:5] == ["t", "config", "—", "ready", "10"] and row.endswith(" tok")
            approved = await run(pilot, "/mcp approve", "MCP servers: approval")
            assert "approved proj" in approved.detail and "next session (/new)" in approved.detail
    finally:
        manager.close()
    (proj,) = servers_from_project(workspace).servers
    assert McpApprovals(workspace).approves(proj)


SIZES = [(80, 24), (100, 30), (160, 45)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_snapshot_slash_mcp(harness, warm_imports, snap_compare, workspace, size):  # noqa: F811
    """/mcp's table: a disabled server of the config file, a project server waiting for approval."""
    from app.agent.mcp.config import server_from_entry
    from tests.tui.conftest import type_and_send, wait_open, wait_until
    from tests.tui.helpers import FrozenClock
    from tests.tui.slash_support import notices

    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {"files": {
        "command": "npx", "args": ["-y", "@acme/files-server", "."]}}}), encoding="utf-8")
    docs = server_from_entry("docs", {"type": "http", "url": "https://docs.example.com/mcp", "enabled": False},
                             source="config", origin="config.toml", strict=True)
    (files,) = servers_from_project(workspace).servers
    manager = McpManager([docs, files], workspace, approved=lambda s: False)
    h = harness([], frozen=True, session_ids=["3c90000000000000"])
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")

    async def run_before(pilot):
        await wait_open(pilot, app)
        app.session.mcp = manager
        await type_and_send(pilot, "/mcp")
        await wait_until(pilot, lambda: any(n.message == "MCP servers" for n in notices(app)), what="the table")

    assert snap_compare(app, terminal_size=size, run_before=run_before)
