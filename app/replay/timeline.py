"""A recorded session as a timeline: stops, marks, and every pane's state at any stop.

**One stop is one recorded event.** Position ``i`` shows the session right after
its ``i``-th stored event (0 is ``session_started``). We chose events over steps
(a model call and its tool calls) because the panes change *between* model
calls: a context measurement before a request, a failed attempt and the retry
after it, a breaker opening, a compaction, a feedback answer. A per-step stop
would jump over exactly the moments replay is for. Coarser moves are jumps:
the next or previous turn, error, retry or compaction.

The panes' state at a position is what the *same reducers the live panes use*
(``BudgetState``, ``RetriesReducer``, ``FeedbackReducer``) hold after being fed
events ``0..i`` — there is no second implementation. To make that fast on long
sessions in both directions, the timeline keeps a deep copy of the reducers
every ``checkpoint_every`` events and one working copy: moving forward folds
the next events into the working copy; moving back (or far) restores a copy of
the nearest checkpoint at or before the target and folds forward from there, so
a move costs at most one copy and ``checkpoint_every`` folds. Checkpoints are
pickled (the reducers' states are plain dataclasses): a pickle round trip is a
deep copy about eight times faster than ``copy.deepcopy``, and compact.

The transcript at a position comes from :class:`~app.replay.transcript.TranscriptIndex`.
"""

from __future__ import annotations

import bisect
import pickle
from collections.abc import Iterable, Sequence
from typing import Any

from app.agent.events import core as ev
from app.agent.events.budget import CompactionPerformed
from app.agent.events.budget_view import BudgetState
from app.agent.events.feedback_view import FeedbackReducer, FeedbackState
from app.agent.resilience.config import ResilienceConfig
from app.agent.events.resilience import AttemptFailed
from app.agent.events.retries_view import RetriesReducer, RetriesState
from app.agent.events.todo import TodoList
from app.replay.transcript import Entry, TranscriptIndex

STOP_HELP = "one stop = one recorded event"
MARK_KINDS = ("error", "retry", "compaction")  # in drawing priority order
FAILED_TOOL = {ev.ToolStatus.TOOL_ERROR, ev.ToolStatus.VALIDATION_ERROR, ev.ToolStatus.TIMEOUT, ev.ToolStatus.DENIED}
DEFAULT_CHECKPOINT_EVERY = 64


def mark_of(event: ev.Event) -> str | None:
    """``error``, ``retry``, ``compaction`` or None: what a jump key looks for.

    An error is a failed model call or a tool call that failed, timed out, was
    refused or had invalid arguments. A retry is an attempt the resilience
    engine decided to retry, or a model call started as attempt 2 or later.
    """
    if isinstance(event, ev.ModelCallFinished) and event.status is ev.CallStatus.ERROR:
        return "error"
    if isinstance(event, ev.ToolCallFinished) and event.status in FAILED_TOOL:
        return "error"
    if isinstance(event, AttemptFailed) and event.decision == "retry":
        return "retry"
    if isinstance(event, ev.ModelCallStarted) and event.attempt > 1:
        return "retry"
    if isinstance(event, CompactionPerformed):
        return "compaction"
    return None


class PaneStates:
    """The pane reducers, fed together. Read ``budget``, ``retries_state``, ``feedback_state``, ``todos``."""

    def __init__(self, retries_config: ResilienceConfig | None = None) -> None:
        self.budget = BudgetState()
        self.retries = RetriesReducer(retries_config)
        self.feedback = FeedbackReducer()
        self.todos = TodoList()

    def apply(self, event: ev.Event) -> None:
        self.budget.apply(event)
        self.retries.apply(event)
        self.feedback.apply(event)
        self.todos.apply(event)

    @property
    def retries_state(self) -> RetriesState:
        return self.retries.state

    @property
    def feedback_state(self) -> FeedbackState:
        return self.feedback.state


class Timeline:
    """Stops, marks, turns and pane states of one recorded session."""

    def __init__(
        self,
        events: Sequence[ev.Event],
        *,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        retries_config: ResilienceConfig | None = None,
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self.events = list(events)
        self.checkpoint_every = checkpoint_every
        self.retries_config = retries_config or _recorded_resilience_config(self.events)
        self.marks: dict[str, list[int]] = {kind: [] for kind in MARK_KINDS}
        self.turn_starts: list[int] = []
        self._checkpoints: list[bytes] = []  # [c]: the pickled state after the first c * checkpoint_every events
        self._build()
        self.transcript = TranscriptIndex(self.events)
        self._working = PaneStates(self.retries_config)
        self._applied = 0  # how many events the working copy has folded
        self._strips: dict[int, list[str | None]] = {}

    @classmethod
    def from_stored(cls, rows: Iterable[dict[str, Any]], **options: Any) -> Timeline:
        """From stored event dicts (``storage.queries.load_events``), decoded with ``event_from_dict``."""
        return cls([ev.event_from_dict(row) for row in rows], **options)

    def _build(self) -> None:
        states = PaneStates(self.retries_config)
        every = self.checkpoint_every
        for index, event in enumerate(self.events):
            if index % every == 0:
                self._checkpoints.append(_freeze(states))
            states.apply(event)
            kind = mark_of(event)
            if kind is not None:
                self.marks[kind].append(index)
            if isinstance(event, ev.TurnStarted):
                self.turn_starts.append(index)

    # --- positions ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.events)

    @property
    def last(self) -> int:
        return max(0, len(self.events) - 1)

    def clamp(self, position: int) -> int:
        return min(max(position, 0), self.last)

    def event_at(self, position: int) -> ev.Event:
        return self.events[self.clamp(position)]

    def elapsed_at(self, position: int) -> float:
        """Seconds since the first event."""
        if not self.events:
            return 0.0
        return max(0.0, self.event_at(position).ts - self.events[0].ts)

    def turn_at(self, position: int) -> int:
        """The turn number running at ``position`` (0 before the first task)."""
        k = bisect.bisect_right(self.turn_starts, position) - 1
        return self.events[self.turn_starts[k]].turn if k >= 0 else 0  # type: ignore[attr-defined]

    # --- what is shown at a position ------------------------------------------------------

    def panes_at(self, position: int) -> PaneStates:
        """The reducers after events ``0..position``.

        The object returned is the timeline's working copy: it is valid until the
        next call and changes with it (deep-copy it to keep it).
        """
        if not self.events:
            return self._working
        count = self.clamp(position) + 1  # events to fold
        nearest = min(count // self.checkpoint_every, len(self._checkpoints) - 1)
        base = nearest * self.checkpoint_every
        if not base <= self._applied <= count:  # behind the target or before its checkpoint: restore
            self._working = _thaw(self._checkpoints[nearest])
            self._applied = base
        for event in self.events[self._applied:count]:
            self._working.apply(event)
        self._applied = count
        return self._working

    def transcript_at(self, position: int, last: int | None = None) -> list[Entry]:
        """The transcript after event ``position`` (its ``last`` entries if given)."""
        if not self.events:
            return []
        return self.transcript.at(self.clamp(position), last)

    # --- jumps ------------------------------------------------------------------------

    def next_mark(self, position: int, kind: str) -> int | None:
        """The first ``kind`` mark after ``position``, or None."""
        marks = self.marks[kind]
        k = bisect.bisect_right(marks, position)
        return marks[k] if k < len(marks) else None

    def prev_mark(self, position: int, kind: str) -> int | None:
        """The last ``kind`` mark before ``position``, or None."""
        marks = self.marks[kind]
        k = bisect.bisect_left(marks, position) - 1
        return marks[k] if k >= 0 else None

    def next_turn(self, position: int) -> int:
        """The start of the next turn, or the end of the session."""
        k = bisect.bisect_right(self.turn_starts, position)
        return self.turn_starts[k] if k < len(self.turn_starts) else self.last

    def prev_turn(self, position: int) -> int:
        """The start of the previous turn (or of this one when inside it), or the start."""
        k = bisect.bisect_left(self.turn_starts, position) - 1
        return self.turn_starts[k] if k >= 0 else 0

    # --- the bar ------------------------------------------------------------------------

    def mark_strip(self, width: int) -> list[str | None]:
        """``width`` cells over the whole session: the most important mark in each, or None."""
        if width <= 0:
            return []
        if width not in self._strips:
            cells: list[str | None] = [None] * width
            total = max(1, len(self.events))
            for kind in reversed(MARK_KINDS):  # the most important last, so it wins
                for index in self.marks[kind]:
                    cells[min(width - 1, index * width // total)] = kind
            self._strips[width] = cells
        return self._strips[width]

    def cell_of(self, position: int, width: int) -> int:
        """The cell of the strip that holds ``position``."""
        return min(width - 1, max(0, self.clamp(position) * width // max(1, len(self.events))))


def _freeze(states: PaneStates) -> bytes:
    return pickle.dumps(states, protocol=pickle.HIGHEST_PROTOCOL)


def _thaw(frozen: bytes) -> PaneStates:
    return pickle.loads(frozen)


def _recorded_resilience_config(events: Sequence[ev.Event]) -> ResilienceConfig | None:
    """The resilience settings the session recorded, if any (else the defaults)."""
    for event in events[:5]:
        if isinstance(event, ev.SessionStarted):
            table = (event.settings or {}).get("resilience")
            if isinstance(table, dict):
                try:
                    return ResilienceConfig.from_dict(table)
                except ValueError:
                    return None
    return None
