"""SVG snapshots of the inline prompts at 80×24, 100×30 and 160×45: the approval prompt (every button
label whole, the command once) and the feedback prompt (its hint names the key that goes there).
Update with ``pytest tests/tui/test_snapshots_prompts.py --snapshot-update`` and review the SVGs."""

from __future__ import annotations

import pytest

from app.tui.live_panes import FeedbackSlot
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock

SIZES = {"80x24": (80, 24), "100x30": (100, 30), "160x45": (160, 45)}
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40}


@pytest.fixture
def snap_app(harness, warm_imports):
    def make(turns):
        h = harness(turns, frozen=True, session_ids=["5e55101000000000"])
        return h, h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark")

    return make


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_an_approval_prompt(snap_app, snap_compare, size):
    h, app = snap_app([
        {"text": "Cleaning first.", "usage": USAGE, "tool_calls": [
            {"id": "b1", "name": "bash", "arguments": {"command": "rm -rf build && make all"}},
        ]},
    ])

    async def run_before(pilot):
        await wait_open(pilot, app)
        await type_and_send(pilot, "rebuild from scratch")
        await wait_until(pilot, lambda: app.transcript.pending_approvals
                         and app.focused is app.transcript.pending_approvals[0])

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_a_feedback_prompt(snap_app, snap_compare, size):
    h, app = snap_app([{"text": "Done: the build is green.", "usage": USAGE}])

    async def run_before(pilot):
        await wait_open(pilot, app)
        await type_and_send(pilot, "make the build green")
        await wait_idle(pilot, app, h)
        await app.transcript.add(FeedbackSlot(app, app.session, f"{app.session.id}:1", "solicited"))  # as LivePanes asks
        app.prompt.focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
