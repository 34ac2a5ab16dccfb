"""The usage report as a screen: the figures of ``cockpit report``, with a sparkline of the tokens per
day and a bar per group. ``g`` changes the grouping, ``t`` the time range; the database is read on a
worker thread (its own connection), never on the UI's."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Sparkline, Static

from app.agent.events.format import UNKNOWN, cost_total, count_of, tokens
from app.commands.report_view import GROUPS, cells, columns_for, report_notes, report_table, unpriced_lines
from widgets.bar_chart import Bar, BarChart

RANGES = (None, "7d", "30d", "90d")  # None: every stored call
RANGE_WORDS = {None: "all time", "7d": "last 7 days", "30d": "last 30 days", "90d": "last 90 days"}


def day_series(days: list[dict[str, Any]], *, since: str | None = None,
               until: dt.date | None = None) -> tuple[list[float], str]:
    """Tokens (in + out) per day from the first day with calls to the last, a day without any a 0; and
    the span in words. ``since`` / ``until`` (a time range) widen it to the range's first and last day,
    so a single day of data is one column of the range, not the whole chart; a single day without a
    range gets a zero day before it for the same reason."""
    if not days:
        return [], ""
    by_day = {dt.date.fromisoformat(row["key"]): row["tokens_in"] + row["tokens_out"] for row in days if row["key"]}
    first, last = min(by_day), max(by_day)
    if since:
        first = min(first, dt.datetime.fromisoformat(since).date())
    if until:
        last = max(last, until)
    if first == last:
        first -= dt.timedelta(days=1)
    series = [float(by_day.get(first + dt.timedelta(days=n), 0)) for n in range((last - first).days + 1)]
    return series, f"{first.isoformat()} → {last.isoformat()}"


def group_label(by: str, key: str) -> str:
    """A group's name as a bar's label: a project is its folder (with its parent), a week its Monday."""
    if not key:
        return UNKNOWN
    if by == "project":
        return str(PurePath(*PurePath(key).parts[-2:]))
    return key


def bars(report: dict[str, Any]) -> list[Bar]:
    return [Bar(group_label(report["by"], row["key"]), row["tokens_in"] + row["tokens_out"],
                f"{tokens(row['tokens_in'] + row['tokens_out'])} · {cost_total(row['cost_usd'], unpriced=row['unpriced_calls'])}")
            for row in report["rows"]]


def headline(report: dict[str, Any]) -> str:
    """The totals on three short lines (whole at 80 columns)."""
    row, total = report["total"], cells(report["total"])
    return (f"{total['tokens_in']} in · {total['tokens_out']} out · {total['cached_tokens']} cached "
            f"({total['cache_hit_rate']} hit) · cost {total['cost_usd']}\n"
            f"retry tax {total['retry_tax']} · wasted {total['wasted']}\n"
            f"{count_of(row['loop_hits'], 'loop hit')} · {count_of(row['compactions'], 'compaction')} · "
            f"{count_of(row['sessions'], 'session')} · {count_of(row['calls'], 'call')}")


class ReportScreen(Screen[None]):
    """Usage across every stored session: totals, tokens per day, a bar per group, the table."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="report.close", tooltip="Back to the session"),
        Binding("g", "group", "Group by", id="report.group",
                tooltip="By day, week, month, model, project, source or role"),
        Binding("t", "range", "Time range", id="report.range", tooltip="All time, the last 7, 30 or 90 days"),
        Binding("r", "reload", "Reload", id="report.reload", tooltip="Read the database again"),
    ]
    DEFAULT_CSS = """
    ReportScreen #report-title { padding: 0 1; text-style: bold; background: $panel; }
    ReportScreen #report-body { padding: 0 1; }
    ReportScreen .section { color: $text-muted; text-style: bold; margin: 1 0 0 0; }
    ReportScreen #report-spark { height: 2; }
    ReportScreen #report-notes { color: $text-muted; margin: 1 0 0 0; }
    """

    def __init__(self, db: Any, *, by: str = "day", now: dt.datetime | None = None) -> None:
        super().__init__()
        self.db = db
        self.by = by if by in GROUPS else "day"
        self.range: str | None = None
        self.now = now  # the clock "last 7 days" counts from (tests fix it)
        self.report: dict[str, Any] | None = None
        self.days: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static(id="report-title")
        with VerticalScroll(id="report-body"):
            yield Static("Reading the database…", id="report-headline")
            yield Static(classes="section", id="report-spark-label")
            yield Sparkline([], id="report-spark")
            yield Static(classes="section", id="report-bars-label")
            yield BarChart(id="report-bars")
            yield Static(classes="section", id="report-table-label")
            yield Static(id="report-table")
            yield Static(id="report-notes")
        yield Footer()

    def on_mount(self) -> None:
        self._title()
        self.action_reload()

    def on_resize(self) -> None:
        if self.report is not None:
            self._show_table(self.report)

    # --- actions ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._load(self.by, self.range)

    def action_group(self) -> None:
        self.by = GROUPS[(GROUPS.index(self.by) + 1) % len(GROUPS)]
        self._title()
        self.action_reload()

    def action_range(self) -> None:
        self.range = RANGES[(RANGES.index(self.range) + 1) % len(RANGES)]
        self._title()
        self.action_reload()

    def action_close(self) -> None:
        self.dismiss(None)

    # --- reading and showing -----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="usage-report", exit_on_error=False)
    def _load(self, by: str, range_: str | None) -> None:
        from app.commands.since import parse_since
        from storage.report import usage_report

        since = parse_since(range_, now=self.now) if range_ else None
        report = usage_report(self.db, by=by, since=since)
        days = report["rows"] if by == "day" else usage_report(self.db, by="day", since=since)["rows"]
        self.app.call_from_thread(self.show, report, days)

    def show(self, report: dict[str, Any], days: list[dict[str, Any]]) -> None:
        self.report, self.days = report, days
        if not report["rows"]:
            self.query_one("#report-headline", Static).update(
                f"No model calls ({RANGE_WORDS[self.range]}). Sessions you run or import (cockpit import) count here.")
            for part in ("#report-spark-label", "#report-bars-label", "#report-table-label", "#report-table",
                         "#report-notes"):
                self.query_one(part, Static).update("")
            self.query_one(Sparkline).data = []
            self.query_one(BarChart).show([])
            return
        self.query_one("#report-headline", Static).update(headline(report))
        until = (self.now or dt.datetime.now(dt.timezone.utc)).date() if report["since"] else None
        series, span = day_series(days, since=report["since"], until=until)
        self.query_one("#report-spark-label", Static).update(f"Tokens per day (UTC), {span}")
        self.query_one(Sparkline).data = series
        self.query_one("#report-bars-label", Static).update(f"Tokens and cost by {report['by']}")
        self.query_one(BarChart).show(bars(report))
        self.query_one("#report-table-label", Static).update(f"By {report['by']}")
        self._show_table(report)
        self.query_one("#report-notes", Static).update(Text("\n".join([*unpriced_lines(report),
                                                                         *report_notes(report)])))

    def _show_table(self, report: dict[str, Any]) -> None:
        self.query_one("#report-table", Static).update(report_table(report, columns_for(self.size.width)))

    def _title(self) -> None:
        self.query_one("#report-title", Static).update(
            f"Usage report — every stored session, by {self.by}, {RANGE_WORDS[self.range]}")
