"""``cockpit import`` runs the loop detector over the imported session (action ``seen``)."""

from __future__ import annotations

import json

import app.cli
from tests.support.session_files import CLAUDE_DIR, CODEX, MINI


def _trajectory(commands: list[tuple[str, int, str]]) -> dict:
    """A mini-swe-agent trajectory: each (command, return code, output) is one step."""
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "<pr_description>make the tests pass</pr_description>"},
    ]
    for command, code, output in commands:
        messages.append({"role": "assistant", "content": f"THOUGHT: try it.\n\n```bash\n{command}\n```"})
        messages.append({"role": "user", "content": f"<returncode>{code}</returncode>\n<output>\n{output}\n</output>"})
    return {"info": {"exit_status": "Submitted", "submission": "", "model_stats": {}, "config": {}},
            "messages": messages, "trajectory_format": "mini-swe-agent-1", "instance_id": "loops"}


def test_a_command_that_kept_failing_shows_as_a_loop_seen_on_import(tmp_path, capsys):
    failing = ("pytest tests/test_x.py", 1, "E   ImportError: cannot import name 'x'")
    path = tmp_path / "loops.traj.json"
    path.write_text(json.dumps(_trajectory([("ls", 0, "tests"), failing, failing, failing, ("cat setup.py", 0, "...")])))
    db_path = tmp_path / "c.db"
    assert app.cli.main(["import", str(path), "--db", str(db_path)]) == 0
    capsys.readouterr()

    from storage.db import open_db
    from storage.queries import load_events

    db = open_db(db_path)
    [hit] = list(db["resilience_loop_hits"].rows)
    assert (hit["pattern"], hit["action"], hit["tool"], hit["count"]) == ("repeated_failing_call", "seen", "bash", 3)
    assert hit["message"].startswith("Cockpit would have sent the model a correction")

    started = db.execute("select started_at from sessions where id = ?", [hit["session_id"]]).fetchone()[0]
    assert not started.startswith("1970")  # no timestamps in the file: its modification time
    events = list(load_events(db, hit["session_id"]))
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(events) + 1))  # dense, in order
    position = next(i for i, e in enumerate(events) if e["type"] == "resilience_loop_detected")
    assert events[position - 1]["type"] == "tool_call_finished" and events[position - 1]["status"] == "tool_error"
    assert sum(1 for e in events[:position] if e["type"] == "tool_call_finished" and e["status"] == "tool_error") == 3

    assert app.cli.main(["show", hit["session_id"], "--db", str(db_path)]) == 0
    assert "loops        1: repeated_failing_call bash ×3 (seen)" in capsys.readouterr().out

    from app.replay.timeline import Timeline

    retries = Timeline.from_stored(events).panes_at(len(events) - 1).retries_state
    assert [(h.pattern, h.action) for h in retries.loop_hits] == [("repeated_failing_call", "seen")]


def test_the_real_sessions_in_the_fixtures_have_no_loops(tmp_path, capsys):
    db_path = tmp_path / "c.db"
    assert app.cli.main(["import", str(CLAUDE_DIR), str(CODEX), str(MINI), "--db", str(db_path)]) == 0
    capsys.readouterr()
    from storage.db import open_db

    assert open_db(db_path)["resilience_loop_hits"].count == 0
