"""What an import's reading process sends is what the writer would have prepared itself."""

from __future__ import annotations

from storage.prepared import new_prepared, prepare, prepare_to_send, without_payloads
from storage.redact import Redactor

EVENTS = [
    {"type": "session_started", "session_id": "s", "seq": 1, "ts": 1.0, "model": "m"},
    {"type": "turn_started", "session_id": "s", "seq": 2, "ts": 2.0, "turn": 1, "user_text": "hi  there"},
    {"type": "message_appended", "session_id": "s", "seq": 3, "ts": 2.0, "index": 0, "turn": 1,
     "message": {"role": "user", "content": "hé \ud800 sk-secret-value"}},
    {"type": "tool_call_finished", "session_id": "s", "seq": 4, "ts": 3.0, "tool_call_id": "t1", "name": "bash",
     "status": "ok", "result": "out", "full_output": "all of it", "arguments": {"api_key": "x"}},
    {"type": "tool_call_finished", "session_id": "s", "seq": 5, "ts": 4.0, "tool_call_id": "t2", "name": "bash",
     "status": "ok", "result": "out", "full_output": None, "duration_ms": float("nan")},
    {"type": "turn_finished", "session_id": "s", "seq": 6, "ts": "5", "turn": 1, "answer": "done"},
]


def test_the_events_sent_are_the_prepared_ones_without_the_payloads_the_writer_does_not_read():
    redactor = Redactor({"MY_TOKEN": "sk-secret-value"})
    sent = prepare_to_send(EVENTS, redactor)
    assert all(type(event) is tuple for event in sent)
    assert list(map(new_prepared, sent)) == without_payloads(prepare(EVENTS, redactor))
    assert "sk-secret-value" not in repr(sent)


def test_a_tool_call_without_full_output_is_stored_as_one_without_the_key():
    redactor = Redactor({})
    without_key = {k: v for k, v in EVENTS[4].items() if k != "full_output"}
    (with_none,), (without,) = prepare([EVENTS[4]], redactor), prepare([without_key], redactor)
    assert with_none == without
    assert "full_output" not in with_none.text and with_none.blob is None
