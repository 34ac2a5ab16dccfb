"""The side column's own lines: at its default width nothing of the Retries pane wraps in the middle
of a phrase, and every attempt's error class is shown whole."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from app.tui.side_column import PANES_WIDTH, WIDE_PANES_WIDTH
from tests.resilience import scenarios
from tests.resilience.test_retries_pane import fold, utc
from widgets.retries_pane import RetriesPane

class ColumnApp(App):
    def __init__(self, events, width: int) -> None:
        super().__init__()
        self.state, self.width = fold(events), width

    def compose(self) -> ComposeResult:
        pane = RetriesPane(self.state, clock=lambda: scenarios.T0 + 30, format_time=utc)
        pane.styles.width = self.width
        yield pane


@pytest.mark.parametrize("width", [PANES_WIDTH[1] - 2, WIDE_PANES_WIDTH - 2])
@pytest.mark.parametrize("scenario", ["quiet", "storming", "looping"])
async def test_the_retries_lines_fit_and_keep_the_error_classes(scenario, width):
    state_events = getattr(scenarios, scenario)()
    app = ColumnApp(state_events, width)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        pane = app.query_one(RetriesPane)
        inside = pane.narrow_width
        assert inside is not None and inside <= width - 4
        summary = app.query_one("#retries-summary", Static)
        lines = summary.content.plain.splitlines()
        laid_out = [line for line in lines if not line.startswith(("Stopped", "Proxy"))]  # prose wraps at words
        assert all(len(line) <= inside for line in laid_out), lines
        assert "first tries" in summary.content.plain  # the phrase is whole, on one line
        assert any("retries /" in line and "first tries" in line for line in lines)
        log = app.query_one("#retries-log", Static).content.plain.splitlines()
        for row in pane.state.attempts[:10]:
            assert any(line.strip().startswith(row.error_class or "—") for line in log), (row.error_class, log)
