"""Approvals in the transcript: allow once, deny with a reason, allow always, Esc."""

from __future__ import annotations

import json

from app.agent.events import core as ev
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.approval import ApprovalPrompt
from widgets.tool_call import ToolCallBlock

WRITE = {"id": "w1", "name": "write_file", "arguments": {"path": "hello.py", "content": "print('hi')\n"}}


def _pending(app) -> ApprovalPrompt:
    return app.transcript.pending_approvals[0]


async def _until_prompt(pilot, app) -> ApprovalPrompt:
    await wait_until(pilot, lambda: app.transcript.pending_approvals and app.focused is _pending(app), what="an approval prompt")
    return _pending(app)


async def test_approving_a_write_runs_it(harness, workspace):
    h = harness([{"tool_calls": [WRITE]}, {"text": "Written."}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "write hello.py")
        prompt = await _until_prompt(pilot, app)
        assert "+print('hi')" in str(prompt.query_one(".approval-preview").render())  # the diff is shown
        assert app.transcript.tool_block("w1").status == "awaiting"
        assert "awaiting approval" in app.status.activity
        assert not (workspace / "hello.py").exists()

        await pilot.press("y")
        await wait_idle(pilot, app, h)
        assert (workspace / "hello.py").read_text() == "print('hi')\n"
        assert not app.transcript.pending_approvals
        assert app.transcript.tool_block("w1").status == "ok"
        assert app.focused is app.prompt
    row = h.tool_call("w1")
    assert (row["approval"], row["status"]) == ("allow", "ok")


async def test_denying_a_write_with_a_reason_tells_the_model(harness, workspace):
    h = harness([{"tool_calls": [WRITE]}, {"text": "Understood, no file."}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "write hello.py")
        prompt = await _until_prompt(pilot, app)
        prompt.query_one(".approval-reason").focus()
        await pilot.press(*"use src/ instead", "enter")
        await wait_idle(pilot, app, h)

        assert not (workspace / "hello.py").exists()
        block = app.transcript.tool_block("w1")
        assert block.status == "denied"
        assert "use src/ instead" in block.note
    row = h.tool_call("w1")
    assert row["approval"] == "deny" and row["status"] == "denied"
    assert "use src/ instead" in row["result"]
    # The model's next call saw the refusal and the reason as the tool result.
    tool_messages = [e.message for e in h.events.of(ev.MessageAppended) if e.message.get("role") == "tool"]
    assert tool_messages == [{"role": "tool", "tool_call_id": "w1", "content": row["result"]}]
    assert "The user denied this tool call. Reason: use src/ instead" in row["result"]


async def test_n_denies_without_a_reason(harness, workspace):
    h = harness([{"tool_calls": [WRITE]}, {"text": "ok"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "write")
        await _until_prompt(pilot, app)
        await pilot.press("n")
        await wait_idle(pilot, app, h)
    assert not (workspace / "hello.py").exists()
    assert h.tool_call("w1")["result"] == "Error: The user denied this tool call."


async def test_always_allow_a_command_prefix_skips_the_next_prompt(harness, workspace):
    h = harness([
        {"tool_calls": [
            {"id": "b1", "name": "bash", "arguments": {"command": "echo one > one.txt"}},
            {"id": "b2", "name": "bash", "arguments": {"command": "echo two > two.txt"}},
            {"id": "b3", "name": "bash", "arguments": {"command": "touch three.txt"}},
        ]},
        {"text": "done"},
    ])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "echo things")
        prompt = await _until_prompt(pilot, app)
        assert prompt.scope == "bash(echo *)"
        await pilot.press("a", "a")  # a lasting answer: pressed twice
        # b2 (echo …) runs without asking; b3 (touch …) asks again.
        await wait_until(pilot, lambda: app.transcript.pending_approvals and _pending(app).request.tool_call_id == "b3")
        assert (workspace / "two.txt").exists()
        await pilot.press("n")
        await wait_idle(pilot, app, h)
        assert [r.text for r in app.session.agent.approvals.rules.allow] == ["bash(echo *)"]
    resolved = {e.tool_call_id: (e.decision, e.automatic) for e in h.events.of(ev.ApprovalResolved)}
    assert resolved == {"b1": ("allow_always", False), "b2": ("allow", True), "b3": ("deny", False)}
    assert not (workspace / "three.txt").exists()


async def test_escape_during_an_approval_denies_and_interrupts(harness, workspace):
    h = harness([{"tool_calls": [WRITE]}, {"text": "never reached"}, {"text": "fresh start"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "write")
        await _until_prompt(pilot, app)
        await pilot.press("escape")
        await wait_idle(pilot, app, h)
        assert not (workspace / "hello.py").exists()
        assert not app.transcript.pending_approvals
        assert h.events.of(ev.TurnFinished)[-1].outcome == "interrupted"
        assert h.events.of(ev.Interrupted)
        # The conversation stays valid: the unanswered call got a result.
        tool = [e.message for e in h.events.of(ev.MessageAppended) if e.message.get("role") == "tool"]
        assert tool and tool[-1]["tool_call_id"] == "w1"
        # …and the session takes the next task.
        await type_and_send(pilot, "again")
        await wait_idle(pilot, app, h, turns=2)
        assert h.events.of(ev.TurnFinished)[-1].outcome == "completed"


async def test_the_approval_block_shows_the_edit_as_a_diff(harness, workspace):
    (workspace / "app.py").write_text("x = 1\ny = 2\n")
    edit = {"id": "e1", "name": "edit_file", "arguments": {"path": "app.py", "old_string": "y = 2", "new_string": "y = 3"}}
    h = harness([{"tool_calls": [edit]}, {"text": "ok"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "edit")
        prompt = await _until_prompt(pilot, app)
        preview = str(prompt.query_one(".approval-preview").render())
        assert "-y = 2" in preview and "+y = 3" in preview
        await pilot.press("y")
        await wait_idle(pilot, app, h)
        block = app.transcript.query_one(ToolCallBlock)
        assert block.status == "ok"
        assert json.loads(h.tool_call("e1")["arguments"])["new_string"] == "y = 3"
    assert (workspace / "app.py").read_text() == "x = 1\ny = 3\n"


async def test_an_approval_keeps_the_transcript_anchored_to_the_bottom(harness):
    long_text = "\n\n".join(f"Paragraph {i} of a long explanation." for i in range(60))
    h = harness([{"text": long_text, "tool_calls": [WRITE]}, {"text": "ok"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "explain then write")
        await _until_prompt(pilot, app)
        await pilot.pause()
        transcript = app.transcript
        assert transcript.max_scroll_y > 0
        assert transcript.is_anchored and transcript.scroll_y == transcript.max_scroll_y
        prompt = _pending(app)
        assert prompt.region.bottom <= transcript.region.bottom  # the prompt is on screen
