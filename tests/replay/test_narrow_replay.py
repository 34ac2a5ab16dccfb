"""Replay on a narrow terminal: the side column folds as on the main screen (Ctrl+B shows it), the
position line and the help line stay on one line each, the help never ends in a dangling ``·``."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from app.tui.replay_app import ReplayApp
from app.tui.screens.replay import ReplayScreen
from app.tui.screens.replay_parts import HELP, TimelineBar, help_text
from tests.replay.samples import SYNTHETIC_ID, store_synthetic
from tests.replay.test_snapshots import utc


@pytest.mark.parametrize("width", [30, 60, 78, 98, 158, 400])
def test_the_help_line_fits_and_ends_with_a_key(width):
    for folded in (False, True):
        line = help_text(width, folded)
        assert cell_len(line) <= width or " · " not in line
        assert not line.rstrip().endswith("·") and line.endswith("Esc close")
        assert ("^b panes" in line) == folded
    assert help_text(400) == HELP


async def open_replay(db, size):
    store_synthetic(db)
    app = ReplayApp(db, SYNTHETIC_ID, format_time=utc)
    return app


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_side_column_folds_below_100_columns_and_ctrl_b_toggles_it(db, size):
    app = await open_replay(db, size)
    async with app.run_test(size=size) as pilot:
        while not (isinstance(app.screen, ReplayScreen) and app.screen.timeline is not None):
            await pilot.pause(0.02)
        await pilot.press("r")
        await pilot.pause()
        side = app.screen.query_one("#replay-side")
        assert side.display == (size[0] >= 100)
        bar = app.screen.query_one(TimelineBar)
        head, _strip, help_line = bar.render().split("\n")
        assert cell_len(head.plain) <= bar.content_size.width and "paused 1×" in head.plain
        assert cell_len(help_line.plain) <= bar.content_size.width and help_line.plain.endswith("Esc close")
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert side.display == (size[0] < 100)
        assert ("^b panes" in bar.render().plain) == (size[0] >= 100)
