"""Hostile tool input never crashes the loop nor drops an event: every call the model
sends ends as one finished row, with a result fed back to the model."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from app.agent.events import core as ev
from app.agent.tool_ids import ToolCallIds
from app.agent.tools.registry import InvalidCall, default_tools
from app.settings import Settings
from storage.store import EventStore
from tests.core.helpers import make_session
from tests.core.hostile_calls import run_script, scripts


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(turns=scripts)
def test_fuzzed_tool_calls_end_as_finished_rows(turns):
    out = run_script(turns)
    assert out.crashed == ""
    assert out.session_status in {"completed", "limit"}
    assert out.rows == out.sent == out.attempted and out.complete == out.sent  # a halted loop's rest too
    assert out.seq_gap_free


HOSTILE = {  # raw arguments → a phrase of the error the model reads back
    "deep array": ('{"path": ' + "[" * 1000 + "]" * 1000 + "}", "nested too deeply"),
    "deep object": ('{"path": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}", "nested too deeply"),
    "escaped lone surrogate": ('{"path": "\\ud800"}', "'path' contains a lone surrogate '\\ud800'"),
    "surrogate field name": ('{"\\udc00": 1}', "lone surrogate"),
    "huge string": (json.dumps({"path": "a" * 1_500_000}), "arguments are too large: 1,500,012 characters"),
    "array": ("[1]", "must be a JSON object, got array: [1]"),
    "string": ('"x"', 'must be a JSON object, got string: "x"'),
    "null": ("null", "must be a JSON object, got null"),
    "number": ("5", "must be a JSON object, got integer: 5"),
    "escaped NUL": ('{"path": "a\\u0000b"}', "'path' contains a NUL character"),
    "raw NUL": ('{"path": "a\x00b"}', "not valid JSON: Invalid control character"),
    "invalid JSON": ("{nope", "not valid JSON"),
    "too many digits": ('{"path": ' + "7" * 5000 + "}", "not valid JSON: Exceeds the limit"),
    "NaN": ('{"start_line": NaN, "path": "a"}', "'start_line' must be a finite number"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_argument_is_a_validation_error_the_model_reads(name):
    raw, phrase = HOSTILE[name]
    with pytest.raises(InvalidCall) as caught:
        default_tools().resolve("read_file", raw)
    assert phrase in str(caught.value)
    str(caught.value).encode("utf-8")  # any sink can write it


async def test_hostile_calls_through_the_loop_end_as_finished_rows(workspace, tmp_path, write_script):
    # One reply with every kind; a raw lone surrogate in it becomes U+FFFD at the model adapter.
    calls = [{"name": "read_file", "arguments": raw} for raw, _ in HOSTILE.values()]
    calls.append({"name": "read_file", "arguments": '{"path": "\ud800.txt"}'})
    model = write_script([{"tool_calls": calls}, {"text": "done"}])
    patient = Settings(resilience={"semantic_errors_in_row": 100})  # the loop detector would stop at 3 in a row
    session, events, db = make_session(model, workspace, tmp_path / "c.db", settings=patient)
    session.start()
    result = await session.run_task("go")
    session.finish()
    assert result.outcome == "completed" and session.bus.failure is None
    finished = events.of(ev.ToolCallFinished)
    assert [e.status for e in finished] == [ev.ToolStatus.VALIDATION_ERROR] * len(HOSTILE) + [ev.ToolStatus.TOOL_ERROR]
    for event, (_, phrase) in zip(finished, HOSTILE.values()):
        assert phrase in event.result
    assert "\ufffd.txt" in finished[-1].result  # not found, under its repaired name
    tool_messages = [m["content"] for m in session.agent.messages if m["role"] == "tool"]
    assert tool_messages == [e.result for e in finished]
    rows = db.execute("select status from tool_calls").fetchall()
    assert len(rows) == len(calls) and {r[0] for r in rows} == {"validation_error", "tool_error"}
    assert db.execute("select status from sessions").fetchone()[0] == "completed"
    seqs = [r[0] for r in db.execute("select seq from events order by seq")]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_a_reused_tool_call_id_gets_its_own_row(workspace, tmp_path, write_script):
    (workspace / "a.txt").write_text("A\n")
    (workspace / "b.txt").write_text("B\n")
    model = write_script([
        {"tool_calls": [{"id": "same", "name": "read_file", "arguments": {"path": "a.txt"}},
                        {"id": "same", "name": "read_file", "arguments": {"path": "b.txt"}}]},
        {"tool_calls": [{"id": "same", "name": "list_dir", "arguments": {}}]},
        {"text": "done"},
    ])
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    assert (await session.run_task("go")).outcome == "completed"
    requested = events.of(ev.ToolCallRequested)
    assert [(e.tool_call_id, e.id_from_model) for e in requested] == [
        ("same", None), ("same#2", "same"), ("same#3", "same")
    ]
    rows = db.execute("select tool_call_id, name, status, result from tool_calls order by requested_at").fetchall()
    assert [r[:3] for r in rows] == [("same", "read_file", "ok"), ("same#2", "read_file", "ok"),
                                     ("same#3", "list_dir", "ok")]
    assert "A" in rows[0][3] and "B" in rows[1][3]  # the second call did not overwrite the first
    # The conversation keeps the model's ids, so the provider can match each result to its call.
    tool_messages = [m for m in session.agent.messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["same"] * 3


def test_ids_stay_unique_across_a_resume_and_a_model_that_names_a_suffix():
    resumed = [{"role": "tool", "tool_call_id": "c"}, {"role": "tool", "tool_call_id": "c"}]
    ids = ToolCallIds(resumed)
    assert [ids.claim("c"), ids.claim("c#2"), ids.claim("d"), ids.claim("d")] == ["c#3", "c#2#2", "d", "d#2"]


def test_the_store_keeps_an_event_with_lone_surrogates(db):
    store = EventStore(db)
    store.append(ev.SessionStarted(session_id="s", seq=1, title="t\ud800").to_dict())
    store.append(ev.ToolCallFinished(session_id="s", seq=2, tool_call_id="c", name="x\udfff", arguments_raw="\ud800",
                                     result="r\ud83d\ude00", full_output="full\ud800").to_dict())
    stored = db.execute("select payload from events where seq = 2").fetchone()[0]
    assert json.loads(stored)["arguments_raw"] == "\ufffd"
    assert db.execute("select name, arguments_raw, result from tool_calls").fetchone() == ("x\ufffd", "\ufffd", "r😀")
    assert db.execute("select content from blobs").fetchone()[0] == "full\ufffd"
