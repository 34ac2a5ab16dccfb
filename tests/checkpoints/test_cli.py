"""``cockpit undo`` and ``cockpit rewind``: exit codes, conflicts refused unless --force."""

from __future__ import annotations

import json

import pytest

from storage.db import open_db
from storage.queries import conversation
from tests.checkpoints.support import call, turn
from tests.support.cli import run_cli


def _two_turns(capsys, workspace, write_script, db: str) -> str:
    (workspace / "a.txt").write_text("v1\n")
    model = write_script([*turn(call("write_file", path="a.txt", content="v2\n")),
                          *turn(call("write_file", path="b.txt", content="new\n"))])
    common = ("--model", model, "--workspace", str(workspace), "--db", db, "--yes")
    assert run_cli(capsys, "run", "first", *common)[0] == 0
    session_id = json.loads(run_cli(capsys, "sessions", "--json", "--db", db)[1])[0]["id"]
    assert run_cli(capsys, "run", "second", *common, "--resume", session_id)[0] == 0
    return session_id


def test_undo_restores_refuses_a_conflict_and_forces(capsys, workspace, write_script, tmp_path):
    db = str(tmp_path / "c.db")
    session_id = _two_turns(capsys, workspace, write_script, db)

    code, out, _ = run_cli(capsys, "undo", session_id[:8], "--db", db)
    assert code == 0 and "restored b.txt" in out and not (workspace / "b.txt").exists()
    notes = [m for m in conversation(open_db(db), session_id) if "[Cockpit harness]" in str(m.get("content"))]
    assert len(notes) == 1 and "turn 2" in notes[0]["content"]

    (workspace / "a.txt").write_text("the user's\n")
    code, _, err = run_cli(capsys, "undo", session_id, "--db", db)
    assert code == 1 and "a.txt" in err and "--force" in err
    assert (workspace / "a.txt").read_text() == "the user's\n"

    code, out, _ = run_cli(capsys, "undo", session_id, "--db", db, "--force")
    assert code == 0 and (workspace / "a.txt").read_text() == "v1\n"
    code, _, err = run_cli(capsys, "undo", session_id, "--db", db)
    assert code == 1 and "Nothing to undo" in err


def test_rewind_in_each_mode_and_its_usage_errors(capsys, workspace, write_script, tmp_path):
    db = str(tmp_path / "c.db")
    session_id = _two_turns(capsys, workspace, write_script, db)
    assert run_cli(capsys, "rewind", "nope", "--to-turn", "1", "--db", db)[0] == 2
    code, _, err = run_cli(capsys, "rewind", session_id, "--to-turn", "7", "--db", db)
    assert code == 2 and "turns: 1, 2" in err

    code, _, _ = run_cli(capsys, "rewind", session_id, "--to-turn", "2", "--conversation-only", "--db", db)
    assert code == 0 and (workspace / "b.txt").exists()  # the files are left as they are
    assert not any(m.get("content") == "second" for m in conversation(open_db(db), session_id))

    code, _, _ = run_cli(capsys, "rewind", session_id, "--to-turn", "1", "--files-only", "--db", db)
    assert code == 0 and (workspace / "a.txt").read_text() == "v1\n" and not (workspace / "b.txt").exists()
    assert any(m.get("content") == "first" for m in conversation(open_db(db), session_id))  # kept

    code, _, _ = run_cli(capsys, "rewind", session_id, "--to-turn", "1", "--db", db)
    assert code == 0
    messages = conversation(open_db(db), session_id)
    assert not any(m.get("content") == "first" for m in messages)
    assert "rewound the conversation to before turn 1" in messages[-1]["content"]
    with pytest.raises(SystemExit) as usage:
        run_cli(capsys, "rewind", session_id, "--to-turn", "1", "--files-only", "--conversation-only", "--db", db)
    assert usage.value.code == 2
