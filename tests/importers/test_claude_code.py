"""Claude Code transcripts: real numbers from the real files in tests/data/sessions/claude-code.

Expected values were computed with a separate few-line script (not the importer):
for each file, group ``assistant`` lines by ``message.id`` (one API call), take the
largest ``output_tokens`` seen for the id and its input (``input_tokens`` +
``cache_read_input_tokens`` + ``cache_creation_input_tokens``, identical on every line
of an id); count distinct ``tool_use`` ids and ``tool_result`` blocks with
``is_error: true``. ``test_expected_numbers_hold_for_the_files`` re-derives them.
"""

from __future__ import annotations

import json

import pytest

from storage.importers import import_path
from storage.queries import conversation, load_events
from tests.support.session_files import CLAUDE_MAIN, CLAUDE_SHORT, CLAUDE_SUBAGENTS

# name: (model calls, prompt tokens incl. cache, output tokens, cache-read tokens, tool calls, failed tool calls)
EXPECTED = {
    # 24 lines, 12 assistant lines over 10 message ids (lines 4+5 and 15+16 share an id);
    # 6 of the 9 tool results are is_error (permission refusals and failed commands).
    CLAUDE_SHORT.name: (10, 221_611, 180, 212_147, 9, 6),
    CLAUDE_MAIN.name: (17, 832_157, 22_901, 728_660, 40, 0),
    "agent-a36efb2a1231c41e2.jsonl": (6, 146_920, 2_508, 118_168, 7, 0),
    "agent-a4ca7529859c158c2.jsonl": (20, 729_908, 7_923, 615_694, 24, 1),
    "agent-a52886dc180afb356.jsonl": (15, 516_270, 6_475, 430_337, 17, 0),
    "agent-a6aa8ad077d9ea083.jsonl": (5, 118_979, 3_122, 101_254, 6, 0),
    "agent-ab1e6e141221a29ab.jsonl": (15, 394_842, 8_156, 360_852, 17, 2),
    "agent-aef063ba534d73153.jsonl": (5, 117_738, 2_373, 100_730, 6, 0),
}
ALL_FILES = [CLAUDE_SHORT, CLAUDE_MAIN, *sorted(CLAUDE_SUBAGENTS.glob("agent-*.jsonl"))]


def _independent_count(path):
    per_id: dict[str, tuple[int, int, int]] = {}
    tool_ids, failed = set(), 0
    for line in path.read_text().splitlines():
        record = json.loads(line)
        message = record.get("message") or {}
        if record.get("type") == "assistant":
            u = message["usage"]
            prompt = u["input_tokens"] + u.get("cache_read_input_tokens", 0) + u.get("cache_creation_input_tokens", 0)
            _, out, _ = per_id.get(message["id"], (0, 0, 0))
            per_id[message["id"]] = (prompt, max(out, u["output_tokens"]), u.get("cache_read_input_tokens", 0))
            tool_ids |= {b["id"] for b in message["content"] if b.get("type") == "tool_use"}
        elif record.get("type") == "user" and isinstance(message.get("content"), list):
            failed += sum(1 for b in message["content"] if b.get("type") == "tool_result" and b.get("is_error") is True)
    return (
        len(per_id),
        sum(v[0] for v in per_id.values()),
        sum(v[1] for v in per_id.values()),
        sum(v[2] for v in per_id.values()),
        len(tool_ids),
        failed,
    )


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name[:24])
def test_expected_numbers_hold_for_the_files(path):
    assert _independent_count(path) == EXPECTED[path.name]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name[:24])
def test_import_records_calls_tokens_and_tool_outcomes_as_the_source_did(db, path):
    result = import_path(db, path)
    calls, prompt, output, cached, tools, failed = EXPECTED[path.name]
    assert (result.status, result.source) == ("imported", "claude-code")
    assert (result.model_calls, result.tokens_in, result.tokens_out) == (calls, prompt, output)
    # the source's is_error covers refusals too; Cockpit counts a refusal as denied, not failed
    assert (result.tool_calls, result.tool_calls_failed + result.tool_calls_denied) == (tools, failed)
    row = db.execute(
        "select count(*), sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), min(usage_reported) "
        "from model_calls where session_id = ?",
        [result.session_id],
    ).fetchone()
    assert row == (calls, prompt, output, cached, 1)


def test_usage_is_counted_once_per_message_id(db):
    # The short file has 12 assistant lines; summing every line would give 184 output
    # tokens and 4 fresh input tokens; per message id it is 180 and 2.
    result = import_path(db, CLAUDE_SHORT)
    fresh = db.execute(
        "select sum(prompt_tokens - cached_tokens - cache_write_tokens) from model_calls where session_id = ?",
        [result.session_id],
    ).fetchone()[0]
    assert (result.tokens_out, fresh) == (180, 2)


def test_short_session_shape(db):
    result = import_path(db, CLAUDE_SHORT)
    sid = result.session_id
    assert sid == "cc-2b4ed4c0b905"  # "cc-" + 12 hex of the source's sessionId
    session = db["sessions"].get(sid)
    assert session["source"] == "claude-code" and session["status"] == "completed"
    assert session["workspace"] == "/src/experiments/claude_p"
    assert session["model"] == "claude-opus-4-5-20251101"
    assert session["title"].startswith("Search if claude -p can make use of WebSearch")
    assert session["started_at"].startswith("2026-01-23T17:13:37")
    statuses = dict(db.execute(
        "select status, count(*) from tool_calls where session_id = ? group by status", [sid]
    ).fetchall())
    # Lines 6, 12, 14, 17, 21, 23 are is_error, and all six are refusals by Claude Code's
    # permission system ("requested permissions to use WebSearch", "This command requires
    # approval" x3 in -p mode, "ls in '~/.claude' was blocked", "requested permissions to read").
    assert statuses == {"ok": 3, "denied": 6}
    web = db.execute("select status, error from tool_calls where session_id = ? and name = 'WebSearch'", [sid]).fetchone()
    assert web[0] == "denied" and "requested permissions to use WebSearch" in web[1]


def test_conversation_is_valid_openai_order(db):
    """Every assistant message with tool_calls is followed by one tool message per call."""
    sid = import_path(db, CLAUDE_MAIN).session_id
    messages = conversation(db, sid)
    for position, message in enumerate(messages):
        if message["role"] == "assistant" and message.get("tool_calls"):
            ids = [c["id"] for c in message["tool_calls"]]
            following = messages[position + 1 : position + 1 + len(ids)]
            assert [m["role"] for m in following] == ["tool"] * len(ids)
            assert sorted(m["tool_call_id"] for m in following) == sorted(ids)
    # Two real prompts ("OK, we're going to…" and "Well, the subagents…"): two turns.
    turns = [e for e in load_events(db, sid) if e["type"] == "turn_started"]
    assert [t["user_text"][:15] for t in turns] == ["OK, we're going", "Well, the subag"]


def test_one_response_split_over_lines_with_interleaved_results_is_one_call(db):
    # msg_01DJKSZyqfGHgBFJnE7eZeAH spans lines 18-35 of the main file: thinking, text and
    # six TaskCreate tool_use lines, each followed by its tool_result.
    sid = import_path(db, CLAUDE_MAIN).session_id
    calls = db.execute("select tool_call_count from model_calls where session_id = ? order by id", [sid]).fetchall()
    assert (6,) in calls
    assert db.execute("select count(*) from tool_calls where session_id = ? and name = 'TaskCreate'", [sid]).fetchone() == (6,)


def test_subagents_are_linked_to_the_parent(db):
    parent = import_path(db, CLAUDE_MAIN)
    children = [import_path(db, p) for p in sorted(CLAUDE_SUBAGENTS.glob("agent-*.jsonl"))]
    assert len(children) == 6
    assert {c.parent_id for c in children} == {parent.session_id}
    assert {c.session_id for c in children} == {
        f"{parent.session_id}-{p.stem.removeprefix('agent-')}" for p in CLAUDE_SUBAGENTS.glob("agent-*.jsonl")
    }
    titles = dict(db.execute("select id, title from sessions where parent_id = ?", [parent.session_id]).fetchall())
    assert titles[f"{parent.session_id}-ab1e6e141221a29ab"] == "general-purpose · Research Steve Yegge Beads"  # from .meta.json
    # The parent's Agent results name their sub-agents; each becomes a notice pointing at the child session.
    notices = [e["message"] for e in load_events(db, parent.session_id) if e["type"] == "notice"]
    assert sorted(n.removeprefix("sub-agent session ") for n in notices if n.startswith("sub-agent")) == sorted(
        c.session_id for c in children
    )


def test_compaction_and_interruption_are_mapped(db, tmp_path):
    """The files above have no compaction; this small synthetic transcript has one (Claude Code's record shapes)."""
    lines = [
        {"type": "user", "sessionId": "0123456789ab-cdef", "timestamp": "2026-01-01T10:00:00Z", "cwd": "/w",
         "message": {"role": "user", "content": "first task"}},
        {"type": "assistant", "timestamp": "2026-01-01T10:00:02Z",
         "message": {"id": "msg_a", "model": "claude-x", "content": [{"type": "text", "text": "done"}],
                     "usage": {"input_tokens": 10, "output_tokens": 5}}},
        {"type": "system", "subtype": "compact_boundary", "timestamp": "2026-01-01T10:01:00Z",
         "compactMetadata": {"trigger": "auto", "preTokens": 150000}},
        {"type": "user", "isCompactSummary": True, "timestamp": "2026-01-01T10:01:01Z",
         "message": {"role": "user", "content": "This session is being continued. Summary: first task done."}},
        {"type": "user", "timestamp": "2026-01-01T10:02:00Z", "message": {"role": "user", "content": "second task"}},
        {"type": "assistant", "timestamp": "2026-01-01T10:02:02Z",
         "message": {"id": "msg_b", "model": "claude-x", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "false"}}],
                     "usage": {"input_tokens": 20, "output_tokens": 7}}},
        {"type": "user", "timestamp": "2026-01-01T10:02:03Z",
         "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "is_error": True, "content": "Exit code 1"}]}},
        {"type": "user", "timestamp": "2026-01-01T10:02:04Z", "message": {"role": "user", "content": "[Request interrupted by user]"}},
    ]
    path = tmp_path / "compacted.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    sid = import_path(db, path).session_id
    events = load_events(db, sid)
    replaced = [e for e in events if e["type"] == "messages_replaced"]
    assert len(replaced) == 1 and replaced[0]["reason"] == "compaction (auto)"
    assert replaced[0]["messages"][0]["content"].endswith("first task done.")
    assert any(e["type"] == "notice" and "compacted" in e["message"] and "150000" in e["detail"] for e in events)
    assert [e["outcome"] for e in events if e["type"] == "turn_finished"] == ["completed", "interrupted"]
    # After compaction the conversation is the summary plus what followed.
    assert [m["role"] for m in conversation(db, sid)] == ["user", "user", "assistant", "tool", "user"]
    assert db.execute("select status, exit_code, duration_ms from tool_calls where session_id = ?", [sid]).fetchone() == ("tool_error", 1, 1000.0)
