"""How a delegation ends: over budget, at its deadline, refused, asked again for its schema, replayed by key."""

from __future__ import annotations

import json

from app.agent.events.subagents import SubagentReplayed, SubagentStatusChanged
from tests.subagents.support import converse, delegate, delegating_session, run_delegating, statuses
from tests.support.openai_server import Hang, Reply, ToolCallSpec

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def last_tool_result(session) -> dict:
    return json.loads([m for m in session.agent.messages if m["role"] == "tool"][-1]["content"])


async def test_a_child_over_its_token_budget_is_stopped_and_its_result_is_partial(openai_server, workspace, tmp_path):
    (workspace / "a.py").write_text("print('a')\n")
    converse(openai_server, {
        "survey": [delegate("Read every file.", max_tokens=50), Reply(text="The child ran out.")],
        "Read every file.": [Reply(text="Reading a.py first.", tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})]),
                             Reply(text="never reached")],
    })
    result, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "survey the project")

    assert result.outcome == "completed" and result.answer == "The child ran out."
    final = events.of(SubagentStatusChanged)[-1]
    assert statuses(events.of(SubagentStatusChanged)) == ["submitted", "working", "failed"]
    assert final.partial and final.output == "Reading a.py first." and "token budget exceeded" in final.reason
    assert final.usage["prompt_tokens"] + final.usage["completion_tokens"] > 50
    returned = last_tool_result(session)
    assert returned["status"] == "failed" and returned["partial"] is True
    child_requests = [r for r in openai_server.chat_requests if "Read every file." in json.dumps(r.body["messages"][:2])]
    assert len(child_requests) == 1  # stopped after the call that crossed the budget
    assert db["sessions"].get(final.child_session_id)["status"] == "failed"


async def test_a_child_that_hangs_is_canceled_at_its_deadline(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "wait": [delegate("Think for a long time.", timeout_s=0.5), Reply(text="It timed out.")],
        "Think for a long time.": [Hang(seconds=30)],
    })
    result, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "wait for the child")

    assert result.outcome == "completed" and result.answer == "It timed out."
    changes = events.of(SubagentStatusChanged)
    assert statuses(changes) == ["submitted", "working", "canceled"]
    assert changes[-1].reason == "deadline reached" and not changes[-1].partial
    assert last_tool_result(session)["status"] == "canceled"
    assert db["sessions"].get(changes[-1].child_session_id)["status"] == "interrupted"


async def test_a_delegation_retried_with_the_same_key_returns_the_recorded_result(openai_server, workspace, tmp_path):
    again = delegate("Name the language.", idempotency_key="lang-1")
    converse(openai_server, {
        "which language": [again, again, Reply(text="Python, twice.")],
        "Name the language.": [Reply(text="Python.")],
    })
    _, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "which language is this?")

    assert statuses(events.of(SubagentStatusChanged)) == ["submitted", "working", "completed"]
    replayed = events.of(SubagentReplayed)
    assert len(replayed) == 1 and replayed[0].task_id == events.of(SubagentStatusChanged)[0].task_id
    assert replayed[0].idempotency_key == "lang-1"
    results = [json.loads(m["content"]) for m in session.agent.messages if m["role"] == "tool"]
    assert results[0] == results[1] and results[1]["output"] == "Python."
    children = [r for r in openai_server.chat_requests if "Name the language." in json.dumps(r.body["messages"][:2])]
    assert len(children) == 1  # the child ran once
    assert db.execute("select count(*) from sessions where parent_id = ?", [session.id]).fetchone()[0] == 1


async def test_the_same_key_with_other_arguments_is_refused(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "two things": [delegate("First thing.", idempotency_key="k"), delegate("Second thing.", idempotency_key="k"),
                       Reply(text="done")],
        "First thing.": [Reply(text="one")],
    })
    _, session, events, _ = await run_delegating(openai_server, workspace, tmp_path / "c.db", "two things")
    tool_messages = [m["content"] for m in session.agent.messages if m["role"] == "tool"]
    assert "already used" in tool_messages[1] and len(events.of(SubagentStatusChanged)) == 3


async def test_an_answer_off_the_schema_is_asked_for_again_then_completes(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "summarise": [delegate("Summarise the project.", output_schema=SCHEMA), Reply(text="ok")],
        "Summarise the project.": [Reply(text="It is a small project."), Reply(text='{"answer": "small"}')],
    })
    _, session, events, _ = await run_delegating(openai_server, workspace, tmp_path / "c.db", "summarise it")
    changes = events.of(SubagentStatusChanged)
    assert statuses(changes) == ["submitted", "working", "input_required", "working", "completed"]
    assert "not JSON" in changes[2].reason and changes[-1].output == {"answer": "small"}


async def test_an_answer_off_the_schema_twice_fails_and_is_not_passed_off_as_complete(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "summarise": [delegate("Summarise the project.", output_schema=SCHEMA), Reply(text="ok")],
        "Summarise the project.": [Reply(text='{"answer": 3}'), Reply(text="Still prose.")],
    })
    _, session, events, _ = await run_delegating(openai_server, workspace, tmp_path / "c.db", "summarise it")
    final = events.of(SubagentStatusChanged)[-1]
    assert final.status.value == "failed" and final.partial and final.output == "Still prose."
    assert last_tool_result(session)["status"] == "failed"


async def test_tools_the_parent_does_not_have_are_rejected(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "deploy": [delegate("Deploy it.", allowed_tools=["read_file", "deploy"]), Reply(text="refused")],
    })
    _, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "deploy the app")
    changes = events.of(SubagentStatusChanged)
    assert statuses(changes) == ["submitted", "rejected"] and "deploy" in changes[-1].reason
    assert db.execute("select count(*) from sessions where parent_id = ?", [session.id]).fetchone()[0] == 0


async def test_a_child_cannot_spend_past_the_parents_cost_limit(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "cheap": [delegate("Do it.", max_dollars=100.0), Reply(text="ok")],
        "Do it.": [Reply(text="done")],
    })
    _, session, events, _ = await run_delegating(openai_server, workspace, tmp_path / "c.db", "cheap task", max_cost_usd=0.5)
    envelope = events.of(SubagentStatusChanged)[0].envelope
    first_call = 0.5 - envelope["budget"]["dollars"]  # what the parent had spent when it delegated
    assert 0 < first_call < 0.5 and envelope["budget"]["dollars"] < 0.5


async def test_a_parent_interrupted_while_its_child_works_cancels_the_child(openai_server, workspace, tmp_path):
    import asyncio

    from app.agent.events.core import TurnFinished

    converse(openai_server, {
        "a long task": [delegate("Work for ages.", idempotency_key="long-1"), Reply(text="never")],
        "Work for ages.": [Hang(seconds=30)],
    })
    session, events, db = delegating_session(openai_server, workspace, tmp_path / "c.db")
    session.start()
    turn = asyncio.ensure_future(session.run_task("a long task"))
    for _ in range(2000):  # until the child's request is on the wire (state, not time)
        if any("Work for ages." in json.dumps(r.body["messages"][:2]) for r in openai_server.chat_requests):
            break
        await asyncio.sleep(0.005)
    turn.cancel()
    result = await turn
    session.finish()

    assert result.outcome == "interrupted" and events.of(TurnFinished)[-1].outcome == "interrupted"
    changes = events.of(SubagentStatusChanged)
    assert statuses(changes) == ["submitted", "working", "canceled"]
    assert changes[-1].reason == "the parent was interrupted"
    assert db["sessions"].get(changes[-1].child_session_id)["status"] == "interrupted"
    recorded = session.agent.tools.get("task").delegator.ledger.get("long-1")
    assert recorded.status == "done" and recorded.result["status"] == "canceled"  # not left pending


async def test_a_childs_retries_go_through_the_one_retry_layer_and_roll_up(openai_server, workspace, tmp_path):
    from app.agent.events.resilience import AttemptFailed
    from storage.queries import load_events
    from tests.support.openai_server import Fault

    converse(openai_server, {
        "retry": [delegate("Answer after a hiccup."), Reply(text="ok")],
        "Answer after a hiccup.": [lambda body: hiccup(body)],
    })
    faults = iter([Fault.rate_limited(retry_after=0)])

    def hiccup(body):
        return next(faults, Reply(text="fine"))

    _, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "retry once")
    final = events.of(SubagentStatusChanged)[-1]
    assert final.status.value == "completed" and final.usage["retries"] == 1 and final.usage["model_calls"] == 2
    child_events = load_events(db, final.child_session_id)
    assert [e["decision"] for e in child_events if e["type"] == AttemptFailed.type] == ["retry"]
    assert not events.of(AttemptFailed)  # stored with the child, counted in the parent's block and panes
    from app.agent.events.retries_view import RetriesReducer

    pane = RetriesReducer()
    for event in events:
        pane.apply(event)
    assert (pane.state.retries, pane.state.first_tries) == (1, 1 + 2)  # the child's 1 of 2, the parent's 2 first tries


async def test_the_same_task_asked_again_without_a_key_runs_again(openai_server, workspace, tmp_path):
    again = delegate("Run the tests.")
    converse(openai_server, {"test twice": [again, again, Reply(text="ran twice")],
                             "Run the tests.": [Reply(text="2 passed")]})
    _, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "test twice")
    assert statuses(events.of(SubagentStatusChanged)).count("completed") == 2 and not events.of(SubagentReplayed)
    assert db.execute("select count(*) from sessions where parent_id = ?", [session.id]).fetchone()[0] == 2
