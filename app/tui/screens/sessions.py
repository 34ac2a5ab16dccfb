"""The Sessions screen: browse, search, filter and sort stored sessions; act on one.

A table of sessions (title, workspace, model, started, duration, steps, tokens,
cost, outcome, feedback); a narrow screen keeps the columns that matter most
(title, outcome, cost, started, model…: ``column_widths``), long titles cut with ….
Above it: a search box (full-text over prompts,
answers and tool output, debounced), status and source filters, and "this
workspace only". Sort by clicking a header or with ``s`` (next column) / ``S``
(reverse). On the highlighted row: Enter or ``o`` opens a summary, ``r``
resumes, ``p`` replays (pushes :class:`ReplayScreen`), ``x`` exports Markdown
into the current folder, ``d`` deletes after a confirmation.

Every database read and write runs on a thread worker; the UI thread only draws.

**Resume** is a screen result: the screen is dismissed with
``("resume", session_id)``; the app that pushed it resumes that session (for
``CockpitApp``: ``switch_session(resume=session_id)``). Esc dismisses with None.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Select, Static
from textual.worker import Worker, WorkerState

from app.agent.events.format import UNKNOWN, cost_with_source, duration, summary_retry_tax, token_totals, tool_outcomes
from app.tui.screens.sessions_data import (
    COLUMNS, SOURCES, STATUSES, SessionQuery, cells, column_widths, load_sessions, sort_rows,
)

DEBOUNCE_S = 0.3
SUMMARY_WIDTH = 46  # the summary beside the table (#sessions-summary)
SORTABLE = tuple(COLUMNS)


class ConfirmDelete(ModalScreen[bool]):
    """Asks before a session is deleted for good."""

    DEFAULT_CSS = """
    ConfirmDelete { align: center middle; }
    ConfirmDelete > Vertical {
        width: 64; height: auto; padding: 1 2;
        border: thick $error 60%; background: $surface;
    }
    ConfirmDelete #confirm-text { margin: 0 0 1 0; }
    ConfirmDelete Horizontal { height: auto; align-horizontal: right; }
    ConfirmDelete Button { margin: 0 0 0 2; }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Delete", id="sessions.confirm_delete", tooltip="Delete the session"),
        Binding("n,escape", "answer(False)", "Cancel", id="sessions.cancel_delete", tooltip="Keep the session"),
    ]

    def __init__(self, session_id: str, title: str) -> None:
        super().__init__()
        self.session_id = session_id
        self.session_title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.from_markup(
                    "[b]Delete session $title?[/b]\n$id\n\nIts events, messages, model and tool calls and its "
                    "budget, retries, feedback and search rows are removed. This cannot be undone.",
                    title=self.session_title or "(untitled)",
                    id=self.session_id,
                ),
                id="confirm-text",
            )
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Delete", variant="error", id="delete")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete")

    def action_answer(self, delete: bool) -> None:
        self.dismiss(delete)


class SessionsScreen(Screen[tuple[str, str] | None]):
    """Stored sessions: search, filter, sort; open, resume, replay, export, delete."""

    DEFAULT_CSS = """
    SessionsScreen { layout: vertical; }
    SessionsScreen #sessions-filters { height: 1; margin: 0 0 1 0; padding: 0 1; }
    SessionsScreen #sessions-search { width: 1fr; margin: 0 1 0 0; }
    SessionsScreen #sessions-status, SessionsScreen #sessions-source { width: 22; }
    SessionsScreen #sessions-here { width: auto; }
    SessionsScreen #sessions-body { height: 1fr; }
    SessionsScreen #sessions-table { height: 1fr; }
    SessionsScreen #sessions-summary {
        width: 46; height: 1fr; padding: 0 1; display: none;
        border-left: outer $panel-lighten-2;
    }
    SessionsScreen #sessions-summary.-open { display: block; }
    SessionsScreen #sessions-count { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("slash", "focus_search", "Search", id="sessions.search", tooltip="Search prompts, answers and tool output"),
        Binding("o", "open", "Open", id="sessions.open", tooltip="Show the summary of the highlighted session"),
        Binding("r", "resume", "Resume", id="sessions.resume", tooltip="Continue the highlighted session"),
        Binding("p", "replay", "Replay", id="sessions.replay", tooltip="Replay the highlighted session step by step"),
        Binding("x", "export", "Export", id="sessions.export", tooltip="Write the highlighted session as Markdown into the current folder"),
        Binding("d,delete", "delete", "Delete", id="sessions.delete", tooltip="Delete the highlighted session (asks first)"),
        Binding("s", "sort_next", "Sort", id="sessions.sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse", id="sessions.sort_reverse", show=False, tooltip="Reverse the sort order"),
        Binding("w", "toggle_here", "This workspace", id="sessions.here", show=False, tooltip="Only sessions of this workspace"),
        Binding("escape", "close", "Close", id="sessions.close", tooltip="Close the summary, or leave this screen"),
    ]

    class Loaded(Message):
        """The table shows a fresh read of the database."""

        def __init__(self, rows: int) -> None:
            super().__init__()
            self.rows = rows

    def __init__(
        self,
        db: Any,
        *,
        workspace: str | None = None,
        current_session_id: str | None = None,
        export_dir: Path | None = None,
        debounce_s: float = DEBOUNCE_S,
        replay_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.workspace = workspace
        self.current_session_id = current_session_id
        self.export_dir = export_dir
        self.debounce_s = debounce_s
        self.replay_options = replay_options or {}
        self.rows: list[dict[str, Any]] = []  # as shown, in order
        self.sort_column = "started"
        self.sort_reverse = True
        self._debounce: Timer | None = None
        self._summary_for: str | None = None
        self._widths: dict[str, int] = {}  # the columns shown and their widths

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="sessions-filters"):
            yield Input(placeholder="Search prompts, answers, tool output…  (/)", id="sessions-search", compact=True)
            yield Select([(s, s) for s in STATUSES], prompt="any status", id="sessions-status", compact=True)
            yield Select([(s, s) for s in SOURCES], prompt="any source", id="sessions-source", compact=True)
            yield Checkbox("this workspace", value=False, id="sessions-here", compact=True,
                           disabled=self.workspace is None)
        with Horizontal(id="sessions-body"):
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="sessions-summary")
        yield Static("Reading sessions…", id="sessions-count")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#sessions-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    # --- reading ---------------------------------------------------------------------

    def current_query(self) -> SessionQuery:
        status = self.query_one("#sessions-status", Select).value
        source = self.query_one("#sessions-source", Select).value
        here = self.query_one("#sessions-here", Checkbox).value
        return SessionQuery(
            search=self.query_one("#sessions-search", Input).value,
            status=status if isinstance(status, str) else None,
            source=source if isinstance(source, str) else None,
            workspace=self.workspace if here else None,
        )

    def reload(self) -> None:
        """Read the sessions again (on a worker) with the current search and filters."""
        self._load(self.current_query())

    @work(thread=True, exclusive=True, group="sessions-load", exit_on_error=False, description="read sessions")
    def _load(self, query: SessionQuery) -> list[dict[str, Any]]:
        return load_sessions(self.db, query)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR:
            self.notify(f"{worker.description}: {worker.error}", severity="error", timeout=10)
            return
        if event.state is not WorkerState.SUCCESS:
            return
        if worker.group == "sessions-load":
            self._fill(worker.result)
        elif worker.group == "sessions-summary":
            self._show_summary(worker.result)
        elif worker.group == "sessions-export":
            self.notify(f"Exported to {worker.result}", title="Session exported", timeout=10)
        elif worker.group == "sessions-delete":
            session_id, counts = worker.result
            removed = sum(n for table, n in counts.items() if table != "sessions")
            self.notify(f"Deleted session {session_id[:12]} ({removed:,} rows).", title="Session deleted")
            if self._summary_for == session_id:
                self._close_summary()
            self.reload()

    # --- the table ----------------------------------------------------------------------

    def _fill(self, rows: list[dict[str, Any]]) -> None:
        table = self.table
        keep = self.highlighted_id()
        self.rows = sort_rows(rows, self.sort_column, self.sort_reverse)
        table.clear(columns=True)
        headers = self._headers()
        self._widths = column_widths(self.rows, headers, self._table_width())
        for key, width in self._widths.items():
            table.add_column(headers[key], key=key, width=width)
        for row in self.rows:
            table.add_row(*cells(row, self._widths), key=row["id"])
        ids = [r["id"] for r in self.rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)
        count = f"{len(rows)} session" + ("" if len(rows) == 1 else "s")
        by = f"sorted by {COLUMNS[self.sort_column].lower()} {'↓' if self.sort_reverse else '↑'}"
        self.query_one("#sessions-count", Static).update(f"{count} · {by}")
        self.post_message(self.Loaded(len(rows)))

    def _headers(self) -> dict[str, str]:
        arrow = " ▼" if self.sort_reverse else " ▲"
        return {key: label + (arrow if key == self.sort_column else "") for key, label in COLUMNS.items()}

    def _table_width(self) -> int:
        """Cells the table has: the screen's width, less the summary when it is open and the scrollbar
        when the rows do not all fit."""
        table = self.table
        summary_open = self.query_one("#sessions-summary", Static).has_class("-open")
        width = self.app.size.width - (SUMMARY_WIDTH if summary_open else 0)
        scrollbar = 1 if len(self.rows) + 1 > (table.size.height or self.app.size.height) else 0
        return width - scrollbar

    def _refit(self) -> None:
        """Choose the columns again when the room for them changed."""
        if self.rows and column_widths(self.rows, self._headers(), self._table_width()) != self._widths:
            self._fill(self.rows)

    def on_resize(self) -> None:
        self._refit()

    def highlighted_id(self) -> str | None:
        table = self.table
        if not self.rows or table.cursor_row is None or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]["id"]

    def _highlighted(self) -> dict[str, Any] | None:
        session_id = self.highlighted_id()
        if session_id is None:
            self.notify("No session selected.", severity="warning", timeout=3)
            return None
        return next(r for r in self.rows if r["id"] == session_id)

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else column in ("started", "cost", "tokens", "steps", "duration")
        self.sort_column, self.sort_reverse = column, reverse
        self._fill(self.rows)

    @on(DataTable.HeaderSelected, "#sessions-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by(str(event.column_key.value))

    @on(DataTable.RowSelected, "#sessions-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    # --- search and filters ---------------------------------------------------------------

    @on(Input.Changed, "#sessions-search")
    def _search_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(self.debounce_s, self._search_now, name="sessions-search")

    def _search_now(self) -> None:
        self._debounce = None
        self.reload()

    @on(Input.Submitted, "#sessions-search")
    def _search_submitted(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self.reload()
        self.table.focus()

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _filter_changed(self) -> None:
        self.reload()

    # --- actions ---------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#sessions-search", Input).focus()

    def action_toggle_here(self) -> None:
        box = self.query_one("#sessions-here", Checkbox)
        if not box.disabled:
            box.value = not box.value

    def action_sort_next(self) -> None:
        index = SORTABLE.index(self.sort_column)
        self.sort_by(SORTABLE[(index + 1) % len(SORTABLE)])

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column, not self.sort_reverse)

    def action_open(self) -> None:
        row = self._highlighted()
        if row is not None:
            self._summary_for = row["id"]
            self._read_summary(row["id"])

    @work(thread=True, exclusive=True, group="sessions-summary", exit_on_error=False, description="read the summary")
    def _read_summary(self, session_id: str) -> dict[str, Any]:
        from storage.queries import session_summary

        return session_summary(self.db, session_id)

    def _show_summary(self, s: dict[str, Any]) -> None:
        panel = self.query_one("#sessions-summary", Static)
        panel.update(render_summary(s))
        panel.add_class("-open")
        self._refit()

    def _close_summary(self) -> None:
        self._summary_for = None
        self.query_one("#sessions-summary", Static).remove_class("-open")
        self._refit()

    def action_resume(self) -> None:
        row = self._highlighted()
        if row is None:
            return
        if row["id"] == self.current_session_id:
            self.notify("That is the session you are in.", timeout=3)
            return
        self.dismiss(("resume", row["id"]))

    def action_replay(self) -> None:
        from app.tui.screens.replay import ReplayScreen

        row = self._highlighted()
        if row is not None:
            self.app.push_screen(ReplayScreen(self.db, row["id"], title=row.get("title") or "", **self.replay_options))

    def action_export(self) -> None:
        row = self._highlighted()
        if row is not None:
            self._export(row["id"])

    @work(thread=True, exclusive=True, group="sessions-export", exit_on_error=False, description="export")
    def _export(self, session_id: str) -> Path:
        from app.tui.session_files import export_markdown

        return export_markdown(self.db, session_id, self.export_dir)  # None: the data folder

    def action_delete(self) -> None:
        row = self._highlighted()
        if row is None:
            return
        if row["id"] == self.current_session_id:
            self.notify("The session you are in cannot be deleted.", severity="warning", timeout=4)
            return
        session_id = row["id"]

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(session_id)

        self.app.push_screen(ConfirmDelete(session_id, row.get("title") or ""), answered)

    @work(thread=True, exclusive=True, group="sessions-delete", exit_on_error=False, description="delete")
    def _delete(self, session_id: str) -> tuple[str, dict[str, int]]:
        from storage.delete import delete_session

        return session_id, delete_session(self.db, session_id)

    def action_close(self) -> None:
        if self._summary_for is not None:
            self._close_summary()
        else:
            self.dismiss(None)


def render_summary(s: dict[str, Any]) -> Content:
    """The summary panel: ``storage.queries.session_summary`` laid out."""
    lines = [
        ("session", f"{s['id']} ({s['source']})"),
        ("model", s.get("model") or ""),
        ("workspace", s.get("workspace") or ""),
        ("status", s.get("status") or ""),
        ("started", f"{(s.get('started_at') or '')[:19].replace('T', ' ')} · {duration(s.get('duration_s'))}"),
        ("steps", str(s.get("steps", 0))),
        ("model calls", f"{s['model_calls']} ({s['model_call_errors']} failed)"),
        ("tool calls", f"{s['tool_calls']} ({tool_outcomes(s)})"),
        ("tokens", token_totals(s["tokens_in"], s["tokens_out"], s["tokens_cached"]) if s["counted_calls"] else UNKNOWN),
        ("cost", cost_with_source(s["cost_usd"], unpriced=s["unpriced_calls"], sources=s["cost_sources"])
         + (f" (retry tax {summary_retry_tax(s)})"
            if s.get("wasted_tokens") else "")),
        ("events", f"{s['events']:,}"),
    ]
    title = Content.styled(s.get("title") or "(untitled)", "bold")
    body = [Content.assemble((f"{label:<12}", "$text-muted"), value) for label, value in lines]
    hint = Content.styled("r resume · p replay · x export · d delete · Esc close", "$text-muted")
    return Content("\n").join([title, Content(""), *body, Content(""), hint])
