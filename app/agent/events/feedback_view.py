"""The feedback reducer: live panes and replay fold the same events into the same state.

``FeedbackReducer.apply(event)`` keeps, for the session being watched, the
sampling decision, answers and implicit signals of every task, which prompt is
on screen (``pending_prompt``) and which task a volunteered rating is about
(``last_task_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.agent.events import core as ev
from app.agent.events.feedback import (
    SOLICITED,
    FeedbackAnswered,
    FeedbackDismissed,
    FeedbackSampled,
    ImplicitSignals,
    task_id_for,
)


@dataclass
class TaskFeedback:
    task_id: str
    turn: int = 0
    pi: float | None = None
    u: float | None = None
    shown: bool = False
    category: str = ""
    reasons: list[str] = field(default_factory=list)
    response: str | None = None  # None | "pending" | "answered" | "dismissed"
    rating: str | None = None  # the solicited answer
    comment: str = ""
    volunteered: str | None = None  # the last volunteered rating
    volunteered_comment: str = ""
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass
class FeedbackState:
    tasks: dict[str, TaskFeedback] = field(default_factory=dict)
    pending_prompt: str | None = None  # task id of the prompt on screen
    running_task_id: str | None = None
    last_task_id: str | None = None  # the last completed task

    @property
    def asked(self) -> int:
        return sum(t.shown for t in self.tasks.values())

    @property
    def answered(self) -> int:
        return sum(t.response == "answered" for t in self.tasks.values())

    @property
    def volunteered(self) -> int:
        return sum(t.volunteered is not None for t in self.tasks.values())


class FeedbackReducer:
    def __init__(self, state: FeedbackState | None = None) -> None:
        self.state = state or FeedbackState()
        self._imported = False  # another agent's session: nothing sampled, its finished turns are the tasks

    def apply(self, event: ev.Event) -> None:
        s = self.state
        if isinstance(event, ev.SessionStarted):
            self._imported = event.source != ev.COCKPIT_SOURCE
        elif isinstance(event, ev.TurnStarted):
            s.running_task_id = task_id_for(event.session_id, event.turn)
        elif isinstance(event, ev.TurnFinished):
            s.last_task_id = task_id_for(event.session_id, event.turn)
            s.running_task_id = None
            if self._imported:
                self._task(s.last_task_id, event.turn)
        elif isinstance(event, FeedbackSampled):
            task = self._task(event.task_id, event.turn)
            task.pi, task.u, task.shown = event.pi, event.u, event.shown
            task.category, task.reasons = event.category, list(event.reasons)
            if event.shown:
                task.response = "pending"
                s.pending_prompt = event.task_id
        elif isinstance(event, FeedbackAnswered):
            task = self._task(event.task_id)
            if event.source == SOLICITED:
                task.response, task.rating, task.comment = "answered", event.rating, event.comment
                self._clear_prompt(event.task_id)
            else:
                task.volunteered, task.volunteered_comment = event.rating, event.comment
        elif isinstance(event, FeedbackDismissed):
            task = self._task(event.task_id)
            if task.response in (None, "pending"):
                task.response = "dismissed"
            self._clear_prompt(event.task_id)
        elif isinstance(event, ImplicitSignals):
            self._task(event.task_id, event.turn).signals = dict(event.signals)
        elif isinstance(event, ev.SessionFinished):
            s.pending_prompt = None
            s.running_task_id = None

    def _task(self, task_id: str, turn: int = 0) -> TaskFeedback:
        task = self.state.tasks.get(task_id)
        if task is None:
            task = self.state.tasks[task_id] = TaskFeedback(task_id=task_id, turn=turn)
        return task

    def _clear_prompt(self, task_id: str) -> None:
        if self.state.pending_prompt == task_id:
            self.state.pending_prompt = None
