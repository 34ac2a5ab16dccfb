"""Codex CLI ≥ 0.12x and Codex Desktop rollouts.

The real 0.125.0 rollout (tests/data/sessions/codex-cli/v0.125.0_…) is read here with a few lines of
json, not by the importer: ``token_count`` records whose cumulative ``total_token_usage`` moved are
the model calls; tool calls are the ``function_call``, ``custom_tool_call`` and ``web_search_call``
items; a failure is an output whose text says ``Process exited with code N`` with N ≠ 0 (each of the
four matches an ``exec_command_end`` with that non-zero ``exit_code``). Long commands return
``Process running with session ID …`` and are polled with ``write_stdin`` (``chars: ""``): the poll
that carries the exit code reports the failure.
"""

from __future__ import annotations

import json
import re

import app.cli
from app.import_analysis import enrich
from storage.importers import import_path
from storage.queries import conversation, load_events
from tests.support.session_files import CODEX, CODEX_NEW

_EXITED = re.compile(r"^Process exited with code (-?\d+)", re.MULTILINE)


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _raw_numbers():
    records = _records(CODEX_NEW)
    items = [r["payload"] for r in records if r["type"] == "response_item"]
    events = [r["payload"] for r in records if r["type"] == "event_msg"]
    totals, last = [], None
    for event in events:
        if event["type"] == "token_count" and event.get("info") and event["info"]["total_token_usage"] != last:
            last = event["info"]["total_token_usage"]
            totals.append(event["info"]["last_token_usage"])
    calls = [i for i in items if i["type"] in ("function_call", "custom_tool_call", "web_search_call")]
    codes = [int(m.group(1)) for i in items if i["type"] == "function_call_output" for m in [_EXITED.search(i["output"])] if m]
    ends = [e["exit_code"] for e in events if e["type"] == "exec_command_end"]
    return totals, last, calls, codes, ends


def test_the_file_itself():
    totals, last, calls, codes, ends = _raw_numbers()
    assert len(totals) == 66 and len(calls) == 105
    assert sorted(c for c in codes if c) == sorted(c for c in ends if c) == [1, 1, 1, 2]
    assert sum(t["input_tokens"] for t in totals) == last["input_tokens"]


def test_exit_codes_web_searches_and_usage(db):
    totals, last, calls, codes, _ = _raw_numbers()
    result = import_path(db, CODEX_NEW)
    assert (result.model_calls, result.tool_calls) == (len(totals), len(calls)) == (66, 105)
    assert result.tool_calls_failed == sum(1 for c in codes if c) == 4
    assert (result.tokens_in, result.tokens_out) == (last["input_tokens"], last["output_tokens"])
    cached = db.execute("select sum(cached_tokens) from model_calls where session_id = ?", [result.session_id]).fetchone()[0]
    assert cached == last["cached_input_tokens"]
    failures = db.execute("select name, exit_code from tool_calls where status = 'tool_error' order by requested_at").fetchall()
    assert sorted(failures) == [("write_stdin", 1), ("write_stdin", 1), ("write_stdin", 1), ("write_stdin", 2)]
    searches = db.execute("select arguments, status from tool_calls where name = 'web_search'").fetchall()
    queries = [json.loads(i["action"])["query"] if isinstance(i["action"], str) else i["action"]["query"]
               for i in calls if i["type"] == "web_search_call"]
    assert [json.loads(arguments)["query"] for arguments, _ in searches] == queries
    assert {status for _, status in searches} == {"ok"}


def test_the_export_shows_the_failures(capsys, tmp_path):
    db = str(tmp_path / "c.db")
    assert app.cli.main(["import", str(CODEX_NEW), "--db", db]) == 0
    capsys.readouterr()
    assert app.cli.main(["export", "cx-3724", "--db", db]) == 0
    markdown = capsys.readouterr().out
    assert markdown.count("`write_stdin` — tool_error · exit ") == 4


def test_polls_of_a_running_command_are_not_a_loop(db):
    import_path(db, CODEX_NEW, enrich=enrich)
    hits = db.execute("select pattern, tool from resilience_loop_hits").fetchall()
    assert ("repeated_call", "write_stdin") not in hits
    polls = [e for e in load_events(db, "cx-3724b5ddb799") if e["type"] == "tool_call_finished" and e.get("poll")]
    raw = [c for c in _raw_numbers()[2] if c.get("name") == "write_stdin" and not json.loads(c["arguments"]).get("chars")]
    assert len(polls) == len(raw) == 53


def test_exec_command_end_gives_the_exit_code_of_an_output_that_has_none(db, tmp_path):
    lines = [
        {"timestamp": "2026-05-11T08:00:00Z", "type": "session_meta", "payload": {"id": "019e0000-0000-7000-8000-00000000abcd"}},
        {"timestamp": "2026-05-11T08:00:01Z", "type": "response_item", "payload": {
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": "run it"}]}},
        {"timestamp": "2026-05-11T08:00:02Z", "type": "response_item", "payload": {
            "type": "function_call", "name": "exec_command", "arguments": '{"cmd": "false"}', "call_id": "c1"}},
        {"timestamp": "2026-05-11T08:00:03Z", "type": "event_msg", "payload": {
            "type": "exec_command_end", "call_id": "c1", "exit_code": 1, "status": "failed"}},
        {"timestamp": "2026-05-11T08:00:03Z", "type": "response_item", "payload": {
            "type": "function_call_output", "call_id": "c1", "output": "Chunk ID: 1\nOutput:\n"}},
        {"timestamp": "2026-05-11T08:00:04Z", "type": "event_msg", "payload": {"type": "made_up_event", "x": 1}},
    ]
    path = tmp_path / "rollout-x.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = import_path(db, path)
    assert (result.tool_calls, result.tool_calls_failed) == (1, 1)
    assert db.execute("select exit_code, status from tool_calls").fetchone() == (1, "tool_error")


def test_a_desktop_rollout_with_prompts_only_in_user_message_events(db, tmp_path):
    """The short 0.66.0 rollout without turn_context, token_count and response_item user messages."""
    kept = [r for r in _records(CODEX) if r["type"] != "turn_context"
            and not (r["type"] == "event_msg" and r["payload"]["type"] == "token_count")
            and not (r["type"] == "response_item" and r["payload"].get("type") == "message" and r["payload"].get("role") == "user")]
    prompts = [r["payload"]["message"] for r in kept if r["type"] == "event_msg" and r["payload"]["type"] == "user_message"]
    assert len(prompts) == 2
    path = tmp_path / "rollout-desktop.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in kept) + "\n")
    result = import_path(db, path)
    events = load_events(db, result.session_id)
    assert [e["user_text"] for e in events if e["type"] == "turn_started"] == prompts
    assert db["sessions"].get(result.session_id)["title"] == prompts[0]
    first = conversation(db, result.session_id)[0]
    assert (first["role"], first["content"]) == ("user", prompts[0])  # the export starts with the prompt
    assert result.tokens_in == 0 and db.execute("select distinct usage_source from model_calls").fetchall() == [("none",)]


def test_prompts_are_not_doubled_by_their_user_message_echo(db):
    result = import_path(db, CODEX)
    turns = [e for e in load_events(db, result.session_id) if e["type"] == "turn_started"]
    assert len(turns) == 2


def test_a_failed_web_search_and_one_without_its_end_event(db, tmp_path):
    search = {"type": "search", "query": "q"}
    lines = [
        {"timestamp": "2026-05-11T08:00:00Z", "type": "session_meta", "payload": {"id": "019e0000-0000-7000-8000-00000000abce"}},
        {"timestamp": "2026-05-11T08:00:01Z", "type": "event_msg", "payload": {"type": "user_message", "message": "look it up"}},
        {"timestamp": "2026-05-11T08:00:02Z", "type": "event_msg", "payload": {"type": "web_search_end", "call_id": "ws_1", "query": "q"}},
        {"timestamp": "2026-05-11T08:00:02Z", "type": "response_item", "payload": {"type": "web_search_call", "status": "failed", "action": search}},
        {"timestamp": "2026-05-11T08:00:03Z", "type": "response_item", "payload": {"type": "web_search_call", "status": "completed", "action": search}},
    ]
    path = tmp_path / "rollout-ws.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = import_path(db, path)
    assert (result.model_calls, result.tool_calls, result.tool_calls_failed) == (1, 2, 1)
    rows = db.execute("select tool_call_id, status, error from tool_calls order by rowid").fetchall()
    assert rows == [("ws_1", "tool_error", "the web search failed"), ("web_search_2", "ok", None)]
    assert db["sessions"].get(result.session_id)["title"] == "look it up"
