"""git's view of the workspace, read for the status bar (and the environment preamble)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from app.agent.events.git import GitState
from app.agent.git_status import read_git, workspace_git


def git(workspace: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(workspace), "-c", "user.email=t@t", "-c", "user.name=t", *args],
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def repo(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "trunk")
    (ws / "a.py").write_text("1\n")
    git(ws, "add", ".")
    git(ws, "commit", "-qm", "one")
    return ws


def test_a_clean_repository(tmp_path: Path) -> None:
    state = workspace_git(str(repo(tmp_path)))
    assert state == GitState(branch="trunk", changed=0, untracked=0)
    assert state.where == "trunk" and state.dirty_files == 0


def test_modified_staged_and_untracked_files_count(tmp_path: Path) -> None:
    ws = repo(tmp_path)
    (ws / "a.py").write_text("2\n")
    (ws / "b.py").write_text("new\n")
    git(ws, "add", "b.py")
    (ws / "c.txt").write_text("?")
    state = workspace_git(str(ws))
    assert state == GitState(branch="trunk", changed=2, untracked=1) and state.dirty_files == 3


def test_a_detached_head_is_its_commit(tmp_path: Path) -> None:
    ws = repo(tmp_path)
    sha = git(ws, "rev-parse", "--short", "HEAD")
    git(ws, "checkout", "-q", "--detach")
    state = workspace_git(str(ws))
    assert state == GitState(branch="", head=sha) and state.where == f"@{sha}"


def test_no_repository_no_state(tmp_path: Path) -> None:
    assert workspace_git(str(tmp_path)) is None
    assert read_git(tmp_path).problem == "not a git repository"
    assert workspace_git("") is None


def test_a_new_repository_has_its_branch(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "x").write_text("x")
    assert workspace_git(str(tmp_path)) == GitState(branch="main", changed=0, untracked=1)
