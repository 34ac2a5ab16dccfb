"""Codex CLI rollouts: real numbers from tests/data/sessions/codex-cli.

Derived by reading the file (55 lines) and with a few lines of json parsing:
- 14 ``token_count`` records; one has ``info: null`` (line 7); the other 13 carry only
  7 distinct cumulative ``total_token_usage`` values (each is written twice in a row
  except the last), so there are 7 model calls. The last cumulative total is
  input 26,740 / cached 22,912 / output 408, which the 7 ``last_token_usage`` must add up to.
- 5 tool calls: 4 ``function_call`` ``shell_command`` + 1 ``custom_tool_call`` ``apply_patch``.
  Their outputs say ``Exit code: 0``, exit_code 0 (JSON metadata), ``Exit code: 1``,
  ``Exit code: 1``, ``Exit code: 0``: two failures, both ``python hoge.py``.
- 2 real prompts (lines 3 and 25); line 2 is the ``<environment_context>`` message.
"""

from __future__ import annotations

import json

from storage.importers import import_path
from storage.queries import conversation, load_events
from tests.support.session_files import CODEX


def test_independent_reading_of_the_file():
    records = [json.loads(line) for line in CODEX.read_text().splitlines()]
    infos = [r["payload"]["info"] for r in records if r["type"] == "event_msg" and r["payload"]["type"] == "token_count"]
    assert len(infos) == 14 and infos.count(None) == 1
    totals = {json.dumps(i["total_token_usage"], sort_keys=True) for i in infos if i}
    assert len(totals) == 7
    assert infos[-1]["total_token_usage"]["input_tokens"] == 26_740
    assert infos[-1]["total_token_usage"]["output_tokens"] == 408


def test_import_counts_calls_tokens_and_exit_code_failures(db):
    result = import_path(db, CODEX)
    assert (result.status, result.source, result.session_id) == ("imported", "codex-cli", "cx-a4c2de66058c")
    assert (result.model_calls, result.tokens_in, result.tokens_out) == (7, 26_740, 408)
    assert (result.tool_calls, result.tool_calls_failed) == (5, 2)
    sid = result.session_id
    assert db.execute("select sum(cached_tokens) from model_calls where session_id = ?", [sid]).fetchone() == (22_912,)
    failures = db.execute(
        "select name, exit_code, arguments from tool_calls where session_id = ? and status = 'tool_error' order by requested_at",
        [sid],
    ).fetchall()
    assert [(name, code) for name, code, _ in failures] == [("shell_command", 1), ("shell_command", 1)]
    assert all(json.loads(arguments)["command"] == "python hoge.py" for _, _, arguments in failures)
    patch = db.execute("select status, exit_code, duration_ms, result from tool_calls where name = 'apply_patch'").fetchone()
    assert patch == ("ok", 0, 1000.0, "Success. Updated the following files:\nA myapp/hoge.py\n")  # metadata.duration_seconds 1.0


def test_session_turns_and_model(db):
    sid = import_path(db, CODEX).session_id
    session = db["sessions"].get(sid)
    assert session["model"] == "gpt-5.1-codex-max" and session["workspace"] == "/Users/test_user/agent-sample"
    assert session["title"] == "add myapp directory and create myapp/hoge.py which shows result of print(1+1)."
    events = load_events(db, sid)
    assert [e["user_text"] for e in events if e["type"] == "turn_started"] == [
        "add myapp directory and create myapp/hoge.py which shows result of print(1+1).",
        "cd to myapp and run python hoge.py",
    ]
    assert [(e["steps"], e["answer"][:10]) for e in events if e["type"] == "turn_finished"] == [(3, "Added simp"), (4, "Ran the sc")]
    messages = conversation(db, sid)
    assert messages[0]["content"].startswith("<environment_context>")  # context, not a prompt
    assert [m["role"] for m in messages].count("tool") == 5


def test_compacted_record_replaces_the_conversation(db, tmp_path):
    """Synthetic: the shared file has no compaction; this uses Codex's ``compacted`` record shape."""
    lines = [
        {"timestamp": "2026-01-01T00:00:00Z", "type": "session_meta", "payload": {"id": "aaaa-bbbb-cccc-000011112222", "cwd": "/w"}},
        {"timestamp": "2026-01-01T00:00:01Z", "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "do it"}]}},
        {"timestamp": "2026-01-01T00:00:02Z", "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]}},
        {"timestamp": "2026-01-01T00:00:03Z", "type": "event_msg", "payload": {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 5}, "last_token_usage": {"input_tokens": 5, "output_tokens": 1}}}},
        {"timestamp": "2026-01-01T00:00:04Z", "type": "compacted", "payload": {"message": "summary of the work"}},
        {"timestamp": "2026-01-01T00:00:05Z", "type": "event_msg", "payload": {"type": "turn_aborted", "reason": "interrupted"}},
    ]
    path = tmp_path / "rollout-x.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    result = import_path(db, path)
    assert result.session_id == "cx-000011112222"
    assert conversation(db, result.session_id) == [{"role": "user", "content": "summary of the work"}]
    assert db["sessions"].get(result.session_id)["status"] == "interrupted"
