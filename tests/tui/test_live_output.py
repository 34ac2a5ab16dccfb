"""A running command's output shows in its tool block as it comes, collapsed or not; a flood
costs a bounded number of updates; the stored result is the command's whole output.

The commands wait on a FIFO the test writes to: the test decides when they end."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from app.agent.events import core as ev
from app.agent.events.approvals import PermissionMode
from app.agent.tools.live_output import LIVE_INTERVAL_S
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock
from widgets.tool_call import ToolCallBlock, live_tail

SIX_LINES = "for i in 1 2 3 4 5 6; do echo line $i; done"


def bash_turns(command: str) -> list[dict]:
    return [{"tool_calls": [{"id": "b1", "name": "bash", "arguments": {"command": command}}]}, {"text": "after"}]


def live_text(block: ToolCallBlock) -> str:
    tail = block.query_one(".tool-live")
    return str(tail.content) if tail.display else ""  # type: ignore[attr-defined]


async def release(fifo: Path) -> None:
    await asyncio.to_thread(fifo.write_text, "go\n")  # blocks until the command opens it


async def test_a_running_commands_last_lines_show_in_its_collapsed_block(harness, workspace):
    fifo = workspace / "go"
    os.mkfifo(fifo)
    h = harness(bash_turns(f"{SIX_LINES}; read x < go; echo done"), mode=PermissionMode.YOLO)
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "count")
        await wait_until(pilot, lambda: (b := app.transcript.tool_block("b1")) is not None and "line 6" in b.live,
                         what="the output while the command runs")
        block = app.transcript.tool_block("b1")
        assert block.collapsed and block.status == "running" and not block.finished
        assert live_text(block) == "line 3\nline 4\nline 5\nline 6"  # the last lines only
        await release(fifo)
        await wait_idle(pilot, app, h)

        assert block.finished and live_text(block) == ""  # the result takes its place
        whole = "\n".join(f"line {i}" for i in range(1, 7)) + "\ndone"
        assert block.result_text == whole
        assert h.tool_call("b1")["result"] == whole  # stored as before: the whole output
        entry = next(e for e in app.transcript.entries if e.tool_call_id == "b1")
        assert entry.done and entry.live == ""  # the fold keeps no live output once finished


async def test_a_flood_keeps_the_screen_responsive(harness, workspace, monkeypatch):
    fifo = workspace / "go"
    os.mkfifo(fifo)
    updates = []
    set_live = ToolCallBlock.set_live

    def counted(self: ToolCallBlock, output: str) -> None:
        updates.append(len(output))
        set_live(self, output)

    monkeypatch.setattr(ToolCallBlock, "set_live", counted)
    h = harness(bash_turns("yes flood | head -c 8000000; echo; echo end of flood; read x < go"),
                mode=PermissionMode.YOLO)
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        started = time.monotonic()  # before the send: the flood cannot start earlier, so no delta falls outside
        await type_and_send(pilot, "flood")
        await wait_until(pilot, lambda: (b := app.transcript.tool_block("b1")) is not None and "end of flood" in b.live,
                         what="the end of the flood on screen")
        elapsed = time.monotonic() - started
        await type_and_send(pilot, "next")  # the input answers while the command still runs
        assert app.queue
        block = app.transcript.tool_block("b1")
        assert live_text(block).startswith("flood\nflood") and live_text(block).endswith("\nend of flood")
        # Each delta goes at least an interval apart; 8 MB in 64 KB reads would be 120 and more.
        assert len(updates) <= elapsed / LIVE_INTERVAL_S + 3
        assert max(updates) <= 4_000
        await release(fifo)
        await wait_idle(pilot, app, h, turns=2)
        assert h.tool_call("b1")["status"] == "ok"
        assert h.tool_call("b1")["result"].endswith("end of flood")


def test_live_tail_keeps_the_last_lines_as_a_terminal_shows_them():
    assert live_tail("a\nb\nc\nd\ne\n") == "b\nc\nd\ne"
    assert live_tail("\x1b[31mred\x1b[0m\r\n10%\r50%\r100%\n") == "red\n100%"
    assert live_tail("bell\x07 tab\tok") == "bell tab\tok"


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)])
def test_snapshot_a_running_command(harness, warm_imports, snap_compare, workspace, monkeypatch, size):
    """Collapsed, the block shows the command's last lines under its title."""
    fifo = workspace / "go"
    os.mkfifo(fifo)
    monkeypatch.setattr(ToolCallBlock, "_spin", lambda self: None)  # the spinner holds its first frame
    h = harness(bash_turns(f"{SIX_LINES}; read x < go"), mode=PermissionMode.YOLO, frozen=True,
                session_ids=["5e55101000000000"])
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")

    async def run_before(pilot):
        await wait_open(pilot, app)
        await type_and_send(pilot, "count to six")
        await wait_until(pilot, lambda: (b := app.transcript.tool_block("b1")) is not None and "line 6" in b.live)
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        os.unlink(fifo)  # a command still waiting on it is killed with the app's turn
