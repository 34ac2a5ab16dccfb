"""Streamed text never overtakes an event the UI has not shown yet.

A drain (the timer's ``TextDue``, or one set by an earlier burst) takes text only
once every event posted before it is on screen; the event's handler then drains
what waited for it.
"""

from __future__ import annotations

from app.agent.events import core as ev
from app.tui.bridge import EventBridge


def test_text_after_an_unshown_event_waits_for_it_and_is_due_once_it_is_shown():
    posted: list = []
    bridge = EventBridge(posted.append)
    bridge(ev.ToolCallFinished(tool_call_id="c1", result="ok"))
    bridge(ev.TextDelta(call_id="m2", text="after"))

    assert bridge.take_due() == []  # the tool call is not on screen yet
    assert bridge.shown() is True  # now it is: the text is due
    (text,) = bridge.take_due()
    assert text.text == "after"
    assert bridge.shown() is False  # nothing more waited


def test_text_buffered_before_any_unshown_event_is_taken_at_once():
    bridge = EventBridge(lambda message: None)
    bridge(ev.TextDelta(call_id="m1", text="first"))
    assert [d.text for d in bridge.take_due()] == ["first"]

