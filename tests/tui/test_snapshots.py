"""SVG snapshots (pytest-textual-snapshot): fixed size, frozen clock and durations, fixed ids,
no cursor blink. Update with ``pytest tests/tui --snapshot-update`` and review the SVGs."""

from __future__ import annotations

import pytest

from app.agent.events.approvals import PermissionMode
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock, resumed_synthetic_app

SIZE = (120, 40)
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40}


@pytest.fixture
def snap_app(harness, warm_imports):
    def make(turns, *, mode=PermissionMode.ASK):
        h = harness(turns, mode=mode, frozen=True, session_ids=["5e55101000000000"])
        app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")
        return h, app

    return make


def test_empty_start_screen(snap_app, snap_compare):
    h, app = snap_app([])

    async def run_before(pilot):
        await wait_open(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_a_finished_multi_tool_turn(snap_app, snap_compare, workspace):
    (workspace / "README.md").write_text("# demo\n")
    h, app = snap_app(
        [
            {"text": "I'll look at the project first.", "usage": USAGE, "tool_calls": [
                {"id": "t1", "name": "list_dir", "arguments": {"path": "."}},
                {"id": "t2", "name": "write_file", "arguments": {
                    "path": "greet.py", "content": "def greet(name):\n    return f'hello {name}'\n"}},
            ]},
            {"text": "Now the check.", "usage": USAGE, "tool_calls": [
                {"id": "t3", "name": "bash", "arguments": {"command": "python3 -c 'import greet; print(greet.greet(\"you\"))'"}},
            ]},
            {"text": "Done: **greet.py** added.\n\n```python\ngreet('you')  # 'hello you'\n```\n", "usage": USAGE},
        ],
        mode=PermissionMode.YOLO,
    )

    async def run_before(pilot):
        await wait_open(pilot, app)
        await type_and_send(pilot, "add a greet function and check it")
        await wait_idle(pilot, app, h)
        app.transcript.tool_block("t2").collapsed = False
        app.transcript.tool_block("t3").collapsed = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_a_pending_approval(snap_app, snap_compare):
    h, app = snap_app([
        {"text": "Writing the file.", "usage": USAGE, "tool_calls": [
            {"id": "w1", "name": "write_file", "arguments": {"path": "hello.py", "content": "print('hello')\n"}},
        ]},
    ])

    async def run_before(pilot):
        await wait_open(pilot, app)
        await type_and_send(pilot, "write hello.py")
        await wait_until(pilot, lambda: app.transcript.pending_approvals and app.focused is app.transcript.pending_approvals[0])

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_an_error_notice(snap_app, snap_compare):
    h, app = snap_app([{"error": {"status": 401, "message": "invalid x-api-key"}}])

    async def run_before(pilot):
        await wait_open(pilot, app)
        await type_and_send(pilot, "hello")
        await wait_idle(pilot, app, h)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def snap_resumed(harness, snap_compare, monkeypatch, size) -> bool:
    """The stored synthetic session resumed, with its three panes and the status bar's totals."""
    import time

    from widgets.context_budget import ContextBudgetPane

    monkeypatch.setenv("TZ", "UTC")  # the Retries pane shows attempt times in local time
    time.tzset()
    app = resumed_synthetic_app(harness, theme="textual-dark")

    async def run_before(pilot):
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.side.panes and app.status.stats.steps, what="the restored panes")
        app.query_one(ContextBudgetPane).flush()  # the new session's first events, drawn now (not after the coalescing)
        await pilot.pause()

    try:
        return snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_resumed_session(harness, warm_imports, snap_compare, monkeypatch):
    """A stored session opened again: the transcript, the three panes and the status bar as it was left."""
    assert snap_resumed(harness, snap_compare, monkeypatch, (100, 30))


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_main_screen_at_every_width(harness, warm_imports, snap_compare, monkeypatch, size):
    """A session with cost and context numbers: the status bar keeps the mode, the model, the
    context meter and the cost at 80 and 100 columns; at 160 the three panes' titles are all on screen."""
    assert snap_resumed(harness, snap_compare, monkeypatch, size)
