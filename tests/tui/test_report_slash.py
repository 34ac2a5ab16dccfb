"""/tools (this session's tool definitions, their calls here and lately, the unused) and /report (the
usage report screen) in the TUI, over a session on the loopback OpenAI server; neither asks the model."""

from __future__ import annotations

from app.agent.events.budget import ContextMeasured
from tests.support.openai_server import Reply, ToolCallSpec
from tests.tui.conftest import type_and_send, wait_idle, wait_until
from tests.tui.slash_support import opened, run, served  # noqa: F401  (served: a fixture)


async def test_tools_lists_the_definitions_with_their_calls_and_report_opens_the_screen(served, openai_server, workspace):
    from app.tui.screens.report import ReportScreen

    h = served
    (workspace / "notes.txt").write_text("hello\n")
    openai_server.script([Reply(tool_calls=[ToolCallSpec("read_file", {"path": "notes.txt"})]), Reply(text="hello")])
    async with opened(h) as (app, pilot):
        await type_and_send(pilot, "read notes.txt")
        await wait_idle(pilot, app, h)
        requests = len(openai_server.chat_requests)
        shown = await run(pilot, "/tools", "Tool definitions")
        lines = {line.split()[0]: line.split()[1:] for line in shown.detail.splitlines()[1:] if line.strip()}
        assert not h.events.of(ContextMeasured)  # this harness's sessions have no Context budget: tokens unknown
        assert lines["read_file"] == ["—", "1", "1"]  # tokens, here, the last sessions
        assert lines["bash"] == ["—", "0", "0"]
        header = shown.detail.splitlines()[0]
        assert header.split() == ["tool", "tokens", "here", "last", "1"] and len(header) <= 36  # whole at 100x30
        assert "cockpit tools disable write_file" in shown.detail and "read_file" not in shown.detail.split("Never")[1]
        await type_and_send(pilot, "/report model")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportScreen), what="the report screen")
        screen = app.screen
        await wait_until(pilot, lambda: screen.report is not None, what="the report")
        assert screen.report["by"] == "model" and [r["key"] for r in screen.report["rows"]] == [h.model]
        assert screen.report["total"]["calls"] == 2
        await pilot.press("escape")
        assert len(openai_server.chat_requests) == requests  # neither command asked the model
