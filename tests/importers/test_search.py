"""storage.search: the FTS index stays in step with the tables; the views add up."""

from __future__ import annotations

import sqlite_utils
import pytest

from storage import search
from storage.importers import discover, import_path
from storage.migrations import core_steps
from tests.support.session_files import CLAUDE_SHORT, CODEX, MINI, SESSIONS
from tests.support.store import store_events


def core_only_db() -> sqlite_utils.Database:
    """A database with the core tables and none of search's (open_db would run its steps)."""
    db = sqlite_utils.Database(memory=True)
    for step in core_steps():
        step(db)
    return db


def migrate_search(db) -> None:
    for _name, step in search.MIGRATIONS:
        step(db)


def _native(db, session_id="native-1"):
    """A small Cockpit session written the way the live loop writes it (a retry, a failed tool)."""
    events = [
        {"type": "session_started", "title": "", "model": "openai/gpt-x"},
        {"type": "turn_started", "turn": 1, "user_text": "fix the flaky zeppelin test"},
        {"type": "message_appended", "index": 0, "turn": 1, "message": {"role": "user", "content": "fix the flaky zeppelin test"}},
        {"type": "model_call_started", "call_id": "n1", "turn": 1, "step": 1, "attempt": 1, "model": "openai/gpt-x"},
        {"type": "model_call_finished", "call_id": "n1", "turn": 1, "step": 1, "attempt": 1, "model": "openai/gpt-x",
         "status": "error", "error_class": "RateLimitError", "usage": {}},
        {"type": "model_call_started", "call_id": "n2", "turn": 1, "step": 1, "attempt": 2, "model": "openai/gpt-x"},
        {"type": "model_call_finished", "call_id": "n2", "turn": 1, "step": 1, "attempt": 2, "model": "openai/gpt-x",
         "status": "ok", "usage": {"prompt_tokens": 100, "completion_tokens": 10, "reported": True}, "cost_usd": 0.5},
        {"type": "tool_call_requested", "tool_call_id": "t1", "name": "bash", "arguments_raw": '{"command": "pytest"}', "turn": 1, "step": 1},
        {"type": "tool_call_started", "tool_call_id": "t1", "name": "bash"},
        {"type": "tool_call_finished", "tool_call_id": "t1", "name": "bash", "status": "tool_error",
         "result": "FAILED test_quokka.py", "error": "exit 1", "exit_code": 1, "duration_ms": 250.0},
        {"type": "session_finished", "status": "completed"},
    ]
    store_events(db, events, session_id=session_id)


def _session_ids(rows):
    return [r["session_id"] for r in rows]


def test_finds_a_word_from_a_tool_output(db):
    for path in (CLAUDE_SHORT, CODEX, MINI):
        import_path(db, path)
    # "shim" appears only in the Codex tool outputs ("error: target shim binary not found").
    rows = search.search_sessions(db, "shim binary")
    assert _session_ids(rows) == ["cx-a4c2de66058c"]
    assert rows[0]["kind"] == "tool" and "[shim] [binary]" in rows[0]["snippet"] and rows[0]["hits"] == 2
    # "Unrecognised" is in the sed output of merge.py that mini-swe-agent printed.
    assert _session_ids(search.search_sessions(db, "Unrecognised combine_attrs")) == ["msa-4537dca92d97"]
    # Prompts are indexed too, and words are stemmed ("granted" in a refusal matches "grant").
    assert _session_ids(search.search_sessions(db, "haiku")) == ["cc-2b4ed4c0b905"]
    assert "cc-2b4ed4c0b905" in _session_ids(search.search_sessions(db, "grant"))
    assert search.search_sessions(db, "zeppelin") == []


@pytest.mark.parametrize("query", ['"', "'", "a AND", "NOT", "(", ")", "*", "-x", "x:y", "NEAR(a b)", '"unbalanced', "^", "{}", "hoge.py*", "\\", "' OR 1=1 --"])
def test_punctuation_never_raises(db, query):
    import_path(db, CODEX)
    assert isinstance(search.search_sessions(db, query), list)


def test_query_quoting():
    assert search.fts_query('say "hi" now') == '"say" """hi""" "now"'
    assert search.fts_query("pyt*") == '"pyt"*'
    assert search.fts_query("   ") is None
    assert search.fts_query("*") == '"*"'


def test_prefix_search_and_limit(db):
    for path in discover([SESSIONS]):
        import_path(db, path)
    rows = search.search_sessions(db, "hog*", limit=1)
    assert _session_ids(rows) == ["cx-a4c2de66058c"]
    assert len(search.search_sessions(db, "the", limit=3)) == 3


def test_index_follows_live_writes_updates_and_deletes(db):
    _native(db)
    # The tool's result arrived by UPDATE (requested, then finished): the new text is indexed, once.
    assert _session_ids(search.search_sessions(db, "quokka")) == ["native-1"]
    assert db.execute("select count(*) from search_fts where rowid % 2 = 1").fetchone() == (1,)
    # ``insert or replace`` of the same tool call does not leave a stale entry behind.
    store_events(db, [{"type": "tool_call_requested", "session_id": "native-1", "seq": 100, "ts": 0.0,
                       "tool_call_id": "t1", "name": "bash", "arguments_raw": '{"command": "ls"}'}])
    assert db.execute("select count(*) from search_fts where rowid % 2 = 1").fetchone() == (1,)
    assert search.search_sessions(db, "quokka") == []
    db.execute("delete from sessions where id = 'native-1'")  # cascades to messages and tool_calls
    assert db.execute("select count(*) from search_fts").fetchone() == (0,)


def test_migration_indexes_what_was_there_before():
    plain = core_only_db()
    import_path(plain, CODEX)
    migrate_search(plain)
    assert _session_ids(search.search_sessions(plain, "shim")) == ["cx-a4c2de66058c"]
    migrate_search(plain)  # running the steps again changes nothing
    assert len(search.search_sessions(plain, "shim")) == 1


def test_session_summary_view(db):
    for path in (CLAUDE_SHORT, CODEX, MINI):
        import_path(db, path)
    _native(db)
    db["feedback_answers"].insert({"session_id": "native-1", "seq": 99, "ts": 0.0, "task_id": "native-1:1", "source": "solicited", "rating": "up", "comment": ""})
    search.create_views(db)  # the view is rebuilt to see the feedback table
    rows = {r["session_id"]: r for r in db.query("select * from session_summary")}
    assert set(rows) == {"cc-2b4ed4c0b905", "cx-a4c2de66058c", "msa-4537dca92d97", "native-1"}
    codex = rows["cx-a4c2de66058c"]
    assert (codex["turns"], codex["steps"], codex["model_calls"], codex["tool_calls"], codex["tool_errors"]) == (2, 7, 7, 5, 2)
    assert (codex["tokens_in"], codex["tokens_out"], codex["tokens_cached"], codex["errors"]) == (26_740, 408, 22_912, 2)
    assert codex["duration_s"] == 49.845  # 19:55:16.336 → 19:56:06.181
    assert rows["msa-4537dca92d97"]["cost_usd"] == 0.126006
    native = rows["native-1"]
    assert (native["steps"], native["model_calls"], native["retries"], native["model_errors"]) == (1, 2, 1, 1)
    assert (native["tool_errors"], native["errors"], native["cost_usd"]) == (1, 2, 0.5)
    assert (native["thumbs_up"], native["thumbs_down"]) == (1, 0)
    assert rows["cc-2b4ed4c0b905"]["thumbs_up"] is None


def test_session_summary_without_feedback_tables():
    db = core_only_db()
    migrate_search(db)
    import_path(db, CODEX)
    row = next(db.query("select * from session_summary"))
    assert row["tool_errors"] == 2 and row["thumbs_up"] is None and row["thumbs_down"] is None


def test_tool_stats_and_model_usage_views(db):
    for path in (CLAUDE_SHORT, CODEX, MINI):
        import_path(db, path)
    _native(db)
    tools = {r["tool"]: r for r in db.query("select * from tool_stats")}
    # mini-swe-agent: 18 bash calls, 2 non-zero return codes; native: 1 failed bash.
    bash = tools["bash"]
    assert (bash["calls"], bash["ok"], bash["failed"], bash["tool_error"], bash["sessions"]) == (19, 16, 2 + 1, 3, 2)
    shell = tools["shell_command"]  # Codex: 4 calls, 2 exit code 1, "Wall time: 0.1 seconds" each
    assert (shell["calls"], shell["failed"], shell["avg_ms"], shell["p95_ms"]) == (4, 2, 100.0, 100.0)
    assert (tools["Bash"]["calls"], tools["Bash"]["denied"]) == (6, 4)  # the Claude Code -p refusals
    assert tools["Bash"]["failure_rate"] == round(4 / 6, 3)
    models = {r["model"]: r for r in db.query("select * from model_usage")}
    assert (models["gpt-5.1-codex-max"]["calls"], models["gpt-5.1-codex-max"]["tokens_in"]) == (7, 26_740)
    assert models["claude-opus-4-5-20251101"]["tokens_out"] == 180
    gpt = models["openai/gpt-x"]
    assert (gpt["calls"], gpt["errors"], gpt["retries"], gpt["calls_without_usage"]) == (2, 1, 1, 1)
