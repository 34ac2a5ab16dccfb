"""A resumed session's objects are frozen out of the collector's way while it is open (``app/tui/live_panes.py``)."""

from __future__ import annotations

import gc

from app.agent.events.approvals import PermissionMode
from app.tui.live_panes import LivePanes
from tests.tui.test_resume import SESSION, TURNS, run_and_resume
from widgets.user_message import UserMessage


def frozen(obj: object) -> bool:
    """Out of every generation the collector walks (gc.get_objects lists those, not the frozen ones)."""
    return gc.is_tracked(obj) and not any(o is obj for o in gc.get_objects())


async def test_a_resumed_sessions_widgets_are_frozen(harness, workspace):
    (workspace / "notes.txt").write_text("alpha\n")
    h = harness(TURNS, mode=PermissionMode.YOLO, session_ids=[SESSION])
    app = h.app(session_panes=LivePanes)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await run_and_resume(h, app, pilot)
            assert frozen(app.transcript.query(UserMessage).first())
            assert app.panes.retries.frozen_history
    finally:
        gc.unfreeze()
