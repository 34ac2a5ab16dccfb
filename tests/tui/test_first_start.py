"""The first start without a model: other agents' sessions found under HOME (a temporary one here)
are offered for import; one key imports them and opens the Sessions screen and the usage report."""

from __future__ import annotations

import shutil

import pytest

from app.model_select import NoModelConfigured
from app.tui.app import CockpitApp
from app.tui.first_start import FirstStart, ImportOffer
from tests.support.session_files import CLAUDE_SHORT, CODEX, GEMINI
from tests.tui.conftest import wait_until
from tests.tui.helpers import FrozenClock
from widgets.notice import NoticeBlock


def _no_model(approver, **overrides):
    raise NoModelConfigured("No model is configured.")


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    (home / ".claude" / "projects" / "-work-app").mkdir(parents=True)
    shutil.copyfile(CLAUDE_SHORT, home / ".claude" / "projects" / "-work-app" / CLAUDE_SHORT.name)
    (home / ".codex" / "sessions" / "2025" / "12").mkdir(parents=True)
    shutil.copyfile(CODEX, home / ".codex" / "sessions" / "2025" / "12" / CODEX.name)
    (home / ".gemini" / "tmp" / "ab12" / "chats").mkdir(parents=True)
    shutil.copyfile(GEMINI, home / ".gemini" / "tmp" / "ab12" / "chats" / GEMINI.name)
    return home


def _app(db, home, workspace, **kwargs):
    return CockpitApp(_no_model, database=lambda: db, load_litellm=False, clock=FrozenClock(), cursor_blink=False,
                      theme="textual-dark", first_start=FirstStart(home=home, workspace=workspace), **kwargs)


def _shown(app) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query("Static"))


async def test_one_key_imports_then_opens_sessions_and_the_report(db, home, workspace):
    from app.tui.screens.report import ReportScreen
    from app.tui.screens.sessions import SessionsScreen

    app = _app(db, home, workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ImportOffer), what="the import offer")
        shown = _shown(app)
        assert "Claude Code" in shown and "Codex CLI" in shown and "Gemini CLI" in shown
        assert "Import these 3 session files" in shown
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportScreen), what="the usage report")
        assert any(isinstance(s, SessionsScreen) for s in app.screen_stack)
        sources = {row[0] for row in db.execute("select source from sessions")}
        assert sources == {"claude-code", "codex-cli", "gemini-cli"}
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen), what="the Sessions screen")

    again = _app(db, home, workspace)  # everything imported: no offer
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: again.transcript.query(NoticeBlock), what="the no-model notice")
        await again.workers.wait_for_complete()  # the look for sessions
        await pilot.pause()
        assert not isinstance(again.screen, ImportOffer)


async def test_escape_leaves_them_and_no_app_without_it_looks(db, home, workspace):
    app = _app(db, home, workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ImportOffer), what="the import offer")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImportOffer), what="the offer closed")
        assert db.execute("select count(*) from sessions").fetchone()[0] == 0


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)], ids=["80x24", "100x30", "160x45"])
def test_snapshot_the_import_offer(db, home, workspace, snap_compare, size):
    app = _app(db, home, workspace)

    async def run_before(pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, ImportOffer), what="the import offer")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
