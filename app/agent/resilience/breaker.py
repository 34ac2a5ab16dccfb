"""A circuit breaker for one target (a provider/model, or a tool).

``closed``    calls flow; failures are counted.
``open``      calls are refused for ``max(Retry-After, open_s)``, doubling on each
              reopening up to ``open_max_s``.
``half_open`` one probe is let through: success closes the breaker, failure
              reopens it for longer.

It opens after ``breaker_consecutive_failures`` retryable failures in a row, when
at least ``breaker_failure_ratio`` of the last ``breaker_window`` calls failed
(once ``breaker_window_min_calls`` were seen), or at once for errors such as an
exhausted quota or a rejected key. Outcomes that say nothing about the target's
health (a bad request, a cancelled call) are recorded as neutral.

Time comes from an injected monotonic ``clock``; every state change is returned
as a :class:`BreakerTransition` for the caller to announce (:func:`announce`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.agent.events.core import Event
from app.agent.events.resilience import BreakerChanged
from app.agent.resilience.config import ResilienceConfig

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerTransition:
    scope: str
    target: str
    state: str
    previous: str
    reason: str
    open_for_s: float = 0.0
    trips: int = 0


@dataclass
class BreakerRecord:
    """A breaker as a session's stored events left it (folded by ``restore.py``).

    ``opened_at`` is the wall-clock ``ts`` of the event that last opened it.
    """

    state: str = CLOSED
    reason: str = ""
    trips: int = 0
    open_for_s: float = 0.0
    opened_at: float = 0.0
    consecutive_failures: int = 0
    window: list[bool] = field(default_factory=list)  # True = failed, oldest first


class CircuitBreaker:
    def __init__(
        self,
        target: str,
        *,
        config: ResilienceConfig,
        clock: Callable[[], float],
        scope: str = "model",
    ) -> None:
        self.target = target
        self.scope = scope
        self.config = config
        self.clock = clock
        self.state = CLOSED
        self.reason = ""
        self.trips = 0  # openings since the breaker was last closed
        self.consecutive_failures = 0
        self._window: deque[bool] = deque(maxlen=config.breaker_window)  # True = failed
        self._opened_at = 0.0
        self._open_for = 0.0
        self._probe_in_flight = False

    # --- asking -----------------------------------------------------------------

    def half_open_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self.state != OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._open_for - self.clock())

    def allow(self) -> tuple[bool, BreakerTransition | None]:
        """May a call go through now? Moves an expired open breaker to half-open."""
        if self.state == CLOSED:
            return True, None
        if self.state == OPEN:
            if self.half_open_in() > 0:
                return False, None
            self._probe_in_flight = True
            return True, self._move(HALF_OPEN, f"probing after {self._open_for:g} s")
        if self._probe_in_flight:
            return False, None
        self._probe_in_flight = True
        return True, None

    # --- telling ----------------------------------------------------------------

    def record_success(self) -> BreakerTransition | None:
        self.consecutive_failures = 0
        if self.state == HALF_OPEN:
            self._probe_in_flight = False
            self.trips = 0
            self._window.clear()
            return self._move(CLOSED, "probe succeeded")
        self._window.append(False)
        return None

    def record_neutral(self) -> None:
        """An outcome that says nothing about the target's health; frees a half-open probe."""
        self._probe_in_flight = False

    def record_failure(
        self,
        error: str,
        *,
        retry_after_s: float | None = None,
        trip: bool = False,
    ) -> BreakerTransition | None:
        """Count a failure (``error`` names it); returns the transition if the breaker opened."""
        self.consecutive_failures += 1
        if self.state == HALF_OPEN:
            self._probe_in_flight = False
            return self._open(f"probe failed ({error})", retry_after_s)
        if self.state == OPEN:
            return None
        self._window.append(True)
        if trip:
            return self._open(f"{error}: opened at once", retry_after_s)
        if self.consecutive_failures >= self.config.breaker_consecutive_failures:
            return self._open(f"{self.consecutive_failures} consecutive failures ({error})", retry_after_s)
        failed = sum(self._window)
        seen = len(self._window)
        if seen >= self.config.breaker_window_min_calls and failed / seen >= self.config.breaker_failure_ratio:
            return self._open(f"{failed} of the last {seen} calls failed ({error})", retry_after_s)
        return None

    def restore(self, record: BreakerRecord, *, wall_now: float) -> None:
        """Carry on from ``record``: an open breaker stays open until its cool-down has passed.

        ``wall_now`` is the wall-clock time this breaker's monotonic ``clock()`` stands for now.
        A probe that was in flight when the session stopped is forgotten: the next call may probe.
        """
        self.state, self.reason, self.trips = record.state, record.reason, record.trips
        self.consecutive_failures = record.consecutive_failures
        self._window.clear()
        self._window.extend(record.window)
        self._open_for = record.open_for_s
        self._opened_at = self.clock() - max(0.0, wall_now - record.opened_at)
        self._probe_in_flight = False

    # --- internals ----------------------------------------------------------------

    def _open(self, reason: str, retry_after_s: float | None) -> BreakerTransition:
        self.trips += 1
        doubled = self.config.breaker_open_s * (2 ** min(self.trips - 1, 32))
        self._open_for = max(retry_after_s or 0.0, min(self.config.breaker_open_max_s, doubled))
        self._opened_at = self.clock()
        return self._move(OPEN, reason)

    def _move(self, state: str, reason: str) -> BreakerTransition:
        previous, self.state, self.reason = self.state, state, reason
        return BreakerTransition(
            scope=self.scope,
            target=self.target,
            state=state,
            previous=previous,
            reason=reason,
            open_for_s=self._open_for if state == OPEN else 0.0,
            trips=self.trips,
        )


def announce(transition: BreakerTransition | None, emit: Callable[[Event], Any] | None) -> None:
    """Emit a breaker's state change as a :class:`BreakerChanged` event."""
    if transition is None or emit is None:
        return
    emit(
        BreakerChanged(
            scope=transition.scope,
            target=transition.target,
            state=transition.state,
            previous=transition.previous,
            reason=transition.reason,
            open_for_s=transition.open_for_s,
            trips=transition.trips,
        )
    )
