"""Which tools a project's sessions called: the other half of the tool-definition tax.

A tool's definition is sent with every model call whether or not the model calls it; these
queries say which tools the last sessions of a workspace did call, so the ones never called
can be disabled (``cockpit tools``). Only Cockpit's own sessions count: an imported session's
tools are another agent's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

_RECENT = """select id from sessions
    where workspace = ? and source = 'cockpit' and exists (select 1 from model_calls m where m.session_id = sessions.id)
    order by started_at desc limit ?"""


@dataclass(frozen=True)
class ToolUsage:
    """Calls per tool name in the ``sessions`` considered (newest first) and in the newest one."""

    sessions: list[str]
    calls: dict[str, int] = field(default_factory=dict)  # in all of ``sessions``
    last_session: dict[str, int] = field(default_factory=dict)  # in ``sessions[0]``
    model_calls: int = 0  # the model calls of ``sessions``: each one carried every tool definition


def tool_usage(db: sqlite_utils.Database, workspace: str, *, last: int = 20, current: str | None = None) -> ToolUsage:
    """The tool calls of the workspace's ``last`` sessions that made a model call (``current``: this session
    first, as the newest, whether or not it made one yet)."""
    sessions = [str(row[0]) for row in db.execute(_RECENT, [workspace, last])]
    if current is not None:
        sessions = [current, *[s for s in sessions if s != current]][:last]
    if not sessions:
        return ToolUsage(sessions=[])
    marks = ", ".join("?" * len(sessions))
    calls = {str(name): int(n) for name, n in db.execute(
        f"select name, count(*) from tool_calls where session_id in ({marks}) group by name", sessions)}
    newest = {str(name): int(n) for name, n in db.execute(
        "select name, count(*) from tool_calls where session_id = ? group by name", [sessions[0]])}
    (model_calls,) = db.execute(f"select count(*) from model_calls where session_id in ({marks})", sessions).fetchone()
    return ToolUsage(sessions=sessions, calls=calls, last_session=newest, model_calls=int(model_calls))
