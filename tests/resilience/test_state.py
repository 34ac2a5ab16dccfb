"""The reducer folds events into what the pane shows; events round-trip for replay."""

from __future__ import annotations

import pytest

from app.agent.events.core import event_from_dict
from app.agent.resilience.config import ResilienceConfig
from app.agent.events.resilience import (
    AttemptFailed,
    AttemptSucceeded,
    BreakerChanged,
    CallShortCircuited,
    LoopDetected,
    RetryRatioAlarm,
    RetryTaxAccrued,
)
from app.agent.events.retries_view import RetriesReducer
from tests.resilience import scenarios
from tests.resilience.scenarios import MODEL, T0


def fold(events):
    reducer = RetriesReducer()
    for event in events:
        reducer.apply(event)
    return reducer.state


@pytest.mark.parametrize(
    "event",
    [
        AttemptSucceeded(call_id="c", target="m", attempt=2, first_try=False, fallback=True, bucket_level=3.5),
        AttemptFailed(call_id="c", target="m", error_kind="transient", error_class="rate_limit", status=429,
                      retry_after_s=2.0, decision="retry", wait_s=2.0, retry_cost=10, bucket_level=40),
        CallShortCircuited(call_id="c", target="m", fallback_target="b", half_open_in_s=3.0, message="x"),
        BreakerChanged(scope="tool", target="bash", state="open", previous="closed", reason="r", open_for_s=30),
        RetryRatioAlarm(level="alarm", ratio=0.25, retries=5, first_tries=20),
        RetryTaxAccrued(call_id="c", attempt=1, model="m", tokens=10, usd=0.5, reason="resent_input"),
        LoopDetected(pattern="alternation", action="halt", message="m", tool="grep", count=6, turn=2),
    ],
)
def test_events_round_trip(event):
    event.session_id, event.seq = "s", 9
    assert event_from_dict(event.to_dict()) == event


def test_initial_state_comes_from_the_config():
    state = RetriesReducer(ResilienceConfig(bucket_capacity=80, ratio_warn=0.05, ratio_alarm=0.5)).state
    assert (state.bucket_level, state.bucket_capacity, state.ratio_warn, state.ratio_alarm) == (80, 80, 0.05, 0.5)
    assert state.retry_ratio == 0 and state.tax_share is None and not state.storming


def test_quiet_session():
    state = fold(scenarios.quiet())
    assert (state.first_tries, state.retries, state.ratio_level) == (4, 0, "ok")
    assert [row.outcome for row in state.attempts] == ["ok"] * 4
    assert state.attempts[0].ts > state.attempts[-1].ts  # newest first
    assert state.session_cost_usd == pytest.approx(0.04)
    assert not state.storming and state.breakers == {}


def test_storming_session():
    state = fold(scenarios.storming())
    assert (state.first_tries, state.retries) == (4, 3)
    assert state.retry_ratio == pytest.approx(0.75) and state.ratio_level == "alarm"
    assert state.bucket_level == 0 and state.refused_by_budget == 1
    assert state.backoff_s == pytest.approx(0.4 + 0.8 + 2.0)
    assert state.short_circuited == 1
    model = state.breakers[f"model:{MODEL}"]
    assert model.state == "open" and model.half_open_at == T0 + 14 + 30
    assert model.half_open_in(now=T0 + 30) == pytest.approx(14)
    assert state.breakers["tool:mcp_search"].half_open_in(now=T0 + 10_000) == 0
    assert state.storming
    assert [row.outcome for row in state.attempts][:3] == ["stop:retry_budget", "paused", "stop:circuit_open"]
    assert state.last_stop.startswith(f"{MODEL}: retry budget")
    assert (state.tax_tokens, state.tax_usd) == (3000, 0.009)
    assert state.tax_share == pytest.approx(0.009 / 0.02)


def test_looping_session():
    state = fold(scenarios.looping())
    assert [(h.pattern, h.action) for h in state.loop_hits] == [("repeated_call", "halt"), ("repeated_call", "warn")]
    assert state.semantic_errors == {"edit": 2}
    assert state.tax_share == pytest.approx(0.0156 / 0.05)


def test_replay_from_stored_dicts_gives_the_same_state():
    events = scenarios.storming()
    replayed = fold(event_from_dict(e.to_dict()) for e in events)
    assert replayed == fold(events)


def test_the_log_keeps_the_newest_rows():
    reducer = RetriesReducer()
    for i in range(250):
        reducer.apply(AttemptSucceeded(call_id=f"c{i}", target="m", ts=float(i)))
    assert len(reducer.state.attempts) == 200
    assert reducer.state.attempts[0].ts == 249.0
    assert reducer.state.first_tries == 250
