"""The timeline: pane states equal the live reducers' at every position, in any visiting order;
jumps land on the right events; the transcript is the one of that moment; imported sessions work."""

from __future__ import annotations

import dataclasses
import pickle
import random

import pytest

from app.agent.events import core as ev
from app.agent.events.budget import ContextMeasured
from app.agent.events.budget_view import BudgetState
from app.agent.events.feedback_view import FeedbackReducer
from app.agent.events.retries_view import RetriesReducer
from app.replay.synthetic import generate_session
from app.replay.timeline import Timeline, mark_of
from storage.importers import import_path
from storage.queries import load_events
from storage.redact import Redactor
from tests.support.session_files import CODEX, MINI


@pytest.fixture
def stored(recorded, recorded_db) -> list[dict]:
    return load_events(recorded_db, recorded.session_id)


def as_stored(event: ev.Event) -> ev.Event:
    """What the store changes before a reducer sees an event: secrets only (none here)."""
    if isinstance(event, ContextMeasured):
        return dataclasses.replace(event, categories=Redactor({}).scrub(event.categories))
    return event


def live_states(live: list[ev.Event], seq: int):
    """What the live panes held once the bus had carried the stored event ``seq``."""
    budget, retries, feedback = BudgetState(), RetriesReducer(), FeedbackReducer()
    for event in map(as_stored, live):
        budget.apply(event)
        retries.apply(event)
        feedback.apply(event)
        if event.persist and event.seq == seq:
            break
    return budget, retries.state, feedback.state


def assert_same(timeline: Timeline, position: int, expected) -> None:
    states = timeline.panes_at(position)
    budget, retries, feedback = expected
    assert states.budget == budget, position
    assert states.retries_state == retries, position
    assert states.feedback_state == feedback, position


def test_the_recorded_session_has_what_replay_is_for(stored):
    types = [row["type"] for row in stored]
    assert {"context_measured", "compaction_performed", "resilience_attempt_failed", "feedback_sampled"} <= set(types)
    assert any(r["type"] == "tool_call_finished" and r["status"] == "tool_error" for r in stored)
    assert any(r["type"] == "model_call_finished" and r["status"] == "error" for r in stored)


@pytest.mark.parametrize("every", [1, 4, 64])
def test_every_position_equals_the_live_reducers_in_any_order(recorded, stored, every):
    timeline = Timeline.from_stored(stored, checkpoint_every=every)
    expected = [live_states(recorded.live, row["seq"]) for row in stored]
    positions = list(range(len(stored)))
    order = positions + positions[::-1] + random.Random(every).sample(positions, len(positions))
    for position in order:
        assert_same(timeline, position, expected[position])
    # The budget pane had something to show and the compaction is in it at the end.
    end = timeline.panes_at(timeline.last)
    assert end.budget.measured is not None and end.budget.compactions
    assert end.retries_state.retries == 1 and end.retries_state.backoff_s > 0
    assert end.feedback_state.asked == 2


def test_stored_budget_categories_keep_their_keys(recorded, stored):
    live = [e for e in recorded.live if isinstance(e, ContextMeasured)]
    replayed = [e for e in Timeline.from_stored(stored).events if isinstance(e, ContextMeasured)]
    assert [c["key"] for e in replayed for c in e.categories] == [c["key"] for e in live for c in e.categories]


def test_checkpoints_give_the_same_state_forward_and_backward():
    events = generate_session(events=1_500)
    with_checkpoints = Timeline(events, checkpoint_every=16)
    without = Timeline(events, checkpoint_every=10_000)  # only the empty state: always folds from 0
    samples = list(range(0, len(events), 37)) + [len(events) - 1]

    def fingerprint(timeline: Timeline, position: int) -> tuple:
        s = timeline.panes_at(position)
        return (s.budget, s.retries_state, s.feedback_state)

    forward = {p: pickle.loads(pickle.dumps(fingerprint(with_checkpoints, p))) for p in samples}
    backward = {p: pickle.loads(pickle.dumps(fingerprint(with_checkpoints, p))) for p in reversed(samples)}
    for p in samples:
        assert forward[p] == backward[p] == fingerprint(without, p), p
    # Folding forward from a checkpoint never mutates the checkpoint: going back still matches.
    with_checkpoints.panes_at(len(events) - 1)
    assert fingerprint(with_checkpoints, 20) == fingerprint(without, 20)


def test_jumps_land_on_the_right_events(stored):
    timeline = Timeline.from_stored(stored)
    events = timeline.events
    kinds = {i: mark_of(e) for i, e in enumerate(events) if mark_of(e)}

    failed_call = next(i for i, e in enumerate(events) if isinstance(e, ev.ModelCallFinished) and e.status is ev.CallStatus.ERROR)
    failed_tool = next(i for i, e in enumerate(events) if isinstance(e, ev.ToolCallFinished) and e.status is ev.ToolStatus.TOOL_ERROR)
    retry_decision = next(i for i, e in enumerate(events) if e.type == "resilience_attempt_failed")
    second_attempt = next(i for i, e in enumerate(events) if isinstance(e, ev.ModelCallStarted) and e.attempt == 2)
    compaction = next(i for i, e in enumerate(events) if e.type == "compaction_performed")

    assert timeline.next_mark(0, "error") == failed_call
    assert timeline.next_mark(failed_call, "error") == failed_tool
    assert timeline.next_mark(failed_tool, "error") is None
    assert timeline.prev_mark(failed_tool, "error") == failed_call
    assert timeline.prev_mark(failed_call, "error") is None
    assert timeline.next_mark(0, "retry") == retry_decision
    assert timeline.next_mark(retry_decision, "retry") == second_attempt
    assert timeline.next_mark(0, "compaction") == compaction
    assert timeline.prev_mark(timeline.last, "compaction") == compaction
    assert sorted(kinds) == sorted(timeline.marks["error"] + timeline.marks["retry"] + timeline.marks["compaction"])

    turns = [i for i, e in enumerate(events) if isinstance(e, ev.TurnStarted)]
    assert len(turns) == 2
    assert timeline.next_turn(0) == turns[0]
    assert timeline.next_turn(turns[0]) == turns[1]
    assert timeline.next_turn(turns[1]) == timeline.last
    assert timeline.prev_turn(turns[1] + 3) == turns[1]
    assert timeline.prev_turn(turns[1]) == turns[0]
    assert timeline.prev_turn(turns[0]) == 0
    assert timeline.turn_at(turns[1] - 1) == 1 and timeline.turn_at(turns[1]) == 2 and timeline.turn_at(0) == 0


def test_the_transcript_is_the_one_of_that_moment(stored):
    timeline = Timeline.from_stored(stored)
    events = timeline.events
    failed = next(i for i, e in enumerate(events) if isinstance(e, ev.ToolCallFinished) and e.status is ev.ToolStatus.TOOL_ERROR)
    started = max(i for i in range(failed) if isinstance(events[i], ev.ToolCallStarted))

    def tool_entry(position: int):
        return [e for e in timeline.transcript_at(position) if e.kind == "tool" and e.name == "bash"][0]

    assert tool_entry(started).status == "running" and tool_entry(started).result == ""
    after = tool_entry(failed)
    assert after.status == "tool_error" and "[exit code 3]" in after.result and after.exit_code == 3
    assert after.arguments == '{"command": "exit 3"}'
    # Stepping back undoes it.
    assert tool_entry(started).status == "running"

    at_start = timeline.transcript_at(0)
    assert at_start == []
    kinds = [e.kind for e in timeline.transcript_at(timeline.last)]
    assert kinds[0] == "user" and kinds.count("user") == 2
    assert "model_error" in kinds and kinds.count("turn_end") == 2 and kinds[-1] == "session_end"
    texts = [e.text for e in timeline.transcript_at(timeline.last) if e.kind == "notice"]
    assert any("compacted" in t for t in texts)
    assert [e.text for e in timeline.transcript_at(timeline.last, last=2)][-2:] == [e.text for e in timeline.transcript_at(timeline.last)][-2:]
    assert len(timeline.transcript_at(timeline.last, last=3)) == 3
    # The entry an event touched is known; the screen highlights the latest one, which stays
    # marked over the events that leave the transcript alone (the tool result's message_appended).
    k = timeline.transcript.touched[failed]
    assert timeline.transcript.created[k] == timeline.transcript_at(failed)[k].index
    assert timeline.transcript.latest_at(failed) == timeline.transcript_at(failed)[k].index
    assert events[failed + 1].type == "message_appended" and timeline.transcript.touched[failed + 1] == -1
    assert timeline.transcript.latest_at(failed + 1) == timeline.transcript.latest_at(failed)
    assert timeline.transcript.latest_at(0) is None


def test_an_imported_session_replays(db):
    result = import_path(db, CODEX)
    timeline = Timeline.from_stored(load_events(db, result.session_id))
    failed_tools = db.execute(
        "select count(*) from tool_calls where session_id = ? and status not in ('ok')", [result.session_id]
    ).fetchone()[0]
    assert failed_tools > 0
    assert len(timeline.marks["error"]) == failed_tools
    end = timeline.panes_at(timeline.last)
    assert end.budget.empty  # imported sessions carry no budget events
    assert end.budget.model == db["sessions"].get(result.session_id)["model"]
    first_error = timeline.next_mark(0, "error")
    entry = [e for e in timeline.transcript_at(first_error) if e.kind == "tool"][-1]
    assert entry.status == "tool_error" and entry.result
    assert timeline.panes_at(0).budget.measured is None
    assert [e.kind for e in timeline.transcript_at(timeline.last)].count("user") == 2


def test_an_imported_session_with_failures_fills_the_retries_pane(db):
    result = import_path(db, MINI)
    timeline = Timeline.from_stored(load_events(db, result.session_id))
    cost = db.execute("select sum(cost_usd) from model_calls where session_id = ?", [result.session_id]).fetchone()[0]
    assert round(timeline.panes_at(timeline.last).retries_state.session_cost_usd, 7) == round(cost, 7)
    assert timeline.marks["error"]


def test_the_mark_strip_puts_errors_over_retries():
    events = generate_session(events=800)
    timeline = Timeline(events)
    strip = timeline.mark_strip(40)
    assert len(strip) == 40 and strip is timeline.mark_strip(40)  # cached per width
    for index in timeline.marks["error"]:
        assert strip[timeline.cell_of(index, 40)] == "error"
    assert {k for k in strip if k} <= {"error", "retry", "compaction"}
    assert timeline.cell_of(0, 40) == 0 and timeline.cell_of(timeline.last, 40) == 39


def test_an_empty_timeline_is_harmless():
    timeline = Timeline([])
    assert len(timeline) == 0 and timeline.transcript_at(0) == [] and timeline.panes_at(5).budget.empty
    assert timeline.next_mark(0, "error") is None and timeline.next_turn(0) == 0
    with pytest.raises(ValueError):
        Timeline([], checkpoint_every=0)
