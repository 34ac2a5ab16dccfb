"""A delegation end to end: the parent's model calls the task tool, a child session runs and answers."""

from __future__ import annotations

import json

from app.agent.events.subagents import ROLE_SUBAGENT, SubagentStatusChanged
from tests.subagents.support import converse, delegate, run_delegating, statuses
from tests.support.openai_server import Reply

SCHEMA = {"type": "object", "properties": {"files": {"type": "integer"}}, "required": ["files"],
          "additionalProperties": False}


async def test_a_child_completes_with_output_matching_the_schema(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "count the files": [delegate("Count the Python files.", output_schema=SCHEMA), Reply(text="There are 3.")],
        "Count the Python files.": [Reply(text='```json\n{"files": 3}\n```')],
    })
    result, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "count the files")

    assert result.outcome == "completed" and result.answer == "There are 3."
    changes = events.of(SubagentStatusChanged)
    assert statuses(changes) == ["submitted", "working", "completed"]
    final = changes[-1]
    assert final.output == {"files": 3} and not final.partial
    assert final.envelope == {} and changes[0].envelope["output_schema"] == SCHEMA
    envelope = changes[0].envelope
    assert envelope["parent_session_id"] == session.id and envelope["version"] == 1
    assert envelope["trace_id"] and envelope["idempotency_key"].startswith("task:")
    assert envelope["allowed_tools"] == [n for n in session.agent.tools.names() if n != "task"]
    # The model read the result envelope.
    tool_message = [m for m in session.agent.messages if m["role"] == "tool"][-1]
    returned = json.loads(tool_message["content"])
    assert returned["status"] == "completed" and returned["output"] == {"files": 3}
    assert returned["contract_version"] == 1 and returned["partial"] is False
    # The child is a session of its own, linked to the parent, its calls tagged subagent.
    child = db["sessions"].get(final.child_session_id)
    assert child["parent_id"] == session.id and child["status"] == "completed"
    roles = [r["role"] for r in db.query("select role from model_calls where session_id = ?", [child["id"]])]
    assert roles == [ROLE_SUBAGENT]
    # Its cost rolls up: the parent's limit counts its own calls and the child's.
    child_cost = db.execute("select sum(cost_usd) from model_calls where session_id = ?", [child["id"]]).fetchone()[0]
    own_cost = db.execute("select sum(cost_usd) from model_calls where session_id = ?", [session.id]).fetchone()[0]
    assert final.usage["cost_usd"] == child_cost > 0
    assert abs(session.agent.total_cost_usd - (own_cost + child_cost)) < 1e-12
    assert final.usage["model_calls"] == 1 and final.usage["prompt_tokens"] > 0


async def test_a_resumed_parent_still_counts_what_its_children_spent(openai_server, workspace, tmp_path):
    from tests.core.helpers import make_session
    from tests.subagents.support import MODEL, run_delegating

    converse(openai_server, {"count the files": [delegate("Count the Python files."), Reply(text="3.")],
                             "Count the Python files.": [Reply(text="3")]})
    _, session, _, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "count the files")
    spent = session.agent.total_cost_usd
    resumed, _, _ = make_session(MODEL, workspace, tmp_path / "c.db", api_base=openai_server.url, resume=session.id)
    own = db.execute("select sum(cost_usd) from model_calls where session_id = ?", [session.id]).fetchone()[0]
    assert abs(resumed.agent.total_cost_usd - spent) < 1e-12 and spent > own
