"""`cockpit run --resume` / `--continue`: the summary says what this run used and what the session has."""

from __future__ import annotations

import json

from storage.db import open_db
from storage.queries import session_summary
from tests.test_cli import run_cli


def test_a_resumed_run_says_this_run_and_the_session_totals(capsys, workspace, write_script, tmp_path):
    (workspace / "notes.txt").write_text("hello\n")
    model = write_script([
        {"text": "Reading.", "tool_calls": [{"name": "read_file", "arguments": {"path": "notes.txt"}}]},
        {"text": "Read it."},
        {"text": "And done."},
    ])
    db = str(tmp_path / "c.db")
    common = ("--model", model, "--workspace", str(workspace), "--db", db)
    code, out, _ = run_cli(capsys, "run", "read the notes", *common, "--max-steps", "1")
    assert code == 3 and "this run" not in out and "all runs" not in out
    session_id = json.loads(run_cli(capsys, "sessions", "--json", "--db", db)[1])[0]["id"]

    code, out, _ = run_cli(capsys, "run", "anything else?", *common[2:], "--resume", session_id[:8])
    assert code == 0
    summary = session_summary(open_db(tmp_path / "c.db"), session_id)
    assert summary["status"] == "completed"
    this_run = next(line for line in out.splitlines() if line.startswith("this run: "))
    assert "completed" in this_run
    totals = next(line for line in out.splitlines() if line.startswith(f"session {session_id[:8]}, all runs: "))
    assert f"{summary['steps']} steps" in totals and f"{summary['model_calls']} model calls" in totals
    assert f"{summary['tokens_in']:,} in / {summary['tokens_out']:,} out tokens" in totals
    assert summary["model_calls"] > 1  # both runs are counted

    code, out, _ = run_cli(capsys, "run", "and now?", *common[2:], "--continue")
    assert code == 0 and f"session {session_id[:8]}, all runs: " in out
