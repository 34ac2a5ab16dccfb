"""A real MCP server (tests/support/mcp_server.py) over stdio: tools listed, called, timed out,
crashed and started again, one that never starts, and the process group gone after shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from app.agent.events import core as ev
from app.agent.mcp.connection import ServerGone, ServerState
from app.agent.mcp.manager import McpManager
from app.agent.mcp.tool import mcp_tools
from app.agent.tools.base import ToolContext
from tests.mcp.conftest import server, stdio_entry
from tests.support.processes import all_gone, running, unique_sleep


def manager_of(*servers, workspace) -> McpManager:
    manager = McpManager(list(servers), workspace, approved=lambda s: True)
    manager.start()
    return manager


@pytest.fixture
def started(workspace):
    manager = manager_of(server("t"), workspace=workspace)
    events: list[ev.Event] = []
    tools, _ = mcp_tools(manager, events.append, ())
    yield {t.remote_name: t for t in tools}, events, manager
    manager.close()


async def group_gone(pgid: int, deadline_s: float = 5.0) -> bool:
    """Whether the process group has no process left (a dying one gets a moment to be reaped)."""
    end = asyncio.get_running_loop().time() + deadline_s
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if asyncio.get_running_loop().time() > end:
            return False
        await asyncio.sleep(0.02)


def ctx(workspace, **kw) -> ToolContext:
    return ToolContext(workspace=workspace, **kw)


async def test_tools_are_listed_with_their_schemas_and_read_only_hints(started):
    tools, _, manager = started
    assert set(tools) == {"add", "echo", "whoami", "write_note", "image", "slow", "crash", "big", "fail", "refuse"}
    add = tools["add"]
    assert add.name == "mcp__t__add" and add.server == "t" and add.breaker == "mcp server t"
    assert add.parameters["type"] == "object" and set(add.parameters["required"]) == {"a", "b"}
    assert add.side_effects is False and tools["write_note"].side_effects is True
    assert [(r.config.name, r.state, r.tools) for r in manager.rows()] == [("t", ServerState.READY, 10)]
    assert manager.startup_notices()[-1].message == "MCP servers: t (10 tools)"


async def test_results_text_structured_image_error_and_capped(started, workspace):
    tools, _, _ = started
    added = await tools["add"].run({"a": 2, "b": 3}, ctx(workspace))
    assert not added.is_error and '"sum": 5' in added.text and added.data["structured_content"] == {"sum": 5}
    image = await tools["image"].run({}, ctx(workspace))
    assert image.text == "[image: image/png, 24 bytes — not shown to the model]"
    failed = await tools["fail"].run({}, ctx(workspace))
    assert failed.is_error and "this tool always fails" in failed.text
    refused = await tools["refuse"].run({}, ctx(workspace))  # a JSON-RPC error: a result, not a crash
    assert refused.is_error and refused.text == "MCP server 't' refused the call: refused: no such thing"
    big = await tools["big"].run({"chars": 50_000}, ctx(workspace, output_cap_chars=2_000))
    assert big.truncated and len(big.full_output) == 50_000 and len(big.text) < 2_300
    assert "omitted from the middle" in big.text


async def test_a_slow_tool_hits_its_timeout_and_the_server_stays(started, workspace):
    tools, _, manager = started
    out = await tools["slow"].run({"seconds": 30}, ctx(workspace, timeout_s=0.5))
    assert out.timed_out and out.is_error and "timed out after 0.5 s" in out.text
    assert (await tools["echo"].run({"text": "still here"}, ctx(workspace))).text == "still here"
    assert manager.connections["t"].starts == 1


async def test_a_server_that_crashes_mid_call_is_a_notice_and_comes_back_on_the_next_call(started, workspace):
    tools, events, manager = started
    first_pid = manager.connections["t"].pid
    with pytest.raises(ServerGone, match="its connection closed"):
        await tools["crash"].run({}, ctx(workspace))
    assert manager.connections["t"].state is ServerState.CRASHED
    (gone,) = [e for e in events if isinstance(e, ev.Notice)]
    assert gone.level == "error" and "MCP server 't' is gone" in gone.message and "started again" in gone.message
    assert (await tools["echo"].run({"text": "back"}, ctx(workspace))).text == "back"
    assert manager.connections["t"].starts == 2 and manager.connections["t"].pid != first_pid
    assert events[-1].message == "MCP server 't' was started again"


async def test_a_server_that_never_starts_fails_within_its_start_up_timeout(workspace):
    sleeper = unique_sleep()
    command, *args = sleeper.split()
    silent = server("silent", {"command": command, "args": args}, startup_timeout=1)
    missing = server("missing", {"command": "/nonexistent/mcp-server"})
    manager = manager_of(silent, missing, workspace=workspace)
    try:
        rows = {r.config.name: r for r in manager.rows()}
        assert rows["silent"].state is ServerState.FAILED and "did not start within 1 s" in rows["silent"].error
        assert rows["missing"].state is ServerState.FAILED and "not found" in rows["missing"].error
        notices = [n.message for n in manager.startup_notices()]
        assert any(m.startswith("MCP server 'silent' did not start: did not start within 1 s") for m in notices)
        assert mcp_tools(manager, lambda e: None, ())[0] == []
        assert await all_gone(sleeper)  # the silent one's process was not left behind
    finally:
        manager.close()


async def test_shutdown_ends_the_servers_process_group(workspace):
    child = unique_sleep()
    manager = manager_of(server("t", stdio_entry(MCP_CHILD=child)), workspace=workspace)
    pid = manager.connections["t"].pid
    assert pid is not None and running(child)  # the server started a child in its group
    assert os.getpgid(running(child)[0]) == pid
    manager.close()
    assert await all_gone(child)
    assert await group_gone(pid)


async def test_the_session_end_closes_the_servers(workspace):
    manager = manager_of(server("t"), workspace=workspace)
    pid = manager.connections["t"].pid
    manager(ev.SessionFinished(status=ev.SessionStatus.COMPLETED))
    assert manager.connections["t"].state is ServerState.STOPPED
    assert await group_gone(pid)
    with pytest.raises(ServerGone, match="shut down"):
        await manager.call("t", "echo", {"text": "x"}, 5)


@pytest.mark.skipif(sys.platform == "win32", reason="process groups")
async def test_disabled_and_unapproved_servers_do_not_start(workspace):
    from app.agent.mcp.config import server_from_entry

    off = server("off", enabled=False)
    project = server_from_entry("proj", stdio_entry(), source="project", origin="/p/.mcp.json", strict=False)
    manager = McpManager([off, project], workspace, approved=lambda s: False)
    manager.start()
    assert [(r.config.name, r.state) for r in manager.rows()] == [("off", ServerState.DISABLED),
                                                                   ("proj", ServerState.NOT_APPROVED)]
    (notice,) = manager.startup_notices()
    assert "'proj' of /p/.mcp.json" in notice.message and "cockpit mcp approve" in notice.message
    manager.close()


def in_flight(manager) -> bool:
    """Whether a call runs on the MCP loop (its tasks: each server's connection, and the calls)."""
    try:
        return len(asyncio.all_tasks(manager._loop)) > len(manager.connections)
    except RuntimeError:  # the set changed while it was read (another thread's loop)
        return False


async def test_an_interrupted_call_is_cancelled_and_the_server_stays(started, workspace):
    tools, _, manager = started
    call = asyncio.create_task(tools["slow"].run({"seconds": 30}, ctx(workspace)))
    while not in_flight(manager):  # the call runs on the MCP thread's loop
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert (await tools["echo"].run({"text": "after Esc"}, ctx(workspace))).text == "after Esc"
    assert manager.connections["t"].starts == 1


async def test_a_server_that_died_while_idle_is_started_again_by_the_next_call(started, workspace):
    from app.agent.mcp.connection import _closed

    tools, events, manager = started
    connection = manager.connections["t"]
    os.kill(connection.pid, signal.SIGKILL)
    while not _closed(connection._session):  # the SDK sees the end of the server's output
        await asyncio.sleep(0.01)
    assert (await tools["echo"].run({"text": "again"}, ctx(workspace))).text == "again"
    assert connection.starts == 2 and [e.message for e in events] == ["MCP server 't' was started again"]
