"""``cockpit run`` with a verifier whose last round fails: the summary and the exit code say so."""

from __future__ import annotations

import json

from tests.roles.support import checks_file
from tests.support.cli import run_cli


def test_a_run_whose_verification_failed_says_unverified_and_exits_4(capsys, workspace, write_script, tmp_path,
                                                                   cockpit_home):
    command = checks_file(workspace, "notes.txt", "good")
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text(
        f'[roles]\nmax_verify_rounds = 1\n\n[roles.verifier]\nmode = "tests"\ntest_command = {json.dumps(command)}\n',
        encoding="utf-8")
    write = lambda content: {"tool_calls": [{"name": "write_file", "arguments": {"path": "notes.txt", "content": content}}]}
    model = write_script([write("bad"), {"text": "Done."}, write("worse"), {"text": "Done!"}])
    db = str(tmp_path / "c.db")

    code, out, err = run_cli(capsys, "run", "add a notes file", "--model", model, "--workspace", str(workspace),
                             "--yes", "--db", db)

    assert code == 4, err
    summary = next(line for line in out.splitlines() if "steps ·" in line)
    assert summary.startswith("unverified (the verification failed)") and "completed" not in summary
    code, out, _ = run_cli(capsys, "sessions", "--json", "--db", db)
    assert json.loads(out)[0]["status"] == "unverified"


def test_run_help_documents_the_exit_codes(capsys):
    import pytest

    with pytest.raises(SystemExit):
        run_cli(capsys, "run", "--help")
    out = capsys.readouterr().out
    assert "exit codes:" in out and "4    unverified" in out and "3    a limit was reached" in out
