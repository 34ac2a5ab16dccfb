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
sessions in both directions, the timeline keeps pickled copies of the reducers
(checkpoints) and one working copy: moving forward folds the next events into
the working copy; moving back (or far) restores the nearest checkpoint at or
before the target and folds forward from there, so a move costs at most one
copy and the events between two checkpoints. Checkpoints are at least
``checkpoint_every`` events apart, and further as the state grows (a checkpoint
of B bytes is followed by B / ``CHECKPOINT_BYTES_PER_EVENT`` events at least):
copying a large state every 64 events made opening a long session quadratic.

A long session is read and folded in pages (``pages``, ``total``): what a
position needs is folded when it is asked for (a jump ahead folds on to its
target), and ``fold_more`` lets a background worker fold the rest ahead of the
user; one lock keeps to one fold at a time. The marks strip shows the part not
folded yet as ``UNREAD``.

The transcript at a position comes from :class:`~app.replay.transcript.TranscriptIndex`.
"""

from __future__ import annotations

import bisect
import pickle
import threading
from collections.abc import Iterable, Iterator, Sequence
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
CHECKPOINT_BYTES_PER_EVENT = 128  # checkpoints are at least this many pickled bytes' worth of events apart
SEARCH_PAGE = 500  # events folded at a time while a jump looks ahead of the fold
UNREAD = "unread"  # a strip cell the fold has not reached yet


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
    """Stops, marks, turns and pane states of one recorded session, folded as far as it is read."""

    def __init__(
        self,
        events: Sequence[ev.Event],
        *,
        pages: Iterable[Sequence[ev.Event]] | None = None,
        total: int | None = None,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        retries_config: ResilienceConfig | None = None,
    ) -> None:
        """``events``: the session, or its first events when ``pages`` yields the rest (read and
        folded when a position needs them, or by ``fold_more``); ``total``: how many events the
        session has, when it is not all read yet."""
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self.events = list(events)
        self._pages: Iterator[Sequence[ev.Event]] | None = iter(pages) if pages is not None else None
        self._total = total
        self.checkpoint_every = checkpoint_every
        self.retries_config = retries_config or _recorded_resilience_config(self.events)
        self.marks: dict[str, list[int]] = {kind: [] for kind in MARK_KINDS}
        self.turn_starts: list[int] = []
        self.transcript = TranscriptIndex()
        self.folded = 0  # events folded into the marks, turns, transcript and checkpoints
        self._lock = threading.RLock()  # one fold at a time (a background worker may fold ahead)
        self._states = PaneStates(self.retries_config)  # the fold's own reducers, after ``folded`` events
        self._checkpoints: list[bytes] = []  # the pickled state after ``_checkpoint_at[c]`` events
        self._checkpoint_at: list[int] = []
        self._next_checkpoint = 0
        self._working = PaneStates(self.retries_config)
        self._applied = 0  # how many events the working copy has folded
        self.restores = 0  # how many times the working copy was restored from a checkpoint
        self._strips: dict[tuple[int, int], list[str | None]] = {}
        if self._pages is None:
            self.fold_to(len(self.events))

    @classmethod
    def from_stored(cls, rows: Iterable[dict[str, Any]], **options: Any) -> Timeline:
        """From stored event dicts (``storage.queries.load_events``), decoded with ``event_from_dict``."""
        return cls([ev.event_from_dict(row) for row in rows], **options)

    @classmethod
    def from_stored_pages(cls, pages: Iterable[Sequence[dict[str, Any]]], *, total: int, **options: Any) -> Timeline:
        """From pages of stored event dicts (``storage.queries.event_pages``): the first page is
        decoded now, the others when the timeline reaches them."""
        decoded = ([ev.event_from_dict(row) for row in page] for page in pages)
        return cls(next(decoded, []), pages=decoded, total=total, **options)

    # --- folding ----------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """Every event of the session is folded."""
        return self._pages is None and self.folded >= len(self.events)

    def fold_more(self, count: int) -> bool:
        """Fold the next ``count`` events; True once the whole session is folded."""
        self.fold_to(self.folded + count)
        return self.complete

    def fold_to(self, count: int) -> None:
        """Fold until ``count`` events are folded (or the session ends)."""
        if count <= self.folded:
            return
        with self._lock:
            self._read_to(count)
            start, end = self.folded, min(count, len(self.events))
            if end <= start:  # another thread folded this far while this one waited for the lock
                return
            states, every = self._states, self.checkpoint_every
            for index in range(start, end):
                event = self.events[index]
                if index == self._next_checkpoint:
                    frozen = _freeze(states)
                    self._checkpoints.append(frozen)
                    self._checkpoint_at.append(index)  # after its checkpoint: a reader may bisect meanwhile
                    # The state grows with the session: the bigger it is, the further apart its copies, so
                    # that copying costs a bounded share of folding (and of memory), not a quadratic one.
                    self._next_checkpoint = index + max(every, len(frozen) // CHECKPOINT_BYTES_PER_EVENT)
                states.apply(event)
                kind = mark_of(event)
                if kind is not None:
                    self.marks[kind].append(index)
                if isinstance(event, ev.TurnStarted):
                    self.turn_starts.append(index)
            self.transcript.extend(self.events[start:end])
            self.folded = end

    def _read_to(self, count: int) -> None:
        """Read pages until ``count`` events are here or the session ends (under the lock)."""
        while len(self.events) < count and self._pages is not None:
            page = next(self._pages, None)
            if not page:
                self._pages = None
                self._total = len(self.events)
            else:
                self.events.extend(page)
        if self._total is not None and len(self.events) >= self._total and self._pages is not None:
            self._pages = None
            self._total = len(self.events)

    # --- positions ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.events) if self._total is None else self._total

    @property
    def last(self) -> int:
        return max(0, len(self) - 1)

    def clamp(self, position: int) -> int:
        return min(max(position, 0), self.last)

    def event_at(self, position: int) -> ev.Event:
        position = self.clamp(position)
        if position >= len(self.events):
            with self._lock:
                self._read_to(position + 1)
        return self.events[min(position, len(self.events) - 1)]

    def elapsed_at(self, position: int) -> float:
        """Seconds since the first event."""
        if not self.events:
            return 0.0
        return max(0.0, self.event_at(position).ts - self.events[0].ts)

    def turn_at(self, position: int) -> int:
        """The turn number running at ``position`` (0 before the first task)."""
        self.fold_to(position + 1)
        k = bisect.bisect_right(self.turn_starts, position) - 1
        return self.events[self.turn_starts[k]].turn if k >= 0 else 0  # type: ignore[attr-defined]

    # --- what is shown at a position ------------------------------------------------------

    def panes_at(self, position: int) -> PaneStates:
        """The reducers after events ``0..position``.

        The object returned is the timeline's working copy: it is valid until the
        next call and changes with it (deep-copy it to keep it).
        """
        count = self.clamp(position) + 1  # events to fold
        self.fold_to(count)
        count = min(count, self.folded)
        if not count:
            return self._working
        nearest = bisect.bisect_right(self._checkpoint_at, count) - 1
        base = self._checkpoint_at[nearest]
        if not base <= self._applied <= count:  # behind the target or before its checkpoint: restore
            self._working = _thaw(self._checkpoints[nearest])
            self._applied = base
            self.restores += 1
        for event in self.events[self._applied:count]:
            self._working.apply(event)
        self._applied = count
        return self._working

    def transcript_at(self, position: int, last: int | None = None) -> list[Entry]:
        """The transcript after event ``position`` (its ``last`` entries if given)."""
        if not len(self):
            return []
        position = self.clamp(position)
        self.fold_to(position + 1)
        return self.transcript.at(position, last)

    def highlight_at(self, position: int) -> int | None:
        """The creating event of the entry the event at ``position`` (or the latest before it) touched."""
        position = self.clamp(position)
        self.fold_to(position + 1)
        return self.transcript.latest_at(position)

    # --- jumps ------------------------------------------------------------------------

    def next_mark(self, position: int, kind: str) -> int | None:
        """The first ``kind`` mark after ``position``, or None."""
        marks = self.marks[kind]
        return self._next_in(marks, position)

    def prev_mark(self, position: int, kind: str) -> int | None:
        """The last ``kind`` mark before ``position``, or None."""
        self.fold_to(position)
        marks = self.marks[kind]
        k = bisect.bisect_left(marks, position) - 1
        return marks[k] if k >= 0 else None

    def next_turn(self, position: int) -> int:
        """The start of the next turn, or the end of the session."""
        found = self._next_in(self.turn_starts, position)
        return self.last if found is None else found

    def prev_turn(self, position: int) -> int:
        """The start of the previous turn (or of this one when inside it), or the start."""
        self.fold_to(position)
        k = bisect.bisect_left(self.turn_starts, position) - 1
        return self.turn_starts[k] if k >= 0 else 0

    def _next_in(self, positions: list[int], position: int) -> int | None:
        """The first of ``positions`` (a list the fold appends to) after ``position``, folding on until
        one is found or the session ends."""
        self.fold_to(position + 1)
        while True:
            k = bisect.bisect_right(positions, position)
            if k < len(positions):
                return positions[k]
            if self.complete:
                return None
            self.fold_more(SEARCH_PAGE)

    # --- the bar ------------------------------------------------------------------------

    def mark_strip(self, width: int) -> list[str | None]:
        """``width`` cells over the whole session: the most important mark in each, None, or
        ``UNREAD`` for the cells the fold has not reached yet."""
        if width <= 0:
            return []
        key = (width, self.folded)
        if key not in self._strips:
            total = max(1, len(self))
            folded = self.folded
            unread = -(-folded * width // total)  # the first cell holding an event not folded yet
            cells: list[str | None] = [None] * unread + [UNREAD] * (width - unread)
            for kind in reversed(MARK_KINDS):  # the most important last, so it wins
                for index in self.marks[kind][:]:
                    if index < folded:
                        cells[min(width - 1, index * width // total)] = kind
            self._strips = {key: cells}  # the strip of the last width and fold only
        return self._strips[key]

    def cell_of(self, position: int, width: int) -> int:
        """The cell of the strip that holds ``position``."""
        return min(width - 1, max(0, self.clamp(position) * width // max(1, len(self))))


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
