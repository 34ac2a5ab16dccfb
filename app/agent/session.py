"""A session: one bus, one agent, a start and a finish.

Headless runs and the TUI both drive the core through this class; sinks are
subscribed to ``session.bus`` by whoever composes it.

A resumed session measures its restored conversation as it starts (a fresh
``ContextMeasured`` before any new task), and keeps the outcome it was stored with
(``previous_status``) unless a task runs in it: opening and closing it changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.agent.events import core as ev
from app.agent.bus import EventBus
from app.agent.limits import cost_limit_notice
from app.agent.loop import Agent, TurnResult
from app.agent.prompts import system_message

OUTCOME_TO_STATUS = {
    "completed": ev.SessionStatus.COMPLETED,
    "interrupted": ev.SessionStatus.INTERRUPTED,
    "failed": ev.SessionStatus.FAILED,
    "limit": ev.SessionStatus.LIMIT,
}


def new_session_id() -> str:
    return uuid.uuid4().hex[:16]


class Session:
    def __init__(self, bus: EventBus, agent: Agent, *, title: str = "", settings: dict[str, Any] | None = None,
                 api_base: str | None = None, resumed: bool = False, parent_id: str | None = None,
                 previous_status: ev.SessionStatus | None = None,
                 notices: tuple[ev.Notice, ...] = ()) -> None:
        self.bus = bus
        self.agent = agent
        self.title = title
        self.settings = settings or {}
        self.api_base = api_base
        self.resumed = resumed
        self.parent_id = parent_id
        self.last: TurnResult | None = None
        self.feedback: Any | None = None  # the FeedbackCollector, when composed with one
        # A resumed session's stored outcome, kept if no task runs (never "running": that one is being replaced).
        self.kept_status = previous_status if previous_status is not ev.SessionStatus.RUNNING else None
        self.finished = False
        self.notices = notices  # said at every start, after the sandbox's (e.g. untrusted project rules)

    @property
    def id(self) -> str:
        return self.bus.session_id

    def start(self) -> None:
        self.bus.emit(
            ev.SessionStarted(
                title=self.title,
                workspace=str(self.agent.workspace),
                model=self.agent.model.name,
                api_base=self.api_base,
                settings=self.settings,
                resumed=self.resumed,
                parent_id=self.parent_id,
            )
        )
        sandbox = self.agent.sandbox
        self.bus.emit(sandbox.state())
        for notice in (sandbox.notice(), cost_limit_notice(self.agent.config, self.agent.model), *self.notices):
            if notice is not None:
                self.bus.emit(notice)
        if not self.resumed and not self.agent.messages:
            self.agent.append_message(system_message(self.agent.workspace, sandbox))
        if self.resumed:
            self._measure_context()

    def _measure_context(self) -> None:
        """The restored conversation, measured now: the Context budget shows what it carries."""
        from app.agent.budget.snapshot import BudgetSnapshot

        agent = self.agent
        try:
            snapshot = agent.budget.measure(agent.messages, agent.tools.schemas(),
                                            max_output_tokens=agent.config.max_output_tokens)
        except Exception as exc:  # the first model call measures again; opening goes on
            self.bus.emit(ev.Notice(level="warning", message=f"The restored conversation could not be measured: {exc}"))
            return
        if isinstance(snapshot, BudgetSnapshot):  # None without a context budget
            self.bus.emit(snapshot.to_event(turn=agent.turn))

    async def run_task(self, text: str) -> TurnResult:
        self.kept_status = None  # a task runs: the stored outcome becomes this one's
        self.last = await self.agent.run_turn(text)
        return self.last

    def finish(self, status: ev.SessionStatus | None = None, reason: str = "") -> None:
        if self.finished:
            return
        self.finished = True
        if status is None:
            status = OUTCOME_TO_STATUS[self.last.outcome] if self.last else self.kept_status or ev.SessionStatus.COMPLETED
        self.bus.emit(ev.SessionEnding(status=status))
        self.bus.emit(ev.SessionFinished(status=status, reason=reason))
