"""The live panes of the side column, and the actions they lead back to the core.

:class:`LivePanes` is what one session shows in the side column: the Todo list, the Context budget,
Retries and Feedback panes (each fed every event by the app through ``apply(event)``,
folding it into the same reducer replay uses), and what the user does with them:
drop / truncate / open / compact from the budget pane, the inline feedback prompts.
Anything that changes the session runs on the agent's loop (``app.runner.call``),
never on the UI thread. A resumed session's panes start from its stored events
(:meth:`LivePanes.restore`), folded into the same reducers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget

from app.agent.events import core as ev
from app.agent.events.feedback import FeedbackAnswered, FeedbackDismissed
from app.agent.events.retries_view import RetriesReducer
from app.agent.events.todo import TodoList
from app.agent.resilience.config import ResilienceConfig
from app.tui.panes import NoSessionPanes
from widgets.context_budget import ContextBudgetPane
from widgets.feedback_pane import LIVE_HINT, FeedbackPane
from widgets.feedback_prompt import FeedbackPrompt
from widgets.retries_pane import RetriesPane
from widgets.todo_pane import TodoPane

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

    def apply(self, event: ev.Event) -> None:
        self.reducer.apply(event)
        if not self._dirty:
            self._dirty = True
            self.set_timer(REDRAW_S, self._redraw)

    frozen_history = False  # a resumed session's objects were frozen (LivePanes.restore)

    def on_unmount(self) -> None:
        """The session's panes go: so does what its resume froze (not when the app closes)."""
        app = self.app
        if self.frozen_history and not (app._closing or app._exit):  # after the next frame, which drops the
            app.call_after_refresh(_collect_and_freeze, True)  # last arrangements holding the old blocks

    def _redraw(self) -> None:
        self._dirty = False
        self.update_state(self.reducer.state)

    def restore(self, events: Sequence[ev.Event]) -> None:
        """Fold a resumed session's stored events, then redraw once."""
        for event in events:
            self.reducer.apply(event)
        self._redraw()


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


class LivePanes(NoSessionPanes):
    """What one session shows in the side column, and the actions that lead back into it."""

    def __init__(self, app: "CockpitApp", session: "Session") -> None:
        super().__init__(app)
        self.session = session
        self.context = ContextBudgetPane()
        self.retries = LiveRetriesPane(getattr(session.agent.resilience, "config", None))
        self.feedback = FeedbackPane(hint=LIVE_HINT)
        self.todos = TodoPane()

    def widgets(self) -> dict[str, Widget]:
        return {"context": self.context, "retries": self.retries, "feedback": self.feedback, "todos": self.todos}

    async def restore(self, events: Sequence[ev.Event]) -> None:
        """A resumed session: its stored events folded into each pane's reducer, one redraw each
        (no inline prompt is asked for on the way)."""
        context, feedback = self.context.reducer, self.feedback.reducer
        for event in events:
            context.apply(event)
            feedback.apply(event)
        feedback.state.pending_prompt = None  # a prompt of the earlier run is not on screen (it may have crashed)
        self.context.update_state(context)
        self.context.flush()  # now, not after the coalescing delay: the resumed session shows at once
        self.feedback.update_state(feedback.state)
        self.retries.restore(events)
        self.todos.update_state(TodoList.of(events))
        _collect_and_freeze()
        self.retries.frozen_history = True


    # --- feedback ---------------------------------------------------------------------

    async def prompt_changed(self, task_id: str | None, previous: str | None) -> None:
        """The sampled prompt on screen follows the feedback reducer's ``pending_prompt``."""
        if previous is not None:  # answered, dismissed or given up: it goes
            for slot in self.app.query(FeedbackSlot):
                if slot.task_id == previous and slot.source == "solicited":
                    await slot.remove()
        if task_id is not None:
            await self.ask(task_id, "solicited")

    def rate_last_task(self) -> None:
        self.app.call_later(self.ask, None, "volunteered")

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

    def open_item(self, item_id: str) -> None:
        """A tool result: its block, opened; any other item (an @path attachment, the environment, an
        instruction file, a message): its text as the model gets it, in a modal."""
        block = self.app.transcript.tool_block(item_id)
        if block is not None:
            block.collapsed = False
            block.scroll_visible()
            return
        text = self.session.agent.budget.item_text(list(self.session.agent.messages), item_id)
        if text is None:
            self.app.notify("That item is no longer in the conversation.")
            return
        from widgets.context_budget_help import ContextBudgetHelp

        label = next((item["label"] for item in self.context.state.top_items() if item["id"] == item_id), item_id)
        self.app.push_screen(ContextBudgetHelp(text, title=f"{label} — as the model gets it"))

    def item_action(self, action: str, item_id: str) -> None:
        agent = self.session.agent
        if action == "compact":
            self.compact_now()
            return
        if action == "open":
            self.open_item(item_id)
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


def _collect_and_freeze(unfreeze: bool = False) -> None:
    """What a resumed session built (its fold, the panes' states, the transcript's widgets: ~130,000 objects
    for 1,000 turns) lives as long as the session: out of the collector's reach, as start-up's imports are
    (``app/tui/gc_tuning.py``). Otherwise every collection of the older generations during a stream walks it
    again (a 1,000-turn session: 43 ms a time against 30 ms, UI pauses a key waits behind). Its garbage is
    collected first, once, so none is frozen; when the session's panes go (another session), ``unfreeze``:
    what it froze is collected too (its widgets' cycles), and what still lives is frozen again (a block a Textual
    cache still holds then stays frozen until the next switch collects it)."""
    import gc

    if unfreeze:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
