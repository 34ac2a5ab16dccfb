"""SWE-agent trajectories: real numbers from tests/data/sessions/swe-agent (v0 and function-calling v1),
and generated edge cases.

The expected figures are computed here from the raw file with a few lines of json: a model call
per ``assistant`` message of ``history`` that is not a demonstration; a tool call per action (v0) or
per ``tool_calls`` item (v1); failed ones those answered by SWE-agent's "Your proposed edit has
introduced new syntax error(s)"; no per-call usage (``info.model_stats`` has the totals only).
"""

from __future__ import annotations

import json

import pytest

from storage.importers import ImportFormatError, detect, import_path, swe_agent
from storage.queries import load_events
from tests.support.import_checks import assert_cut_file_writes_nothing
from tests.support.session_files import SWE_AGENT_V0, SWE_AGENT_V1

REFUSED = "Your proposed edit has introduced new syntax error(s)"


def _raw(path):
    data = json.loads(path.read_text())
    history = [m for m in data["history"] if not m.get("is_demo")]
    calls = [m for m in history if m["role"] == "assistant"]
    answers = [m for m in history[2:] if m["role"] in ("user", "tool")]
    return data, calls, answers


def test_v0_real_numbers(db):
    data, calls, answers = _raw(SWE_AGENT_V0)
    result = import_path(db, SWE_AGENT_V0)
    assert (result.status, result.source) == ("imported", "swe-agent")
    assert result.model_calls == len(calls) == data["info"]["model_stats"]["api_calls"] == 12
    assert result.counted_calls == 0 and (result.tokens_in, result.tokens_out) == (0, 0)
    assert result.tool_calls == sum(bool(m["action"].strip()) for m in calls) == 12
    assert result.tool_calls_failed == sum(m["content"].startswith(REFUSED) for m in answers) == 3
    commands = [json.loads(r[0])["command"] for r in db.execute("select arguments from tool_calls order by rowid")]
    assert commands == [m["action"].strip() for m in calls]
    last = db.execute("select status, result from tool_calls order by rowid desc limit 1").fetchone()
    assert last == ("ok", data["info"]["submission"])  # v0 keeps submit's output in info only
    notices = [e["message"] for e in load_events(db, result.session_id) if e["type"] == "notice"]
    assert notices == [("SWE-agent recorded totals for the run only: 12 API calls, 122,612 tokens sent, 1,369 received, "
                        "cost $1.2672")]
    prompts = [e["user_text"] for e in load_events(db, result.session_id) if e["type"] == "turn_started"]
    assert prompts == [data["history"][2]["content"]]  # the demonstration before it is not the run's
    assert detect(SWE_AGENT_V0) is swe_agent
    assert import_path(db, SWE_AGENT_V0).status == "skipped"


def test_v1_function_calling_real_numbers(db):
    _, calls, answers = _raw(SWE_AGENT_V1)
    result = import_path(db, SWE_AGENT_V1)
    tools = [t for m in calls for t in m["tool_calls"]]
    assert result.model_calls == len(calls) == 11
    assert result.tool_calls == len(tools) == 11
    assert result.tool_calls_failed == sum(m["content"].startswith(REFUSED) for m in answers) == 1
    rows = db.execute("select tool_call_id, name, arguments, status from tool_calls order by rowid").fetchall()
    assert [(r[1], json.loads(r[2])) for r in rows] == [(t["function"]["name"], json.loads(t["function"]["arguments"])) for t in tools]
    ids = [r[0] for r in rows]
    assert len(set(ids)) == len(ids)  # the replay reuses call ids: repeats are told apart
    assert sum(i.startswith("call_5iDdbOYybq7L19vqXmR0DPaU") for i in ids) == 4
    session = db["sessions"].get(result.session_id)
    assert (session["model"], session["title"], session["status"]) == ("gpt-4o", "marshmallow-code__marshmallow-1867", "completed")
    notices = [e["message"] for e in load_events(db, result.session_id) if e["type"] == "notice"]
    assert notices == ["SWE-agent recorded totals for the run only: 11 API calls, — tokens sent, — received, cost —"]


def _trajectory(tmp_path, history, exit_status="exit_cost", name="x.traj"):
    path = tmp_path / name
    path.write_text(json.dumps({"trajectory": [{"action": "", "observation": "", "response": "", "thought": ""}],
                                "history": [{"role": "system", "content": "s", "agent": "main", "message_type": "system_prompt"},
                                            {"role": "user", "content": "fix it", "agent": "main", "message_type": "observation"},
                                            *history],
                                "info": {"exit_status": exit_status}}, indent=1))
    return path


def test_timeouts_unknown_content_and_a_limit(db, tmp_path):
    path = _trajectory(tmp_path, [
        {"role": "assistant", "content": "t", "action": "sleep 999", "agent": "main", "message_type": "action",
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "bash", "arguments": {"command": "sleep 999"}}}]},
        {"role": "tool", "content": [{"type": "text", "text": "The command 'sleep 999' was cancelled because it took more than 30 seconds. "}],
         "agent": "main", "message_type": "observation", "tool_call_ids": ["c1"]},
        {"role": "assistant", "content": "no action", "agent": "main", "message_type": "thought"},
    ])
    result = import_path(db, path)
    assert (result.model_calls, result.tool_calls, result.tool_calls_failed) == (2, 1, 1)
    rows = db.execute("select status, arguments from tool_calls").fetchall()
    assert [(status, json.loads(arguments)) for status, arguments in rows] == [("timeout", {"command": "sleep 999"})]
    assert db["sessions"].get(result.session_id)["status"] == "limit"


@pytest.mark.parametrize("cut", [500, -200])
def test_a_truncated_file_names_its_line_and_writes_nothing(db, tmp_path, cut):
    assert_cut_file_writes_nothing(db, SWE_AGENT_V1, tmp_path / "cut.traj", cut)


def test_a_message_of_an_unknown_role_names_its_line(db, tmp_path):
    path = _trajectory(tmp_path, [{"role": "oracle", "content": "?"}])
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if '"oracle"' in text) - 1
    with pytest.raises(ImportFormatError, match=rf"x\.traj:{line}: not a SWE-agent history message \(role 'oracle'\)"):
        import_path(db, path)
