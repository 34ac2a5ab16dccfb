"""The status bar: permission mode, sandbox, model, workspace, session, steps, tokens, cost, elapsed.

It is fed events through :meth:`StatusBar.apply` and reads time from an
injected ``clock`` (so snapshots can freeze it). YOLO mode is shown loudly, and
so is a session whose commands run unsandboxed (from ``SandboxState``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING, cast

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from app.agent.events.format import tokens
from widgets.session_stats import REDUCED_TYPES, SessionStats, clock_text

if TYPE_CHECKING:
    from app.agent.events import core as ev
    from app.agent.events.core import SandboxState

MODE_LABELS = {"ask": "ask", "accept_edits": "accept edits", "plan": "plan (read-only)", "yolo": "YOLO"}
MODE_STYLES = {"yolo": "bold $text-error on $error 30%", "plan": "bold $text-success on $success 20%"}


def display_model(name: str) -> str:
    """The model string, short: offline script paths keep only the file name."""
    if not name:
        return "—"
    provider, _, rest = name.partition("/")
    if provider in ("scripted", "replay") and rest:
        return f"{provider}/{PurePath(rest).name}"
    return name if len(name) <= 48 else name[:47] + "…"


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    """

    permission_mode: reactive[str] = reactive("ask")
    activity: reactive[str] = reactive("starting")

    def __init__(self, *, clock: Callable[[], float], id: str | None = None) -> None:
        super().__init__("", id=id)
        self.clock = clock
        self.stats = SessionStats()
        self.sandbox: SandboxState | None = None  # until the session says

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_text)
        self.refresh_text()

    def apply(self, event: ev.Event) -> None:
        self.stats.apply(event, self.clock())
        # Matched by type name: the events module is not imported before the first frame.
        if event.type == "sandbox_state":
            self.sandbox = cast("SandboxState", event)
        if event.type in REDUCED_TYPES or event.type == "sandbox_state":
            self.refresh_text()

    def restore(self, events: Iterable[ev.Event]) -> None:
        """A resumed session: its totals so far, from its stored events."""
        self.stats = SessionStats.restored(events)
        self.refresh_text()

    def reset(self) -> None:
        self.stats = SessionStats()
        self.sandbox = None
        self.refresh_text()

    def watch_permission_mode(self) -> None:
        self.refresh_text()

    def watch_activity(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        self.update(self.status_line())
        self.tooltip = self.stats.workspace or None

    def status_line(self) -> Content:
        s = self.stats
        mode = MODE_LABELS.get(self.permission_mode, self.permission_mode)
        mode_style = MODE_STYLES.get(self.permission_mode, "$text-primary on $primary 15%")
        workspace = PurePath(s.workspace).name if s.workspace else "—"
        line = Content.from_markup(
            " [b $text]$model[/] · $workspace · session $session · $activity · step $steps · "
            "$tin in / $tout out · $cost · ⏱ $elapsed",
            model=display_model(s.model),
            workspace=workspace,
            session=(s.session_id or "—")[:8],
            activity=self.activity,
            steps=str(s.steps),
            tin=tokens(s.tokens_in),
            tout=tokens(s.tokens_out),
            cost=s.cost.text(),
            elapsed=clock_text(s.elapsed(self.clock())),
        )
        # The permission mode and the sandbox come first, so a narrow terminal never hides YOLO or "unsandboxed".
        return Content.styled(f" {mode} ", mode_style) + self.sandbox_badge() + line

    def sandbox_badge(self) -> Content:
        if self.sandbox is None:
            return Content("")
        style = "$text-success" if self.sandbox.backend else "bold $text-error on $error 30%"
        return Content(" ") + Content.styled(f" {self.sandbox.label} ", style)
