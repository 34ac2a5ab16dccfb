"""The exceptions the resilience engine raises to the loop.

All are :class:`ResilienceError` with a ``message`` fit to show the user as is;
the loop turns them into a pause, a notice, compaction or a limit.
"""

from __future__ import annotations

from app.agent.resilience.classify import ErrorClass


class ResilienceError(Exception):
    """Base of every stop the engine decides; ``str(exc)`` is user-readable."""

    def __init__(self, message: str, *, target: str = "", error: ErrorClass | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.target = target
        self.error = error


class ContextWindowExceeded(ResilienceError):
    """The prompt no longer fits: hand it to compaction, never retry it as is."""


class TerminalModelError(ResilienceError):
    """An error that retrying cannot fix (auth, bad request, content policy, quota)."""


class AttemptsExhausted(ResilienceError):
    """Every attempt allowed for this call failed with a transient error."""


class RetryBudgetExhausted(ResilienceError):
    """The session's retry budget is spent: no more automatic retries."""

    def __init__(self, message: str, *, capacity: float, level: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.capacity, self.level = capacity, level


class RetryAfterTooLong(ResilienceError):
    """The provider asked to wait longer than we wait unattended."""

    def __init__(self, message: str, *, retry_after_s: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after_s = retry_after_s


class CircuitOpen(ResilienceError):
    """The target's breaker is open and there is no fallback."""

    def __init__(self, message: str, *, half_open_in_s: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.half_open_in_s = half_open_in_s


class IdempotencyConflict(ResilienceError, ValueError):
    """An idempotency key was reused with different arguments."""


class IdempotencyPending(ResilienceError):
    """An effect with this key started before but never recorded its result."""
