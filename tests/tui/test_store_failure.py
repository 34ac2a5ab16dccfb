"""A store that fails stops the running turn and says so; nothing runs while events are not stored
(``cockpit run`` exits 1 with "the session stopped: <cause>" in the same case)."""

from __future__ import annotations

import asyncio

import pytest

from app.agent.events import core as ev
from app.agent.events.approvals import PermissionMode
from app.tui.runner import SessionStoppedError
from app.tui.screens.session_stopped import SessionStoppedScreen
from storage.store import StoreWriteError
from tests.tui.conftest import type_and_send, wait_open, wait_until

CAUSE = "cannot store events in c.db: disk I/O error"


def fail_from(h, event_type: str) -> list[str]:
    """From the first ``event_type`` on, every write of the harness's store raises; returns what was written."""
    written: list[str] = []
    append = h.store.append

    def failing(event: dict) -> None:
        if event["type"] == event_type or written and written[-1] == "failed":
            written.append("failed")
            raise StoreWriteError(CAUSE)
        written.append(event["type"])
        append(event)

    h.store.append = failing
    return written


async def test_a_store_that_fails_mid_turn_stops_the_turn_and_the_session(harness, workspace):
    h = harness(
        [
            {"text": "Running it.", "tool_calls": [{"id": "s1", "name": "bash", "arguments": {"command": "sleep 30"}}]},
            {"text": "This answer is never asked for."},
        ],
        mode=PermissionMode.YOLO,
    )
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        written = fail_from(h, "tool_call_started")
        await type_and_send(pilot, "run the slow thing")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionStoppedScreen), what="the modal")
        assert CAUSE in str(app.screen.query_one("#stopped-text").render())
        # The turn was interrupted (the 30 s command did not run on), no further model call was made.
        await wait_until(pilot, lambda: h.events.of(ev.TurnFinished) and not app.busy, what="the turn to stop")
        assert h.events.of(ev.TurnFinished)[-1].outcome == "interrupted"
        assert len(h.events.of(ev.ModelCallStarted)) == 1
        assert h.sessions[-1].bus.failure is not None
        assert written[-1] == "failed" and "tool_call_started" not in written

        await pilot.press("enter")  # closes the modal; the state stays said
        await wait_until(pilot, lambda: not isinstance(app.screen, SessionStoppedScreen), what="the modal to close")
        assert "stopped: not stored" in app.status.status_line().plain
        # A new task is refused, its text kept in the input.
        turns = len(h.events.of(ev.TurnStarted))
        await type_and_send(pilot, "try again")
        await pilot.pause()
        assert len(h.events.of(ev.TurnStarted)) == turns and not app.busy
        assert app.prompt.text == "try again"
        # The agent side refuses too, whatever the UI does.
        with pytest.raises(SessionStoppedError):
            await asyncio.wrap_future(app.runner.submit("behind the UI's back"))
        assert len(h.events.of(ev.TurnStarted)) == turns


async def test_a_new_session_after_a_store_failure_runs_again(harness, workspace):
    h = harness([{"text": "First."}, {"text": "Second."}], mode=PermissionMode.YOLO)
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        append = h.store.append
        fail_from(h, "turn_started")
        await type_and_send(pilot, "one")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionStoppedScreen), what="the modal")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.busy and h.events.of(ev.TurnFinished), what="the turn to stop")
        h.store.append = append  # the disk has room again
        app.palette.new_session()
        await wait_until(pilot, lambda: len(h.sessions) == 2 and app.session is h.sessions[1] and not app.stopped,
                         what="the new session")
        await type_and_send(pilot, "two")
        await wait_until(pilot, lambda: len(h.events.of(ev.TurnFinished)) == 2 and not app.busy, what="the second turn")
        assert h.events.of(ev.TurnFinished)[-1].outcome == "completed"
        assert h.session_row(h.sessions[1].id)["title"] == "two"
