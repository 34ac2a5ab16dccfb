"""A resumed session carries on where it stopped: resilience state folded from its events.

Resuming must not reset what keeps a dead endpoint from being hammered. The
events a session stored (the same ones the Retries pane folds) rebuild:

* the retry bucket level, the retry counts and the ratio alarm's level
  (through :class:`~app.agent.events.retries_view.RetriesReducer`, so the engine
  continues from what the pane showed);
* every model and tool circuit breaker: the last recorded transition gives its
  state, reason, trips and open-until time (an open breaker whose cool-down has
  not passed stays open); the outcomes recorded since give its failure counts;
* the loop detector, by replaying its observations (turns, replies, tool results).

Outcomes are judged exactly as the live engine judges them; no event is emitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from app.agent.events.core import SIDE_ROLES, CallStatus, Event, ModelCallFinished, ToolCallFinished, ToolStatus
from app.agent.events.core import TurnStarted
from app.agent.events.resilience import AttemptFailed, AttemptSucceeded, BreakerChanged, RetryRatioAlarm
from app.agent.events.retries_view import RetriesReducer
from app.agent.resilience.breaker import CLOSED, OPEN, BreakerRecord
from app.agent.resilience.classify import TRANSIENT, TRIPPING_ERRORS
from app.agent.resilience.retry import RetryEngine
from app.agent.resilience.tool_breakers import ToolBreakers, tool_breaker_outcome

if TYPE_CHECKING:  # the detector calls in here
    from app.agent.resilience.loop_detector import LoopDetector

# The event types the folds read (what a resume loads from the store).
RESTORED_TYPES = tuple(
    cls.type
    for cls in (AttemptSucceeded, AttemptFailed, BreakerChanged, RetryRatioAlarm, TurnStarted, ModelCallFinished,
                ToolCallFinished)
)


class _BreakerFold:
    """One breaker's record, built event by event."""

    def __init__(self, window: int, *, transition_first: bool) -> None:
        self.record = BreakerRecord()
        self._window = window
        # A model breaker announces the probe's success before the attempt event; a tool breaker after.
        self._transition_first = transition_first
        self._probe_pending = False

    def changed(self, event: BreakerChanged) -> None:
        r = self.record
        r.state, r.reason, r.trips = event.state, event.reason, event.trips
        if event.state == OPEN:
            r.open_for_s, r.opened_at = event.open_for_s, event.ts
        elif event.state == CLOSED:  # a probe succeeded: the breaker starts counting afresh
            r.consecutive_failures = 0
            r.window.clear()
            self._probe_pending = self._transition_first

    def outcome(self, failed: bool) -> None:
        r = self.record
        r.consecutive_failures = r.consecutive_failures + 1 if failed else 0
        if self._probe_pending and not failed:  # the probe that closed the breaker is not in its window
            self._probe_pending = False
            return
        self._probe_pending = False
        r.window = [*r.window, failed][-self._window:]


def _fold_for(folds: dict[str, _BreakerFold], target: str, window: int, scope: str) -> _BreakerFold:
    if target not in folds:
        folds[target] = _BreakerFold(window, transition_first=scope == "model")
    return folds[target]


def restore_retry_engine(engine: RetryEngine, events: Sequence[Event], *, wall_now: float) -> None:
    """The bucket, counts, ratio level and model breakers as the session's events left them."""
    reducer = RetriesReducer(engine.config)
    folds: dict[str, _BreakerFold] = {}
    window = engine.config.breaker_window
    for event in events:
        reducer.apply(event)
        if isinstance(event, BreakerChanged) and event.scope == "model":
            _fold_for(folds, event.target, window, "model").changed(event)
        elif isinstance(event, AttemptSucceeded):
            _fold_for(folds, event.target, window, "model").outcome(failed=False)
        elif isinstance(event, AttemptFailed) and _counted_on_breaker(event):
            _fold_for(folds, event.target, window, "model").outcome(failed=True)
        elif isinstance(event, RetryRatioAlarm):
            engine._ratio_level = event.level
    state = reducer.state
    spent = max(0.0, state.bucket_capacity - state.bucket_level)
    engine.bucket.level = min(engine.bucket.capacity, max(0.0, engine.bucket.capacity - spent))
    engine.bucket.refused = state.refused_by_budget
    engine.first_tries, engine.retries, engine.backoff_s = state.first_tries, state.retries, state.backoff_s
    for target, fold in folds.items():
        engine.model_breaker(target).restore(fold.record, wall_now=wall_now)


def restore_tool_breakers(tools: ToolBreakers, events: Sequence[Event], *, wall_now: float) -> None:
    """Every tool's breaker and semantic-error count as the session's events left them."""
    folds: dict[str, _BreakerFold] = {}
    window = tools.config.breaker_window
    for event in events:
        if isinstance(event, BreakerChanged) and event.scope == "tool":
            _fold_for(folds, event.target, window, "tool").changed(event)
        elif isinstance(event, ToolCallFinished):
            outcome = tool_breaker_outcome(event.status.value, event.exit_code, event.crashed)
            if outcome == "validation":
                tools.semantic_errors[event.name] += 1
            elif outcome in ("failure", "success"):
                _fold_for(folds, event.name, window, "tool").outcome(failed=outcome == "failure")
    for name, fold in folds.items():
        tools.breaker(name).restore(fold.record, wall_now=wall_now)


def replay_loop_detector(detector: LoopDetector, events: Iterable[Event]) -> None:
    """Feed the detector what it saw live (its verdicts then were already acted on)."""
    for event in events:
        if isinstance(event, TurnStarted):
            detector.start_turn()
        elif isinstance(event, ModelCallFinished) and event.status is CallStatus.OK and event.role not in SIDE_ROLES:
            detector.observe_model_response(event.text, event.tool_calls)
        elif isinstance(event, ToolCallFinished) and event.status not in (ToolStatus.CANCELLED, ToolStatus.UNKNOWN):
            arguments = event.arguments or {"_raw": event.arguments_raw}
            detector.observe_tool(event.name, arguments, event.status.value, event.result, event.error, poll=event.poll)


def _counted_on_breaker(event: AttemptFailed) -> bool:
    """Did the engine count this failure on its breaker? (Transient errors and auth/quota ones.)"""
    return event.error_kind == TRANSIENT or event.error_class in TRIPPING_ERRORS
