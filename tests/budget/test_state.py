"""The reducer the pane and replay share."""

from __future__ import annotations

from app.agent.events.budget import CalibrationUpdated, CompactionPerformed, ContextMeasured
from app.agent.events.budget_view import BudgetState
from app.agent.events.core import SessionStarted, TurnStarted, event_from_dict
from tests.budget.scenarios import after_compaction_session, near_threshold_session, state_from


def test_a_new_state_is_empty_and_calm() -> None:
    state = BudgetState()
    assert state.empty and state.level == "calm"
    assert state.segments() == [] and state.thresholds() == [] and state.series() == []
    assert state.growth_last is None and state.last_compaction is None


def test_events_round_trip_through_dicts() -> None:
    for event in (
        ContextMeasured(used=5, categories=[{"key": "user", "tokens": 5}], calibration={"badge": "x"}),
        CompactionPerformed(step="summarize", reason="manual", items=[{"id": "m3"}], summary="s"),
        CalibrationUpdated(model="m", estimated=1, provider=2, p95_error_pct=None),
    ):
        assert event_from_dict(event.to_dict()) == event


async def test_the_state_follows_a_session_turn_by_turn() -> None:
    recorder, _budget, _messages = await near_threshold_session()
    state = state_from(recorder.events)
    assert state.model == "openai/gpt-4o" and state.turn == 4
    measured = recorder.of_type("context_measured")
    assert state.measured == measured[-1] and state.level == "warning"
    assert state.series() == [m.local_total for m in measured]  # one basis: the local count
    assert state.growth_last == measured[-1].local_total - measured[-2].local_total
    assert state.badge == recorder.of_type("calibration_updated")[-1].badge
    assert state.last_unattributed == recorder.of_type("calibration_updated")[-1].unattributed
    segments = state.segments()
    assert [s.key for s in segments][-3:] == ["free", "buffer", "reserve"]
    assert sum(s.tokens for s in segments) == state.measured.advertised  # not over-full: the bar is the window
    warn, compact = state.thresholds()
    assert warn == ("warn", state.measured.fixed + state.measured.warn_at)
    assert compact[1] > warn[1]


async def test_after_compaction_the_last_value_of_the_turn_wins() -> None:
    recorder = await after_compaction_session()
    state = state_from(recorder.events)
    steps = recorder.of_type("compaction_performed")
    assert state.compactions == steps and state.last_compaction == steps[-1]
    assert state.per_turn[5] == recorder.events[-1].local_total
    assert state.growth_last is not None and state.growth_last < 0
    assert state.level == "calm"


def test_turn_numbers_come_from_turn_started_when_measurements_carry_none() -> None:
    state = BudgetState()
    for event in (SessionStarted(model="m"), TurnStarted(turn=3), ContextMeasured(local_total=70)):
        state.apply(event)
    assert state.per_turn == {3: 70}


def test_only_recent_compactions_are_kept() -> None:
    state = BudgetState()
    for i in range(9):
        state.apply(CompactionPerformed(step="cap_results", tokens_before=i + 1, tokens_after=i))
    assert [c.tokens_after for c in state.compactions] == [4, 5, 6, 7, 8]
