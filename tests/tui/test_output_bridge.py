"""The bridge merges a command's output deltas like streamed text: one wake-up a burst, one
delta per call when taken, capped to what the screen shows, flushed before any other event."""

from __future__ import annotations

from app.agent.events import core as ev
from app.tui.bridge import OUTPUT_KEEP_CHARS, EventBridge
from app.tui.messages import AgentEvent, TextReady


def test_a_burst_of_output_posts_one_wake_up_and_is_taken_merged_per_call():
    posted: list = []
    bridge = EventBridge(posted.append)
    for n in range(1_000):
        bridge(ev.ToolOutputDelta(tool_call_id="a", text=f"{n:04d}\n", dropped=1))
    bridge(ev.ToolOutputDelta(tool_call_id="b", text="other\n"))
    bridge(ev.TextDelta(call_id="m", text="answer"))
    assert [type(m) for m in posted] == [TextReady]
    taken = bridge.take_all()
    assert [type(e) for e in taken] == [ev.TextDelta, ev.ToolOutputDelta, ev.ToolOutputDelta]
    text, a, b = taken
    assert text.text == "answer" and (b.tool_call_id, b.text, b.dropped) == ("b", "other\n", 0)
    assert a.tool_call_id == "a" and len(a.text) == OUTPUT_KEEP_CHARS and a.text.endswith("0999\n")
    assert a.dropped == 1_000 + 5 * 1_000 - OUTPUT_KEEP_CHARS  # what the tool and the bridge left out
    assert bridge.take_all() == []


def test_any_other_event_flushes_the_output_first():
    posted: list = []
    bridge = EventBridge(posted.append)
    bridge(ev.ToolOutputDelta(tool_call_id="a", text="line\n"))
    bridge(ev.ToolCallFinished(tool_call_id="a", result="line"))
    events = [m.event.type for m in posted if isinstance(m, AgentEvent)]
    assert events == ["tool_output_delta", "tool_call_finished"]
    assert bridge.take_all() == []
