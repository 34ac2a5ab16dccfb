"""SVG snapshots of the tree: the Sessions screen with children under their parents, and the replay of a
parent (its delegation block, its children above the transcript) at 80x24, 100x30 and 160x45."""

from __future__ import annotations

import pytest

from app.agent.events.core import SessionStatus
from app.agent.events.subagents import SubagentStatus as S, SubagentStatusChanged
from app.tui.replay_app import ReplayApp
from app.tui.screens.replay import ReplayScreen
from tests.replay.samples import T0, WORKSPACE, sample_sessions, small_session
from tests.replay.test_sessions_screen import SessionsApp, settled
from tests.replay.test_snapshots import utc
from tests.support.store import store_events

SIZES = [(80, 24), (100, 30), (160, 45)]
PARENT, CHILD, FAILED = "e0e0e0e0parent00", "c1a2b3c4d5e6f701", "c9f8e7d6c5b4a302"


def delegation(child: str, description: str, final: S, **usage) -> list[SubagentStatusChanged]:
    task = f"task_{child}"
    moves = [(S.SUBMITTED, None), (S.WORKING, S.SUBMITTED), (final, S.WORKING)]
    return [SubagentStatusChanged(task_id=task, description=description, child_session_id=child if s is not S.SUBMITTED else "",
                                  status=s, previous=p, partial=final is S.FAILED and s is final,
                                  reason="token budget exceeded (1050 of 1000)" if final is S.FAILED and s is final else "",
                                  usage=usage if s is final else {}) for s, p in moves]


def family_sessions() -> list[list]:
    day = 86_400.0
    parent = small_session(PARENT, title="survey the services", start_ts=T0 + 4 * day, steps=1, duration_s=50)
    # what each child's session below spent (small_session: 1,000 + 50 tokens and $0.01 a step)
    moves = (delegation(CHILD, "read the api", S.COMPLETED, model_calls=2, prompt_tokens=2000, completion_tokens=100,
                        cost_usd=0.02)
             + delegation(FAILED, "read the workers", S.FAILED, model_calls=1, prompt_tokens=1000, completion_tokens=50,
                          cost_usd=0.01))
    parent[-2:-2] = moves  # before the turn and the session finish
    children = [small_session(CHILD, title="read the api", start_ts=T0 + 4 * day + 5, steps=2, duration_s=20),
                small_session(FAILED, title="read the workers", start_ts=T0 + 4 * day + 6, steps=1, duration_s=9,
                              status=SessionStatus.FAILED)]
    for child in children:
        child[0].parent_id = PARENT
    for seq, event in enumerate(parent, 1):  # seq and time again, the delegation's events among the others
        event.session_id, event.seq, event.ts = PARENT, seq, T0 + 4 * day + seq
    return [parent, *children]


@pytest.fixture
def family_db(db):
    for events in [*sample_sessions(), *family_sessions()]:
        store_events(db, events)
    return db


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sessions_screen_shows_children_under_their_parent(family_db, tmp_path, snap_compare, size):
    app = SessionsApp(family_db, workspace=WORKSPACE, debounce_s=0.05, export_dir=tmp_path)

    async def run_before(pilot):
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_replay_of_a_parent_shows_its_delegations_and_children(family_db, snap_compare, size):
    app = ReplayApp(family_db, PARENT, format_time=utc)

    async def run_before(pilot):
        while not (isinstance(app.screen, ReplayScreen) and app.screen.timeline is not None and app.screen.header):
            await pilot.pause(0.02)
        await pilot.press("end")
        await pilot.pause(0.1)  # the budget pane redraws on its (short) coalescing timer

    assert snap_compare(app, terminal_size=size, run_before=run_before)
