"""Gemini CLI sessions: real numbers from tests/data/sessions/gemini-cli, and generated edge cases.

The expected figures are computed here from the raw file with a few lines of json (not the
importer): every ``gemini`` message is one model call; its prompt is ``tokens.input + tokens.tool``
(``cached`` is part of ``input``), its completion ``tokens.output + tokens.thoughts``; tool calls
are the ``toolCalls`` of those messages, failed ones those whose ``status`` is not ``success``.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest

from storage.importers import ImportFormatError, detect, gemini_cli, import_path
from storage.queries import load_events
from tests.support.session_files import GEMINI
from tests.support.store import table_counts


def _raw():
    data = json.loads(GEMINI.read_text())
    calls = [m for m in data["messages"] if m["type"] == "gemini"]
    tools = [t for m in calls for t in m.get("toolCalls") or []]
    return data, calls, tools


def test_the_file_itself():
    data, calls, tools = _raw()
    assert len(data["messages"]) == 14 and len(calls) == 9 and len(tools) == 14
    assert all(m["tokens"]["total"] == sum(m["tokens"][k] for k in ("input", "output", "thoughts", "tool")) for m in calls)


def test_real_session_numbers(db):
    data, calls, tools = _raw()
    result = import_path(db, GEMINI)
    assert (result.status, result.source, result.session_id) == ("imported", "gemini-cli", "gm-37b7abef713d")
    assert result.model_calls == len(calls) == 9
    assert result.tokens_in == sum(m["tokens"]["input"] + m["tokens"]["tool"] for m in calls) == 87_418
    assert result.tokens_out == sum(m["tokens"]["output"] + m["tokens"]["thoughts"] for m in calls) == 4_355
    cached = db.execute("select sum(cached_tokens) from model_calls where session_id = ?", [result.session_id]).fetchone()[0]
    assert cached == sum(m["tokens"]["cached"] for m in calls) == 62_117
    assert result.tool_calls == len(tools) == 14
    assert result.tool_calls_failed == sum(t["status"] != "success" for t in tools) == 0
    session = db["sessions"].get(result.session_id)
    assert (session["model"], session["started_at"][:19], session["title"]) == ("gemini-3-pro", "2026-01-16T11:01:22", "show tools")
    names = [r[0] for r in db.execute("select name from tool_calls where session_id = ? order by rowid", [result.session_id])]
    assert names == [t["name"] for t in tools] and "delegate_to_agent" in names
    events = load_events(db, result.session_id)
    assert [e["user_text"] for e in events if e["type"] == "turn_started"] == [
        m["content"] for m in data["messages"] if m["type"] == "user"]
    assert import_path(db, GEMINI).status == "skipped"


def _session(tmp_path, messages, name="session-x.json", **extra):
    path = tmp_path / name
    path.write_text(json.dumps({"sessionId": "0123abcd-0000-0000-0000-000000000000", "projectHash": "ff",
                                "startTime": "2026-01-01T00:00:00Z", **extra, "messages": messages}, indent=2))
    return path


def test_failed_and_cancelled_tools_missing_usage_and_notices(db, tmp_path):
    path = _session(tmp_path, [
        {"id": "u1", "timestamp": "2026-01-01T00:00:01Z", "type": "user", "content": [{"text": "run it"}]},
        {"id": "g1", "timestamp": "2026-01-01T00:00:05Z", "type": "gemini", "content": "", "model": "gemini-2.5-pro",
         "toolCalls": [
             {"id": "t1", "name": "run_shell_command", "args": {"command": "false"}, "status": "error",
              "result": [{"functionResponse": {"id": "t1", "name": "run_shell_command", "response": {"error": "exit 1"}}}]},
             {"id": "t2", "name": "write_file", "args": {}, "status": "cancelled", "result": None}]},
        {"id": "g1", "timestamp": "2026-01-01T00:00:05Z", "type": "gemini", "content": "again"},  # the same id: once
        {"id": "i1", "timestamp": "2026-01-01T00:00:06Z", "type": "error", "content": "quota exceeded"},
    ])
    result = import_path(db, path)
    assert (result.model_calls, result.tool_calls, result.tool_calls_failed) == (1, 2, 2)
    assert (result.tokens_in, result.tokens_out) == (0, 0)
    assert db.execute("select usage_source from model_calls").fetchall() == [("none",)]
    rows = db.execute("select name, status, error from tool_calls order by rowid").fetchall()
    assert rows == [("run_shell_command", "tool_error", "exit 1"), ("write_file", "cancelled", None)]
    notices = [e for e in load_events(db, result.session_id) if e["type"] == "notice"]
    assert [(n["level"], n["message"]) for n in notices] == [("error", "quota exceeded")]


def test_the_summary_is_the_title(db, tmp_path):
    path = _session(tmp_path, [{"id": "u1", "type": "user", "content": "hi"}], summary="Say hello")
    assert db["sessions"].get(import_path(db, path).session_id)["title"] == "Say hello"


def test_detected_by_content_whatever_the_name(tmp_path):
    path = _session(tmp_path, [], name="whatever.txt")
    assert detect(path) is gemini_cli


@pytest.mark.parametrize("cut", [400, 30_000, -3])
def test_a_truncated_file_names_its_line_and_writes_nothing(db, tmp_path, cut):
    text = GEMINI.read_text()
    path = tmp_path / "session-cut.json"
    path.write_text(text[:cut] if cut > 0 else text[:cut - 2000])
    before = table_counts(db)
    with pytest.raises(ImportFormatError, match=r"session-cut\.json:\d+: not valid JSON"):
        import_path(db, path)
    assert table_counts(db) == before


def test_an_unknown_message_type_names_its_line(db, tmp_path):
    path = _session(tmp_path, [{"id": "u1", "type": "user", "content": "hi"}, {"id": "x", "type": "telepathy"}])
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if '"id": "x"' in text) - 1
    with pytest.raises(ImportFormatError, match=rf"session-x\.json:{line}: not a Gemini CLI message \(type 'telepathy'\)"):
        import_path(db, path)


def test_a_huge_session_is_read_in_bounded_memory(db, tmp_path):
    answer = "x" * 2_000
    messages = []
    for n in range(6_000):  # about 13 MB
        messages.append({"id": f"u{n}", "type": "user", "content": f"prompt {n}"})
        messages.append({"id": f"g{n}", "type": "gemini", "content": answer, "model": "m",
                         "tokens": {"input": 10, "output": 2, "cached": 0, "thoughts": 1, "tool": 0, "total": 13}})
    path = _session(tmp_path, messages)
    assert path.stat().st_size > 12_000_000
    tracemalloc.start()
    try:
        events = sum(1 for _ in gemini_cli.convert(path, "d" * 64))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert events == 6_000 * 5 + 2  # per pair: turn started, prompt, call, answer, turn finished
    assert peak < 8_000_000, peak  # a few chunks and messages, never the whole file
    result = import_path(db, path)
    assert (result.model_calls, result.tokens_in, result.tokens_out) == (6_000, 60_000, 18_000)


def test_the_streamed_reading_matches_json_load_whatever_the_chunk_size(monkeypatch, tmp_path):
    from storage.importers import json_stream

    path = tmp_path / "s.json"
    path.write_text(json.dumps({"sessionId": "é" * 5, "n": 12345, "messages": [{"t": "ü€" * 9, "x": [1.5, None, True]}] * 3,
                                "after": False}, ensure_ascii=False))
    expected = json.loads(path.read_text())
    for chunk in (1, 3, 7, 64):
        monkeypatch.setattr(json_stream, "CHUNK", chunk)
        fields = list(json_stream.object_fields(path, "messages"))
        assert [(k, v) for k, v, _ in fields] == [("sessionId", expected["sessionId"]), ("n", 12345),
                                                   *(("messages", m) for m in expected["messages"]), ("after", False)]
