"""The Report screen: the figures of ``cockpit report`` with a sparkline of tokens per day and a bar per
group; ``g`` and ``t`` change the grouping and the time range; /report and the palette open it.
Snapshots at 80x24, 100x30 and 160x45 over a database with fixed times (stored events)."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.app import App
from textual.widgets import Sparkline

from app.agent.events import core as ev
from app.agent.events.budget import CompactionPerformed
from app.agent.events.resilience import LoopDetected, RetryTaxAccrued
from app.tui.screens.report import ReportScreen, day_series
from storage.db import open_db
from storage.report import usage_report
from tests.support.store import store_events
from widgets.bar_chart import BarChart, bar_text

DAY = 86_400.0
START = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc).timestamp()  # a Monday
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)


def _calls(sid: str, model: str, n: int, prompt: int, cached: int | None, usd_per_call: float | None) -> list[ev.Event]:
    events: list[ev.Event] = []
    for step in range(1, n + 1):  # call ids are unique across sessions, as the real ones (mc_…) are
        events += [ev.ModelCallStarted(call_id=f"mc_{sid}.{step}", turn=1, step=step, model=model),
                   ev.ModelCallFinished(call_id=f"mc_{sid}.{step}", turn=1, step=step, model=model, cost_usd=usd_per_call,
                                        cost_source=ev.COST_LITELLM if usd_per_call is not None else None,
                                        usage={"prompt_tokens": prompt, "completion_tokens": prompt // 20,
                                               "cached_tokens": cached, "reported": True})]
    return events


def fill(db) -> None:
    """Five sessions over nine days: two models priced, one local model unpriced (its server sends no cache
    field: its cache figures are unknown), an import from Claude Code."""
    sessions = [
        ("a", 0, "anthropic/claude-sonnet-4-5", "/home/dev/shop", "cockpit", 6, 12_000, 9_000, 0.021),
        ("b", 1, "anthropic/claude-sonnet-4-5", "/home/dev/shop", "cockpit", 9, 18_000, 15_000, 0.030),
        ("c", 3, "openai/gpt-4.1-mini", "/home/dev/blog", "cockpit", 4, 6_000, 0, 0.002),
        ("d", 4, "openai/my-local-qwen", "/home/dev/blog", "cockpit", 5, 4_000, None, None),  # no cache field sent
        ("e", 8, "claude-opus-4-5-20251101", "/home/dev/shop", "claude-code", 3, 40_000, 38_000, 0.090),
    ]
    for sid, day, model, workspace, source, n, prompt, cached, usd in sessions:
        extra: list[ev.Event] = []
        if sid == "b":
            extra = [RetryTaxAccrued(call_id="mc_b.2", attempt=1, model=model, tokens=18_000, usd=0.054,
                                     reason="resent_input", source="provider"),
                     LoopDetected(pattern="repeated_call", action="warn", tool="bash", count=3),
                     CompactionPerformed(step="summarize", tokens_before=150_000, tokens_after=30_000)]
        store_events(db, [ev.SessionStarted(model=model, workspace=workspace, source=source, title=f"task {sid}"),
                          ev.TurnStarted(turn=1, user_text=f"task {sid}"), *_calls(sid, model, n, prompt, cached, usd),
                          *extra], session_id=sid, start_ts=START + day * DAY)


@pytest.fixture
def report_db(tmp_path):
    path = tmp_path / "report.db"
    db = open_db(path)
    fill(db)
    db.close()
    return path


class ReportApp(App[None]):
    def __init__(self, db_path, by: str = "day") -> None:
        super().__init__()
        self.db_path, self.by = db_path, by

    def on_mount(self) -> None:
        self.push_screen(ReportScreen(open_db(self.db_path), by=self.by, now=NOW))


async def _loaded(pilot) -> ReportScreen:
    screen = pilot.app.screen
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return screen


def test_the_bars_are_shares_of_the_largest_to_an_eighth_of_a_cell():
    assert bar_text(10, 10, 4) == "████"
    assert bar_text(5, 10, 4) == "██"
    assert bar_text(1, 10, 4) == "▍"  # 3.2 eighths → 3
    assert bar_text(0.001, 10, 4) == "▏"  # a positive value is never invisible
    assert bar_text(0, 10, 4) == ""


def test_the_day_series_has_a_zero_for_a_day_without_calls(report_db):
    db = open_db(report_db)
    series, span = day_series(usage_report(db, by="day")["rows"])
    assert span == "2026-11-23 → 2026-12-01" and len(series) == 9
    assert series[2] == 0.0 and series[0] == 6 * (12_000 + 600)


async def test_the_screen_shows_the_reports_figures_and_g_t_change_them(report_db):
    app = ReportApp(report_db)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _loaded(pilot)
        report = usage_report(open_db(report_db), by="day")
        assert screen.report == report
        assert [bar.label for bar in screen.query_one(BarChart).bars] == [row["key"] for row in report["rows"]]
        assert len(screen.query_one(Sparkline).data) == 9
        await pilot.press("g")  # week
        screen = await _loaded(pilot)
        assert screen.report["by"] == "week" and [r["key"] for r in screen.report["rows"]] == ["2026-11-23", "2026-11-30"]
        await pilot.press("t")  # the last 7 days, counted from NOW
        screen = await _loaded(pilot)
        assert screen.report["since"] == "2026-11-24T12:00:00+00:00"
        assert screen.report["total"]["sessions"] == 3  # c, d and e: a and b are older
        await pilot.press("escape")
        assert not isinstance(app.screen, ReportScreen)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)])
def test_snapshot_report_by_day(snap_compare, report_db, size):
    async def settle(pilot) -> None:
        await _loaded(pilot)

    assert snap_compare(ReportApp(report_db), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)])
def test_snapshot_report_by_model_with_unpriced_usage(snap_compare, report_db, size):
    async def settle(pilot) -> None:
        await _loaded(pilot)
        pilot.app.screen.query_one("#report-body").scroll_end(animate=False)
        await pilot.pause()

    assert snap_compare(ReportApp(report_db, by="model"), terminal_size=size, run_before=settle)


def test_one_day_of_data_is_one_column_of_the_range_not_the_whole_sparkline():
    day = [{"key": "2026-12-01", "tokens_in": 900, "tokens_out": 100}]
    series, span = day_series(day, since="2026-11-24T12:00:00+00:00", until=dt.date(2026, 12, 1))
    assert series == [0.0] * 7 + [1000.0] and span == "2026-11-24 → 2026-12-01"
    series, span = day_series(day)  # all time, one day: a zero day before it
    assert series == [0.0, 1000.0] and span == "2026-11-30 → 2026-12-01"
