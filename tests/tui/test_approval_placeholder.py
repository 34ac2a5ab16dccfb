"""While an approval waits, the prompt's placeholder says it waits for you (not that the agent works)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import type_and_send, wait_open, wait_until
from widgets.prompt_input import APPROVAL_PLACEHOLDERS, BUSY_PLACEHOLDERS

WAITING_AT_80 = "Waiting for your approval (above) · Esc denies and interrupts"


@pytest.mark.parametrize(("answer", "size"), [("y", (80, 24)), ("escape", (120, 40))])
async def test_a_bang_command_waiting_for_approval_says_so_until_answered(harness, workspace, answer, size):
    app = harness([]).app()
    async with app.run_test(size=size) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "!echo hi > made.txt")
        await wait_until(pilot, lambda: app.prompt.placeholder in APPROVAL_PLACEHOLDERS, what="the waiting placeholder")
        assert size[0] != 80 or app.prompt.placeholder == WAITING_AT_80  # the variant that fits
        await pilot.press(answer)
        await wait_until(pilot, lambda: not app.busy, what="the command to end or stop")
        assert app.prompt.placeholder not in APPROVAL_PLACEHOLDERS + BUSY_PLACEHOLDERS
