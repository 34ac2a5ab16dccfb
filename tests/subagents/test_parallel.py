"""Children side by side: two task calls of one reply run at once (bounded by max_subagents), and what
they spend rolls up into the parent's figures."""

from __future__ import annotations

import threading

from app.agent.events.subagents import SubagentStatusChanged
from tests.subagents.support import converse, run_delegating
from tests.support.openai_server import Reply, ToolCallSpec

TWO_TASKS = Reply(tool_calls=[
    ToolCallSpec("task", {"description": "left", "prompt": "Left half."}),
    ToolCallSpec("task", {"description": "right", "prompt": "Right half."}),
])


async def test_two_children_run_at_the_same_time(openai_server, workspace, tmp_path):
    arrived = {"Left half.": threading.Event(), "Right half.": threading.Event()}

    def meets(mine: str, other: str):
        def step(body):
            arrived[mine].set()
            together = arrived[other].wait(timeout=20)  # the other child's request is in flight too
            return Reply(text=f"{mine} {'together' if together else 'alone'}")
        return step

    converse(openai_server, {
        "split": [TWO_TASKS, Reply(text="both done")],
        "Left half.": [meets("Left half.", "Right half.")],
        "Right half.": [meets("Right half.", "Left half.")],
    })
    result, session, events, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "split the work")

    assert result.answer == "both done"
    finals = [e for e in events.of(SubagentStatusChanged) if e.final]
    assert sorted(e.output for e in finals) == ["Left half. together", "Right half. together"]
    children = list(db.query("select id, parent_id, status from sessions where parent_id = ?", [session.id]))
    assert len(children) == 2 and {c["status"] for c in children} == {"completed"}
    # The roll-up: the parent's cost counts both children's calls.
    rows = db.execute("select sum(cost_usd) from model_calls").fetchone()[0]
    assert abs(session.agent.total_cost_usd - rows) < 1e-12
    assert sum(e.usage["model_calls"] for e in finals) == 2


async def test_max_subagents_bounds_how_many_run_at_once(openai_server, workspace, tmp_path):
    converse(openai_server, {
        "split": [TWO_TASKS, Reply(text="both done")],
        "Left half.": [Reply(text="left")],
        "Right half.": [Reply(text="right")],
    })
    _, session, events, _ = await run_delegating(openai_server, workspace, tmp_path / "c.db", "split the work", max_subagents=1)
    moves = [(e.description, e.status.value) for e in events.of(SubagentStatusChanged) if e.status.value != "submitted"]
    first = moves[0][0]
    assert moves[:2] == [(first, "working"), (first, "completed")]  # the second waited for the only slot
