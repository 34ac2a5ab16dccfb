"""Deleting a session and everything stored about it, in one transaction.

Every table with a ``session_id`` column is cleared of the session's rows (the
core tables — events, messages, model_calls, tool_calls — and the feature
tables of budget, resilience, feedback and search; a feature table added later
is covered the same way), then the ``sessions`` row goes, then the blobs (full
tool outputs) that no remaining tool call points to. Sessions that name this
one as their ``parent_id`` (re-runs of it) are other sessions: they are kept.
"""

from __future__ import annotations

import sqlite_utils

from storage.queries import SessionNotFound


def session_tables(db: sqlite_utils.Database) -> list[str]:
    """Tables (not views) with a ``session_id`` column, the ``sessions`` table excluded."""
    found = []
    for name in db.table_names():
        columns = {row[1] for row in db.execute(f"pragma table_info([{name}])").fetchall()}
        if "session_id" in columns:
            found.append(name)
    return found


def delete_session(db: sqlite_utils.Database, session_id: str) -> dict[str, int]:
    """Remove ``session_id`` and every row that belongs to it; returns rows deleted per table.

    Raises :class:`~storage.queries.SessionNotFound` (and changes nothing) when
    there is no such session. All or nothing: one transaction.
    """
    if db.execute("select 1 from sessions where id = ?", [session_id]).fetchone() is None:
        raise SessionNotFound(f"no session {session_id!r}")
    deleted: dict[str, int] = {}
    with db.atomic():
        blob_hashes = [
            row[0]
            for row in db.execute(
                "select distinct output_hash from tool_calls where session_id = ? and output_hash is not null", [session_id]
            )
        ]
        for table in session_tables(db):
            cursor = db.execute(f"delete from [{table}] where session_id = ?", [session_id])
            deleted[table] = max(cursor.rowcount, 0)
        deleted["sessions"] = db.execute("delete from sessions where id = ?", [session_id]).rowcount
        removed_blobs = 0
        for digest in blob_hashes:
            still_used = db.execute("select 1 from tool_calls where output_hash = ? limit 1", [digest]).fetchone()
            if still_used is None:
                removed_blobs += db.execute("delete from blobs where hash = ?", [digest]).rowcount
        deleted["blobs"] = removed_blobs
    return deleted
