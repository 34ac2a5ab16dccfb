"""The command line: exit codes, JSON output, clear errors."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.support.cli import run_cli


@pytest.fixture
def fix_script(write_script):
    return write_script(
        [
            {"text": "Looking.", "tool_calls": [{"name": "read_file", "arguments": {"path": "calc.py"}}]},
            {"tool_calls": [{"name": "edit_file", "arguments": {"path": "calc.py", "old_string": "a - b", "new_string": "a + b"}}]},
            {"text": "Fixed."},
        ]
    )


def test_run_completes_and_sessions_export_show_it(capsys, workspace, fix_script, tmp_path):
    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    db = str(tmp_path / "c.db")
    code, out, err = run_cli(capsys, "run", "fix add", "--model", fix_script, "--workspace", str(workspace), "--yes", "--db", db)
    assert code == 0, err
    assert "a + b" in (workspace / "calc.py").read_text()
    assert "completed" in out and "Fixed." in out

    code, out, _ = run_cli(capsys, "sessions", "--json", "--db", db)
    rows = json.loads(out)
    assert code == 0 and len(rows) == 1
    assert {"id", "title", "model", "status", "started_at"} <= set(rows[0])
    assert rows[0]["status"] == "completed" and rows[0]["title"] == "fix add"
    sid = rows[0]["id"]

    code, out, _ = run_cli(capsys, "show", sid[:8], "--db", db)
    assert code == 0 and "model calls  3" in out and "tool calls   2 (2 ok, 0 failed)" in out

    code, out, _ = run_cli(capsys, "export", sid, "--format", "md", "--db", db)
    assert code == 0 and out.startswith("# fix add") and "edit_file" in out and "Fixed." in out
    code, out, _ = run_cli(capsys, "export", sid, "--format", "json", "--db", db)
    data = json.loads(out)
    assert data["session"]["id"] == sid and len(data["model_calls"]) == 3 and len(data["tool_calls"]) == 2
    code, out, _ = run_cli(capsys, "export", sid, "--format", "jsonl", "--db", db)
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["type"] == "session_started" and lines[-1]["type"] == "session_finished"


def test_run_json_prints_one_event_per_line(capsys, workspace, fix_script, tmp_path):
    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    code, out, _ = run_cli(capsys, "run", "fix", "--model", fix_script, "--workspace", str(workspace), "--yes", "--json", "--db", str(tmp_path / "c.db"))
    assert code == 0
    types = [json.loads(line)["type"] for line in out.splitlines()]
    assert types[0] == "session_started" and types[-1] == "session_finished"
    assert "text_delta" in types and types.count("tool_call_finished") == 2


def test_limit_exit_code_is_3(capsys, workspace, write_script, tmp_path):
    model = write_script([{"tool_calls": [{"name": "list_dir", "arguments": {}}]}] * 5)
    code, _, _ = run_cli(capsys, "run", "go", "--model", model, "--workspace", str(workspace), "--max-steps", "2", "--db", str(tmp_path / "c.db"))
    assert code == 3


def test_failed_exit_code_is_1(capsys, workspace, write_script, tmp_path):
    model = write_script([{"error": {"status": 401, "message": "bad key"}}])
    code, out, _ = run_cli(capsys, "run", "go", "--model", model, "--workspace", str(workspace), "--db", str(tmp_path / "c.db"))
    assert code == 1 and "bad key" in out


def test_no_model_available_says_how_to_configure_one(capsys, workspace, tmp_path):
    code, _, err = run_cli(capsys, "run", "go", "--workspace", str(workspace), "--db", str(tmp_path / "c.db"))
    assert code == 2
    assert "No model is configured" in err and "--model" in err and "--api-base" in err


def test_model_from_the_environment_is_announced(capsys, monkeypatch):
    from app.model_select import choose_model

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    choice = choose_model(None, None, None, "cfg")
    assert choice.model.startswith("openai/") and "OPENAI_API_KEY" in choice.reason


def test_broken_config_is_a_clear_error(capsys, workspace, cockpit_home, fix_script):
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text("model = \n[agent\n")
    code, _, err = run_cli(capsys, "run", "go", "--model", fix_script, "--workspace", str(workspace))
    assert code == 2 and "config.toml" in err and "line 1" in err


def test_bad_config_value_is_a_clear_error(capsys, workspace, cockpit_home, fix_script):
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text('[agent]\nmax_steps = "many"\n')
    code, _, err = run_cli(capsys, "run", "go", "--model", fix_script, "--workspace", str(workspace))
    assert code == 2 and "max_steps" in err


def test_a_newer_database_is_refused_with_exit_2(capsys, tmp_path):
    from storage.db import open_db

    path = tmp_path / "c.db"
    db = open_db(path)
    db["_sqlite_migrations"].insert({"migration_set": "cockpit", "name": "core_999_future", "applied_at": "x"})
    db.conn.close()
    code, _, err = run_cli(capsys, "sessions", "--db", str(path))
    assert code == 2 and "newer version of Cockpit" in err


def test_unknown_session_is_a_clear_error(capsys, tmp_path):
    code, _, err = run_cli(capsys, "show", "nope", "--db", str(tmp_path / "c.db"))
    assert code == 2 and "no session matches" in err


def test_replay_reruns_a_recorded_session_through_the_current_harness(capsys, workspace, fix_script, tmp_path):
    import shutil

    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    pristine = tmp_path / "pristine"
    shutil.copytree(workspace, pristine)
    db = str(tmp_path / "c.db")
    assert run_cli(capsys, "run", "fix add", "--model", fix_script, "--workspace", str(workspace), "--yes", "--db", db)[0] == 0
    old_id = json.loads(run_cli(capsys, "sessions", "--json", "--db", db)[1])[0]["id"]

    code, out, _ = run_cli(capsys, "run", "fix add", "--model", f"replay/{old_id[:8]}", "--workspace", str(pristine), "--yes", "--db", db)
    assert code == 0
    assert "a + b" in (pristine / "calc.py").read_text()  # the recorded edit really ran again
    assert f"replay of {old_id}" in out and "changed" not in out
    rows = json.loads(run_cli(capsys, "sessions", "--json", "--db", db)[1])
    assert len(rows) == 2
    from storage.db import open_db

    parent = open_db(db).execute("select parent_id from sessions where id != ?", [old_id]).fetchone()[0]
    assert parent == old_id


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback(capsys, workspace, fix_script, tmp_path):
    """`cockpit export ID | head`: the write fails with EPIPE; exit 141, nothing on stderr."""
    import subprocess
    import sys
    from pathlib import Path

    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    db = str(tmp_path / "c.db")
    assert run_cli(capsys, "run", "fix add", "--model", fix_script, "--workspace", str(workspace), "--yes", "--db", db)[0] == 0
    code = (
        "import os, sys\n"
        "read, write = os.pipe(); os.close(read); os.dup2(write, 1)\n"  # nobody reads stdout any more
        "from app.cli import main\n"
        f"sys.exit(main(['export', 'latest', '--format', 'jsonl', '--db', {db!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=60)
    assert result.returncode == 141
    assert result.stderr == ""


@pytest.mark.parametrize("json_flag", [["--json"], []], ids=["json", "progress"])
def test_a_run_whose_reader_goes_away_gets_no_traceback(json_flag, workspace, fix_script, tmp_path):
    """`cockpit run … --json | head`: exit 141, nothing on stderr (the printer is a required sink)."""
    import subprocess
    import sys
    from pathlib import Path

    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    args = ["run", "fix add", "--model", fix_script, "--workspace", str(workspace), "--yes",
            "--db", str(tmp_path / "c.db"), *json_flag]
    code = (
        "import os, sys\n"
        "read, write = os.pipe(); os.close(read); os.dup2(write, 1)\n"  # nobody reads stdout
        "from app.cli import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    env = {**__import__("os").environ, "COCKPIT_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 141
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr


def test_an_empty_task_is_a_usage_error_and_stores_nothing(capsys, workspace, fix_script, tmp_path):
    db = tmp_path / "c.db"
    code, _, err = run_cli(capsys, "run", "  ", "--model", fix_script, "--workspace", str(workspace), "--db", str(db))
    assert code == 2 and "the task is empty" in err
    assert not db.exists()


def test_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"cockpit {version('agent-cockpit')}\n"


def test_run_says_which_instruction_files_it_loaded(capsys, workspace, write_script, tmp_path):
    (workspace / "AGENTS.md").write_text("Run the tests with make test.\n@docs/missing.md\n")
    script = write_script([{"text": "Done."}])
    code, out, err = run_cli(capsys, "run", "hi", "--model", script, "--workspace", str(workspace),
                             "--db", str(tmp_path / "c.db"))
    assert code == 0, err
    line = next(text for text in out.splitlines() if text.startswith("Instructions"))
    assert "AGENTS.md" in line and "tok" in line
    assert "missing.md" in out  # the import that was not found is said, under the line
