"""Counts read as what they are: a denied tool call is denied, not failed; one step is ``1 step``.

Through the store's summary, ``cockpit show``, the Markdown export and the /resume list.
"""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.format import count_of
from app.cli import main
from app.tui.session_files import resumable_sessions
from storage.queries import session_summary
from tests.support.store import store_events

MODEL = "scripted/x.json"


def session_with_a_denial(db) -> None:
    store_events(db, [
        ev.SessionStarted(model=MODEL, workspace="/w"), ev.TurnStarted(turn=1, user_text="go"),
        ev.ModelCallFinished(call_id="c1", turn=1, step=1, model=MODEL, status=ev.CallStatus.OK),
        ev.ToolCallRequested(tool_call_id="t1", name="bash", turn=1, step=1),
        ev.ToolCallFinished(tool_call_id="t1", name="bash", status=ev.ToolStatus.DENIED),
        ev.ToolCallRequested(tool_call_id="t2", name="read_file", turn=1, step=1),
        ev.ToolCallFinished(tool_call_id="t2", name="read_file", status=ev.ToolStatus.TOOL_ERROR),
        ev.TurnFinished(turn=1, steps=1),
    ], session_id="denied")


def test_count_of_says_one_and_many():
    assert [count_of(1, "step"), count_of(2, "step"), count_of(0, "step")] == ["1 step", "2 steps", "0 steps"]
    assert [count_of(1, "retry", "retries"), count_of(3, "retry", "retries")] == ["1 retry", "3 retries"]


def test_a_denied_tool_call_is_counted_as_denied_not_failed(capsys, db):
    session_with_a_denial(db)
    s = session_summary(db, "denied")
    assert (s["tool_calls"], s["tool_calls_ok"], s["tool_calls_failed"], s["tool_calls_denied"]) == (2, 0, 1, 1)
    db_path = db.conn.execute("pragma database_list").fetchone()[2]
    capsys.readouterr()
    assert main(["show", "denied", "--db", db_path]) == 0
    assert "tool calls   2 (0 ok, 1 failed, 1 denied)" in capsys.readouterr().out
    assert main(["export", "denied", "--format", "md", "--db", db_path]) == 0
    markdown = capsys.readouterr().out
    assert "- Model calls: 1 attempt · Tool calls: 2 (0 ok, 1 failed, 1 denied)" in markdown
    assert "_Turn 1: completed · 1 step_" in markdown
    [(_, _, help_line)] = resumable_sessions(db)
    assert " · 1 step · 2 tool calls · " in help_line
