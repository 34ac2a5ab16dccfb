"""Prompt history: kept per workspace across runs, searched with Ctrl+R, safe with two processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.agent.events import core as ev
from app.tui.history_store import HistoryStore, history_file
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import Harness
from widgets.history_search import HistorySearch, matching


def _history(home: Path, workspace: Path) -> Path:
    return history_file(workspace, home / "history")


def _stored(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text().splitlines()] if path.exists() else []


async def _loaded(pilot, app) -> None:
    """Until the session is open and its workspace's history was read."""
    await wait_open(pilot, app)
    await wait_until(pilot, lambda: app.prompt_history.store is not None, what="the history to be read")


async def test_history_is_kept_per_workspace_across_runs(harness, workspace, tmp_path, cockpit_home):
    h = harness([{"text": "one"}, {"text": "two"}])
    first = h.app()
    async with first.run_test(size=(100, 30)) as pilot:
        await _loaded(pilot, first)
        await type_and_send(pilot, "fix the flaky test")
        await wait_idle(pilot, first, h)
        await type_and_send(pilot, "now add a changelog entry")
        await wait_idle(pilot, first, h, turns=2)
        await wait_until(pilot, lambda: len(_stored(_history(cockpit_home, workspace))) == 2, what="the history file")

    again = Harness(model=h.model, workspace=workspace, db_path=tmp_path / "again.db")
    second = again.app()
    async with second.run_test(size=(100, 30)) as pilot:
        await _loaded(pilot, second)
        second.prompt.focus()
        await pilot.press("up")
        assert second.prompt.text == "now add a changelog entry"
        await pilot.press("up")
        assert second.prompt.text == "fix the flaky test"
        await pilot.press("down", "down")
        assert second.prompt.text == ""

    elsewhere = tmp_path / "another-project"
    elsewhere.mkdir()
    other = Harness(model=h.model, workspace=elsewhere, db_path=tmp_path / "other.db").app()
    async with other.run_test(size=(100, 30)) as pilot:
        await _loaded(pilot, other)
        assert other.prompt.sent_history.entries == []  # another workspace has its own history
        other.prompt.focus()
        await pilot.press("up")
        assert other.prompt.text == ""


async def test_a_prompt_sent_before_the_session_opened_is_stored_too(harness, workspace, cockpit_home):
    h = harness([{"text": "ok"}])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.prompt.sent_history.add("typed before the session was up")  # as Enter does, before SessionOpened
        await _loaded(pilot, app)
        await wait_until(pilot, lambda: _stored(_history(cockpit_home, workspace)), what="the history file")
    assert _stored(_history(cockpit_home, workspace)) == ["typed before the session was up"]


async def test_ctrl_r_filters_newest_first_and_puts_the_choice_in_the_prompt(harness, workspace, cockpit_home):
    store = HistoryStore(_history(cockpit_home, workspace))
    for text in ("fix the parser", "write the README", "fix the tests\nand the docs", "run the linter"):
        store.append(text)
    h = harness([{"text": "never sent"}])
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await _loaded(pilot, app)
        app.prompt.focus()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, HistorySearch), what="the search")
        search = app.screen
        assert search.found == ["run the linter", "fix the tests\nand the docs", "write the README", "fix the parser"]
        await pilot.press(*"FIX")
        assert search.found == ["fix the tests\nand the docs", "fix the parser"]  # any case, newest first
        assert search.selected == "fix the tests\nand the docs"
        await pilot.press("ctrl+r")  # again: the next older match
        assert search.selected == "fix the parser"
        await pilot.press("down")
        assert search.selected == "fix the tests\nand the docs"
        await pilot.press("up")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, HistorySearch), what="the search to close")
        assert app.prompt.text == "fix the parser"  # in the prompt, not sent
        assert app.focused is app.prompt
        assert not h.events.of(ev.TurnStarted)

        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, HistorySearch), what="the search")
        await pilot.press(*"readme", "escape")  # Esc: the prompt keeps what it had
        await wait_until(pilot, lambda: not isinstance(app.screen, HistorySearch), what="the search to close")
        assert app.prompt.text == "fix the parser"
        assert not h.events.of(ev.TurnStarted)


async def test_ctrl_r_is_remappable(harness, workspace, cockpit_home):
    HistoryStore(_history(cockpit_home, workspace)).append("an older task")
    h = harness([])
    app = h.app(keymap={"prompt.history_search": "f3"})
    async with app.run_test(size=(100, 30)) as pilot:
        await _loaded(pilot, app)
        app.prompt.focus()
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HistorySearch), what="the search on f3")
        assert "1 of 1 · f3/↑ older" in str(app.screen.query_one(".history-search--status").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.prompt.text == "an older task", what="the choice")


def test_matching_needs_every_word_and_lists_each_text_once():
    entries = ["git status", "fix test_io", "git status", "fix docs"]
    assert matching(entries, "") == ["fix docs", "git status", "fix test_io"]
    assert matching(entries, "fix io") == ["fix test_io"]
    assert matching(entries, "nothing") == []


def test_secrets_are_redacted_and_long_files_are_cut(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-verysecret-123456")
    store = HistoryStore(tmp_path / "h.jsonl", limit=30, keep=10)
    store.append("use sk-verysecret-123456 to call it")
    assert store.load() == ["use [redacted:OPENAI_API_KEY] to call it"]
    for n in range(100):
        store.append(f"task {n}")
    lines = (tmp_path / "h.jsonl").read_text().splitlines()
    assert 10 <= len(lines) <= 30
    assert store.load()[-1] == "task 99"
    assert len(store.load()) <= 10


def test_a_broken_line_is_skipped(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"text": "kept"}\n{"text": "cut in the mid\n\n{"text": "also kept"}\n')
    assert HistoryStore(path).load() == ["kept", "also kept"]


_WRITER = """
import sys
from pathlib import Path
from app.tui.history_store import HistoryStore
store = HistoryStore(Path(sys.argv[1]), scrub=str, limit=int(sys.argv[4]), keep=int(sys.argv[5]))
for n in range(int(sys.argv[3])):
    store.append(f"{sys.argv[2]} {n} " + "x" * 300)
"""


def _two_writers(path: Path, count: int, limit: int, keep: int) -> None:
    root = Path(__file__).resolve().parents[2]
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name, str(count), str(limit), str(keep)],
                                cwd=root) for name in ("alpha", "beta")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]


def test_two_processes_appending_at_once_lose_nothing(tmp_path):
    path = tmp_path / "h.jsonl"
    _two_writers(path, 300, limit=10_000, keep=10_000)
    texts = [json.loads(line)["text"] for line in path.read_text().splitlines()]  # every line whole
    assert sorted(texts) == sorted(f"{name} {n} " + "x" * 300 for name in ("alpha", "beta") for n in range(300))
    for name in ("alpha", "beta"):  # each process's lines in its order
        mine = [t for t in texts if t.startswith(name)]
        assert mine == [f"{name} {n} " + "x" * 300 for n in range(300)]


def test_two_processes_appending_while_the_file_is_cut_keep_it_whole(tmp_path):
    path = tmp_path / "h.jsonl"
    _two_writers(path, 300, limit=60, keep=20)
    texts = [json.loads(line)["text"] for line in path.read_text().splitlines()]
    assert 20 <= len(texts) <= 60
    assert texts[-1].split()[1] == "299"  # the last line written is there
    assert {t.split()[0] for t in texts} <= {"alpha", "beta"}
    assert not list(tmp_path.glob("*.tmp"))
