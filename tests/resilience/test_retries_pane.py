"""The Retries pane: Pilot checks and snapshots of quiet, storming and loop-detected states."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult
from textual.widgets import Static

from app.agent.events.retries_view import RetriesReducer, RetriesState
from tests.resilience import scenarios
from tests.resilience.scenarios import T0
from widgets.retries_pane import RetriesPane

SIZE = (100, 42)


def utc(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts))


def fold(events) -> RetriesState:
    reducer = RetriesReducer()
    for event in events:
        reducer.apply(event)
    return reducer.state


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class PaneApp(App):
    """Mounts only the pane, fed by the reducer over synthetic events, with a frozen clock."""

    def __init__(self, events=(), now: float = T0 + 30) -> None:
        super().__init__()
        self.state = fold(events)
        self.clock = Clock(now)

    def compose(self) -> ComposeResult:
        yield RetriesPane(self.state, clock=self.clock, format_time=utc)


def text(app: App, section: str) -> str:
    return app.query_one(f"#retries-{section}", Static).content.plain


async def test_quiet_pane():
    app = PaneApp(scenarios.quiet())
    async with app.run_test(size=SIZE):
        pane = app.query_one(RetriesPane)
        assert pane.border_title == "Retries"
        assert not pane.has_class("-storming") and not pane.has_class("-looping")
        summary = text(app, "summary")
        assert "50/50" in summary and "refused 0" in summary and "0.0%" in summary
        assert "0 retries / 4 first tries" in summary
        assert "≈ an estimate" in str(app.query_one("#retries-summary", Static).tooltip)  # whose the tax is
        assert "Breakers  all closed" in text(app, "breakers")
        assert "none detected" in text(app, "loops")
        log = text(app, "log").splitlines()
        assert len(log) == 5 and all(line.split()[1] == "ok" for line in log[1:])
        assert log[1].startswith(" 22:13:50 ok")  # newest first
        assert log[1].rstrip().endswith("anthropic/claude-sonnet-4")


async def test_storming_pane():
    app = PaneApp(scenarios.storming())
    async with app.run_test(size=SIZE):
        pane = app.query_one(RetriesPane)
        assert pane.has_class("-storming")
        summary = text(app, "summary")
        assert "0/50" in summary and "refused 1" in summary
        assert "75.0% ALARM" in summary and "3 retries / 4 first tries" in summary
        assert "Backoff 3.2s" in summary and "short-circuited 1" in summary
        assert "3,000 tok · $0.0090 (45.0% of $0.0200)" in summary
        assert "Stopped anthropic/claude-sonnet-4: retry budget (server_error)" in summary
        breakers = text(app, "breakers").splitlines()
        assert breakers[1].startswith(" model OPEN half-open in 14 s  anthropic/claude-sonnet-4 · 5 consecutive")
        assert breakers[2].startswith(" tool  OPEN half-open in 54 s  mcp_search")
        log = text(app, "log").splitlines()
        assert log[1].split()[:5] == ["22:13:45", "stop:", "retry", "budget", "1/3"]
        assert log[6].split()[:5] == ["22:13:27", "retry", "2/3", "0.80s", "overloaded"]


async def test_the_countdown_follows_the_clock():
    app = PaneApp(scenarios.storming())
    async with app.run_test(size=SIZE):
        pane = app.query_one(RetriesPane)
        app.clock.now += 10
        pane.refresh_countdown()
        assert "half-open in 4 s" in text(app, "breakers")
        app.clock.now += 100
        pane.refresh_countdown()
        assert "half-open in 0 s" in text(app, "breakers")


async def test_loop_detected_pane():
    app = PaneApp(scenarios.looping())
    async with app.run_test(size=SIZE):
        pane = app.query_one(RetriesPane)
        assert pane.has_class("-looping") and not pane.has_class("-storming")
        loops = text(app, "loops").splitlines()
        assert loops[1] == " HALT repeated_call · read_file ×6  turn 1"
        assert loops[2].startswith("   Halted: the model kept calling `read_file`")
        assert loops[3] == " warn repeated_call · read_file ×5  turn 1"
        assert loops[4].startswith("   Loop check:")
        assert "Semantic errors  edit 2" in loops[5]
        assert "5,200 tok · $0.0156 (31.2% of $0.0500)" in text(app, "summary")


async def test_live_updates_from_the_same_reducer():
    app = PaneApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RetriesPane)
        assert "no attempts yet" in text(app, "log")
        reducer = RetriesReducer()
        for event in scenarios.storming():
            reducer.apply(event)
            pane.update_state(reducer.state)
        await pilot.pause()
        assert pane.has_class("-storming")
        assert "refused 1" in text(app, "summary")


def test_snapshot_quiet(snap_compare):
    assert snap_compare(PaneApp(scenarios.quiet()), terminal_size=SIZE)


def test_snapshot_storming(snap_compare):
    assert snap_compare(PaneApp(scenarios.storming()), terminal_size=SIZE)


def test_snapshot_loop_detected(snap_compare):
    assert snap_compare(PaneApp(scenarios.looping()), terminal_size=SIZE)


def test_snapshot_storming_narrow(snap_compare):
    """A side-pane width: long lines are cut with an ellipsis, not wrapped."""
    assert snap_compare(PaneApp(scenarios.storming()), terminal_size=(60, 34))
