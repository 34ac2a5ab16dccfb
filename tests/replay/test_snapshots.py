"""SVG snapshots (pytest-textual-snapshot) of the Sessions screen and of the Replay screen at a
mid-session position: fixed size, fixed times (UTC), fixed sessions, no cursor blink.
Update with ``pytest tests/replay --snapshot-update`` and review the SVGs."""

from __future__ import annotations

import time

import pytest

from app.tui.replay_app import ReplayApp
from app.tui.screens.replay import ReplayScreen
from tests.replay.samples import SYNTHETIC_ID, WORKSPACE, store_samples, store_synthetic
from tests.replay.test_sessions_screen import SessionsApp, settled

SIZE = (150, 42)


def utc(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


@pytest.fixture
def sessions_app(db, tmp_path):
    store_samples(db)
    return SessionsApp(db, workspace=WORKSPACE, debounce_s=0.05, export_dir=tmp_path)


def test_sessions_screen_with_a_summary_open(sessions_app, snap_compare):
    async def run_before(pilot):
        await settled(pilot, sessions_app)
        await pilot.press("down", "down", "enter")
        await sessions_app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(sessions_app, terminal_size=SIZE, run_before=run_before)


def snap_replay(db, snap_compare, key: str, size) -> bool:
    """The synthetic session's replay after pressing ``key``."""
    store_synthetic(db)
    app = ReplayApp(db, SYNTHETIC_ID, format_time=utc)

    async def run_before(pilot):
        while not (isinstance(app.screen, ReplayScreen) and app.screen.timeline is not None):
            await pilot.pause(0.02)
        await pilot.press(key)
        await pilot.pause(0.1)  # the budget pane redraws on its (short) coalescing timer

    return snap_compare(app, terminal_size=size, run_before=run_before)


def test_replay_screen_at_the_first_retry(db, snap_compare):
    assert snap_replay(db, snap_compare, "r", SIZE)


SIZES = [(80, 24), (100, 30), (160, 45)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sessions_screen_at_every_width(sessions_app, snap_compare, size):
    """Columns chosen by width: the outcome and the cost stay on screen at 80 and 100 columns."""

    async def run_before(pilot):
        await settled(pilot, sessions_app)

    assert snap_compare(sessions_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_replay_screen_at_the_end_at_every_width(db, snap_compare, size):
    """The last position: the final answer as Markdown, whole; the side column narrows at 80 columns."""
    assert snap_replay(db, snap_compare, "end", size)
