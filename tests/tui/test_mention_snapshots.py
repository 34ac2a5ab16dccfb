"""SVG snapshots of what @mentions and ``!command`` put on screen, at 80x24, 100x30 and 160x45:
the "@" popup, a task's attachment lines, and a user's command block."""

from __future__ import annotations

import pytest

from app.agent.events.approvals import PermissionMode
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock
from widgets.completion_menu import CompletionMenu
from widgets.tool_call import ToolCallBlock

SIZES = [(80, 24), (100, 30), (160, 45)]


@pytest.fixture
def snap_app(harness, warm_imports, workspace):
    (workspace / "src" / "agent").mkdir(parents=True)
    (workspace / "src" / "agent" / "loop.py").write_text("loop = 1\n")
    (workspace / "src" / "agent" / "mentions.py").write_text("m = 1\n")
    (workspace / "src" / "app.py").write_text("app = 1\n")
    (workspace / "README.md").write_text("# demo\n")
    (workspace / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")

    def make(turns, *, mode=PermissionMode.ASK):
        h = harness(turns, mode=mode, frozen=True, session_ids=["5e55101000000000"])
        app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")
        return h, app

    return make


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_at_popup(snap_app, snap_compare, size):
    h, app = snap_app([])

    async def run_before(pilot):
        await wait_open(pilot, app)
        app.prompt.focus()
        await pilot.press(*"look at @men")
        await wait_until(pilot, lambda: app.query_one(CompletionMenu).is_open, what="the popup")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_attachments_and_a_users_command(snap_app, snap_compare, size):
    h, app = snap_app([{"text": "The loop calls the model."}], mode=PermissionMode.YOLO)

    async def run_before(pilot):
        await wait_open(pilot, app)
        await type_and_send(pilot, "!echo ok")
        await wait_until(pilot, lambda: app.query(ToolCallBlock) and not app.busy, what="the command")
        await type_and_send(pilot, "what does @src/agent/loop.py do? not @logo.png")
        await wait_idle(pilot, app, h)  # the user's command block is open without being asked

    assert snap_compare(app, terminal_size=size, run_before=run_before)
