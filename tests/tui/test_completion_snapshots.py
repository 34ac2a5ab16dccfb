"""SVG snapshots of the completion popup open above the prompt, at 80x24, 100x30 and 160x45."""

from __future__ import annotations

import pytest

from tests.tui.conftest import wait_open, wait_until
from tests.tui.helpers import FrozenClock
from widgets.completion_menu import CompletionMenu


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_popup_open_at_every_width(harness, warm_imports, snap_compare, workspace, size):
    """Typing "/" lists the commands (eight rows, the rest scroll); the second is highlighted;
    "/re" then shows a project command beside the builtins, with its source."""
    (workspace / ".cockpit" / "commands").mkdir(parents=True)
    (workspace / ".cockpit" / "commands" / "review.md").write_text(
        "---\ndescription: Review the diff for bugs\nargument-hint: [focus]\n---\nReview $ARGUMENTS\n")
    h = harness([], frozen=True, session_ids=["5e55101000000000"])
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")

    async def run_before(pilot):
        await wait_open(pilot, app)
        app.prompt.focus()
        await pilot.press("/", "r", "e")
        menu = app.query_one(CompletionMenu)
        await wait_until(pilot, lambda: menu.is_open and len(menu.candidates) == 5, what="the menu")  # redo, report, resume, review, rewind
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_every_command_in_eight_rows(harness, warm_imports, snap_compare):
    h = harness([], frozen=True, session_ids=["5e55101000000000"])
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")

    async def run_before(pilot):
        await wait_open(pilot, app)
        app.prompt.focus()
        await pilot.press("/")
        menu = app.query_one(CompletionMenu)
        await wait_until(pilot, lambda: menu.is_open and len(menu.candidates) > 8, what="the menu")
        await pilot.press("up")  # wraps to the last row: the list scrolls to show it
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
