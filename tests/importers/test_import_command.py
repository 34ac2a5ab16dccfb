"""``cockpit import`` and ``cockpit show`` on an imported session, through app.cli.main."""

from __future__ import annotations

import json
import shutil

import pytest

import app.cli
from tests.support.session_files import CLAUDE_DIR, CLAUDE_SHORT, CODEX, MINI


@pytest.fixture(autouse=True)
def import_command_listed(monkeypatch):
    """Until the lead adds "import_" to app.cli.COMMANDS."""
    if "import_" not in app.cli.COMMANDS:
        monkeypatch.setattr(app.cli, "COMMANDS", (*app.cli.COMMANDS, "import_"))


def cli(capsys, *argv):
    code = app.cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_files_then_show_reports_what_the_source_recorded(capsys, tmp_path):
    db = str(tmp_path / "c.db")
    code, out, err = cli(capsys, "import", str(CODEX), str(MINI), "--db", db)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:3] == ["imported", "cx-a4c2de66058c", "codex-cli"]
    assert "7 model calls, 5 tool calls (2 failed), 26,740 in / 408 out tokens" in lines[0]
    assert "18 model calls, 18 tool calls (2 failed), 111,715 in / 2,320 out tokens" in lines[1]

    code, out, _ = cli(capsys, "show", "cx-a4c2", "--db", db)
    assert code == 0
    assert "(codex-cli)" in out
    assert "model calls  7 (0 failed)" in out
    assert "tool calls   5 (3 ok, 2 failed)" in out
    assert "tokens       26,740 in / 408 out / 22,912 cached" in out

    code, out, _ = cli(capsys, "show", "msa-", "--db", db, "--json")
    shown = json.loads(out)
    assert (shown["model_calls"], shown["tool_calls"], shown["tool_calls_ok"], shown["tool_calls_failed"]) == (18, 18, 16, 2)
    assert (shown["tokens_in"], shown["tokens_out"], round(shown["cost_usd"], 7)) == (111_715, 2_320, 0.1260062)


def test_import_a_claude_project_folder_with_subagents_and_skip_on_second_run(capsys, tmp_path):
    db = str(tmp_path / "c.db")
    code, out, err = cli(capsys, "import", str(CLAUDE_DIR), "--db", db)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 7  # the main transcript and its 6 sub-agents
    assert lines[0].startswith("imported  cc-ef958aa10e93  claude-code") and "17 model calls, 40 tool calls (0 failed)" in lines[0]
    assert all("(sub-agent of cc-ef958aa10e93)" in line for line in lines[1:])

    code, out, _ = cli(capsys, "show", "cc-ef958aa10e93-ab1e", "--db", db)
    assert "model calls  15 (0 failed)" in out and "tool calls   17 (15 ok, 2 failed)" in out
    assert "tokens       394,842 in / 8,156 out / 360,852 cached" in out

    code, out, _ = cli(capsys, "import", str(CLAUDE_DIR), "--db", db)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["skipped"] * 7
    assert "already imported" in out


def test_broken_file_exit_2_names_file_and_line_and_imports_the_rest(capsys, tmp_path):
    db = str(tmp_path / "c.db")
    broken = tmp_path / "broken.jsonl"
    lines = CLAUDE_SHORT.read_text().splitlines()
    broken.write_text("\n".join(lines[:5] + [lines[5][:80]]))  # the 6th line is cut
    code, out, err = cli(capsys, "import", str(broken), str(CODEX), "--db", db)
    assert code == 2
    assert f"cockpit: cannot import {broken}:6: not valid JSON" in err
    assert out.startswith("imported  cx-a4c2de66058c")
    code, out, _ = cli(capsys, "sessions", "--json", "--db", db)
    assert [row["id"] for row in json.loads(out)] == ["cx-a4c2de66058c"]


def test_unknown_file_and_missing_path(capsys, tmp_path):
    odd = tmp_path / "notes.jsonl"
    odd.write_text('{"hello": "world"}\n')
    code, _, err = cli(capsys, "import", str(odd), str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "c.db"))
    assert code == 2
    assert f"{odd}:1: unknown format" in err and "nope.jsonl: no such file or folder" in err
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    code, _, err = cli(capsys, "import", str(empty), "--db", str(tmp_path / "c.db"))
    assert code == 2 and "no session files" in err


def test_codex_sessions_tree(capsys, tmp_path):
    tree = tmp_path / "sessions" / "2025" / "12" / "10"
    tree.mkdir(parents=True)
    shutil.copyfile(CODEX, tree / CODEX.name)
    (tmp_path / "sessions" / "history.jsonl").write_text('{"text": "not a session"}\n')
    code, out, err = cli(capsys, "import", str(tmp_path / "sessions"), "--db", str(tmp_path / "c.db"))
    assert code == 0, err
    assert out.split()[:2] == ["imported", "cx-a4c2de66058c"]
