"""`cockpit sessions WORDS` with no hit says no session matches, not that there are no sessions."""

from __future__ import annotations

from storage.db import open_db
from tests.support.cli import run_cli


def test_a_search_without_hits_says_so(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    db = open_db(db_path)
    db.execute("insert into sessions (id, source, title, model, status, started_at) values ('s1', 'cockpit', 'fix the parser', "
               "'m', 'completed', '2026-12-01T10:00:00+00:00')")
    db.conn.commit()
    db.close()
    code, out, _ = run_cli(capsys, "sessions", "nothing-like-this", "--db", str(db_path))
    assert code == 0 and "No sessions matching 'nothing-like-this'." in out and "yet" not in out
    code, out, _ = run_cli(capsys, "sessions", "--db", str(tmp_path / "empty.db"))
    assert code == 0 and "No sessions yet." in out
