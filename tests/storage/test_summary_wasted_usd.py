"""A session nobody had a price for has no dollars of retry tax: ``session_summary`` (and so ``cockpit export
--format json``) says null, as ``cockpit sessions --json`` does, never $0.0; a priced one keeps its dollars."""

from __future__ import annotations

import json

from storage.db import open_db
from storage.queries import session_summary
from tests.support.cli import run_cli


def _session(db, session_id: str, cost: float | None, wasted_usd: float) -> None:
    db.execute("insert into sessions (id, source, title, model, status, started_at) values (?, 'cockpit', 'fix it', "
               "'openai/m', 'completed', '2026-12-01T10:00:00+00:00')", [session_id])
    db.execute("insert into model_calls (id, session_id, turn, step, attempt, model, prompt_tokens, completion_tokens, "
               "usage_source, status, cost_usd, wasted_tokens, wasted_usd) "
               "values (?, ?, 1, 1, 1, 'openai/m', 900, 80, 'provider', 'ok', ?, 400, ?)",
               [f"{session_id}.1", session_id, cost, wasted_usd])


def test_the_retry_tax_dollars_are_null_in_every_reader_when_no_call_had_a_price(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    db = open_db(db_path)
    _session(db, "ai-unpriced", None, 0.0)
    _session(db, "ai-priced", 0.0123, 0.004)
    db.conn.commit()
    assert session_summary(db, "ai-unpriced")["wasted_usd"] is None
    assert session_summary(db, "ai-priced")["wasted_usd"] == 0.004
    db.close()
    code, out, _ = run_cli(capsys, "sessions", "--json", "--db", str(db_path))
    listed = {row["id"]: row["wasted_usd"] for row in json.loads(out)}
    assert code == 0 and listed == {"ai-unpriced": None, "ai-priced": 0.004}
    for session_id, want in listed.items():
        code, out, _ = run_cli(capsys, "export", session_id, "--format", "json", "--db", str(db_path))
        assert code == 0 and json.loads(out)["summary"]["wasted_usd"] == want  # one truth
    code, out, _ = run_cli(capsys, "show", "ai-unpriced", "--db", str(db_path))
    assert code == 0 and "retry tax 400 tokens, unpriced" in out and "$0.0000" not in out
    code, out, _ = run_cli(capsys, "show", "ai-priced", "--db", str(db_path))
    assert code == 0 and "retry tax $0.0040, 400 tokens" in out
