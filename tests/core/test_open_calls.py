"""Every tool call the model sent ends as exactly one finished row and one result, also when
the turn stops before running it: a halted loop, an interrupt on a reused id, a crash."""

from __future__ import annotations

import asyncio
import sqlite3

from app.agent.events import core as ev
from app.agent.events.transcript_view import OUTCOME_UNKNOWN, TOOL, TranscriptFold
from tests.core.helpers import make_session


def tool_results(session) -> list[tuple[str, str]]:
    return [(m["tool_call_id"], m["content"]) for m in session.agent.messages if m["role"] == "tool"]


async def wait_for_text(path, task: asyncio.Task) -> None:
    while not (path.exists() and path.read_text().strip()):  # the command is running
        assert not task.done()
        await asyncio.sleep(0.02)


async def test_the_calls_after_a_halted_loop_get_finished_rows(workspace, tmp_path, write_script):
    calls = [{"name": "read_file", "arguments": "{nope"} for _ in range(8)]
    model = write_script([{"tool_calls": calls}, {"text": "never reached"}])
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    result = await session.run_task("go")
    session.finish()
    assert result.outcome == "limit" and "stopped a loop" in result.message
    rows = db.execute("select tool_call_id, status, result from tool_calls order by rowid").fetchall()
    assert len(rows) == len(calls) == len(tool_results(session))
    assert len({r[0] for r in rows}) == len(calls)  # one row per call, each with its own id
    ran = [r for r in rows if r[1] == "validation_error"]
    not_run = [r for r in rows if r[1] == "cancelled"]
    assert ran and not_run and len(ran) + len(not_run) == len(calls)
    assert all(r[2].startswith("Not run: stopped a loop") for r in not_run)
    requested = [e.tool_call_id for e in events.of(ev.ToolCallRequested)]
    finished = [e.tool_call_id for e in events.of(ev.ToolCallFinished)]
    assert requested == finished == [r[0] for r in rows]


async def test_an_interrupt_on_a_reused_id_answers_both_calls(workspace, tmp_path, write_script):
    marker = workspace / "started.txt"
    model = write_script([{"tool_calls": [
        {"id": "same", "name": "bash", "arguments": {"command": "echo first"}},
        {"id": "same", "name": "bash", "arguments": {"command": f"echo go > {marker}; sleep 30"}},
        {"id": "same", "name": "list_dir", "arguments": {}},
    ]}])
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    task = asyncio.create_task(session.run_task("go"))
    await wait_for_text(marker, task)
    task.cancel()
    assert (await task).outcome == "interrupted"
    session.finish()
    results = tool_results(session)
    assert [i for i, _ in results] == ["same"] * 3  # the conversation keeps the model's id
    assert "first" in results[0][1]
    # The second call's ledger entry is its own (same#2): it started, so it may have run.
    assert results[1][1].startswith("May have run; outcome unknown") and "interrupted by the user" in results[1][1]
    assert results[2][1] == "Not run: interrupted by the user."
    rows = db.execute("select tool_call_id, status from tool_calls order by rowid").fetchall()
    assert rows == [("same", "ok"), ("same#2", "cancelled"), ("same#3", "cancelled")]


async def test_a_call_killed_mid_run_finishes_as_unknown_on_resume(workspace, tmp_path, write_script):
    marker = workspace / "started.txt"
    model = write_script([
        {"tool_calls": [{"id": "c", "name": "bash", "arguments": {"command": "echo ok"}},
                        {"id": "c", "name": "bash", "arguments": {"command": f"echo go > {marker}; sleep 30"}},
                        {"id": "w", "name": "write_file", "arguments": {"path": "later.txt", "content": "x"}}]},
        {"text": "I will check first."},
    ])
    session, _, db = make_session(model, workspace, tmp_path / "live.db")
    session.start()
    task = asyncio.create_task(session.run_task("go"))
    await wait_for_text(marker, task)
    # What a crash leaves: the database as it is now, while the command runs.
    crashed = tmp_path / "crashed.db"
    with sqlite3.connect(crashed) as copy:
        sqlite3.connect(tmp_path / "live.db").backup(copy)
    task.cancel()
    await task
    session.finish()

    resumed, events, db = make_session(model, workspace, crashed, resume=session.id)
    before = db.execute("select tool_call_id, status from tool_calls order by rowid").fetchall()
    assert before == [("c", "ok"), ("c#2", "running")]
    resumed.start()
    assert (await resumed.run_task("go on")).outcome == "completed"
    resumed.finish()
    rows = db.execute("select tool_call_id, status, result from tool_calls order by rowid").fetchall()
    assert [r[:2] for r in rows] == [("c", "ok"), ("c#2", "unknown"), ("w", "cancelled")]
    assert rows[1][2].startswith("May have run; outcome unknown") and rows[2][2].startswith("Not run")
    assert not (workspace / "later.txt").exists()
    # Only the calls left open were answered, under the model's ids, once each.
    assert [i for i, _ in tool_results(resumed)] == ["c", "c", "w"]
    finished = events.of(ev.ToolCallFinished)
    assert [(e.tool_call_id, e.status) for e in finished] == [("c#2", ev.ToolStatus.UNKNOWN),
                                                              ("w", ev.ToolStatus.CANCELLED)]
    assert not events.of(ev.ToolCallRequested)  # the killed run announced c#2; w's row is made by its end


def test_the_transcript_says_outcome_unknown():
    fold = TranscriptFold.of([
        ev.ToolCallRequested(tool_call_id="c", name="bash", arguments_raw="{}"),
        ev.ToolCallStarted(tool_call_id="c", name="bash"),
        ev.ToolCallFinished(tool_call_id="c", name="bash", status=ev.ToolStatus.UNKNOWN, result="May have run"),
    ])
    (entry,) = [e for e in fold.entries if e.kind == TOOL]
    assert (entry.status, entry.note, entry.done) == ("unknown", OUTCOME_UNKNOWN, True)
