"""Text laid out for the width, never cut in the middle of a number or a phrase (80x24, 100x30, 160x45):
the footer's bindings, the prompt's placeholder, a tool call's title, a ``!command`` shown once."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock

SIZES = [(80, 24), (100, 30), (160, 45)]
LONG = "ls nothing-here another-missing-folder a-third-one and/a/fourth/path/that/is/long"


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def footer_text(app) -> str:
    return screen_text(app).splitlines()[-1]


def script(harness):
    return harness([
        {"text": "Running.", "tool_calls": [{"id": "b1", "name": "bash", "arguments": {"command": LONG}}]},
        {"text": "ok"},
    ], frozen=True)


async def bash_then_bang(pilot, app, h) -> None:
    await wait_open(pilot, app)
    await type_and_send(pilot, "run it")
    await wait_until(pilot, lambda: app.transcript.pending_approvals, what="the approval")
    await pilot.press("y")
    await wait_idle(pilot, app, h)
    await type_and_send(pilot, "!echo hi")
    await wait_until(pilot, lambda: app.transcript.pending_approvals, what="the command's approval")
    await pilot.press("y")
    await wait_idle(pilot, app, h)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_footer_placeholder_and_tool_titles_fit(harness, warm_imports, size):
    h = script(harness)
    app = h.app(clock=FrozenClock(), cursor_blink=False)
    async with app.run_test(size=size) as pilot:
        await wait_open(pilot, app)
        assert "^b Panes" in footer_text(app) and "^p Commands" in footer_text(app)
        assert cell_len(app.prompt.placeholder) <= app.prompt.content_size.width
        await type_and_send(pilot, "run it")
        await wait_until(pilot, lambda: app.transcript.pending_approvals, what="the approval")
        await pilot.pause()
        assert "r Reason" in footer_text(app)  # the approval's keys, whole
        await pilot.press("y")
        await wait_idle(pilot, app, h)

        def title() -> str:
            return next((line for line in screen_text(app).splitlines() if "✗ bash" in line), "")

        # The turn's last lines can bring the transcript's scrollbar, a narrower block, and its title laid out
        # again for the new width: a frame or two after the turn ends. Until the screen shows it:
        await wait_until(pilot, lambda: "error · 0.01s · exit 2" in title(), what="the numbers whole")
        assert "…" in title()  # the arguments gave way


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_bang_command_shows_its_command_and_who_ran_it_once(harness, warm_imports, size):
    h = script(harness)
    app = h.app(clock=FrozenClock(), cursor_blink=False)
    async with app.run_test(size=size) as pilot:
        await bash_then_bang(pilot, app, h)
        text = screen_text(app)
        assert text.count("echo hi") == 1 and text.count("run by you (!)") == 1
        assert "!echo hi" in text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_of_a_failed_command_and_a_bang_command(harness, warm_imports, snap_compare, size):
    h = script(harness)
    app = h.app(clock=FrozenClock(), cursor_blink=False)

    async def run_before(pilot):
        await bash_then_bang(pilot, app, h)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
