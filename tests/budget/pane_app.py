"""A tiny app that mounts only the Context budget pane (for Pilot and snapshot tests)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from app.agent.events.budget_view import BudgetState
from widgets.context_budget import ContextBudgetPane


class PaneApp(App[None]):
    def __init__(self, state: BudgetState | None = None) -> None:
        super().__init__()
        self.initial_state = state
        self.actions: list[ContextBudgetPane.ItemAction] = []

    def compose(self) -> ComposeResult:
        yield ContextBudgetPane(id="budget")

    def on_mount(self) -> None:
        pane = self.query_one(ContextBudgetPane)
        if self.initial_state is not None:
            pane.update_state(self.initial_state)
            pane.flush()
        self.query_one("#top").focus()

    def on_context_budget_pane_item_action(self, message: ContextBudgetPane.ItemAction) -> None:
        self.actions.append(message)
