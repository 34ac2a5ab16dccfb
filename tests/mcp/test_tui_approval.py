"""The app asks, once, to approve a project's MCP servers when a session opens; approved servers start
in the running session and their tools are offered on the next model call."""

from __future__ import annotations

import json

import pytest

from app.agent.bus import EventList
from app.agent.events.budget import ContextMeasured
from app.agent.events.core import Notice
from app.agent.mcp.config import servers_from_project
from app.mcp_approvals import McpApprovals
from app.mcp_servers import approve_project
from app.runtime import RunOptions, build_session
from app.settings import Settings
from app.tui.screens.mcp_approval import McpApprovalScreen
from tests.mcp.conftest import stdio_entry
from tests.support.openai_server import Reply, ToolCallSpec
from tests.tui.conftest import harness, type_and_send, wait_open, wait_until, warm_imports  # noqa: F401  (fixtures)

MODEL = "openai/test-model"


def project_servers(workspace, *names: str) -> None:
    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {n: stdio_entry() for n in names}}),
                                         encoding="utf-8")


@pytest.fixture
def real_app(harness, openai_server, warm_imports):  # noqa: F811
    """The app with sessions composed as ``cockpit`` composes them (``build_session``: MCP servers, Context
    budget), the model on the loopback OpenAI server; every event of every session in ``app.events``."""
    h = harness([])
    events = EventList()
    sessions = []

    def make_session(approver, **overrides):
        options = RunOptions(model=MODEL, api_base=openai_server.url, workspace=h.workspace, db_path=h.db_path)
        session = build_session(Settings(), options, human=approver, store=h.store)
        session.bus.subscribe(events)
        sessions.append(session)
        return session

    h.make_session = make_session
    app = h.app()
    app.events, app.sessions = events, sessions
    return app


async def asked(pilot, app) -> McpApprovalScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, McpApprovalScreen), what="the approval modal")
    return app.screen


async def not_now(pilot, app) -> None:
    await asked(pilot, app)
    await pilot.press("n")
    await wait_until(pilot, lambda: not isinstance(app.screen, McpApprovalScreen), what="the modal to close")


async def started(pilot, app, tool: str = "mcp__proj__whoami") -> None:
    """Until the servers' start is over: ``tool`` in the registry, the start's notices and the new measurement
    shown."""
    await wait_until(pilot, lambda: tool in app.session.agent.tools, what=f"{tool} in the registry")
    await app.workers.wait_for_complete()
    await wait_until(pilot, lambda: app.status.activity == "idle", what="the start to be over")


def mcp_tools_of(app) -> list[str]:
    return [name for name in app.session.agent.tools.names() if name.startswith("mcp__")]


def offered(request) -> list[str]:
    return [t["function"]["name"] for t in request.body["tools"]]


async def test_approving_starts_the_servers_in_this_session_and_the_next_call_offers_their_tools(
        real_app, openai_server, workspace):
    project_servers(workspace, "proj", "other")
    app = real_app
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await asked(pilot, app)
        assert [s.name for s in screen.servers] == ["proj", "other"]
        assert mcp_tools_of(app) == []
        await pilot.press("down", "space", "enter")  # "other" unchecked: only proj is approved
        await started(pilot, app)
        assert not isinstance(app.screen, McpApprovalScreen)
        assert {name.split("__")[1] for name in mcp_tools_of(app)} == {"proj"}
        assert "mcp__proj__whoami" in mcp_tools_of(app)
        await wait_until(pilot, lambda: any(e.items and any(i["id"] == "server:proj" for i in e.items)
                                            for e in app.events.of(ContextMeasured)), what="the tools measured")
        assert "MCP servers: proj (10 tools)" in [n.message for n in app.events.of(Notice)]

        openai_server.script([Reply(tool_calls=[ToolCallSpec("mcp__proj__whoami", {})]), Reply(text="it is there")])
        await type_and_send(pilot, "who are you")
        await wait_until(pilot, lambda: len(openai_server.chat_requests) >= 2 and not app.busy, what="the turn")
        first = openai_server.chat_requests[0]
        assert "mcp__proj__whoami" in offered(first) and not any("__other__" in n for n in offered(first))
        rows = [(r["name"], r["status"]) for r in app.database().query("select name, status from tool_calls")]
        assert rows == [("mcp__proj__whoami", "ok")]
    proj, other = servers_from_project(workspace).servers
    assert McpApprovals(workspace).approves(proj) and not McpApprovals(workspace).approves(other)


async def test_not_now_starts_nothing_and_is_not_asked_again_in_the_next_session(real_app, workspace):
    project_servers(workspace, "proj")
    app = real_app
    async with app.run_test(size=(120, 40)) as pilot:
        await not_now(pilot, app)
        first = app.session
        assert mcp_tools_of(app) == [] and [s.name for s in first.mcp.waiting()] == ["proj"]
        await app.switch_session()
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.session is not first, what="the next session")
        await pilot.pause()
        assert not isinstance(app.screen, McpApprovalScreen)
        assert mcp_tools_of(app) == []
    (proj,) = servers_from_project(workspace).servers
    assert not McpApprovals(workspace).approves(proj)


async def test_slash_mcp_approve_after_not_now_starts_them_in_this_session(real_app, workspace):
    from tests.tui.slash_support import run

    project_servers(workspace, "proj")
    app = real_app
    async with app.run_test(size=(120, 40)) as pilot:
        await not_now(pilot, app)
        await wait_open(pilot, app)
        approved = await run(pilot, "/mcp approve", "MCP servers: approval")
        assert "approved proj" in approved.detail and "they start now, in this session" in approved.detail
        await started(pilot, app)


def test_tools_of_a_server_approved_mid_session_leave_out_the_disabled_ones(openai_server, workspace, tmp_path):
    import asyncio

    from app.mcp_servers import start_in_session
    from tests.core.helpers import make_session

    project_servers(workspace, "proj")
    (workspace / ".cockpit").mkdir()
    (workspace / ".cockpit" / "config.toml").write_text('[tools]\ndisabled = ["mcp__proj__crash"]\n', encoding="utf-8")
    session, events, _ = make_session(MODEL, workspace, tmp_path / "d.db", api_base=openai_server.url)
    try:
        session.start()
        assert [s.name for s in session.mcp.waiting()] == ["proj"]
        added = asyncio.run(start_in_session(session, ["proj"]))
        assert "mcp__proj__whoami" in added and "mcp__proj__crash" not in session.agent.tools
        assert session.mcp.waiting() == [] and added == [n for n in session.agent.tools.names() if "__proj__" in n]
        assert asyncio.run(start_in_session(session, ["proj"])) == []  # started once
    finally:
        session.finish()


async def test_an_approved_definition_is_not_asked_for_and_starts_with_the_session(real_app, workspace):
    project_servers(workspace, "proj")
    approve_project(workspace)
    app = real_app
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await pilot.pause()
        assert not isinstance(app.screen, McpApprovalScreen)
        assert "mcp__proj__whoami" in mcp_tools_of(app)


SIZES = [(80, 24), (100, 30), (160, 45)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_snapshot_mcp_approval(harness, warm_imports, snap_compare, workspace, size):  # noqa: F811
    """The modal: a stdio server (outside the sandbox, with its env's names) and an HTTP one (its headers' names)."""
    from app.agent.mcp.manager import McpManager
    from tests.tui.helpers import FrozenClock

    (workspace / ".mcp.json").write_text(json.dumps({"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@acme/files-server", "."], "env": {"FILES_TOKEN": "secret"}},
        "docs": {"type": "http", "url": "https://docs.example.com/mcp", "headers": {"Authorization": "Bearer x"}},
    }}), encoding="utf-8")
    manager = McpManager(servers_from_project(workspace).servers, workspace, approved=lambda s: False)
    h = harness([], frozen=True, session_ids=["3c90000000000000"])
    make = h.make_session

    def with_servers(approver, **overrides):
        session = make(approver, **overrides)
        session.mcp = manager  # as app.runtime.build_session composes it
        return session

    h.make_session = with_servers
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")

    async def run_before(pilot):
        from textual.widgets._footer import FooterKey

        await asked(pilot, app)
        await wait_until(pilot, lambda: app.screen_stack[0].query(FooterKey), what="the key hints below")

    assert snap_compare(app, terminal_size=size, run_before=run_before)
