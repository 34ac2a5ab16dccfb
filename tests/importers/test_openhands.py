"""OpenHands trajectories: real numbers from tests/data/sessions/openhands, and generated edge cases.

The expected figures are computed here from the raw file with a few lines of json (not the
importer): a model call per distinct ``model_response.id`` of the agent's actions (plus the final
agent ``message``, which carries no response: a call without usage); a tool call per agent action
with ``tool_call_metadata``; a ``run`` observation failed unless its exit code is 0.
"""

from __future__ import annotations

import json

import pytest

from storage.importers import (
    ImportFormatError,
    detect,
    import_path,
    import_sessions,
    openhands,
)
from storage.queries import load_events
from tests.support.import_checks import (
    assert_cut_file_writes_nothing,
    converted_with_peak,
)
from tests.support.session_files import OPENHANDS


def _raw():
    events = json.loads(OPENHANDS.read_text())
    actions = [e for e in events if e.get("source") == "agent" and "action" in e]
    tools = [e for e in actions if "tool_call_metadata" in e]
    responses = {e["tool_call_metadata"]["model_response"]["id"]: e["tool_call_metadata"]["model_response"] for e in tools}
    runs = [e for e in events if e.get("observation") == "run"]
    return events, actions, tools, responses, runs


def test_real_trajectory_numbers(db):
    events, actions, tools, responses, runs = _raw()
    result = import_path(db, OPENHANDS)
    assert (result.status, result.source) == ("imported", "openhands")
    final_messages = [e for e in actions if e["action"] == "message"]
    assert result.model_calls == len(responses) + len(final_messages) == 5
    assert result.counted_calls == len(responses) == 4
    assert result.tokens_in == sum(r["usage"]["prompt_tokens"] for r in responses.values()) == 17_297
    assert result.tokens_out == sum(r["usage"]["completion_tokens"] for r in responses.values()) == 2_024
    cached, written = db.execute("select sum(cached_tokens), sum(cache_write_tokens) from model_calls").fetchone()
    assert cached == sum(r["usage"]["cache_read_input_tokens"] for r in responses.values())
    assert written == sum(r["usage"]["cache_creation_input_tokens"] for r in responses.values())
    assert result.tool_calls == len(tools) == 4
    assert result.tool_calls_failed == sum(r["extras"]["metadata"]["exit_code"] != 0 for r in runs) == 1
    rows = db.execute("select name, status, exit_code from tool_calls order by rowid").fetchall()
    assert rows == [(e["tool_call_metadata"]["function_name"], s, c) for e, (s, c) in
                    zip(tools, [("ok", 0), ("ok", None), ("ok", None), ("timeout", -1)])]
    session = db["sessions"].get(result.session_id)
    assert session["model"] == "claude-3-5-sonnet-20241022" and session["started_at"][:19] == "2025-01-20T20:29:13"
    prompts = [e["user_text"] for e in load_events(db, result.session_id) if e["type"] == "turn_started"]
    assert prompts == [e["args"]["content"] for e in events if e.get("source") == "user" and e.get("action") == "message"]
    assert detect(OPENHANDS) is openhands
    assert import_path(db, OPENHANDS).status == "skipped"


def _response(rid, calls, prompt=100, completion=10):
    return {"function_name": calls[0][1], "tool_call_id": calls[0][0], "model_response": {
        "id": rid, "model": "gpt-4o", "choices": [{"finish_reason": "tool_calls", "message": {
            "content": "", "tool_calls": [{"id": i, "function": {"name": n, "arguments": "{}"}} for i, n in calls]}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "prompt_tokens_details": {"cached_tokens": 40}}}}


def _trajectory(tmp_path, events, name="traj.json", wrap=False):
    for n, event in enumerate(events):
        event.setdefault("id", n)
        event.setdefault("timestamp", f"2025-01-01T00:00:{n % 60:02d}")
    path = tmp_path / name
    path.write_text(json.dumps({"instance_id": "x", "history": events} if wrap else events, indent=2))
    return path


def _user(text):
    return {"source": "user", "action": "message", "args": {"content": text}}


def test_parallel_calls_of_one_response_count_its_usage_once_and_failures(db, tmp_path):
    both = _response("r1", [("t1", "execute_bash"), ("t2", "execute_bash")])
    path = _trajectory(tmp_path, [
        _user("go"),
        {"id": 1, "source": "agent", "action": "run", "args": {"command": "false"}, "tool_call_metadata": both},
        {"source": "agent", "observation": "run", "cause": 1, "content": "", "extras": {"metadata": {"exit_code": 1}},
         "tool_call_metadata": both},
        {"id": 3, "source": "agent", "action": "run", "args": {"command": "ls"}, "tool_call_metadata": {**both, "tool_call_id": "t2"}},
        {"source": "agent", "observation": "error", "cause": 3, "content": "no such runtime"},
        {"id": 5, "source": "agent", "action": "edit", "args": {"path": "a"}, "tool_call_metadata": _response("r2", [("t3", "str_replace_editor")])},
        {"source": "user", "observation": "user_rejected", "cause": 5, "content": "no"},
        {"source": "agent", "action": "telepathy", "args": {}},  # an unknown action: a call without metadata
        {"source": "agent", "observation": "daydream", "content": "?"},  # unknown, answers nothing: skipped
        {"source": "environment", "observation": "agent_state_changed", "extras": {"agent_state": "error"}},
    ])
    result = import_path(db, path)
    assert (result.model_calls, result.counted_calls, result.tokens_in, result.tokens_out) == (3, 2, 200, 20)
    rows = db.execute("select tool_call_id, status, exit_code from tool_calls order by rowid").fetchall()
    assert rows == [("t1", "tool_error", 1), ("t2", "tool_error", None), ("t3", "denied", None), ("oh-7", "cancelled", None)]
    assert (result.tool_calls, result.tool_calls_failed, result.tool_calls_denied) == (4, 3, 1)
    assert db["sessions"].get(result.session_id)["status"] == "failed"
    notices = [e["message"] for e in load_events(db, result.session_id) if e["type"] == "notice"]
    assert notices == ["1 OpenHands events of a kind Cockpit does not read were skipped"]


def test_a_delegate_is_a_child_session_and_condensation_a_compaction(db, tmp_path):
    path = _trajectory(tmp_path, [
        _user("browse"),
        {"id": 1, "source": "agent", "action": "delegate", "args": {"agent": "BrowsingAgent", "inputs": {"task": "find it"}},
         "tool_call_metadata": _response("r1", [("d1", "delegate_to_browsing_agent")])},
        {"id": 2, "source": "agent", "action": "browse", "args": {"url": "http://x"}},
        {"source": "agent", "observation": "browse", "cause": 2, "content": "page"},
        {"source": "agent", "action": "condensation", "args": {"summary": "earlier: looked"}},
        {"id": 5, "source": "agent", "action": "finish", "args": {"final_thought": "found"},
         "tool_call_metadata": _response("r9", [("f1", "finish")])},
        {"source": "agent", "observation": "null", "cause": 5, "content": "",
         "tool_call_metadata": _response("r9", [("f1", "finish")])},  # answers nothing: finish has its result
        {"source": "agent", "observation": "delegate", "cause": 1, "content": "found"},
        {"source": "agent", "action": "message", "args": {"content": "done"}},
    ], wrap=True)
    assert [e.get("id") for e in json.loads(path.read_text())["history"]] == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    results = import_sessions(db, path)
    parent, child = results
    assert child.parent_id == parent.session_id and (child.tool_calls, child.model_calls) == (2, 2)
    finished = db.execute("select count(*) from events where session_id = ? and type = 'tool_call_finished'",
                          [child.session_id]).fetchone()[0]
    assert finished == 2  # the null observation after finish answers nothing again
    assert (parent.tool_calls, parent.tool_calls_failed, parent.model_calls) == (1, 0, 2)
    assert db["sessions"].get(child.session_id)["title"] == "BrowsingAgent"
    types = [e["type"] for e in load_events(db, child.session_id)]
    assert "messages_replaced" in types and types[-1] == "session_finished"
    assert import_sessions(db, path)[0].status == "skipped"


@pytest.mark.parametrize("cut", [300, -40])
def test_a_truncated_file_names_its_line_and_writes_nothing(db, tmp_path, cut):
    assert_cut_file_writes_nothing(db, OPENHANDS, tmp_path / "cut.json", cut)


def test_an_event_that_is_not_an_object_names_its_line(db, tmp_path):
    path = _trajectory(tmp_path, [_user("hi")])
    path.write_text(path.read_text().rstrip()[:-1] + ",\n  42\n]")
    with pytest.raises(ImportFormatError, match=r"traj\.json:\d+: not an OpenHands event"):
        import_path(db, path)


def test_a_huge_trajectory_is_read_in_bounded_memory(db, tmp_path):
    events = [_user("go")]
    for n in range(4_000):  # about 14 MB
        tool = _response(f"r{n}", [(f"t{n}", "execute_bash")])
        events.append({"id": 2 * n + 1, "source": "agent", "action": "run", "args": {"command": "echo"}, "tool_call_metadata": tool})
        events.append({"id": 2 * n + 2, "source": "agent", "observation": "run", "cause": 2 * n + 1, "content": "y" * 3_000,
                       "extras": {"metadata": {"exit_code": 0}}})
    path = _trajectory(tmp_path, events)
    assert path.stat().st_size > 12_000_000
    count, peak = converted_with_peak(openhands.convert, path)
    assert count > 4_000 * 4
    assert peak < 8_000_000, peak
    result = import_path(db, path)
    assert (result.model_calls, result.tool_calls, result.tokens_in) == (4_000, 4_000, 400_000)
