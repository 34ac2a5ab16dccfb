"""Events of the resilience engine: every retry decision, breaker change, loop hit
and wasted token is announced as one of these.

They follow the core conventions of :mod:`app.agent.events.core` (``kw_only``
dataclasses, a unique ``type`` string, JSON-friendly fields) so that they are
stored, projected and replayed like every other event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from app.agent.events.core import Event


@dataclass(kw_only=True)
class AttemptSucceeded(Event):
    """One model-call attempt returned a usable reply."""

    type: ClassVar[str] = "resilience_attempt_succeeded"
    call_id: str = ""
    target: str = ""  # "provider/model" the attempt went to
    attempt: int = 1  # attempt number on this target
    max_attempts: int = 3
    first_try: bool = True  # the call's first attempt over all targets (retry ratio)
    fallback: bool = False  # the attempt went to the fallback model
    bucket_level: float = 0.0  # retry bucket after the refund (if any)
    bucket_capacity: float = 0.0
    upstream_retries: int | None = None  # retries a proxy made before this reply (x-litellm-attempted-retries)


@dataclass(kw_only=True)
class AttemptFailed(Event):
    """One model-call attempt failed, and what the engine decided to do about it.

    ``decision`` is ``retry`` (then ``wait_s`` is the backoff about to be slept),
    ``fallback`` (the next attempt goes to the fallback model) or ``stop``
    (then ``reason`` says why: ``terminal``, ``context_window``, ``cancelled``,
    ``max_attempts``, ``retry_budget``, ``retry_after_too_long``, ``circuit_open``).
    """

    type: ClassVar[str] = "resilience_attempt_failed"
    call_id: str = ""
    target: str = ""
    attempt: int = 1
    max_attempts: int = 3
    first_try: bool = True
    fallback: bool = False
    error_kind: str = ""  # transient | terminal | context_exceeded | cancelled
    error_class: str = ""  # rate_limit | overloaded | server_error | timeout | ...
    status: int | None = None
    message: str = ""
    retry_after_s: float | None = None
    decision: str = "stop"  # retry | fallback | stop
    reason: str = ""
    wait_s: float = 0.0
    retry_cost: float = 0.0  # tokens taken from the retry bucket for this retry
    bucket_level: float = 0.0
    bucket_capacity: float = 0.0
    upstream_retries: int | None = None  # retries a proxy made before this error reached us


@dataclass(kw_only=True)
class CallShortCircuited(Event):
    """A model call was not attempted because its breaker is open."""

    type: ClassVar[str] = "resilience_call_short_circuited"
    call_id: str = ""
    target: str = ""
    fallback_target: str | None = None  # set when the call went to the fallback instead
    half_open_in_s: float = 0.0
    message: str = ""


@dataclass(kw_only=True)
class BreakerChanged(Event):
    """A circuit breaker moved between ``closed``, ``open`` and ``half_open``.

    When ``state`` is ``open`` the breaker lets a probe through ``open_for_s``
    seconds after this event's ``ts``.
    """

    type: ClassVar[str] = "resilience_breaker_changed"
    scope: str = "model"  # model | tool
    target: str = ""
    state: str = "closed"  # closed | open | half_open
    previous: str = "closed"
    reason: str = ""
    open_for_s: float = 0.0
    trips: int = 0  # consecutive openings without a successful probe


@dataclass(kw_only=True)
class RetryRatioAlarm(Event):
    """The session's retries / first tries crossed a line (10 % warn, 20 % alarm)."""

    type: ClassVar[str] = "resilience_retry_ratio"
    level: str = "ok"  # ok | warning | alarm
    ratio: float = 0.0
    retries: int = 0
    first_tries: int = 0


@dataclass(kw_only=True)
class RetryTaxAccrued(Event):
    """Tokens and dollars spent on output that was thrown away or input re-sent.

    Projected by the store into ``model_calls.wasted_tokens / wasted_usd`` (by
    ``call_id`` and ``attempt``) and into the session totals.
    """

    type: ClassVar[str] = "resilience_retry_tax"
    call_id: str = ""
    attempt: int = 0
    model: str = ""
    tokens: int = 0
    usd: float | None = 0.0  # None: unpriced (the model has no price), the waste is tokens only
    reason: str = ""  # failed_attempt | dropped_stream | malformed_tool_call | loop_killed | resent_input
    source: str = ""  # whose count ``tokens`` is: one of TAX_SOURCES ("": written before sources, see tax_source)


# Whose count a retry-tax charge is.
TAX_PROVIDER = "provider"  # the provider reported it (for a re-sent prompt: its count of the same prompt on the retry)
TAX_CALIBRATED = "calibrated"  # an estimate: the local count corrected by the budget's calibration for the model
TAX_LOCAL = "local"  # an estimate: the local count (tokenizer or chars/4), no calibration yet
TAX_SOURCES = (TAX_PROVIDER, TAX_CALIBRATED, TAX_LOCAL)


def tax_source(payload: dict[str, object]) -> str:
    """Whose count a stored :class:`RetryTaxAccrued` payload carries. Charges written before
    sources existed: a re-sent prompt was the local estimate, everything else provider usage."""
    source = payload.get("source")
    if isinstance(source, str) and source:
        return source
    return TAX_LOCAL if payload.get("reason") == "resent_input" else TAX_PROVIDER


def tax_estimated(source: str) -> bool:
    """The charge is an estimate, not a count the provider reported."""
    return source != TAX_PROVIDER


@dataclass(kw_only=True)
class LoopDetected(Event):
    """The loop detector saw a doom-loop pattern.

    ``action`` is ``warn`` (``message`` is the corrective note sent to the model)
    or ``halt`` (``message`` tells the user why the turn stopped).
    """

    type: ClassVar[str] = "resilience_loop_detected"
    pattern: str = ""
    action: str = "warn"  # warn | halt
    message: str = ""
    tool: str | None = None
    count: int = 0
    turn: int = 0
