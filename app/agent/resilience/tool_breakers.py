"""A circuit breaker per tool, and the count of the model's semantic errors per tool.

Only timeouts and crashes (the tool raised something unexpected, e.g. its MCP
server is gone) count against a tool's breaker. A command that exited non-zero
or an error result such as a missing file means the tool works: that output is
fed back to the model. Validation errors (bad JSON, schema, unknown tool) are
the model's semantic errors.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from app.agent.events.core import Event
from app.agent.resilience.breaker import CircuitBreaker, announce
from app.agent.resilience.classify import classify_tool_outcome
from app.agent.resilience.config import ResilienceConfig

Emit = Callable[[Event], None]


def tool_breaker_outcome(status: str, exit_code: int | None = None, crashed: bool = False) -> str:
    """What a finished tool call means for its breaker: ``failure``, ``success``,
    ``validation`` (the model's semantic error: neutral) or ``neutral``."""
    outcome = classify_tool_outcome(status, exit_code)
    if outcome == "validation":
        return "validation"
    if outcome == "timeout" or crashed:
        return "failure"
    if outcome in ("ok", "nonzero_exit", "tool_error"):
        return "success"
    return "neutral"


class ToolBreakers:
    def __init__(
        self, config: ResilienceConfig, *, clock: Callable[[], float] = time.monotonic, emit: Emit | None = None
    ) -> None:
        self.config = config
        self.clock = clock
        self.semantic_errors: Counter[str] = Counter()
        self._emit = emit
        self._breakers: dict[str, CircuitBreaker] = {}

    def breaker(self, name: str) -> CircuitBreaker:
        if name not in self._breakers:
            self._breakers[name] = CircuitBreaker(name, config=self.config, clock=self.clock, scope="tool")
        return self._breakers[name]

    def record_outcome(
        self, name: str, status: str, *, exit_code: int | None = None, crashed: bool = False, emit: Emit | None = None
    ) -> None:
        """Count a finished tool call on its breaker and its semantic-error counter."""
        emit = emit or self._emit
        breaker = self.breaker(name)
        outcome = tool_breaker_outcome(status, exit_code, crashed)
        if outcome == "validation":
            self.semantic_errors[name] += 1
            breaker.record_neutral()
        elif outcome == "failure":
            announce(breaker.record_failure("crashed" if crashed else "timeout"), emit)
        elif outcome == "success":
            announce(breaker.record_success(), emit)
        else:
            breaker.record_neutral()

    def open_reason(self, name: str, *, emit: Emit | None = None) -> str | None:
        """Why ``name`` must not run now, or None when it may (a half-open probe included)."""
        breaker = self._breakers.get(name)
        if breaker is None:
            return None
        allowed, transition = breaker.allow()
        announce(transition, emit or self._emit)
        if allowed:
            return None
        return (
            f"The tool `{name}` is switched off by its circuit breaker ({breaker.reason}); "
            f"it gets another try in {breaker.half_open_in():.0f} s."
        )
