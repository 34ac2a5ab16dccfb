"""The status bar's git part: branch and dirty state, read off the UI thread at the session's start
and after each turn; nothing outside a repository; the first part to give way."""

from __future__ import annotations

from pathlib import Path

from app.agent.events.approvals import PermissionMode
from app.agent.events.core import SessionStarted
from app.agent.events.git import GitState
from app.agent.git_status import workspace_git
from tests.core.test_git_status import git
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.status_bar import StatusBar, git_forms


def commit_all(workspace: Path) -> None:
    (workspace / "README.md").write_text("# demo\n")
    git(workspace, "init", "-q", "-b", "trunk")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "one")


def forms(state: GitState | None) -> list[str]:
    return [form.plain for form in git_forms(state)]


def test_the_forms_of_the_git_part():
    assert forms(GitState(branch="main")) == ["⎇ main", "⎇ main"]
    assert forms(GitState(branch="main", changed=2, untracked=1)) == ["⎇ main +3", "⎇ main*"]
    assert forms(GitState(head="1a2b3c4")) == ["⎇ @1a2b3c4", "⎇ @1a2b3c4"]
    assert forms(GitState(branch="main", changed=None)) == ["⎇ main ?", "⎇ main ?"]  # git status failed
    long = GitState(branch="feature/a-very-long-branch-name")
    assert forms(long) == ["⎇ feature/a-very-long-bra…", "⎇ feature/a-v…"]
    assert forms(None) == []


def test_the_git_part_gives_way_first():
    status = StatusBar(clock=lambda: 0.0)
    status.apply(SessionStarted(session_id="5e55101000000000", model="openai/gpt-4.1", workspace="/home/dev/project"))
    status.git = GitState(branch="main", changed=3)
    full = status.status_line().plain
    assert full.endswith("project · ⎇ main +3 · session 5e551010")
    assert status.status_line(len(full) - 1).plain.endswith("project · ⎇ main* · session 5e551010")
    narrower = status.status_line(len(full) - 4).plain
    assert "⎇" not in narrower and "session 5e551010" in narrower  # gone before the session


class CountingProbe:
    """workspace_git, counting its answers (it runs on a worker thread)."""

    def __init__(self) -> None:
        self.answers = 0

    def __call__(self, workspace: str) -> GitState | None:
        state = workspace_git(workspace)
        self.answers += 1
        return state


async def session_line(harness, turns, tasks: int = 1) -> list[str]:
    """The status line once git was read at the session's start, and after each of its ``tasks``."""
    h = harness(turns, mode=PermissionMode.YOLO)
    probe = CountingProbe()
    app = h.app(git_probe=probe)
    lines = []

    async def read(times: int) -> None:
        await wait_until(pilot, lambda: probe.answers >= times, what=f"git read {times} time(s)")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines.append(app.status.status_line().plain)

    async with app.run_test(size=(200, 30)) as pilot:
        await wait_open(pilot, app)
        await read(1)
        for k in range(1, tasks + 1):
            await type_and_send(pilot, f"task {k}")
            await wait_idle(pilot, app, h, turns=k)
            await read(k + 1)
    return lines


async def test_a_clean_repository_then_a_modified_one(harness, workspace):
    commit_all(workspace)
    turns = [{"tool_calls": [{"name": "write_file", "arguments": {"path": "README.md", "content": "# changed\n"}}]},
             {"text": "Changed."}]
    start, after = await session_line(harness, turns)
    assert "⎇ trunk ·" in start and "+" not in start.split("⎇")[1]
    assert "⎇ trunk +1 ·" in after  # refreshed after the turn


async def test_outside_a_repository_nothing_is_shown(harness, workspace):
    start, after = await session_line(harness, [{"text": "Hi."}])
    assert "⎇" not in start and "⎇" not in after


async def test_a_detached_head_shows_its_commit(harness, workspace):
    commit_all(workspace)
    git(workspace, "checkout", "-q", "--detach")
    sha = git(workspace, "rev-parse", "--short", "HEAD")
    start, _ = await session_line(harness, [{"text": "Hi."}])
    assert f"⎇ @{sha} ·" in start
