"""The agent loop, driven by the scripted model through the real litellm path."""

from __future__ import annotations

import asyncio
import json

from app.agent.events import core as ev
from tests.core.helpers import make_session
from tests.support.processes import all_gone, running, unique_sleep



async def test_multi_step_task_reads_edits_and_runs(workspace, tmp_path, write_script):
    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    model = write_script(
        [
            {"text": "Reading.", "tool_calls": [{"name": "read_file", "arguments": {"path": "calc.py"}}]},
            {"tool_calls": [{"name": "edit_file", "arguments": {"path": "calc.py", "old_string": "a - b", "new_string": "a + b"}}]},
            {"tool_calls": [{"name": "bash", "arguments": {"command": "python3 -c 'import calc; print(calc.add(2, 3))'"}}]},
            {"text": "Fixed: add returns a + b."},
        ]
    )
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    result = await session.run_task("fix add")
    session.finish()

    assert result.outcome == "completed" and result.steps == 4
    assert result.answer == "Fixed: add returns a + b."
    assert "a + b" in (workspace / "calc.py").read_text()
    finished = events.of(ev.ToolCallFinished)
    assert [(e.name, e.status) for e in finished] == [
        ("read_file", ev.ToolStatus.OK),
        ("edit_file", ev.ToolStatus.OK),
        ("bash", ev.ToolStatus.OK),
    ]
    assert finished[2].result.strip().startswith("5")
    # The conversation the model saw: system, user, then assistant/tool pairs.
    roles = [m["role"] for m in session.agent.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant"]
    # Stored: one model_calls row per call, tool calls with status, session completed.
    assert db.execute("select count(*) from model_calls where status = 'ok'").fetchone()[0] == 4
    assert db.execute("select status from sessions").fetchone()[0] == "completed"
    statuses = [r[0] for r in db.execute("select status from tool_calls order by requested_at")]
    assert statuses == ["ok", "ok", "ok"]
    seqs = [r[0] for r in db.execute("select seq from events order by seq")]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_malformed_arguments_and_unknown_tools_go_back_to_the_model(workspace, tmp_path, write_script):
    model = write_script(
        [
            {"tool_calls": [{"name": "read_file", "arguments": "{\"path\": "}]},
            {"tool_calls": [{"name": "launch_rocket", "arguments": {}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "x", "colour": "red"}}]},
            {"text": "giving up"},
        ]
    )
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    result = await session.run_task("go")
    assert result.outcome == "completed"
    finished = events.of(ev.ToolCallFinished)
    assert [e.status for e in finished] == [ev.ToolStatus.VALIDATION_ERROR] * 3
    assert "invalid arguments for read_file" in finished[0].result
    assert "unknown tool 'launch_rocket'" in finished[1].result and "read_file" in finished[1].result
    assert "colour" in finished[2].result
    tool_messages = [m for m in session.agent.messages if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == [e.result for e in finished]
    assert db.execute("select count(*) from tool_calls where status = 'validation_error'").fetchone()[0] == 3


async def test_headless_without_yes_refuses_writes_clearly(workspace, tmp_path, write_script):
    model = write_script(
        [{"tool_calls": [{"name": "write_file", "arguments": {"path": "new.txt", "content": "hi"}}]}, {"text": "ok"}]
    )
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", yes=False)
    session.start()
    await session.run_task("write")
    assert not (workspace / "new.txt").exists()
    done = events.of(ev.ToolCallFinished)[0]
    assert done.status is ev.ToolStatus.DENIED
    assert "--yes" in done.result
    resolved = events.of(ev.ApprovalResolved)[0]
    assert resolved.decision == "deny" and resolved.automatic


async def test_step_limit_stops_the_turn(workspace, tmp_path, write_script):
    model = write_script([{"tool_calls": [{"name": "list_dir", "arguments": {}}]}] * 10)
    session, events, db = make_session(model, workspace, tmp_path / "c.db", max_steps=3)
    session.start()
    result = await session.run_task("loop forever")
    session.finish()
    assert result.outcome == "limit" and result.steps == 3
    limit = events.of(ev.LimitReached)[0]
    assert limit.kind == "steps" and limit.limit == 3
    assert db.execute("select status from sessions").fetchone()[0] == "limit"


async def test_cost_limit_counts_litellm_cost(workspace, tmp_path, write_script):
    model = write_script([{"tool_calls": [{"name": "list_dir", "arguments": {}}]}] * 5)
    session, events, _ = make_session(model, workspace, tmp_path / "c.db", max_cost=0.5)
    session.agent.total_cost_usd = 0.6  # as if earlier calls had cost that much
    session.start()
    result = await session.run_task("go")
    assert result.outcome == "limit"
    assert events.of(ev.LimitReached)[0].kind == "cost"


async def test_interrupt_mid_bash_kills_the_command_and_keeps_the_session_usable(workspace, tmp_path, write_script):
    marker = workspace / "started.txt"
    sleeper = unique_sleep()  # found by its command line: in the sandbox's PID namespace $$ means nothing here
    model = write_script(
        [
            {"tool_calls": [{"name": "bash", "arguments": {"command": f"echo started > {marker}; {sleeper}"}}]},
            {"text": "second task answered"},
        ]
    )
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    task = asyncio.create_task(session.run_task("sleep"))
    for _ in range(200):
        if marker.exists() and marker.read_text().strip():
            break
        await asyncio.sleep(0.05)
    for _ in range(200):
        if running(sleeper):
            break
        await asyncio.sleep(0.05)
    assert running(sleeper)
    task.cancel()
    result = await task
    assert result.outcome == "interrupted"
    assert events.of(ev.Interrupted)
    cancelled = events.of(ev.ToolCallFinished)[0]
    assert cancelled.status is ev.ToolStatus.CANCELLED
    assert await all_gone(sleeper)
    # Every tool call has its result, so the next turn is a valid conversation.
    again = await session.run_task("next")
    assert again.outcome == "completed" and again.answer == "second task answered"
    assert db.execute("select count(*) from tool_calls where status = 'cancelled'").fetchone()[0] == 1


async def test_provider_error_becomes_a_readable_notice(workspace, tmp_path, write_script):
    model = write_script([{"error": {"status": 401, "message": "invalid x-api-key"}}])
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    result = await session.run_task("hi")
    session.finish()
    assert result.outcome == "failed"
    notice = events.of(ev.Notice)[-1]
    assert notice.level == "error" and "invalid x-api-key" in notice.message
    row = db.execute("select status, error_class from model_calls").fetchone()
    assert row[0] == "error" and row[1]
    assert db.execute("select status from sessions").fetchone()[0] == "failed"


async def test_events_round_trip_through_to_dict(workspace, tmp_path, write_script):
    model = write_script([{"text": "hello", "tool_calls": [{"name": "list_dir", "arguments": {}}]}, {"text": "bye"}])
    session, events, _ = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("hi")
    for event in events:
        again = ev.event_from_dict(json.loads(json.dumps(event.to_dict())))
        assert again == event


async def test_a_session_resumes_with_its_conversation_and_model(workspace, tmp_path, write_script):
    from app.agent.approvals import HeadlessApprover
    from app.runtime import RunOptions, build_session
    from app.settings import Settings
    from storage.store import EventStore

    model = write_script([{"text": "first answer"}, {"text": "second answer"}])
    session, _, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("first task")
    session.finish()

    options = RunOptions(workspace=workspace, resume=session.id[:6], yes=True)
    again = build_session(Settings(), options, human=HeadlessApprover(True), store=EventStore(db))
    assert again.id == session.id and again.resumed
    assert again.agent.model.name == model
    assert [m["content"] for m in again.agent.messages[1:]] == ["first task", "first answer"]
    again.start()
    result = await again.run_task("second task")
    again.finish()
    assert result.answer == "second answer"  # the script continued where the session left off
    seqs = [r[0] for r in db.execute("select seq from events where session_id = ? order by seq", [session.id])]
    assert seqs == list(range(1, len(seqs) + 1))
    assert db.execute("select status from sessions").fetchone()[0] == "completed"
    assert db.execute("select count(*) from sessions").fetchone()[0] == 1


async def _one_finished_task(model: str, workspace, db_path):
    session, _, db = make_session(model, workspace, db_path)
    session.start()
    await session.run_task("only task")
    session.finish()
    return session, db


async def test_continue_picks_the_latest_session_of_the_workspace(workspace, tmp_path, write_script):
    from app.runtime import RunOptions, resolve_resume

    session, db = await _one_finished_task(write_script([{"text": "a"}]), workspace, tmp_path / "c.db")
    options = RunOptions(workspace=workspace)
    assert resolve_resume(db, options, latest_in_workspace=True)["id"] == session.id
    assert options.resume == session.id


async def test_a_session_that_never_got_a_task_is_not_latest_continued_or_listed(workspace, tmp_path, write_script):
    from app.runtime import RunOptions, resolve_resume
    from storage.queries import list_sessions, resolve_session_id

    model = write_script([{"text": "a"}])
    real, db = await _one_finished_task(model, workspace, tmp_path / "c.db")
    empty, _, _ = make_session(model, workspace, tmp_path / "c.db")  # the app opened, nothing was typed
    empty.start()
    # open and waiting for its first task: not listed, not latest, not continued either
    assert [r["id"] for r in list_sessions(db)] == [real.id]
    assert resolve_session_id(db, "latest") == real.id
    assert resolve_resume(db, RunOptions(workspace=workspace), latest_in_workspace=True)["id"] == real.id
    empty.finish()

    assert resolve_session_id(db, "latest") == real.id
    assert resolve_resume(db, RunOptions(workspace=workspace), latest_in_workspace=True)["id"] == real.id
    assert [r["id"] for r in list_sessions(db)] == [real.id]
    assert resolve_session_id(db, empty.id) == empty.id  # still there, by its id


async def test_interrupt_while_waiting_for_approval_closes_the_call(workspace, tmp_path, write_script):
    from app.agent.events.approvals import ApprovalDecision

    class NeverAnswers:
        async def decide(self, request):
            await asyncio.Event().wait()
            return ApprovalDecision("allow")

    model = write_script([{"tool_calls": [{"name": "write_file", "arguments": {"path": "x.txt", "content": "x"}}]}])
    session, events, db = make_session(model, workspace, tmp_path / "c.db", yes=False)
    session.agent.approvals.human = NeverAnswers()
    session.agent.approvals.mode = session.agent.approvals.mode.ASK
    session.start()
    task = asyncio.create_task(session.run_task("write"))
    for _ in range(200):
        if events.of(ev.ApprovalRequested):
            break
        await asyncio.sleep(0.02)
    task.cancel()
    result = await task
    assert result.outcome == "interrupted" and not (workspace / "x.txt").exists()
    assert events.of(ev.ApprovalResolved)[-1].decision == "deny"
    row = db.execute("select status, approval, result from tool_calls").fetchone()
    assert row[0] == "cancelled" and row[1] == "deny" and "interrupted" in row[2]


async def test_a_resumed_session_keeps_counting_its_cost(workspace, tmp_path, write_script):
    from app.agent.approvals import HeadlessApprover
    from app.runtime import RunOptions, build_session
    from app.settings import Settings
    from storage.store import EventStore

    model = write_script([{"text": "a"}, {"text": "b"}])
    session, _, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("first")
    session.finish()
    db.execute("update model_calls set cost_usd = 0.75")  # as if the first task had cost that
    again = build_session(Settings(), RunOptions(workspace=workspace, resume=session.id, max_cost=0.5),
                          human=HeadlessApprover(True), store=EventStore(db))
    assert again.agent.total_cost_usd == 0.75
    again.start()
    result = await again.run_task("second")
    assert result.outcome == "limit"
