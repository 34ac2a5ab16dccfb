"""``cockpit run`` with the user's [hooks]: what a hook refused is said on the terminal, and the run fails."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.cli import run_cli


def refusing_hook(tmp_path: Path, monkeypatch, table: str, reason: str) -> None:
    """A ``[[hooks.…]]`` entry (``table``: its TOML lines) whose command exits 2 with ``reason`` on stderr."""
    hook = tmp_path / "refuse.py"
    hook.write_text(f"import sys\nprint({reason!r}, file=sys.stderr)\nsys.exit(2)\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'{table}\ncommand = "{sys.executable} {hook}"\n', encoding="utf-8")
    monkeypatch.setenv("COCKPIT_CONFIG", str(config))


def test_a_refused_task_is_said_and_the_run_fails(capsys, workspace: Path, tmp_path: Path, cockpit_home: Path,
                                                  monkeypatch, write_script):
    refusing_hook(tmp_path, monkeypatch, "[[hooks.UserPromptSubmit]]", "no tasks on Fridays")
    model = write_script([{"text": "never sent"}])

    code, out, _ = run_cli(capsys, "run", "fix add", "--model", model, "--workspace", str(workspace),
                           "--db", str(tmp_path / "c.db"))

    said = " ".join(out.split())  # the console wraps long lines
    assert code == 1
    assert "UserPromptSubmit hook blocked · exit 2" in said and "no tasks on Fridays" in said


def test_a_call_a_pre_tool_use_hook_blocked_counts_as_denied_not_failed(capsys, workspace: Path, tmp_path: Path,
                                                                       monkeypatch, write_script):
    refusing_hook(tmp_path, monkeypatch, '[[hooks.PreToolUse]]\nmatcher = "bash"', "no commands here")
    model = write_script([{"tool_calls": [{"name": "list_dir", "arguments": {}}]},
                          {"tool_calls": [{"name": "bash", "arguments": {"command": "ls"}}]}, {"text": "Fine."}])

    code, out, _ = run_cli(capsys, "run", "look around", "--model", model, "--workspace", str(workspace), "--yes",
                           "--db", str(tmp_path / "c.db"))

    said = " ".join(out.split())
    assert code == 0
    assert "PreToolUse hook blocked bash · exit 2" in said and "denied" in said
    assert "2 tool calls (0 failed, 1 denied)" in said  # it never ran: a denial, like a rule's or the user's
