"""While an approval waits, the prompt's placeholder says it waits for you (not that the agent works)."""

from __future__ import annotations

from tests.tui.conftest import type_and_send, wait_open, wait_until
from widgets.prompt_input import APPROVAL_PLACEHOLDERS, BUSY_PLACEHOLDERS


async def test_a_bang_command_waiting_for_approval_says_so_in_the_placeholder(harness, workspace):
    h = harness([])
    app = h.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "!echo hi > made.txt")
        await wait_until(pilot, lambda: app.transcript.pending_approvals, what="the approval prompt")
        await wait_until(pilot, lambda: app.prompt.placeholder in APPROVAL_PLACEHOLDERS, what="the waiting placeholder")
        assert app.prompt.placeholder == "Waiting for your approval (above) · Esc denies and interrupts"  # fits at 80
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.busy, what="the command to end")
        assert app.prompt.placeholder not in APPROVAL_PLACEHOLDERS + BUSY_PLACEHOLDERS


async def test_esc_on_a_waiting_approval_takes_the_waiting_placeholder_away(harness, workspace):
    h = harness([])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "!touch never.txt")
        await wait_until(pilot, lambda: app.prompt.placeholder in APPROVAL_PLACEHOLDERS, what="the waiting placeholder")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.busy, what="the turn to stop")
        assert app.prompt.placeholder not in APPROVAL_PLACEHOLDERS
