"""/undo, /redo and /rewind in the app (Pilot): the conflict is asked about, the rewind list picks a turn."""

from __future__ import annotations

from contextlib import asynccontextmanager

from app.agent.events.approvals import PermissionMode
from app.agent.events.checkpoints import CheckpointRedone, CheckpointUndone, SessionRewound
from app.tui.screens.checkpoints import ConfirmOverwrite, RewindScreen
from tests.checkpoints.support import call, turn
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until


@asynccontextmanager
async def after_turns(h, *tasks: str):
    """The harness's app, running, once each task's turn has ended: ``async with ... as (app, pilot)``."""
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        for done, task in enumerate(tasks, 1):
            await type_and_send(pilot, task)
            await wait_idle(pilot, app, h, turns=done)
        yield app, pilot


async def test_undo_asks_before_overwriting_a_file_changed_outside_then_redo(harness, workspace):
    (workspace / "a.txt").write_text("v1\n")
    h = harness(turn(call("write_file", path="a.txt", content="v2\n")), mode=PermissionMode.YOLO)
    async with after_turns(h, "write it") as (app, pilot):
        (workspace / "a.txt").write_text("the user's\n")

        await type_and_send(pilot, "/undo")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmOverwrite), what="the overwrite question")
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmOverwrite), what="the question closed")
        assert (workspace / "a.txt").read_text() == "the user's\n" and not h.events.of(CheckpointUndone)

        await type_and_send(pilot, "/undo")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmOverwrite), what="the overwrite question")
        await pilot.press("y")
        await wait_until(pilot, lambda: h.events.of(CheckpointUndone), what="the undo")
        assert (workspace / "a.txt").read_text() == "v1\n"
        assert h.events.of(CheckpointUndone)[0].forced

        await type_and_send(pilot, "/redo")
        await wait_until(pilot, lambda: h.events.of(CheckpointRedone), what="the redo")
        assert (workspace / "a.txt").read_text() == "v2\n"


async def test_rewind_picks_a_turn_and_a_mode_from_the_list(harness, workspace):
    h = harness([*turn(call("write_file", path="a.txt", content="one\n")),
                 *turn(call("write_file", path="b.txt", content="two\n"))], mode=PermissionMode.YOLO)
    async with after_turns(h, "first", "second") as (app, pilot):
        await type_and_send(pilot, "/rewind")
        await wait_until(pilot, lambda: isinstance(app.screen, RewindScreen), what="the rewind list")
        await pilot.press("down", "enter")  # newest first: the second line is turn 1
        await pilot.press("down", "enter")  # then "Files only"
        await wait_until(pilot, lambda: h.events.of(SessionRewound), what="the rewind")
        rewound = h.events.of(SessionRewound)[0]
        assert (rewound.turn, rewound.mode, rewound.turns) == (1, "files", [1, 2])
        assert not (workspace / "a.txt").exists() and not (workspace / "b.txt").exists()
        assert any(m.get("content") == "second" for m in app.session.agent.messages)  # the conversation stays


async def test_diff_opens_the_sessions_change(harness, workspace):
    from app.tui.screens.checkpoints import DiffScreen

    h = harness(turn(call("write_file", path="a.txt", content="hello\n")), mode=PermissionMode.YOLO)
    async with after_turns(h, "write") as (app, pilot):
        await type_and_send(pilot, "/diff")
        await wait_until(pilot, lambda: isinstance(app.screen, DiffScreen), what="the diff")
        assert "+++ b/a.txt" in app.screen.diff and "+hello" in app.screen.diff
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DiffScreen), what="the diff closed")
