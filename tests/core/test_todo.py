"""todo_write through the real loop: the list is validated, announced, stored and folded."""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.todo import TodoItem, TodoList, TodoStatus, TodoUpdated, checklist_line, progress
from app.agent.events.transcript_view import TODO, TranscriptFold
from storage.queries import load_events
from tests.core.helpers import make_session

PLAN = [
    {"id": "read", "content": "Read calc.py", "status": "completed"},
    {"id": "fix", "content": "Fix add", "status": "in_progress", "priority": "high"},
    {"id": "test", "content": "Run the tests", "status": "pending"},
]


def todo_call(todos: object) -> dict:
    return {"tool_calls": [{"name": "todo_write", "arguments": {"todos": todos}}]}


async def run(workspace, tmp_path, write_script, turns: list[dict], *, yes: bool = True):
    session, events, db = make_session(write_script([*turns, {"text": "Done."}]), workspace, tmp_path / "c.db", yes=yes)
    session.start()
    await session.run_task("plan it")
    session.finish()
    return session, events, db


async def test_the_list_is_saved_announced_stored_and_folded(workspace, tmp_path, write_script):
    done = [{**item, "status": "done"} for item in PLAN]
    session, events, db = await run(workspace, tmp_path, write_script, [todo_call(PLAN), todo_call(done)], yes=False)

    finished = events.of(ev.ToolCallFinished)
    assert [(e.name, e.status) for e in finished] == [("todo_write", ev.ToolStatus.OK)] * 2
    assert finished[0].result == "Todo list saved (1/3 done)."
    assert finished[1].result == "Todo list saved (3/3 done)."
    assert not events.of(ev.ApprovalRequested)  # no approval, even headless without --yes

    updates = events.of(TodoUpdated)
    assert len(updates) == 2
    assert updates[0].todos() == (
        TodoItem("read", "Read calc.py", TodoStatus.DONE),  # "completed" is read as done
        TodoItem("fix", "Fix add", TodoStatus.IN_PROGRESS, "high"),
        TodoItem("test", "Run the tests", TodoStatus.PENDING),
    )
    # Each update comes right after its call's ToolCallFinished.
    order = [e for e in events if isinstance(e, (ev.ToolCallFinished, TodoUpdated))]
    assert [type(e) for e in order] == [ev.ToolCallFinished, TodoUpdated] * 2

    stored = [ev.event_from_dict(row) for row in load_events(db, session.id)]
    assert [e.todos() for e in stored if isinstance(e, TodoUpdated)] == [u.todos() for u in updates]
    assert TodoList.of(stored).items == updates[1].todos()
    assert all(item.status is TodoStatus.DONE for item in TodoList.of(stored).items)
    assert not list(workspace.iterdir())  # no side effects

    fold = TranscriptFold.of(stored)
    checklists = [e for e in fold.entries if e.kind == TODO]
    assert [e.text for e in checklists] == ["1/3 done", "3/3 done"]
    assert [checklist_line(i) for i in checklists[0].todos] == ["☑ Read calc.py", "▶ Fix add", "☐ Run the tests"]


async def test_bad_lists_are_clean_errors_for_the_model(workspace, tmp_path, write_script):
    turns = [
        todo_call([{"content": "x", "status": "started"}]),
        todo_call([{"status": "pending"}]),
        todo_call([{"content": "   ", "status": "pending"}]),
        todo_call([{"id": "a", "content": "x", "status": "pending"}, {"id": "a", "content": "y", "status": "done"}]),
        todo_call("not a list"),
    ]
    _, events, _ = await run(workspace, tmp_path, write_script, turns)

    finished = events.of(ev.ToolCallFinished)
    assert [e.status for e in finished] == [ev.ToolStatus.VALIDATION_ERROR, ev.ToolStatus.VALIDATION_ERROR,
                                            ev.ToolStatus.TOOL_ERROR, ev.ToolStatus.TOOL_ERROR,
                                            ev.ToolStatus.VALIDATION_ERROR]
    assert "'todos[0].status' must be one of" in finished[0].result and '"started"' in finished[0].result
    assert "missing required field 'todos[0].content'" in finished[1].result
    assert finished[2].result == "item 1 has no content"
    assert "two items have the id 'a'" in finished[3].result
    assert "'todos' must be an array" in finished[4].result
    assert not events.of(TodoUpdated)  # nothing is announced for a list that was refused
    assert all(not e.crashed for e in finished)


async def test_several_in_progress_are_saved_with_a_note_and_an_empty_list_clears(workspace, tmp_path, write_script):
    busy = [{"content": "a", "status": "in_progress"}, {"content": "b", "status": "in_progress"}]
    _, events, _ = await run(workspace, tmp_path, write_script, [todo_call(busy), todo_call([])])

    first, second = events.of(ev.ToolCallFinished)
    assert first.status is ev.ToolStatus.OK
    assert first.result == ("Todo list saved (0/2 done). Note: 2 items are in progress; "
                            "keep one in progress at a time.")
    assert [i.id for i in events.of(TodoUpdated)[0].todos()] == ["1", "2"]  # ids default to the position
    assert second.result == "Todo list cleared."
    assert TodoList.of(events).items == ()


async def test_todo_write_runs_in_plan_mode(workspace, tmp_path, write_script):
    session, events, _ = make_session(write_script([todo_call(PLAN), {"text": "ok"}]), workspace,
                                      tmp_path / "p.db", yes=False, permission_mode="plan")
    session.start()
    await session.run_task("plan")
    session.finish()
    assert [e.status for e in events.of(ev.ToolCallFinished)] == [ev.ToolStatus.OK]
    assert progress(TodoList.of(events).items) == "1/3 done"
