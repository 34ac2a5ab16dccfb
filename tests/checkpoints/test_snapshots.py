"""SVG snapshots of the checkpoint modals at 80x24, 100x30 and 160x45: the /rewind list, the
question before overwriting files changed outside Cockpit, and /diff. Update with
``pytest tests/checkpoints/test_snapshots.py --snapshot-update`` and review the SVGs."""

from __future__ import annotations

import pytest

from app.agent.events.approvals import PermissionMode
from app.tui.screens.checkpoints import ConfirmOverwrite, DiffScreen, RewindScreen
from tests.checkpoints.support import call, turn
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock

SIZES = {"80x24": (80, 24), "100x30": (100, 30), "160x45": (160, 45)}
TWO_TURNS = [*turn(call("write_file", path="src/app.py", content="print('hello')\n")),
             *turn(call("edit_file", path="src/app.py", old_string="hello", new_string="hello, world"),
                   call("write_file", path="README.md", content="# App\n"))]


def _app(harness, workspace):
    (workspace / "src").mkdir()
    h = harness(TWO_TURNS, frozen=True, session_ids=["5e55101000000000"], mode=PermissionMode.YOLO)
    return h, h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")


async def _two_turns(pilot, app, h) -> None:
    await wait_open(pilot, app)
    await type_and_send(pilot, "write the app")
    await wait_idle(pilot, app, h)
    await type_and_send(pilot, "greet the world, add a readme")
    await wait_idle(pilot, app, h, turns=2)


def _edit_readme(workspace) -> None:
    (workspace / "README.md").write_text("# Mine\n")  # changed outside Cockpit: /undo asks


CASES = {  # what is typed after two turns, the screen it opens, what happens first
    "the_rewind_list": ("/rewind", RewindScreen, None),
    "the_overwrite_question": ("/undo", ConfirmOverwrite, _edit_readme),
    "the_diff": ("/diff", DiffScreen, None),
}


@pytest.mark.parametrize("case", CASES, ids=CASES.keys())
@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_a_checkpoint_modal(harness, warm_imports, workspace, snap_compare, size, case):
    command, screen, before = CASES[case]
    h, app = _app(harness, workspace)

    async def run_before(pilot):
        await _two_turns(pilot, app, h)
        if before is not None:
            before(workspace)
        await type_and_send(pilot, command)
        await wait_until(pilot, lambda: isinstance(app.screen, screen), what=f"{command}'s screen")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
