"""A session none of whose calls has token counts (an import that recorded no usage) has unknown tokens:
``session_summary`` (and so ``cockpit export --format json`` and ``cockpit sessions --json``) says null,
never 0; a counted session keeps its sums, estimates included."""

from __future__ import annotations

import json

from storage.db import open_db
from storage.queries import session_summary
from tests.support.cli import run_cli


def _session(db, session_id: str, source: str, tokens: tuple[int | None, int | None]) -> None:
    db.execute("insert into sessions (id, source, title, model, status, started_at) values (?, 'claude-code', 'fix it', "
               "'m', 'completed', '2026-12-01T10:00:00+00:00')", [session_id])
    db.execute("insert into model_calls (id, session_id, turn, step, attempt, model, prompt_tokens, completion_tokens, "
               "usage_source, status) values (?, ?, 1, 1, 1, 'm', ?, ?, ?, 'ok')",
               [f"{session_id}.1", session_id, *tokens, source])


def test_tokens_nobody_counted_are_null_in_every_reader(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    db = open_db(db_path)
    _session(db, "cc-uncounted", "none", (None, None))
    _session(db, "cc-estimated", "estimated", (1200, 0))
    db.conn.commit()
    assert (session_summary(db, "cc-uncounted")["tokens_in"], session_summary(db, "cc-uncounted")["tokens_out"]) == (None, None)
    assert (session_summary(db, "cc-estimated")["tokens_in"], session_summary(db, "cc-estimated")["tokens_out"]) == (1200, 0)
    db.close()
    code, out, _ = run_cli(capsys, "sessions", "--json", "--db", str(db_path))
    listed = {row["id"]: (row["tokens_in"], row["tokens_out"]) for row in json.loads(out)}
    assert code == 0 and listed == {"cc-uncounted": (None, None), "cc-estimated": (1200, 0)}
    for session_id, want in listed.items():
        code, out, _ = run_cli(capsys, "export", session_id, "--format", "json", "--db", str(db_path))
        summary = json.loads(out)["summary"]
        assert code == 0 and (summary["tokens_in"], summary["tokens_out"]) == want  # one truth
    code, out, _ = run_cli(capsys, "export", "cc-uncounted", "--format", "md", "--db", str(db_path))
    assert code == 0 and "- Tokens: — · Cost:" in out and "0 in / 0 out" not in out
