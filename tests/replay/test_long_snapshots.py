"""SVG snapshots of the Replay screen on a long session read in pages, before the rest is folded:
the strip of marks shows the part not folded yet as ┄ (the background fold is held still here, so
that the picture is fixed). Update with ``pytest tests/replay/test_long_snapshots.py --snapshot-update``."""

from __future__ import annotations

import pytest

from app.replay.synthetic import generate_session
from app.tui.replay_app import ReplayApp
from app.tui.screens import replay as replay_screen
from tests.replay.samples import T0
from tests.replay.test_snapshots import SIZES, utc
from tests.support.store import store_events

SESSION = "long-0001"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_long_session_one_turn_in_before_the_rest_is_folded(db, snap_compare, monkeypatch, size):
    store_events(db, generate_session(SESSION, events=1_500, start_ts=T0))
    monkeypatch.setattr(replay_screen, "READ_PAGE", 300)
    monkeypatch.setattr(replay_screen.ReplayScreen, "_fold_rest", lambda self, timeline: None)
    app = ReplayApp(db, SESSION, format_time=utc)

    async def run_before(pilot):
        while not (isinstance(app.screen, replay_screen.ReplayScreen) and app.screen.timeline is not None):
            await pilot.pause(0.02)
        await pilot.press("right_square_bracket", "right_square_bracket")  # the second turn: folded on to it
        await pilot.pause(0.1)  # the budget pane redraws on its (short) coalescing timer

    assert snap_compare(app, terminal_size=size, run_before=run_before)
