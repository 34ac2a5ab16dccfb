"""The same server over streamable HTTP (and the older SSE transport) on loopback."""

from __future__ import annotations

from app.agent.mcp.connection import ServerState
from app.agent.mcp.manager import McpManager
from app.agent.mcp.tool import mcp_tools
from app.agent.tools.base import ToolContext
from tests.mcp.conftest import server


async def check_remote(entry, workspace) -> None:
    manager = McpManager([server("remote", entry)], workspace, approved=lambda s: True)
    manager.start()
    try:
        (row,) = manager.rows()
        assert row.state is ServerState.READY and row.tools == 10, row.error
        tools = {t.remote_name: t for t in mcp_tools(manager, lambda e: None, ())[0]}
        assert tools["add"].name == "mcp__remote__add"
        out = await tools["add"].run({"a": 20, "b": 22}, ToolContext(workspace=workspace))
        assert out.data["structured_content"] == {"sum": 42}
        slow = await tools["slow"].run({"seconds": 30}, ToolContext(workspace=workspace, timeout_s=0.5))
        assert slow.timed_out
        assert (await tools["echo"].run({"text": "ok"}, ToolContext(workspace=workspace))).text == "ok"
    finally:
        manager.close()


async def test_streamable_http(http_base, workspace):
    await check_remote({"type": "http", "url": f"{http_base}/mcp", "headers": {"X-Test": "1"}}, workspace)


async def test_sse(sse_base, workspace):
    await check_remote({"type": "sse", "url": f"{sse_base}/sse"}, workspace)


async def test_an_unreachable_server_fails_at_start_with_its_reason(workspace):
    manager = McpManager([server("gone", {"type": "http", "url": "http://127.0.0.1:9/mcp"})], workspace,
                         approved=lambda s: True)
    manager.start()
    (row,) = manager.rows()
    assert row.state is ServerState.FAILED and "ConnectError" in row.error
    manager.close()
