"""Read-only calls of one reply run side by side; results reach the model in its order.

The probe tool's calls end when the test releases them (``parallel_support``): no timing."""

from __future__ import annotations

import asyncio
import json

from app.agent.events import core as ev
from app.agent.parallel_tools import batches, runs_concurrently
from app.agent.tool_ids import OpenCall
from app.agent.tools.registry import ToolRegistry, default_tools
from tests.core.parallel_support import HeldApprover, Probe, Rig, probe_call, rig


def pairs_of(events: list[ev.Event]) -> dict[str, list[str]]:
    """Each call's requested/started/finished events, in order."""
    kinds = (ev.ToolCallRequested, ev.ToolCallStarted, ev.ToolCallFinished)
    calls: dict[str, list[str]] = {}
    for e in events:
        if isinstance(e, kinds):
            calls.setdefault(e.tool_call_id, []).append(e.type)
    return calls


def consistent(r: Rig) -> None:
    """Every call requested once and finished once, sequence numbers gap-free, stored as told."""
    for types in pairs_of(r.events).values():
        assert types.count("tool_call_requested") == 1 and types.count("tool_call_finished") == 1
        assert types[0] == "tool_call_requested" and types[-1] == "tool_call_finished"
    persisted = [e.seq for e in r.events if e.persist]
    assert persisted == list(range(1, len(persisted) + 1))
    assert r.stored_seqs() == persisted
    stored = r.stored_calls()
    for e in r.events.of(ev.ToolCallFinished):
        assert stored[e.tool_call_id] == (e.status.value, e.result)


async def test_results_reach_the_model_in_its_order_when_the_second_finishes_first(workspace, tmp_path, write_script):
    model = write_script([{"tool_calls": [probe_call("a"), probe_call("b")]}, {"text": "done"}])
    r = rig(model, workspace, tmp_path / "c.db")
    r.session.start()
    task = asyncio.create_task(r.session.run_task("look"))
    await r.probe.entered("a", "b")  # both running at once: one at a time, b would wait for a
    r.probe.release("b")
    await r.waiter.until(r.finished("b"))
    r.probe.release("a")
    result = await task
    r.session.finish()

    assert result.outcome == "completed"
    assert r.probe.order == ["b", "a"]
    assert [(e.arguments or {}).get("key") for e in r.events.of(ev.ToolCallFinished)] == ["b", "a"]
    assert r.tool_results() == ["probe a", "probe b"]  # what the second model call was sent
    roles = [m["role"] for m in r.session.agent.messages]
    assert roles == ["system", "user", "assistant", "tool", "tool", "assistant"]
    consistent(r)


async def test_at_most_parallel_tools_calls_run_at_once(workspace, tmp_path, write_script):
    model = write_script([{"tool_calls": [probe_call("a"), probe_call("b"), probe_call("c")]}, {"text": "done"}])
    r = rig(model, workspace, tmp_path / "c.db", parallel=2)
    r.session.start()
    task = asyncio.create_task(r.session.run_task("look"))
    await r.probe.entered("a", "b")
    r.probe.release("a")
    await r.probe.entered("c")  # c took a's place while b still runs
    assert [(e.arguments or {}).get("key") for e in r.events.of(ev.ToolCallFinished)] in ([], ["a"])  # b runs on
    r.probe.release("b", "c")
    assert (await task).outcome == "completed"
    r.session.finish()
    assert r.probe.most_inside == 2
    assert r.tool_results() == ["probe a", "probe b", "probe c"]
    consistent(r)


async def test_interrupting_cancels_every_running_call(workspace, tmp_path, write_script):
    calls = [probe_call(k) for k in "abc"]
    model = write_script([{"tool_calls": calls}, {"text": "never"}])
    r = rig(model, workspace, tmp_path / "c.db", parallel=2)
    r.session.start()
    task = asyncio.create_task(r.session.run_task("look"))
    await r.probe.entered("a", "b")  # c waits for a place
    task.cancel()  # what Esc does to the running turn
    result = await task
    r.session.finish()

    assert result.outcome == "interrupted"
    finished = r.events.of(ev.ToolCallFinished)
    assert sorted((e.arguments or {}).get("key", "c") for e in finished) == ["a", "b", "c"]
    assert {e.status for e in finished} == {ev.ToolStatus.CANCELLED}
    assert not r.probe.has_entered("c")  # never started: closed as not run
    results = r.tool_results()
    assert len(results) == 3 and results[2].startswith("Not run")
    assert r.probe.inside == 0
    consistent(r)


async def test_reads_batch_between_writes_that_are_approved_one_by_one(workspace, tmp_path, write_script):
    calls = [probe_call("a"), probe_call("b"),
             {"name": "write_file", "arguments": {"path": "x.txt", "content": "x"}},
             probe_call("c"), {"name": "bash", "arguments": {"command": "echo hi"}}, probe_call("d")]
    model = write_script([{"tool_calls": calls}, {"text": "done"}])
    approver = HeldApprover()
    r = rig(model, workspace, tmp_path / "c.db", approver=approver)
    r.session.start()
    task = asyncio.create_task(r.session.run_task("go"))
    await r.probe.entered("a", "b")
    assert not approver.requests  # the write waits for the reads before it
    r.probe.release("a", "b", "c", "d")
    await r.waiter.until(lambda e: isinstance(e, ev.ApprovalRequested) and e.name == "write_file")
    assert not r.probe.has_entered("c")  # nothing after the write starts before it is decided
    approver.answer("allow")
    await r.waiter.until(lambda e: isinstance(e, ev.ApprovalRequested) and e.name == "bash")
    assert r.probe.has_entered("c") and not r.probe.has_entered("d")
    approver.answer("deny")
    result = await task
    r.session.finish()

    assert result.outcome == "completed"
    assert (workspace / "x.txt").read_text() == "x"
    assert [q.name for q in approver.requests] == ["write_file", "bash"]
    statuses = [(e.name, e.status) for e in r.events.of(ev.ToolCallFinished)]
    assert statuses[2:] == [("write_file", ev.ToolStatus.OK), ("probe", ev.ToolStatus.OK),
                            ("bash", ev.ToolStatus.DENIED), ("probe", ev.ToolStatus.OK)]
    results = r.tool_results()
    assert results[:2] == ["probe a", "probe b"] and results[3] == "probe c" and results[5] == "probe d"
    consistent(r)


class Exclusive(Probe):
    name = "exclusive"
    parallel_safe = False  # read-only, but says its calls must not overlap


def test_batches_group_consecutive_valid_distinct_concurrent_calls_only():
    tools = ToolRegistry([*default_tools(), Probe(), Exclusive()])
    calls = [("read_file", {"path": "a"}), ("grep", {"pattern": "x"}), ("bash", {"command": "ls"}),
             ("glob", {"pattern": "*"}), ("list_dir", {}), ("exclusive", {"key": "e"}), ("probe", {"key": "1"}),
             ("nope", {}), ("probe", {"key": "1"}), ("probe", {"key": "2"}), ("probe", {"key": "1"}),
             ("probe", {"bad": 1}), ("write_file", {"path": "a", "content": ""})]
    open_calls = [OpenCall(f"m{i}", f"c{i}", name, json.dumps(args)) for i, (name, args) in enumerate(calls)]
    assert [[int(c.id[1:]) for c in batch] for batch in batches(open_calls, tools)] == [
        [0, 1], [2], [3, 4], [5], [6], [7], [8, 9], [10], [11], [12],
    ]  # a repeat (10) and an invalid call (11) run alone
    assert not runs_concurrently(None) and not runs_concurrently(tools.get("exclusive"))
