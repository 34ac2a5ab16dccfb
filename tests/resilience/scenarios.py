"""Synthetic event streams shared by the reducer, storage and pane tests."""

from __future__ import annotations

from app.agent.events.core import CallStatus, Event, ModelCallFinished, ToolCallFinished, ToolStatus
from app.agent.events.resilience import (
    AttemptFailed,
    AttemptSucceeded,
    BreakerChanged,
    CallShortCircuited,
    LoopDetected,
    RetryTaxAccrued,
)

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
MODEL = "anthropic/claude-sonnet-4"


def stamp(events: list[Event], session_id: str = "s1") -> list[Event]:
    for seq, event in enumerate(events, start=1):
        event.session_id = session_id
        event.seq = seq
    return events


def finished(call_id: str, ts: float, cost: float) -> ModelCallFinished:
    return ModelCallFinished(call_id=call_id, model=MODEL, status=CallStatus.OK, cost_usd=cost, ts=ts,
                             usage={"prompt_tokens": 1000, "completion_tokens": 100, "reported": True})


def quiet() -> list[Event]:
    """A healthy session: every call succeeds on the first try."""
    events: list[Event] = []
    for i in range(4):
        ts = T0 + 10 * i
        events.append(AttemptSucceeded(call_id=f"c{i}", target=MODEL, attempt=1, max_attempts=3, first_try=True,
                                       bucket_level=50, bucket_capacity=50, ts=ts))
        events.append(finished(f"c{i}", ts + 1, 0.01))
    return stamp(events)


def storming() -> list[Event]:
    """529s: retries with backoff, the bucket drains, the breaker opens, a call is refused."""
    events: list[Event] = [
        AttemptSucceeded(call_id="c0", target=MODEL, attempt=1, first_try=True, bucket_level=50,
                         bucket_capacity=50, ts=T0),
        finished("c0", T0 + 1, 0.02),
    ]
    level = 50.0
    ts = T0 + 5
    for attempt in (1, 2, 3):
        decision, reason, wait = ("retry", "", 0.4 * attempt) if attempt < 3 else ("stop", "max_attempts", 0.0)
        if decision == "retry":
            level -= 10
        events.append(AttemptFailed(call_id="c1", target=MODEL, attempt=attempt, max_attempts=3,
                                    first_try=attempt == 1, error_kind="transient", error_class="overloaded",
                                    status=529, message="Overloaded", decision=decision, reason=reason,
                                    wait_s=wait, retry_cost=10 if decision == "retry" else 0,
                                    bucket_level=level, bucket_capacity=50, ts=ts))
        ts += 2
    events.append(AttemptFailed(call_id="c2", target=MODEL, attempt=1, max_attempts=3, first_try=True,
                                error_kind="transient", error_class="rate_limit", status=429, retry_after_s=2.0,
                                decision="retry", wait_s=2.0, retry_cost=10, bucket_level=20, bucket_capacity=50,
                                ts=ts))
    events.append(AttemptFailed(call_id="c2", target=MODEL, attempt=2, max_attempts=3, first_try=False,
                                error_kind="transient", error_class="overloaded", status=529,
                                decision="stop", reason="circuit_open", bucket_level=20, bucket_capacity=50,
                                ts=ts + 3))
    events.append(BreakerChanged(scope="model", target=MODEL, state="open", previous="closed",
                                 reason="5 consecutive failures (overloaded)", open_for_s=30.0, trips=1,
                                 ts=ts + 3))
    events.append(CallShortCircuited(call_id="c3", target=MODEL, half_open_in_s=20.0,
                                     message="paused", ts=ts + 13))
    events.append(BreakerChanged(scope="tool", target="mcp_search", state="open", previous="closed",
                                 reason="5 consecutive failures (timeout)", open_for_s=60.0, trips=2, ts=ts + 13))
    events.append(AttemptFailed(call_id="c4", target=MODEL, attempt=1, max_attempts=3, first_try=True,
                                error_kind="transient", error_class="server_error", status=500,
                                decision="stop", reason="retry_budget", bucket_level=0, bucket_capacity=50,
                                ts=ts + 14))
    events.append(RetryTaxAccrued(call_id="c1", attempt=1, model=MODEL, tokens=3000, usd=0.009,
                                  reason="failed_attempt", ts=ts + 15))
    return stamp(events)


def looping() -> list[Event]:
    """A model that keeps reading the same file, warned and then halted; semantic errors on edit."""
    events: list[Event] = [finished("c0", T0, 0.05)]
    for i in range(2):
        events.append(ToolCallFinished(tool_call_id=f"t{i}", name="edit", status=ToolStatus.VALIDATION_ERROR,
                                       error="missing required field 'old'", ts=T0 + i))
    events.append(LoopDetected(pattern="repeated_call", action="warn", tool="read_file", count=5, turn=1,
                               message="Loop check: you have called `read_file` with the same arguments 5 times.",
                               ts=T0 + 20))
    events.append(LoopDetected(pattern="repeated_call", action="halt", tool="read_file", count=6, turn=1,
                               message="Halted: the model kept calling `read_file` with the same arguments "
                                       "(6 times), even after a warning.", ts=T0 + 25))
    events.append(RetryTaxAccrued(call_id="c0", attempt=1, model=MODEL, tokens=5200, usd=0.0156,
                                  reason="loop_killed", ts=T0 + 26))
    return stamp(events)
