"""Resilience: one retry layer that cannot storm, circuit breakers, a doom-loop
detector, idempotent side effects and the retry tax.

The loop uses :class:`Resilience` (``facade.py``) for every model call and tool
outcome: the retry engine (``retry.py``) with its retry budget
(``retry_budget.py``), the tool breakers (``tool_breakers.py``) and the retry
tax (``tax.py``). :class:`LoopDetector` sees every tool result and model reply,
and side effects run at most once (``idempotency.py``). The
Retries pane renders ``RetriesState`` (``app.agent.events.retries_view``), folded
from events.
"""

from app.agent.resilience.facade import Resilience
from app.agent.resilience.classify import ErrorClass, classify_model_error, classify_tool_outcome
from app.agent.resilience.config import ResilienceConfig
from app.agent.resilience.errors import (
    AttemptsExhausted,
    CircuitOpen,
    ContextWindowExceeded,
    IdempotencyConflict,
    IdempotencyPending,
    ResilienceError,
    RetryAfterTooLong,
    RetryBudgetExhausted,
    TerminalModelError,
)
from app.agent.resilience.loop_detector import (
    LOOP_HALT_EXIT_CODE,
    LoopDetector,
    LoopVerdict,
    loop_detected_event,
)

__all__ = [
    "LOOP_HALT_EXIT_CODE",
    "AttemptsExhausted",
    "CircuitOpen",
    "ContextWindowExceeded",
    "ErrorClass",
    "IdempotencyConflict",
    "IdempotencyPending",
    "LoopDetector",
    "LoopVerdict",
    "Resilience",
    "ResilienceConfig",
    "ResilienceError",
    "RetryAfterTooLong",
    "RetryBudgetExhausted",
    "TerminalModelError",
    "classify_model_error",
    "classify_tool_outcome",
    "loop_detected_event",
]
