"""The todo list on screen: a checklist in the transcript at each update, the current list in the
side column (hidden while there is none), the same after a resume and in replay."""

from __future__ import annotations

import asyncio

import pytest

from app.agent.approvals import HeadlessApprover

from app.agent.events.approvals import PermissionMode
from app.agent.events.todo import TodoUpdated
from app.replay.timeline import Timeline
from app.tui.live_panes import LivePanes
from app.tui.screens.replay import ReplayScreen
from storage.queries import load_events
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock
from widgets.notice import NoticeBlock
from widgets.todo_pane import TodoChecklist, TodoPane

SESSION = "70d0000000000000"
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40}
PLAN = [
    {"id": "read", "content": "Read calc.py", "status": "completed"},
    {"id": "fix", "content": "Fix add", "status": "in_progress"},
    {"id": "test", "content": "Run the tests", "status": "pending"},
]
LATER = [{**PLAN[0]}, {**PLAN[1], "status": "done"}, {**PLAN[2], "status": "in_progress"}]
TURNS = [
    {"text": "A plan first.", "usage": USAGE, "tool_calls": [
        {"id": "p1", "name": "todo_write", "arguments": {"todos": PLAN}}]},
    {"text": "Fixed; now the tests.", "usage": USAGE, "tool_calls": [
        {"id": "p2", "name": "todo_write", "arguments": {"todos": LATER}}]},
    {"text": "All done.", "usage": USAGE},
]


def lines(widget) -> list[str]:
    return widget.render().plain.splitlines()


def pane(app) -> TodoPane:
    return app.query_one("#pane-todos").query_one(TodoPane)


async def run_turn(h, app, pilot) -> None:
    await wait_open(pilot, app)
    await type_and_send(pilot, "fix add and test it")
    await wait_idle(pilot, app, h)


async def test_each_update_is_a_checklist_and_the_pane_shows_the_current_list(harness):
    h = harness(TURNS, session_ids=[SESSION])
    app = h.app(session_panes=LivePanes)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        assert not pane(app).display and app.query_one("#pane-todos").region.height == 0  # no todos: no room taken
        await type_and_send(pilot, "fix add and test it")
        await wait_idle(pilot, app, h)
        first, second = app.transcript.query(TodoChecklist)
        assert lines(first) == ["Todo 1/3 done", "☑ Read calc.py", "▶ Fix add", "☐ Run the tests"]
        assert lines(second) == ["Todo 2/3 done", "☑ Read calc.py", "☑ Fix add", "▶ Run the tests"]
        # Each checklist right after its call's block.
        blocks = list(app.transcript.blocks)
        assert blocks.index(first) == blocks.index(app.transcript.tool_block("p1")) + 1
        todo = pane(app)
        assert todo.display and app.query_one("#pane-todos").region.height == 6  # 3 items, frame, margin
        assert lines(todo) == ["☑ Read calc.py", "☑ Fix add", "▶ Run the tests"]
        assert todo.border_title == "Todo" and todo.border_subtitle == "2/3 done"


async def test_a_resumed_session_shows_its_list(harness):
    h = harness(TURNS, mode=PermissionMode.YOLO, session_ids=[SESSION])
    app = h.app(session_panes=LivePanes)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_turn(h, app, pilot)
        app.run_guarded(app.switch_session(resume=SESSION), "session")
        await wait_until(pilot, lambda: len(h.sessions) == 2 and app.session is not None
                         and app.transcript.query(NoticeBlock), what="the resumed session")
        todo = pane(app)
        assert todo is not None and todo.display
        assert lines(todo) == ["☑ Read calc.py", "☑ Fix add", "▶ Run the tests"]
        assert [lines(c)[0] for c in app.transcript.query(TodoChecklist)] == ["Todo 1/3 done", "Todo 2/3 done"]


async def test_replay_shows_the_list_at_each_position(harness):
    h = harness(TURNS, session_ids=[SESSION])
    app = h.app(session_panes=LivePanes)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_turn(h, app, pilot)
        timeline = Timeline.from_stored(load_events(h.db, SESSION))
        updates = [k for k, e in enumerate(timeline.events) if isinstance(e, TodoUpdated)]
        assert len(updates) == 2
        screen = ReplayScreen(h.db, SESSION, timeline=timeline, start=updates[0] - 1)
        await app.push_screen(screen)
        await pilot.pause()
        replay_pane = screen.query_one("#replay-todos", TodoPane)
        assert not replay_pane.display  # before the first todo_write
        screen.go(updates[0])
        await pilot.pause()
        assert replay_pane.display and lines(replay_pane) == ["☑ Read calc.py", "▶ Fix add", "☐ Run the tests"]
        assert "▶ Fix add" in screen.query_one("#replay-transcript").visible_text()
        screen.go(updates[1])
        await pilot.pause()
        assert lines(replay_pane) == ["☑ Read calc.py", "☑ Fix add", "▶ Run the tests"]


SIZES = [(80, 24), (100, 30), (160, 45)]


def stored_session(h) -> None:
    """The task run headless into the store (live, a streamed answer may be drawn before the events
    queued ahead of it: resuming shows the stored order, whatever the machine's load)."""
    session = h.make_session(HeadlessApprover(True))

    async def run() -> None:
        session.start()
        await session.run_task("fix add and test it")
        session.finish()

    asyncio.run(run())


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_snapshot_main_screen_with_a_todo_list(harness, warm_imports, snap_compare, size):
    h = harness(TURNS, frozen=True, session_ids=["5e55101000000000"])
    stored_session(h)
    h.resume = "5e55101000000000"
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark", session_panes=LivePanes)

    async def run_before(pilot):
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: len(app.transcript.query(TodoChecklist)) == 2 and pane(app).display)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
