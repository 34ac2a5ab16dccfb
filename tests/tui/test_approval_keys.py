"""The approval prompt's keys and what it reads: a reason in one key, typing disarms, the result line,
every button label whole at 80 and 100 columns."""

from __future__ import annotations

import contextlib

import pytest
from textual.widgets import Button, Static

from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.approval import ApprovalPrompt
from widgets.tool_format import status_text

COMMAND = "rm -rf build && make all"
BASH = {"id": "b1", "name": "bash", "arguments": {"command": COMMAND}}


async def _until_prompt(pilot, app) -> ApprovalPrompt:
    await wait_until(pilot, lambda: app.transcript.pending_approvals
                     and app.focused is app.transcript.pending_approvals[0], what="an approval prompt")
    return app.transcript.pending_approvals[0]


@contextlib.asynccontextmanager
async def _asked(harness, size=(100, 30), **app_options):
    """An app whose model asks to run ``COMMAND``: (harness, app, pilot, the approval prompt)."""
    h = harness([{"tool_calls": [BASH]}, {"text": "ok"}])
    app = h.app(**app_options)
    async with app.run_test(size=size) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "clean and build")
        yield h, app, pilot, await _until_prompt(pilot, app)


def _title(app) -> str:
    return app.transcript.tool_block("b1").title.plain


async def test_r_goes_to_the_reason_and_enter_denies_with_it(harness, workspace):
    async with _asked(harness) as (h, app, pilot, prompt):
        await pilot.press("r")  # one key: the reason field has the keys
        assert app.focused is prompt.reason_field
        await pilot.press(*"keep the build folder", "enter")
        await wait_idle(pilot, app, h)
        assert _title(app).endswith("denied: keep the build folder")
        assert "denied · denied" not in _title(app)
    row = h.tool_call("b1")
    assert row["approval"] == "deny" and "Reason: keep the build folder" in row["result"]


async def test_n_denies_at_once_and_the_title_says_denied_once(harness, workspace):
    async with _asked(harness) as (h, app, pilot, prompt):
        await pilot.press("n")
        await wait_idle(pilot, app, h)
        assert _title(app).count("denied") == 1
    assert h.tool_call("b1")["result"] == "Error: The user denied this tool call."


async def test_typing_a_reason_disarms_an_armed_always(harness, workspace):
    async with _asked(harness) as (h, app, pilot, prompt):
        scope = prompt.query_one(".approval-scope", Static)
        await pilot.press("a")
        assert "Press a again" in str(scope.render())
        prompt.reason_field.focus()  # as a click into the field does
        await pilot.press("x")
        assert "Press a again" not in str(scope.render())
        prompt.reason_field.value = ""
        prompt.focus()
        await pilot.press("a")  # the first press again: armed, nothing granted
        assert not prompt.decided and "Press a again" in str(scope.render())
        await pilot.press("n")
        await wait_idle(pilot, app, h)
    assert h.tool_call("b1")["approval"] == "deny"


async def test_the_command_is_shown_once(harness, workspace):
    async with _asked(harness) as (h, app, pilot, prompt):
        shown = " ".join(str(s.render()) for s in prompt.query(Static))
        assert shown.count(COMMAND) == 1
        assert "bash wants to run:" in shown
        await pilot.press("y")
        await wait_idle(pilot, app, h)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_every_button_label_is_whole(harness, workspace, size):
    async with _asked(harness, size=size) as (h, app, pilot, prompt):
        inside = prompt.content_region
        for button in prompt.query(Button):
            label = str(button.label)
            assert button.region.right <= inside.right, f"{label} runs past the prompt at {size}"
            assert button.region.width >= len(label), f"{label} is cut at {size}"
        assert prompt.reason_field.region.right <= inside.right
        await pilot.press("n")
        await wait_idle(pilot, app, h)


def test_the_status_part_of_a_title():
    assert status_text("denied", "denied") == "denied"
    assert status_text("denied", "denied: use src/") == "denied: use src/"
    assert status_text("denied") == "denied"  # an imported denial without a note
    assert status_text("ok", "always allowed from now on (bash(ls *))", 12.0) == \
        "ok · 0.01s · always allowed from now on (bash(ls *))"
    assert status_text("tool_error", exit_code=2) == "error · exit 2"


async def test_deny_with_reason_is_remappable(harness, workspace):
    async with _asked(harness, keymap={"approval.deny_reason": "N"}) as (h, app, pilot, prompt):
        await pilot.press("N")
        assert app.focused is prompt.reason_field
        await pilot.press("enter")  # an empty reason: denied without one
        await wait_idle(pilot, app, h)
    assert h.tool_call("b1")["result"] == "Error: The user denied this tool call."
