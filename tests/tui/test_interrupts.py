"""Esc mid-stream and mid-command; Ctrl+C twice quits and the session is stored."""

from __future__ import annotations

import os
from pathlib import Path

from app.agent.events import core as ev
from app.agent.events.approvals import PermissionMode
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock

# ~20 s if left alone. Words differ: litellm stops a stream that repeats the same chunk.
SLOW = {"text": "".join(f"w{i} " for i in range(2500)), "chunk_chars": 5, "chunk_delay": 0.01}


def _group_alive(pgid: int) -> bool:
    """Is any process of this process group still running (zombies do not count)?"""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


async def test_escape_mid_stream_stops_the_turn_and_the_session_goes_on(harness):
    h = harness([SLOW, {"text": "Second answer."}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "talk a lot")
        await wait_until(pilot, lambda: app.transcript.assistant_messages and app.transcript.assistant_messages[0].text)
        await pilot.press("escape")
        await wait_idle(pilot, app, h)

        assert h.events.of(ev.TurnFinished)[-1].outcome == "interrupted"
        call = h.events.of(ev.ModelCallFinished)[-1]
        assert call.status is ev.CallStatus.CANCELLED
        partial = app.transcript.assistant_messages[0].text
        assert 0 < len(partial) < len(SLOW["text"])
        assert any("Interrupted" in n.message for n in app.transcript.query(NoticeBlock))
        assert "idle" in app.status.activity

        await type_and_send(pilot, "and now?")
        await wait_idle(pilot, app, h, turns=2)
        assert app.transcript.assistant_messages[-1].text == "Second answer."
        assert h.events.of(ev.TurnFinished)[-1].outcome == "completed"


async def test_escape_mid_bash_kills_the_process_group(harness, workspace):
    command = "echo $$ > shell.pid; sleep 30 & sleep 30; echo never"
    h = harness(
        [{"tool_calls": [{"id": "s1", "name": "bash", "arguments": {"command": command}}]}, {"text": "after"}],
        mode=PermissionMode.YOLO,
    )
    app = h.app()
    pid_file = workspace / "shell.pid"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "sleep")
        await wait_until(pilot, lambda: pid_file.exists() and pid_file.read_text().strip(), what="the shell to start")
        pgid = int(pid_file.read_text())
        await wait_until(pilot, lambda: app.transcript.tool_block("s1") and app.transcript.tool_block("s1").status == "running")
        assert _group_alive(pgid)

        await pilot.press("escape")
        await wait_idle(pilot, app, h)
        assert not _group_alive(pgid), "the command's process group survived the interrupt"
        block = app.transcript.query_one(ToolCallBlock)
        assert block.status == "cancelled"
        assert h.events.of(ev.TurnFinished)[-1].outcome == "interrupted"

        await type_and_send(pilot, "still there?")
        await wait_idle(pilot, app, h, turns=2)
        assert app.transcript.assistant_messages[-1].text == "after"


async def test_ctrl_c_twice_quits_and_the_session_is_stored(harness):
    h = harness([{"text": "hello there"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "hi")
        await wait_idle(pilot, app, h)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running
        assert any("again to quit" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.is_running, what="the app to exit")
    assert app.return_code == 0
    row = h.session_row(h.sessions[0].id)
    assert row["status"] == "completed" and row["ended_at"]
    assert h.events.types()[-1] == "session_finished"


async def test_quitting_mid_turn_stores_the_session_as_interrupted(harness):
    h = harness([SLOW])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "talk")
        await wait_until(pilot, lambda: app.transcript.assistant_messages and app.transcript.assistant_messages[0].text)
        await pilot.press("ctrl+c", "ctrl+c")
        await wait_until(pilot, lambda: not app.is_running, what="the app to exit")
    session_id = h.sessions[0].id
    assert h.session_row(session_id)["status"] == "interrupted"
    stored = [r["type"] for r in h.db.query("select type from events where session_id = ? order by seq", [session_id])]
    assert "interrupted" in stored and stored[-1] == "session_finished"
    assert h.events.of(ev.TurnFinished)[-1].outcome == "interrupted"


async def test_escape_when_idle_does_nothing(harness):
    h = harness([{"text": "x"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and not app.busy
        assert not h.events.of(ev.Interrupted)
