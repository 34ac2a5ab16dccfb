"""On screen: the delegation block in the transcript (live and resumed) opens the child session;
the Sessions screen and replay show children under their parents."""

from __future__ import annotations

import contextlib

import pytest

from app.agent.events.subagents import ROLE_SUBAGENT, SubagentStatusChanged
from app.agent.events.transcript_view import DELEGATION, TranscriptFold
from app.tui.live_panes import LivePanes
from app.tui.screens.replay import ReplayScreen
from app.tui.screens.sessions import SessionsScreen
from app.tui.screens.sessions_data import tree_order
from storage.queries import load_events
from app.agent.events.core import event_from_dict
from tests.subagents.tui_support import run_stored, store_task, with_task_tool
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock
from widgets.delegation import DelegationBlock
from widgets.session_stats import CHILD_ROLE

PARENT = "5ab0000000000001"
USAGE = {"prompt_tokens": 900, "completion_tokens": 30}
TURNS = [  # one scripted model: the parent's call, the child's answer, the parent's answer
    {"text": "Delegating the count.", "usage": USAGE, "tool_calls": [{"id": "t1", "name": "task", "arguments": {
        "description": "count the tests", "prompt": "Count the test files.", "allowed_tools": ["glob"]}}]},
    {"text": "There are 12 test files.", "usage": {"prompt_tokens": 300, "completion_tokens": 12}},
    {"text": "The child counted 12 test files.", "usage": USAGE},
]
SIZES = [(80, 24), (100, 30), (160, 45)]


def test_the_roll_up_role_is_the_childs():
    assert CHILD_ROLE == ROLE_SUBAGENT


def test_the_fold_keeps_one_block_per_delegation():
    events = [SubagentStatusChanged(task_id="t", description="d", status=s) for s in ("submitted", "working")]
    events.append(SubagentStatusChanged(task_id="t", description="d", status="failed", partial=True,
                                        child_session_id="abc", usage={"model_calls": 2, "prompt_tokens": 10}))
    fold = TranscriptFold.of(events)
    assert [e.kind for e in fold.entries] == [DELEGATION]
    d = fold.entries[0].delegation
    assert d.status.value == "failed" and d.partial and d.child_session_id == "abc" and d.usage.model_calls == 2


def test_the_tree_puts_children_under_their_parents():
    rows = [{"id": "c2", "parent_id": "p"}, {"id": "q"}, {"id": "p"}, {"id": "c1", "parent_id": "p"},
            {"id": "g", "parent_id": "c1"}, {"id": "o", "parent_id": "gone"}]
    assert [(r["id"], r["depth"]) for r in tree_order(rows)] == [
        ("q", 0), ("p", 0), ("c2", 1), ("c1", 1), ("g", 2), ("o", 0)]


async def test_the_block_shows_the_child_and_enter_opens_it(harness, warm_imports):
    h = with_task_tool(harness(TURNS, session_ids=[PARENT]))
    app = h.app(session_panes=LivePanes)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "how many test files?")
        await wait_idle(pilot, app, h)
        block = app.transcript.query_one(DelegationBlock)
        await wait_until(pilot, lambda: block.delegation is not None and block.delegation.final)
        text = block.render().plain
        assert "✓ task · count the tests · completed · child c0000000" in text
        assert "1 call · 312 tok" in text and "enter: open the child session" in text
        child = block.delegation.child_session_id
        assert h.db["sessions"].get(child)["parent_id"] == PARENT
        stats = app.status.stats  # the child's calls roll up into the parent's status bar
        assert stats.by_role[ROLE_SUBAGENT].tokens == 312 and stats.tokens_in == 900 * 2 + 300
        block.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        assert app.screen.session_id == child


def parent_harness(harness):
    return with_task_tool(harness(TURNS, frozen=True, session_ids=[PARENT]))


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_snapshot_a_delegation_in_the_transcript(harness, warm_imports, snap_compare, size):
    h = parent_harness(harness)
    run_stored(h, "how many test files?")
    h.resume = PARENT
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark", session_panes=LivePanes)

    async def run_before(pilot):
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.transcript.query(DelegationBlock))

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@contextlib.asynccontextmanager
async def stored_then_opened(harness, make_screen):
    """The delegating task stored, then the app open with ``make_screen(db)`` pushed: (harness, app, pilot, screen)."""
    h = parent_harness(harness)
    await store_task(h, "how many test files?")
    app = h.app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_open(pilot, app)
        screen = make_screen(h.db)
        await app.push_screen(screen)
        yield h, app, pilot, screen


async def test_the_sessions_screen_lists_the_child_under_its_parent(harness, warm_imports):
    async with stored_then_opened(harness, SessionsScreen) as (h, app, pilot, screen):
        await wait_until(pilot, lambda: len(screen.rows) >= 2)
        ids = [r["id"] for r in screen.rows]
        child = next(r for r in screen.rows if r.get("parent_id") == PARENT)
        assert ids.index(child["id"]) == ids.index(PARENT) + 1 and child["depth"] == 1
        assert screen.query_one("#sessions-table").get_row(child["id"])[0].startswith("└ ")


async def test_replay_shows_the_delegation_and_the_family(harness, warm_imports):
    async with stored_then_opened(harness, lambda db: ReplayScreen(db, PARENT)) as (h, app, pilot, screen):
        await wait_until(pilot, lambda: screen.timeline is not None)
        screen.go(len(screen.timeline) - 1)
        await pilot.pause()
        text = screen.query_one("#replay-transcript").visible_text()
        assert "✓ task · count the tests · completed · child c0000000" in text
        family = screen.query_one("#replay-family").render().plain
        assert "└ count the tests · completed" in family
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen is not screen)
        child = app.screen
        await wait_until(pilot, lambda: child.timeline is not None and child.header)
        assert "sub-agent of " + PARENT[:8] in child.query_one("#replay-family").render().plain
        events = [event_from_dict(e) for e in load_events(h.db, child.session_id)]
        assert {getattr(e, "role", None) for e in events if e.type == "model_call_finished"} == {ROLE_SUBAGENT}


def test_imported_claude_code_sub_agents_sit_under_their_session(db):
    from app.agent.events.core import SessionStarted
    from app.tui.screens.sessions_data import SessionQuery, cells, load_sessions, sort_rows
    from storage.store import EventStore

    store = EventStore(db)
    for sid, parent, title in (("cc-main", None, "fix the build"), ("cc-agent-1", "cc-main", "explore the tests"),
                               ("cc-other", None, "another task")):
        store.append(SessionStarted(session_id=sid, seq=1, source="claude-code", title=title, parent_id=parent).to_dict())
    rows = sort_rows(load_sessions(db, SessionQuery()), "title", False)
    assert [(r["id"], r["depth"]) for r in rows] == [("cc-other", 0), ("cc-main", 0), ("cc-agent-1", 1)]
    assert cells(rows[2])[0] == "└ explore the tests"


async def test_a_childs_write_asks_the_user_in_the_parents_transcript(harness, warm_imports):
    from widgets.approval import ApprovalPrompt

    turns = [
        {"text": "Delegating.", "usage": USAGE, "tool_calls": [{"id": "t1", "name": "task", "arguments": {
            "description": "write notes", "prompt": "Write NOTES.md.", "allowed_tools": ["write_file"]}}]},
        {"text": "", "usage": USAGE, "tool_calls": [{"id": "w1", "name": "write_file",
                                                      "arguments": {"path": "NOTES.md", "content": "hi\n"}}]},
        {"text": "Written.", "usage": USAGE},
        {"text": "The child wrote the notes.", "usage": USAGE},
    ]
    h = with_task_tool(harness(turns, session_ids=[PARENT]))
    app = h.app(session_panes=LivePanes)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "write the notes")
        await wait_until(pilot, lambda: app.transcript.query(ApprovalPrompt), what="the child's approval")
        assert not (h.workspace / "NOTES.md").exists()
        app.transcript.query_one(ApprovalPrompt).focus()
        await pilot.press("y")
        await wait_idle(pilot, app, h)
        assert (h.workspace / "NOTES.md").read_text() == "hi\n"
        assert not app.transcript.query(ApprovalPrompt)
        block = app.transcript.query_one(DelegationBlock)
        await wait_until(pilot, lambda: block.delegation is not None and block.delegation.final)
        assert block.delegation.status.value == "completed"
