"""The feedback collector: from the event stream to sampling decisions and signals.

Subscribe it to the bus (``bus.subscribe(collector)``) and give it an ``emit``
to publish what it produces, or call :meth:`FeedbackCollector.observe` and
publish the returned events yourself. For a task (one user turn):

- ``TurnFinished`` → :class:`FeedbackSampled` (π, u, shown, category, reasons);
- the next ``TurnStarted`` → :class:`FeedbackDismissed` (``moved_on``) if the
  prompt was shown and not answered, then :class:`ImplicitSignals` for the
  finished task (rephrase/correction of its prompt, reverts of its writes);
- ``SessionFinished`` → the same for the last task, or ``ImplicitSignals``
  with ``abandoned=True`` when the session ended while a task was running
  (an abandoned task never completed, so it has no sampling decision).

It is pure apart from the injected ``rng``, the optional ``clock`` (by default
the ``ts`` of the event being handled, which keeps replays exact) and the
workspace files it hashes to detect reverts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.agent.events import core as ev
from app.agent.feedback.config import FeedbackConfig
from app.agent.events.feedback import (
    SOLICITED,
    FeedbackAnswered,
    FeedbackDismissed,
    FeedbackSampled,
    ImplicitSignals,
    task_id_for,
)
from app.agent.feedback.policy import SamplingPolicy, oversample_reasons
from app.agent.feedback.signals import Digest, TaskObserver, workspace_digest


@dataclass
class _Task:
    task_id: str
    turn: int
    user_text: str
    observer: TaskObserver
    after_revert: bool = False
    shown: bool = False
    closed: bool = False  # the shown prompt was answered or dismissed


class FeedbackCollector:
    def __init__(
        self,
        config: FeedbackConfig | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        workspace: str | Path | None = None,
        digest: Digest | None = None,
        emit: Callable[[ev.Event], Any] | None = None,
    ) -> None:
        self.config = config or FeedbackConfig()
        self.policy = SamplingPolicy(self.config, rng or random.Random())
        self._clock = clock
        self._digest = digest or (workspace_digest(workspace) if workspace is not None else None)
        self._emit = emit
        self.session_id = ""
        self.model = ""
        self._running: _Task | None = None
        self._finished: _Task | None = None  # waiting for the user's next move
        self._last_task_id: str | None = None
        self._after_revert = False

    @property
    def last_task_id(self) -> str | None:
        """The last completed task: what a volunteered rating is about."""
        return self._last_task_id

    @property
    def pending_prompt(self) -> str | None:
        """The task whose prompt is shown and not yet answered or dismissed."""
        task = self._finished
        return task.task_id if task is not None and task.shown and not task.closed else None

    def __call__(self, event: ev.Event) -> None:
        self.observe(event)

    def observe(self, event: ev.Event) -> list[ev.Event]:
        """Handle one event; returns (and emits, if given ``emit``) the events it produces."""
        produced = self._handle(event)
        if self._emit is not None:
            for item in produced:
                self._emit(item)
        return produced

    # --- the lifecycle of a task -----------------------------------------------------

    def _handle(self, event: ev.Event) -> list[ev.Event]:
        if isinstance(event, ev.SessionStarted):
            self.session_id = event.session_id or self.session_id
            self.model = event.model or self.model
            if self._digest is None and event.workspace:
                self._digest = workspace_digest(event.workspace)
            return []
        if isinstance(event, ev.TurnStarted):
            produced = self._abandon_running() + self._close_finished(next_text=event.user_text, why="moved_on")
            self._start(event)
            return produced
        if isinstance(event, ev.TurnFinished):
            return self._sample(event)
        if isinstance(event, (FeedbackAnswered, FeedbackDismissed)):
            self._answered(event)
            return []
        if isinstance(event, (ev.SessionEnding, ev.SessionFinished)):  # whichever comes first settles it
            return self._abandon_running() + self._close_finished(next_text=None, why="session_ended")
        if self._running is not None:
            self._running.observer.apply(event)
        return []

    def _start(self, event: ev.TurnStarted) -> None:
        session = event.session_id or self.session_id
        self._running = _Task(
            task_id=task_id_for(session, event.turn),
            turn=event.turn,
            user_text=event.user_text,
            observer=TaskObserver(model=self.model, digest=self._digest),
            after_revert=self._after_revert,
        )
        self._after_revert = False

    def _sample(self, event: ev.TurnFinished) -> list[ev.Event]:
        task, self._running = self._running, None
        if task is None:
            return []
        signals = task.observer.finish(event.outcome)
        reasons = oversample_reasons(signals, self.config, after_revert=task.after_revert)
        now = self._clock() if self._clock is not None else event.ts
        decision = self.policy.decide(reasons, now)
        task.shown = decision.shown
        self._finished = task
        self._last_task_id = task.task_id
        return [
            FeedbackSampled(
                task_id=task.task_id,
                turn=task.turn,
                pi=decision.pi,
                u=decision.u,
                shown=decision.shown,
                category=signals.category,
                reasons=list(decision.reasons),
                fatigued=decision.fatigued,
                model=signals.model,
                outcome=signals.outcome,
            )
        ]

    def _answered(self, event: FeedbackAnswered | FeedbackDismissed) -> None:
        task = self._finished
        if task is None or task.task_id != event.task_id:
            return
        if isinstance(event, FeedbackDismissed) or event.source == SOLICITED:
            task.closed = True

    def _close_finished(self, *, next_text: str | None, why: str) -> list[ev.Event]:
        task, self._finished = self._finished, None
        if task is None:
            return []
        produced: list[ev.Event] = []
        if task.shown and not task.closed:
            produced.append(FeedbackDismissed(task_id=task.task_id, reason=why))
        if next_text is not None:
            task.observer.note_next_prompt(task.user_text, next_text, self.config.rephrase_similarity)
        task.observer.check_files()
        self._after_revert = task.observer.signals.reverted
        produced.append(ImplicitSignals(task_id=task.task_id, turn=task.turn, signals=task.observer.signals.to_dict()))
        return produced

    def _abandon_running(self) -> list[ev.Event]:
        task, self._running = self._running, None
        if task is None:
            return []
        signals = task.observer.abandon()
        return [ImplicitSignals(task_id=task.task_id, turn=task.turn, signals=signals.to_dict())]
