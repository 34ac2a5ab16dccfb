"""The importers' quick event conversion gives exactly ``Event.to_dict()``."""

from __future__ import annotations

from app.agent.events import core as ev
from storage.importers.common import Recorder, ToolUse, event_dict, usage


def test_event_dict_equals_to_dict_for_every_event_an_import_records():
    recorder = Recorder("s1")
    recorder.start(1.0, source="x", source_path="/p", source_hash="h")
    recorder.user_prompt(2.0, "hello")
    recorder.model_call(3.0, model="m", text="hi", tool_uses=[ToolUse("t1", "bash", '{"command": "ls"}')],
                        usage=usage(10, 2, 1), finish_reason="tool_calls")
    recorder.tool_result(4.0, "t1", status="tool_error", result="boom", error="boom", exit_code=1)
    recorder.compaction(5.0, [{"role": "user", "content": "summary"}], "threshold")
    recorder.notice(5.5, "note", level="warning")
    recorder.interrupted(6.0)
    recorded = recorder.finish(7.0, "interrupted")
    assert [e["type"] for e in recorded][:3] == ["session_started", "turn_started", "message_appended"]
    events = [
        ev.ModelCallFinished(call_id="c", status=ev.CallStatus.ERROR, usage={"prompt_tokens": 1}, tool_calls=[{"a": (1, 2)}]),
        ev.ToolCallFinished(tool_call_id="t", name="bash", status=ev.ToolStatus.OK, arguments={"k": [1, {"n": None}]}),
        ev.SessionFinished(status=ev.SessionStatus.COMPLETED),
    ]
    for event in events:
        assert event_dict(event) == event.to_dict()
        assert list(event_dict(event)) == list(event.to_dict())
