"""``cockpit run`` with the user's [hooks]: what a hook refused is said on the terminal, and the run fails."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.cli import run_cli


def test_a_refused_task_is_said_and_the_run_fails(capsys, workspace: Path, tmp_path: Path, cockpit_home: Path,
                                                  monkeypatch, write_script):
    hook = tmp_path / "refuse.py"
    hook.write_text("import sys\nprint('no tasks on Fridays', file=sys.stderr)\nsys.exit(2)\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[[hooks.UserPromptSubmit]]\ncommand = "{sys.executable} {hook}"\n', encoding="utf-8")
    monkeypatch.setenv("COCKPIT_CONFIG", str(config))
    model = write_script([{"text": "never sent"}])

    code, out, _ = run_cli(capsys, "run", "fix add", "--model", model, "--workspace", str(workspace),
                           "--db", str(tmp_path / "c.db"))

    said = " ".join(out.split())  # the console wraps long lines
    assert code == 1
    assert "UserPromptSubmit hook blocked · exit 2" in said and "no tasks on Fridays" in said
