"""``cockpit sessions``: an imported session whose calls recorded no token counts lists its tokens as —
(null in --json), never 0/0; nobody had a price for it, so its retry tax has no dollars (null), not $0."""

from __future__ import annotations

import json

from storage.db import open_db
from tests.support.cli import run_cli


def _imported(db_path, session_id: str, usage_source: str) -> None:
    db = open_db(db_path)
    db.execute("insert into sessions (id, source, title, model, started_at) values (?, 'aider', 'fix it', "
               "'lm_studio/qwen', '2026-11-02T10:00:00+00:00')", [session_id])
    db.execute("insert into model_calls (id, session_id, turn, step, attempt, model, prompt_tokens, completion_tokens, "
               "cached_tokens, usage_source, status) values (?, ?, 1, 1, 1, 'lm_studio/qwen', ?, ?, 0, ?, 'ok')",
               [f"{session_id}.1", session_id, 0 if usage_source == "none" else 900, 0 if usage_source == "none" else 80,
                usage_source])
    db.conn.commit()
    db.close()


def test_a_session_without_token_counts_lists_unknown_tokens_not_zero(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    _imported(db_path, "ai-none", "none")
    _imported(db_path, "ai-estimated", "estimated")
    code, out, _ = run_cli(capsys, "sessions", "--json", "--db", str(db_path))
    rows = {row["id"]: row for row in json.loads(out)}
    assert code == 0
    none, estimated = rows["ai-none"], rows["ai-estimated"]
    assert (none["tokens_in"], none["tokens_out"], none["tokens_cached"], none["wasted_usd"]) == (None, None, None, None)
    assert (estimated["tokens_in"], estimated["tokens_out"]) == (900, 80)  # counted (an estimate): shown
    code, out, _ = run_cli(capsys, "sessions", "--db", str(db_path))
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith("ai-")}
    assert code == 0 and " — " in lines["ai-none"] and "0/0" not in lines["ai-none"]
    assert "900/80" in lines["ai-estimated"]


def test_show_says_cached_unknown_when_no_call_had_the_providers_usage(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    _imported(db_path, "ai-estimated", "estimated")
    code, out, _ = run_cli(capsys, "show", "ai-estimated", "--db", str(db_path))
    assert code == 0 and "900 in / 80 out / — cached" in out


def _provider_session(db_path, session_id: str, cached: int | None) -> None:
    """A session whose one call has the provider's counts, with or without a cache figure (llama.cpp sends none)."""
    db = open_db(db_path)
    db.execute("insert into sessions (id, source, title, model, started_at) values (?, 'cockpit', 'hi', "
               "'openai/local', '2026-11-02T10:00:00+00:00')", [session_id])
    db.execute("insert into model_calls (id, session_id, turn, step, attempt, model, prompt_tokens, completion_tokens, "
               "cached_tokens, usage_source, status) values (?, ?, 1, 1, 1, 'openai/local', 900, 80, ?, 'provider', 'ok')",
               [f"{session_id}.1", session_id, cached])
    db.conn.commit()
    db.close()


def test_show_and_the_markdown_export_say_cached_unknown_when_the_provider_sent_no_cache_figure(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    _provider_session(db_path, "no-field", None)
    _provider_session(db_path, "sent-zero", 0)
    for session_id, expected in (("no-field", "900 in / 80 out / — cached"), ("sent-zero", "900 in / 80 out / 0 cached")):
        code, out, _ = run_cli(capsys, "show", session_id, "--db", str(db_path))
        assert code == 0 and expected in out, out
        code, out, _ = run_cli(capsys, "export", session_id, "--format", "md", "--db", str(db_path))
        assert code == 0 and f"- Tokens: {expected}" in out, out


def test_the_sql_views_leave_cache_figures_null_when_no_provider_sent_them(tmp_path):
    db_path = tmp_path / "s.db"
    _provider_session(db_path, "no-field", None)
    _provider_session(db_path, "sent-zero", 0)
    db = open_db(db_path)
    summary = {row["session_id"]: row["tokens_cached"] for row in db.query("select * from session_summary")}
    assert summary == {"no-field": None, "sent-zero": 0}
    usage = next(db.query("select tokens_cached, tokens_cache_write from model_usage where model = 'openai/local'"))
    assert usage == {"tokens_cached": 0, "tokens_cache_write": None}  # the sent 0 counts; no write was ever sent
