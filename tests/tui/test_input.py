"""The prompt: Enter sends, Shift+Enter/Ctrl+J add lines, history, queueing while busy."""

from __future__ import annotations

from app.agent.events import core as ev
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.user_message import UserMessage
from widgets.prompt_input import APPROVAL_PLACEHOLDERS, IDLE_PLACEHOLDERS, History


def test_history_walks_back_and_forth_and_keeps_the_draft():
    history = History()
    for text in ("one", "two", "two", "three"):
        history.add(text)
    assert history.entries == ["one", "two", "three"]
    assert history.previous("draft") == "three"
    assert history.previous("three") == "two"
    assert history.previous("two") == "one"
    assert history.previous("one") is None  # the oldest stays
    assert history.following() == "two"
    assert history.following() == "three"
    assert history.following() == "draft"
    assert history.following() is None


async def test_ctrl_j_adds_a_line_and_enter_sends_both(harness):
    h = harness([{"text": "ok"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        app.prompt.focus()
        await pilot.press(*"first", "ctrl+j", *"second")
        assert app.prompt.text == "first\nsecond"
        assert not app.busy
        await pilot.press("enter")
        await wait_idle(pilot, app, h)
        assert app.prompt.text == ""
        assert h.events.of(ev.TurnStarted)[0].user_text == "first\nsecond"


async def test_up_and_down_recall_sent_prompts(harness):
    h = harness([{"text": "a"}, {"text": "b"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "first task")
        await wait_idle(pilot, app, h)
        await type_and_send(pilot, "second task")
        await wait_idle(pilot, app, h, turns=2)
        await pilot.press("up")
        assert app.prompt.text == "second task"
        await pilot.press("up")
        assert app.prompt.text == "first task"
        await pilot.press("down")
        assert app.prompt.text == "second task"
        await pilot.press("down")
        assert app.prompt.text == ""


async def test_input_sent_while_the_agent_works_is_queued_then_sent(harness):
    # The first turn waits on an approval, so the agent is busy for as long as the test needs.
    write = {"id": "w1", "name": "write_file", "arguments": {"path": "a.txt", "content": "a\n"}}
    h = harness([{"text": "writing", "tool_calls": [write]}, {"text": "first done"}, {"text": "second done"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "long one")
        await wait_until(pilot, lambda: app.busy and app.transcript.pending_approvals, what="the approval")
        assert app.prompt.placeholder in APPROVAL_PLACEHOLDERS  # it waits for you (Enter still queues)
        app.prompt.focus()
        await wait_until(pilot, lambda: "Queue" in _footer(app), what="the footer to say Enter queues")
        assert "Send" not in _footer(app)
        await type_and_send(pilot, "next one")
        queued = [m for m in app.transcript.query(UserMessage) if m.queued]
        assert [m.text for m in queued] == ["next one"]
        assert "1 queued" in app.status.activity
        assert len(h.events.of(ev.TurnStarted)) == 1

        app.transcript.pending_approvals[0].focus()
        await pilot.press("y")
        await wait_idle(pilot, app, h, turns=2)
        assert [e.user_text for e in h.events.of(ev.TurnStarted)] == ["long one", "next one"]
        assert not any(m.queued for m in app.transcript.query(UserMessage))
        # The queued task moved below the first turn's answer when it was sent.
        order = list(app.transcript.blocks)
        first_answer = [m for m in app.transcript.assistant_messages if m.text == "first done"][0]
        sent = [m for m in app.transcript.query(UserMessage) if m.text == "next one"][0]
        assert order.index(sent) > order.index(first_answer)
        assert app.prompt.placeholder in IDLE_PLACEHOLDERS
        assert app.transcript.assistant_messages[-1].text == "second done"
        await wait_until(pilot, lambda: "Send" in _footer(app), what="the footer to say Enter sends")
        assert "Queue" not in _footer(app)


def _footer(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [key.description for key in app.screen.query(FooterKey)]


async def test_a_remapped_send_key_sends_when_idle_and_queues_while_busy(harness):
    from app.tui.keys import keymap_from_settings

    keymap, problems = keymap_from_settings({"prompt.send": "ctrl+s"})
    assert problems == [] and keymap == {"prompt.send": "ctrl+s", "prompt.queue": "ctrl+s"}
    write = {"id": "w1", "name": "write_file", "arguments": {"path": "a.txt", "content": "a\n"}}
    h = harness([{"text": "writing", "tool_calls": [write]}, {"text": "first done"}, {"text": "second done"}])
    app = h.app(keymap=keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        app.prompt.focus()
        app.prompt.insert("long one")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.busy and app.transcript.pending_approvals, what="the approval")
        app.prompt.focus()
        app.prompt.insert("next one")
        await pilot.press("ctrl+s")
        assert [m.text for m in app.transcript.query(UserMessage) if m.queued] == ["next one"]
        app.transcript.pending_approvals[0].focus()
        await pilot.press("y")
        await wait_idle(pilot, app, h, turns=2)
        assert [e.user_text for e in h.events.of(ev.TurnStarted)] == ["long one", "next one"]


async def test_a_blank_prompt_sends_nothing(harness):
    h = harness([{"text": "x"}])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        app.prompt.focus()
        await pilot.press("space", "enter")
        await pilot.pause()
        assert not app.busy and not list(app.transcript.query(UserMessage))
