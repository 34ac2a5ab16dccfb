"""What the Retries pane shows, folded from events by :class:`RetriesReducer`.

The live pane and replay use this same reducer: feed it every event of a
session (core and resilience events; others are ignored) and render
``reducer.state``. Times are the events' wall-clock ``ts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.agent.events.cache_view import CacheState
from app.agent.events.core import COCKPIT_SOURCE, Event, ModelCallFinished, SessionStarted, ToolCallFinished
from app.agent.events.subagents import SubagentStatusChanged
from app.agent.events.telemetry import TelemetryDropped
from app.agent.events.resilience import (
    AttemptFailed,
    AttemptSucceeded,
    BreakerChanged,
    CallShortCircuited,
    LoopDetected,
    RetryTaxAccrued,
    tax_estimated,
    tax_source,
)

MAX_ROWS = 200


@dataclass(frozen=True)
class AttemptRow:
    ts: float
    target: str
    error_class: str  # "" for a success
    attempt: int
    max_attempts: int
    wait_s: float
    outcome: str  # ok | retry | fallback | paused | stop:<reason>
    fallback: bool = False


@dataclass(frozen=True)
class BreakerView:
    scope: str  # model | tool
    target: str
    state: str  # closed | open | half_open
    reason: str
    half_open_at: float | None  # wall-clock time the next probe is allowed (open only)
    trips: int = 0

    def half_open_in(self, now: float) -> float | None:
        if self.half_open_at is None:
            return None
        return max(0.0, self.half_open_at - now)


@dataclass(frozen=True)
class LoopHit:
    ts: float
    pattern: str
    action: str  # warn | halt
    tool: str | None
    message: str
    turn: int
    count: int = 0


@dataclass
class RetriesState:
    bucket_capacity: float = 50.0
    bucket_level: float = 50.0
    ratio_warn: float = 0.10
    ratio_alarm: float = 0.20
    attempts: list[AttemptRow] = field(default_factory=list)  # newest first
    breakers: dict[str, BreakerView] = field(default_factory=dict)  # "scope:target" -> view
    first_tries: int = 0
    retries: int = 0
    refused_by_budget: int = 0
    short_circuited: int = 0
    backoff_s: float = 0.0
    semantic_errors: dict[str, int] = field(default_factory=dict)  # tool -> count
    tool_failures: dict[str, int] = field(default_factory=dict)  # tool (an MCP server: all its tools) -> tool_error / timeout count
    loop_hits: list[LoopHit] = field(default_factory=list)  # newest first
    tax_tokens: int = 0
    tax_usd: float = 0.0  # the priced part
    tax_priced: int = 0  # charges that had a price (none: the tax is tokens only, no dollars)
    tax_unpriced: int = 0  # charges on a model nobody has a price for (tokens only)
    tax_estimated: int = 0  # tokens of the tax that are estimates, not the provider's count
    tax_estimate_kinds: set[str] = field(default_factory=set)  # whose estimates (TAX_CALIBRATED, TAX_LOCAL)
    session_cost_usd: float = 0.0
    last_stop: str = ""  # the message of the last call the engine gave up on
    upstream_retries: int = 0  # retries a proxy in between made that no attempt row shows
    proxy_key_spend_usd: float | None = None  # the proxy key's total spend, as the proxy last said it (None: unknown)
    telemetry_dropped: int = 0  # spans the OpenTelemetry export could not deliver (collector down or slow)
    cache: CacheState = field(default_factory=CacheState)  # cache misses: the tax of a changed prefix

    @property
    def retry_ratio(self) -> float:
        return self.retries / self.first_tries if self.first_tries else 0.0

    @property
    def ratio_level(self) -> str:
        if self.retry_ratio >= self.ratio_alarm:
            return "alarm"
        if self.retry_ratio >= self.ratio_warn:
            return "warning"
        return "ok"

    @property
    def tax_estimate_kind(self) -> str:
        """Whose the estimated part of the tax is, when it is one kind's (``calibrated``); else ""."""
        return next(iter(self.tax_estimate_kinds)) if len(self.tax_estimate_kinds) == 1 else ""

    @property
    def tax_share(self) -> float | None:
        """The retry tax as a fraction of the session's cost (None while nothing cost anything)."""
        if self.session_cost_usd <= 0:
            return None
        return self.tax_usd / self.session_cost_usd

    @property
    def open_breakers(self) -> list[BreakerView]:
        return [b for b in self.breakers.values() if b.state != "closed"]

    @property
    def storming(self) -> bool:
        return bool(self.open_breakers) or self.ratio_level == "alarm"


class RetryLimits(Protocol):
    """The settings the pane draws against (the core's ``ResilienceConfig`` is one)."""

    @property
    def bucket_capacity(self) -> float: ...
    @property
    def ratio_warn(self) -> float: ...
    @property
    def ratio_alarm(self) -> float: ...


class RetriesReducer:
    def __init__(self, limits: RetryLimits | None = None) -> None:
        self.state = RetriesState()
        if limits is not None:
            self.state.bucket_capacity = self.state.bucket_level = limits.bucket_capacity
            self.state.ratio_warn, self.state.ratio_alarm = limits.ratio_warn, limits.ratio_alarm
        self._imported = False  # another agent's session: no attempt events, its model calls are the tries

    def apply(self, event: Event) -> None:
        s = self.state
        s.cache.apply(event)
        if isinstance(event, AttemptSucceeded):
            self._count(event.first_try)
            self._bucket(event.bucket_level, event.bucket_capacity)
            self._row(AttemptRow(event.ts, event.target, "", event.attempt, event.max_attempts, 0.0, "ok",
                                 event.fallback))
            s.upstream_retries += event.upstream_retries or 0
        elif isinstance(event, AttemptFailed):
            self._count(event.first_try)
            s.upstream_retries += event.upstream_retries or 0
            self._bucket(event.bucket_level, event.bucket_capacity)
            outcome = event.decision if event.decision in ("retry", "fallback") else f"stop:{event.reason}"
            if event.decision == "retry":
                s.backoff_s += event.wait_s
            if event.decision == "stop":
                s.last_stop = f"{event.target}: {event.reason.replace('_', ' ')} ({event.error_class})"
            if event.reason == "retry_budget":
                s.refused_by_budget += 1
            self._row(AttemptRow(event.ts, event.target, event.error_class, event.attempt, event.max_attempts,
                                 event.wait_s, outcome, event.fallback))
        elif isinstance(event, CallShortCircuited):
            s.short_circuited += 1
            outcome = "fallback" if event.fallback_target else "paused"
            self._row(AttemptRow(event.ts, event.target, "breaker_open", 0, 0, 0.0, outcome))
        elif isinstance(event, BreakerChanged):
            s.breakers[f"{event.scope}:{event.target}"] = BreakerView(
                scope=event.scope,
                target=event.target,
                state=event.state,
                reason=event.reason,
                half_open_at=event.ts + event.open_for_s if event.state == "open" else None,
                trips=event.trips,
            )
        elif isinstance(event, RetryTaxAccrued):
            s.tax_tokens += event.tokens
            s.tax_usd += event.usd or 0.0
            s.tax_priced += event.usd is not None
            s.tax_unpriced += event.usd is None
            source = tax_source({"source": event.source, "reason": event.reason})
            if tax_estimated(source):
                s.tax_estimated += event.tokens
                s.tax_estimate_kinds.add(source)
        elif isinstance(event, LoopDetected):
            s.loop_hits.insert(0, LoopHit(event.ts, event.pattern, event.action, event.tool, event.message,
                                          event.turn, event.count))
        elif isinstance(event, SessionStarted):
            self._imported = event.source != COCKPIT_SOURCE
        elif isinstance(event, ModelCallFinished):
            if self._imported:
                self._count(event.attempt <= 1)
            s.session_cost_usd += event.cost_usd or 0.0
            if event.proxy_key_spend_usd is not None:
                s.proxy_key_spend_usd = event.proxy_key_spend_usd
        elif isinstance(event, SubagentStatusChanged) and event.usage:  # a child's calls, once it is done
            retried = int(event.usage.get("retries") or 0)
            s.retries += retried
            s.first_tries += int(event.usage.get("model_calls") or 0) - retried
            s.session_cost_usd += event.usage.get("cost_usd") or 0.0
        elif isinstance(event, TelemetryDropped):
            s.telemetry_dropped = event.dropped
        elif isinstance(event, ToolCallFinished):
            status = getattr(event.status, "value", event.status)
            if status == "validation_error":
                s.semantic_errors[event.name] = s.semantic_errors.get(event.name, 0) + 1
            elif status in ("tool_error", "timeout"):
                where = f"{event.server} (MCP server)" if event.server else event.name  # a server's tools as one
                s.tool_failures[where] = s.tool_failures.get(where, 0) + 1

    def _count(self, first_try: bool) -> None:
        if first_try:
            self.state.first_tries += 1
        else:
            self.state.retries += 1

    def _bucket(self, level: float, capacity: float) -> None:
        self.state.bucket_level = level
        if capacity > 0:
            self.state.bucket_capacity = capacity

    def _row(self, row: AttemptRow) -> None:
        self.state.attempts.insert(0, row)
        del self.state.attempts[MAX_ROWS:]
