"""Options of ``cockpit`` itself: the same meaning before and after the subcommand, or a usage error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]

# Every option of ``cockpit`` itself, with a value, and what ``cockpit run`` makes of it.
GLOBAL_OPTIONS = [
    (["--model", "openai/gpt-4.1"], "model", "openai/gpt-4.1"),
    (["--api-base", "http://127.0.0.1:9/v1"], "api_base", "http://127.0.0.1:9/v1"),
    (["--workspace", "/tmp/elsewhere"], "workspace", Path("/tmp/elsewhere")),
    (["--yes"], "yes", True),
    (["--permission-mode", "plan"], "permission_mode", "plan"),
    (["--max-steps", "7"], "max_steps", 7),
    (["--max-cost", "0.5"], "max_cost", 0.5),
    (["--max-time", "60"], "max_time", 60.0),
    (["--feedback-rate", "0.3"], "feedback_rate", 0.3),
    (["--db", "/tmp/other.db"], "db", Path("/tmp/other.db")),
    (["--resume", "abc123"], "resume", "abc123"),
    (["--continue"], "continue_", True),
]
IDS = [flags[0] for flags, _, _ in GLOBAL_OPTIONS]


def parse(*argv: str):
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize("flags, dest, value", GLOBAL_OPTIONS, ids=IDS)
def test_every_global_option_means_the_same_before_and_after_run(flags, dest, value):
    before, after = parse(*flags, "run", "hi"), parse("run", "hi", *flags)
    assert getattr(before, dest) == getattr(after, dest) == value
    assert not any(key.startswith(("before_", "takes_")) for key in vars(before))


@pytest.mark.parametrize("flags, dest, value", GLOBAL_OPTIONS, ids=IDS)
def test_every_global_option_opens_the_tui_with_its_value(flags, dest, value):
    assert getattr(parse(*flags), dest) == value


def test_an_option_given_both_ways_takes_the_one_after_the_subcommand():
    args = parse("--max-steps", "3", "run", "hi", "--max-steps", "9")
    assert args.max_steps == 9


def test_without_options_run_gets_the_defaults():
    args = parse("run", "hi")
    assert args.workspace == Path.cwd() and args.yes is False and args.continue_ is False
    assert args.model is None and args.max_steps is None and args.db is None


def test_db_before_a_subcommand_that_takes_it_is_honoured():
    assert parse("--db", "/tmp/x.db", "sessions").db == Path("/tmp/x.db")
    assert parse("--db", "/tmp/x.db", "feedback", "report").db == Path("/tmp/x.db")


@pytest.mark.parametrize("argv, flag, command", [
    (["--model", "m", "sessions"], "--model", "sessions"),
    (["--workspace", "/tmp", "show", "latest"], "--workspace", "show"),
    (["--max-steps", "3", "export", "latest"], "--max-steps", "export"),
    (["--yes", "import", "x.jsonl"], "--yes", "import"),
    (["--model", "m", "feedback", "report"], "--model", "feedback"),  # its own --model is a filter, not the same
], ids=["sessions", "show", "export", "import", "feedback-report"])
def test_an_option_before_a_subcommand_that_does_not_take_it_is_a_usage_error(capsys, argv, flag, command):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert f"{flag} is not an option of 'cockpit {command}'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--max-steps", "-3"], "argument --max-steps: must be ≥ 1"),
    (["--max-steps", "0"], "argument --max-steps: must be ≥ 1"),
    (["--max-steps", "2.5"], "argument --max-steps: must be a whole number"),
    (["--max-cost", "0"], "argument --max-cost: must be > 0"),
    (["--max-cost", "-1"], "argument --max-cost: must be > 0"),
    (["--max-time", "0"], "argument --max-time: must be > 0"),
    (["--max-time", "soon"], "argument --max-time: must be a number"),
    (["--feedback-rate", "2"], "argument --feedback-rate: must be between 0 and 1"),
    (["--feedback-rate", "-0.1"], "argument --feedback-rate: must be between 0 and 1"),
], ids=lambda value: " ".join(value) if isinstance(value, list) else "")
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_bad_flag_value_is_blamed_on_the_flag(capsys, cockpit_home, argv, message, where):
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text("[agent]\nmax_steps = 50\n")
    full = [*argv, "run", "hi"] if where == "before" else ["run", "hi", *argv]
    with pytest.raises(SystemExit) as exit_:
        main(full)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err
    assert "config.toml" not in err


def _cockpit(*argv: str, home: Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "COCKPIT_HOME": str(home), "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("COCKPIT_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "app", *argv], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_workspace_and_model_before_run_are_used(tmp_path, workspace, write_script):
    """`cockpit --workspace W --model M run hi` works in W, not in the folder it was started from."""
    model = write_script([
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "made.txt", "content": "here"}}]},
        {"text": "done"},
    ])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _cockpit("--workspace", str(workspace), "--model", model, "--yes", "--db", str(tmp_path / "c.db"),
                      "run", "make a file", home=tmp_path / "home", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (workspace / "made.txt").read_text() == "here"
    assert not (elsewhere / "made.txt").exists()
    assert f"model {model}" in result.stderr


def test_an_option_before_sessions_is_refused_in_a_real_process(tmp_path):
    result = _cockpit("--model", "openai/gpt-4.1", "sessions", home=tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 2
    assert "--model is not an option of 'cockpit sessions'" in result.stderr
