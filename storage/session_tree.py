"""Sessions as a tree: a child session (a delegated task, an imported Claude Code sub-agent, a
replay's re-run) names its parent in ``sessions.parent_id``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils


def parents_of(db: sqlite_utils.Database, session_ids: Sequence[str]) -> dict[str, str]:
    """session id → its parent's id, for those of ``session_ids`` that have one."""
    found: dict[str, str] = {}
    ids = list(session_ids)
    for start in range(0, len(ids), 500):  # within SQLite's limit on bound parameters
        chunk = ids[start:start + 500]
        sql = f"select id, parent_id from sessions where parent_id is not null and id in ({', '.join('?' * len(chunk))})"
        found.update({row[0]: row[1] for row in db.execute(sql, chunk)})
    return found


def family(db: sqlite_utils.Database, session_id: str) -> dict[str, Any]:
    """``{"parent": {id, title, status} or None, "children": children_of(...)}``."""
    row = db.execute("select p.id, p.title, p.status from sessions s join sessions p on p.id = s.parent_id "
                     "where s.id = ?", [session_id]).fetchone()
    parent = {"id": row[0], "title": row[1], "status": row[2]} if row else None
    return {"parent": parent, "children": children_of(db, session_id)}


def children_of(db: sqlite_utils.Database, session_id: str) -> list[dict[str, Any]]:
    """The sessions whose parent is ``session_id``, oldest first: id, title, status, source, started_at."""
    return list(db.query(
        "select id, title, status, source, started_at from sessions where parent_id = ? order by started_at, id",
        [session_id]))


def delegated_cost(db: sqlite_utils.Database, session_id: str) -> float:
    """What the session's delegated tasks cost, children of children included, in USD (0.0 for none):
    a resumed parent's cost limit counts it again. Only delegated children (their settings hold the
    envelope): a replay's re-run or an imported sub-agent is no spending of this session."""
    row = db.execute(
        """with recursive tree(id) as (
               select id from sessions where parent_id = ? and json_extract(settings, '$.subagent') is not null
               union select s.id from sessions s join tree on s.parent_id = tree.id
                     where json_extract(s.settings, '$.subagent') is not null)
           select coalesce(sum(m.cost_usd), 0) from model_calls m join tree on m.session_id = tree.id""",
        [session_id]).fetchone()
    return float(row[0])
