"""The envelope, the state machine and the result, on their own."""

from __future__ import annotations

import pytest

from app.agent.events.core import event_from_dict
from app.agent.events.subagents import (CONTRACT_VERSION, TERMINAL, TRANSITIONS, SubagentStatus as S,
                                        SubagentStatusChanged, SubagentUsage)
from app.agent.subagents.contract import (IllegalTransition, TaskBudget, TaskEnvelope, TaskResult, TaskState,
                                          check_output)


def envelope(**changes) -> TaskEnvelope:
    fields = dict(task_id="task_1", parent_session_id="p", parent_call_id="call_1", trace_id="t", idempotency_key="k",
                  deadline=2e9, budget=TaskBudget(steps=5, tokens=100, dollars=0.5), allowed_tools=("read_file",),
                  description="d", instructions="do it", output_schema={"type": "object"})
    return TaskEnvelope(**{**fields, **changes})


def test_the_envelope_round_trips_and_carries_the_contract_version():
    e = envelope()
    assert TaskEnvelope.from_dict(e.to_dict()) == e and e.to_dict()["version"] == CONTRACT_VERSION


def test_each_legal_move_is_an_event_and_an_illegal_one_raises():
    seen: list[SubagentStatusChanged] = []
    state = TaskState(envelope(), seen.append)
    state.move(S.WORKING)
    state.move(S.INPUT_REQUIRED, "off the schema")
    state.move(S.WORKING)
    state.move(S.COMPLETED, output={"a": 1})
    assert [(e.previous, e.status) for e in seen] == [
        (None, S.SUBMITTED), (S.SUBMITTED, S.WORKING), (S.WORKING, S.INPUT_REQUIRED), (S.INPUT_REQUIRED, S.WORKING),
        (S.WORKING, S.COMPLETED)]
    with pytest.raises(IllegalTransition, match="completed → working"):
        state.move(S.WORKING)
    with pytest.raises(IllegalTransition):
        TaskState(envelope(), seen.append).move(S.COMPLETED)  # never completed without working


def test_terminal_statuses_have_no_way_out():
    assert TERMINAL == {S.COMPLETED, S.FAILED, S.CANCELED, S.REJECTED}
    assert all(not TRANSITIONS[s] for s in TERMINAL)


def test_a_completed_result_is_never_partial():
    with pytest.raises(ValueError):
        TaskResult(task_id="t", status=S.COMPLETED, partial=True)
    result = TaskResult(task_id="t", status=S.FAILED, partial=True, output="half", usage=SubagentUsage(cost_usd=None))
    assert TaskResult.from_dict(result.to_dict()) == result and result.to_dict()["usage"]["cost_usd"] is None


def test_a_stored_status_event_reads_back_with_its_enums():
    event = SubagentStatusChanged(task_id="t", status=S.CANCELED, previous=S.WORKING, partial=True)
    back = event_from_dict(event.to_dict())
    assert isinstance(back, SubagentStatusChanged) and back.status is S.CANCELED and back.previous is S.WORKING
    assert back.final and back.contract_version == CONTRACT_VERSION


@pytest.mark.parametrize("text, value, ok", [
    ('{"n": 1}', {"n": 1}, True),
    ('```json\n{"n": 1}\n```', {"n": 1}, True),
    ('{"n": "one"}', {"n": "one"}, False),
    ("one", "one", False),
])
def test_an_output_is_checked_against_the_schema(text, value, ok):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    output, problems = check_output(schema, text)
    assert output == value and (not problems) == ok


def test_without_a_schema_the_text_is_the_output():
    assert check_output(None, "anything") == ("anything", [])
