"""The Sessions screen under Pilot: rows, search (FTS), filters, sorting, summary, delete with
confirmation, replay, resume, export."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from app.tui.screens.replay import ReplayScreen
from app.tui.screens.sessions import ConfirmDelete, SessionsScreen
from storage.importers import import_path
from tests.support.session_files import CODEX
from tests.replay.samples import WORKSPACE, store_samples

SIZE = (150, 32)
WAIT_S = 20.0
NEWEST_FIRST = ["dddd-elsewhere", "cccc-failed", "bbbb-flamingo", "aaaa-fix-parser"]


class SessionsApp(App):
    """Pushes only the Sessions screen and keeps what it was dismissed with."""

    def __init__(self, db, **options) -> None:
        super().__init__()
        self.db = db
        self.options = options
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(SessionsScreen(self.db, **self.options), self.results.append)


async def until(pilot, condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def settled(pilot, app) -> SessionsScreen:
    """After the debounce and the database worker: the table shows a fresh read."""
    await until(pilot, lambda: isinstance(app.screen, SessionsScreen) and app.screen.rows is not None, "the screen")
    screen = app.screen
    await pilot.pause(screen.debounce_s + 0.02)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return screen  # type: ignore[return-value]


def shown(screen: SessionsScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.coordinate_to_cell_key((row, 0)).row_key.value) for row in range(table.row_count)]


@pytest.fixture
def sample_db(db):
    store_samples(db)
    return db


@pytest.fixture
def make_app(sample_db, tmp_path: Path):
    def make(**options) -> SessionsApp:
        options.setdefault("workspace", WORKSPACE)
        options.setdefault("debounce_s", 0.05)
        options.setdefault("export_dir", tmp_path)
        return SessionsApp(sample_db, **options)

    return make


async def test_rows_newest_first_with_feedback(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        assert shown(screen) == NEWEST_FIRST
        table = screen.query_one(DataTable)
        keys = [str(key.value) for key in table.columns]

        def cells(row_key: str) -> dict[str, str]:
            return dict(zip(keys, table.get_row(row_key)))

        first = cells("aaaa-fix-parser")
        title = "fix the parser for empty input"  # narrowed with … when every column is to fit
        assert first["title"] == title or (first["title"].endswith("…") and title.startswith(first["title"][:-1]))
        assert first["steps"] == "3" and first["feedback"] == "▲1"
        assert first["files"] == "—"  # no checkpoint recorded: unknown, not 0
        assert cells("cccc-failed")["outcome"] == "failed" and cells("cccc-failed")["feedback"] == "▼1"
        assert "4 sessions" in str(screen.query_one("#sessions-count", Static).content)


async def test_search_uses_the_full_text_index(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"flamingo")  # only in one session's tool output
        screen = await settled(pilot, app)
        assert shown(screen) == ["bbbb-flamingo"]
        screen.query_one(Input).value = ""
        screen = await settled(pilot, app)
        assert shown(screen) == NEWEST_FIRST


async def test_filters_status_source_and_workspace(make_app, sample_db):
    import_path(sample_db, CODEX)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        assert len(shown(screen)) == 5
        screen.query_one("#sessions-status", Select).value = "failed"
        screen = await settled(pilot, app)
        assert shown(screen) == ["cccc-failed"]
        screen.query_one("#sessions-status", Select).clear()
        screen.query_one("#sessions-source", Select).value = "codex-cli"
        screen = await settled(pilot, app)
        assert [sample_db["sessions"].get(i)["source"] for i in shown(screen)] == ["codex-cli"]
        screen.query_one("#sessions-source", Select).clear()
        await settled(pilot, app)
        await pilot.press("w")
        screen = await settled(pilot, app)
        assert screen.query_one(Checkbox).value
        assert shown(screen) == ["cccc-failed", "bbbb-flamingo", "aaaa-fix-parser"]


async def test_sorting_by_keys_and_header(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("s")  # started → duration, longest first
        assert screen.sort_column == "duration"
        assert shown(screen) == ["bbbb-flamingo", "aaaa-fix-parser", "dddd-elsewhere", "cccc-failed"]
        await pilot.press("S")
        assert shown(screen) == ["cccc-failed", "dddd-elsewhere", "aaaa-fix-parser", "bbbb-flamingo"]
        table = screen.query_one(DataTable)
        column = list(table.columns).index("title")
        table.post_message(DataTable.HeaderSelected(table, table.columns["title"].key, column, table.columns["title"].label))
        await pilot.pause()
        assert screen.sort_column == "title" and not screen.sort_reverse
        assert shown(screen) == ["cccc-failed", "aaaa-fix-parser", "dddd-elsewhere", "bbbb-flamingo"]  # deploy, fix, tidy, why
        assert "▲" in str(table.columns["title"].label)


async def test_open_shows_the_summary(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("down", "down", "enter")  # bbbb-flamingo
        await app.workers.wait_for_complete()
        await pilot.pause()
        panel = screen.query_one("#sessions-summary", Static)
        assert panel.has_class("-open")
        summary = str(panel.content)
        assert "bbbb-flamingo" in summary and "5 (5 ok, 0 failed)" in summary and "$0.5500" in summary
        await pilot.press("escape")
        assert not panel.has_class("-open") and app.screen is screen
        await pilot.press("escape")
        assert app.results == [None]


async def test_delete_asks_then_deletes(make_app, sample_db):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("down")  # cccc-failed
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("n")
        assert app.screen is screen
        assert sample_db["sessions"].count == 4
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("y")
        screen = await settled(pilot, app)
        assert shown(screen) == ["dddd-elsewhere", "bbbb-flamingo", "aaaa-fix-parser"]
        assert [r[0] for r in sample_db.execute("select id from sessions where id = 'cccc-failed'")] == []
        assert sample_db.execute("select count(*) from events where session_id = 'cccc-failed'").fetchone()[0] == 0


async def test_the_current_session_is_neither_deleted_nor_resumed(make_app, sample_db):
    app = make_app(current_session_id="dddd-elsewhere")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        await pilot.press("d")
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("r")
        assert isinstance(app.screen, SessionsScreen) and app.results == []
        assert sample_db["sessions"].count == 4


async def test_the_open_session_without_a_task_is_left_out(make_app, sample_db):
    """The app's own session before its first task: no "(untitled)" row of 0 steps and cost —."""
    from app.agent.events import core as ev
    from tests.support.store import store_events

    started = ev.SessionStarted(workspace=WORKSPACE, model="openai/gpt-4o")
    started.session_id, started.seq, started.ts = "eeee-open-now", 1, time.time()
    store_events(sample_db, [started])
    assert sample_db.execute("select status from sessions where id = 'eeee-open-now'").fetchone()[0] == "running"
    app = make_app(current_session_id="eeee-open-now")
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        assert shown(screen) == NEWEST_FIRST
        assert "4 sessions" in str(screen.query_one("#sessions-count", Static).content)


async def test_replay_opens_the_replay_screen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("down", "down", "p")
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.timeline is not None, "the replay")
        replay = app.screen
        assert replay.session_id == "bbbb-flamingo" and len(replay.timeline) == 25
        await pilot.press("end")
        assert replay.position == replay.timeline.last
        await pilot.press("escape")
        assert app.screen is screen


async def test_resume_is_the_screen_result(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        await pilot.press("down", "r")
        await pilot.pause()
    assert app.results == [("resume", "cccc-failed")]


async def test_export_writes_markdown_into_the_folder(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app)
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
    path = tmp_path / "cockpit-session-dddd-els.md"
    assert path.is_file()
    assert path.read_text().startswith("# tidy the notes")


@pytest.mark.parametrize(("width", "gone"), [(80, {"workspace", "model", "duration", "steps", "files", "tokens", "feedback"}),
                                             (100, {"workspace", "duration", "steps", "files", "feedback"}),
                                             (160, set())])
async def test_columns_are_chosen_by_width(make_app, width, gone):
    """Outcome and cost stay on screen at every width; the less important columns go first."""
    from app.tui.screens.sessions_data import COLUMNS

    app = make_app()
    async with app.run_test(size=(width, 30)) as pilot:
        screen = await settled(pilot, app)
        table = screen.query_one(DataTable)
        shown_keys = {str(key.value) for key in table.columns}
        assert shown_keys == set(COLUMNS) - gone
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= width
        titles = [table.get_row(key)[0] for key in table.rows]
        assert all(len(t) <= table.columns["title"].width for t in titles)
