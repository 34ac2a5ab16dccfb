"""``cockpit import --discover``: every agent's default location under HOME (a temporary folder here)."""

from __future__ import annotations

import shutil
import sys

import pytest

import app.cli
from app.import_discovery import locations, never_imported, session_files
from storage.db import open_db
from tests.support.session_files import (
    AIDER,
    CLAUDE_DIR,
    CLAUDE_SUBAGENTS,
    CODEX,
    GEMINI,
)

FILES = 1 + len(list(CLAUDE_SUBAGENTS.glob("agent-*.jsonl"))) + 1 + 1 + 1  # Claude main and sub-agents, Codex, Gemini, Aider


@pytest.fixture(autouse=True)
def import_command_listed(monkeypatch):
    if "import_" not in app.cli.COMMANDS:
        monkeypatch.setattr(app.cli, "COMMANDS", (*app.cli.COMMANDS, "import_"))


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A HOME with Claude Code, Codex CLI and Gemini CLI sessions, and a workspace with an Aider history."""
    home = tmp_path / "home"
    shutil.copytree(CLAUDE_DIR, home / ".claude" / "projects" / "-work-project")
    (home / ".claude" / "history.jsonl").write_text('{"display": "not a session"}\n')
    (home / ".codex" / "sessions" / "2025" / "12" / "10").mkdir(parents=True)
    shutil.copyfile(CODEX, home / ".codex" / "sessions" / "2025" / "12" / "10" / CODEX.name)
    (home / ".gemini" / "tmp" / "ab12" / "chats").mkdir(parents=True)
    shutil.copyfile(GEMINI, home / ".gemini" / "tmp" / "ab12" / "chats" / GEMINI.name)
    workspace = tmp_path / "work"
    workspace.mkdir()
    shutil.copyfile(AIDER, workspace / ".aider.chat.history.md")
    for name in ("XDG_DATA_HOME", "CODEX_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(workspace)
    return home


def test_locations_are_the_ones_that_exist(home):
    found = locations()
    assert [(loc.agent, loc.path.name) for loc in found] == [
        ("Claude Code", "projects"), ("Codex CLI", "sessions"), ("Gemini CLI", "tmp"), ("Aider", ".aider.chat.history.md")]
    (home / ".local" / "share" / "opencode" / "storage").mkdir(parents=True)
    assert "opencode" in [loc.agent for loc in locations()]


def test_discover_imports_what_is_new_with_plain_lines_off_a_terminal(home, tmp_path, capsys, monkeypatch):
    db_path = str(tmp_path / "c.db")
    files = session_files(locations()).files
    assert len(files) == FILES
    assert app.cli.main(["import", "--discover", "--db", db_path]) == 0
    out = capsys.readouterr().out
    assert f"{len(files)} files imported, 0 unchanged since their import" in out
    assert out.count("imported  ") >= len(files)
    db = open_db(db_path)
    assert never_imported(db, files) == []
    sources = {row[0] for row in db.execute("select distinct source from sessions")}
    assert sources == {"claude-code", "codex-cli", "gemini-cli", "aider"}

    shutil.copyfile(CODEX, home / ".codex" / "sessions" / "2025" / "12" / "10" / "rollout-copy.jsonl")
    shutil.copyfile(GEMINI, home / ".gemini" / "tmp" / "ab12" / "chats" / "session-new.json")  # same bytes, new file
    assert never_imported(db, session_files(locations()).files) == [
        home / ".codex" / "sessions" / "2025" / "12" / "10" / "rollout-copy.jsonl",
        home / ".gemini" / "tmp" / "ab12" / "chats" / "session-new.json"]
    assert app.cli.main(["import", "--discover", "--db", db_path]) == 0
    out = capsys.readouterr().out
    assert f"0 files imported, {len(files) + 2} unchanged since their import" in out  # the same bytes are not imported twice


def test_discover_on_a_terminal_shows_a_progress_bar(home, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert app.cli.main(["import", "--discover", "--db", str(tmp_path / "c.db")]) == 0
    out = capsys.readouterr().out
    assert "imported  cx-a4c2de66058c" in out and f"{FILES} files imported" in out
    assert f"[1/{FILES}]" not in out  # the bar, not the plain lines


def test_nothing_to_discover(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert app.cli.main(["import", "--discover", "--db", str(tmp_path / "c.db")]) == 0
    assert "no sessions of Claude Code, Codex CLI" in capsys.readouterr().out


def test_import_without_paths_or_discover_is_a_usage_error(tmp_path, capsys):
    assert app.cli.main(["import", "--db", str(tmp_path / "c.db")]) == 2
    assert "needs a PATH, or --discover" in capsys.readouterr().err


def test_discover_reads_opencode_storage_under_xdg_data_home(tmp_path, capsys, monkeypatch):
    from tests.importers.test_opencode import Storage, _finish, _text

    data = tmp_path / "data"
    store = Storage(data)
    store.session("ses_disc0001")
    store.message("ses_disc0001", "user", [_text("hi")])
    store.message("ses_disc0001", "assistant", [_text("hello"), _finish(5, 1, reason="stop")], modelID="m")
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.chdir(tmp_path)
    assert app.cli.main(["import", "--discover", "--db", str(tmp_path / "c.db")]) == 0
    out = capsys.readouterr().out
    assert f"opencode     {data / 'opencode' / 'storage'}" in out
    assert "imported  oc-disc0001  opencode" in out and "1 files imported" in out
    assert "not imported" not in out  # its message and part files are no sessions
