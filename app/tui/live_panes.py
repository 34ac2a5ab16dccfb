"""The live panes of the side column, and the actions they lead back to the core.

``install_live_panes(app, session)`` mounts the Context budget, Retries and
Feedback panes in their slots and connects what the user does in them to the
session: drop / truncate / compact from the budget pane, ratings from the
inline feedback prompt. Anything that changes the session runs on the agent's
loop (``app.runner.call``), never on the UI thread; the panes themselves only
fold events through the same reducers replay uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from app.agent.events import core as ev
from app.agent.events.feedback import FeedbackAnswered, FeedbackDismissed, FeedbackSampled
from app.agent.events.feedback_view import FeedbackReducer, FeedbackState
from app.agent.resilience.config import ResilienceConfig
from app.agent.events.retries_view import RetriesReducer
from widgets.context_budget import ContextBudgetPane
from widgets.feedback_prompt import FeedbackPrompt
from widgets.retries_pane import RetriesPane

if TYPE_CHECKING:
    from app.agent.session import Session
    from app.tui.app import CockpitApp

REDRAW_S = 0.1  # bursts of events redraw a pane at most this often


class LiveRetriesPane(RetriesPane):
    """The Retries pane fed live: events fold into its reducer, redraws are coalesced.

    In the side column it is as tall as its content, up to a limit past which the
    attempt log scrolls.
    """

    DEFAULT_CSS = """
    LiveRetriesPane { height: auto; margin: 0 0 1 0; }
    LiveRetriesPane > VerticalScroll { height: auto; max-height: 24; }
    """

    def __init__(self, config: ResilienceConfig | None = None, **kwargs: Any) -> None:
        self.reducer = RetriesReducer(config or ResilienceConfig())
        super().__init__(self.reducer.state, **kwargs)
        self._dirty = False

    def on_agent_event(self, event: ev.Event) -> None:
        self.reducer.apply(event)
        if not self._dirty:
            self._dirty = True
            self.set_timer(REDRAW_S, self._redraw)

    def _redraw(self) -> None:
        self._dirty = False
        self.update_state(self.reducer.state)


def feedback_summary(state: FeedbackState) -> str:
    """A few lines on what was asked and answered in this session."""
    lines = [f"asked {state.asked} · answered {state.answered} · volunteered {state.volunteered}"]
    tasks = [t for t in state.tasks.values() if t.pi is not None]
    if tasks:
        last = tasks[-1]
        shown = "asked" if last.shown else "not asked"
        lines.append(f"last task: {last.category or '—'} · π={last.pi:.2f} u={last.u:.2f} → {shown}")
    lines.append("[dim]palette › Rate last task, any time[/dim]")
    return "\n".join(lines)


class FeedbackPane(Static):
    """The feedback slot: sampling decisions of this session, from the reducer."""

    DEFAULT_CSS = "FeedbackPane { height: auto; padding: 0 1; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("no task finished yet", markup=True, **kwargs)
        self.reducer = FeedbackReducer()

    def on_agent_event(self, event: ev.Event) -> None:
        self.reducer.apply(event)
        if event.type.startswith("feedback_") or isinstance(event, ev.TurnFinished):
            self.update(feedback_summary(self.reducer.state))


class FeedbackSlot(Vertical):
    """Holds an inline feedback prompt in the transcript and turns its answer into an event."""

    DEFAULT_CSS = "FeedbackSlot { height: auto; }"

    def __init__(self, app: "CockpitApp", session: "Session", task_id: str, source: str) -> None:
        super().__init__(id=f"feedback-{task_id.replace(':', '-')}-{source}")
        self._app = app
        self._session = session
        self.task_id = task_id
        self.source = source

    def compose(self) -> ComposeResult:
        yield FeedbackPrompt(self.task_id, source=self.source)

    def _emit(self, event: ev.Event) -> None:
        self._app.runner.call(self._session.bus.emit, event)

    def on_feedback_prompt_answered(self, message: FeedbackPrompt.Answered) -> None:
        message.stop()
        self._emit(FeedbackAnswered(task_id=message.task_id, source=message.source, rating=message.rating, comment=message.comment))
        self.remove()

    def on_feedback_prompt_dismissed(self, message: FeedbackPrompt.Dismissed) -> None:
        message.stop()
        if self.source == "solicited":
            self._emit(FeedbackDismissed(task_id=message.task_id, reason="dismissed"))
        self.remove()


class BudgetHost(Vertical):
    """Hosts the Context budget pane: passes events in, and its item actions out."""

    DEFAULT_CSS = "BudgetHost { height: auto; }"

    def __init__(self, live: "LivePanes") -> None:
        super().__init__()
        self.live = live
        self.pane = ContextBudgetPane()

    def compose(self) -> ComposeResult:
        yield self.pane

    def on_agent_event(self, event: ev.Event) -> None:
        self.pane.on_agent_event(event)

    def on_context_budget_pane_item_action(self, message: ContextBudgetPane.ItemAction) -> None:
        message.stop()
        self.live.on_item_action(message.action, message.item_id)


class LivePanes:
    """What one session shows in the side column, and the hooks back into it."""

    def __init__(self, app: "CockpitApp", session: "Session") -> None:
        self.app = app
        self.session = session
        self.context = BudgetHost(self)
        self.retries = LiveRetriesPane(getattr(session.agent.resilience, "config", None))
        self.feedback = FeedbackPane()

    async def mount(self) -> None:
        await self.app.mount_pane("context", self.context)
        await self.app.mount_pane("retries", self.retries)
        await self.app.mount_pane("feedback", self.feedback)
        self.app.compaction_hook = lambda app: self.compact_now()
        self.app.feedback_hook = lambda app: self.app.call_later(self.ask, None, "volunteered")

    # --- feedback ---------------------------------------------------------------------

    async def on_event(self, event: ev.Event) -> None:
        """Called for every core event after the panes: prompts come and go."""
        if isinstance(event, FeedbackSampled) and event.shown:
            await self.ask(event.task_id, "solicited")
        elif isinstance(event, FeedbackDismissed) and event.reason != "dismissed":
            for slot in self.app.query(FeedbackSlot):
                if slot.task_id == event.task_id and slot.source == "solicited":
                    await slot.remove()

    async def ask(self, task_id: str | None, source: str) -> None:
        task_id = task_id or self.feedback.reducer.state.last_task_id
        if task_id is None:
            self.app.notify("No finished task to rate yet.")
            return
        slot = FeedbackSlot(self.app, self.session, task_id, source)
        await self.app.transcript.add(slot)
        if source == "volunteered":  # asked for by the user: take the keys
            slot.query_one(FeedbackPrompt).focus()

    # --- context actions ------------------------------------------------------------------

    def compact_now(self) -> None:
        agent = self.session.agent
        if not agent.has_budget:
            self.app.notify("This session has no context budget.", severity="warning")
            return
        if self.app.runner.busy:
            self.app.notify("Compaction runs between turns: wait for this one to finish or press Esc.")
            return

        async def compact() -> None:
            if not await agent.compact(reason="manual"):
                agent.emit(ev.Notice(level="info", message="Nothing to compact: the conversation is already minimal."))

        self.app.runner.call(compact)

    def on_item_action(self, action: str, item_id: str) -> None:
        agent = self.session.agent
        if action == "compact":
            self.compact_now()
            return
        if action == "open":
            block = self.app.transcript.tool_block(item_id)
            if block is None:
                self.app.notify("That item is not in this transcript (it may come from before a resume).")
                return
            block.collapsed = False
            block.scroll_visible()
            return
        if action not in ("drop", "truncate") or not agent.has_budget:
            return
        if self.app.runner.busy:
            self.app.notify("Items can be changed between turns.")
            return

        def change() -> None:
            if action == "drop":
                agent.drop_item(item_id)
            else:
                agent.truncate_item(item_id)

        self.app.runner.call(change)



def compose_live_panes(app: "CockpitApp") -> None:
    """Give every session the app opens its live panes and feedback prompts."""
    current: dict[str, LivePanes] = {}

    async def opened(app: "CockpitApp", session: "Session") -> None:
        live = LivePanes(app, session)
        current["live"] = live
        await live.mount()

    async def listen(event: ev.Event) -> None:
        live = current.get("live")
        if live is not None and event.session_id == live.session.id:
            await live.on_event(event)

    app.session_opened_hook = opened
    app.add_event_listener(listen)
