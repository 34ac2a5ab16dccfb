"""Checkpoint tables: file contents by sha256, which session keeps which, what each turn changed.

Schema:

- ``checkpoint_blobs``: one row per distinct content (``sha`` = its sha256, ``data`` the
  bytes, ``size``, ``created_at``). Deduplicated across sessions.
- ``checkpoint_refs``: (``session_id``, ``sha``): the sessions that keep a content. A blob is
  pruned once no session that is still running keeps it.
- ``checkpoint_files``: one row per file a turn changed (``session_id``, ``seq`` of the
  ``checkpoint_recorded`` event, ``turn``, ``path``, ``before``/``after`` hashes, null =
  absent), projected from the event, which stays the source of truth.

Bounded: :class:`SqliteBlobs` keeps the blobs under ``max_bytes`` (``[checkpoints] max_mb``,
default 200) by removing blobs nobody keeps, then those of finished sessions, oldest
session first; the running sessions' blobs are never pruned. A content holding a secret (a
value the redactor would replace) is never stored: its file cannot be restored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlite_utils

from storage.db import retry_busy, write_transaction
from storage.redact import Redactor

BLOBS = "checkpoint_blobs"
REFS = "checkpoint_refs"
FILES = "checkpoint_files"
DEFAULT_MAX_MB = 200.0


def _create_tables(db: sqlite_utils.Database) -> None:
    db.execute(f"create table if not exists {BLOBS} (sha text primary key, data blob not null, "
               "size integer not null, created_at real not null)")
    db.execute(f"create table if not exists {REFS} (session_id text not null, sha text not null, "
               "primary key (session_id, sha))")
    db.execute(f"create index if not exists {REFS}_sha on {REFS}(sha)")
    db.execute(f"create table if not exists {FILES} (session_id text not null, seq integer not null, "
               "turn integer not null, path text not null, before text, after text, primary key (session_id, seq, path))")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("checkpoints_001_tables", _create_tables),
]


def _recorded(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    payload = row["payload"]
    db.execute(f"delete from {FILES} where session_id = ? and seq = ?", [row["session_id"], row["seq"]])
    db.conn.executemany(
        f"insert into {FILES} (session_id, seq, turn, path, before, after) values (?, ?, ?, ?, ?, ?)",
        [(row["session_id"], row["seq"], int(payload.get("turn") or 0), f["path"], f.get("before"), f.get("after"))
         for f in payload.get("files") or []],
    )


PROJECTIONS: dict[str, Callable[[sqlite_utils.Database, dict[str, Any]], None]] = {
    "checkpoint_recorded": _recorded,
}


class SqliteBlobs:
    """The checkpoints' :class:`~app.agent.checkpoints.blobs.BlobStore` in the database."""

    def __init__(self, db: sqlite_utils.Database, session_id: str, *, max_bytes: int = int(DEFAULT_MAX_MB * 2**20),
                 redactor: Redactor | None = None) -> None:
        self.db = db
        self.session_id = session_id
        self.max_bytes = max_bytes
        self.redactor = redactor or Redactor.from_environment()
        self._total: int | None = None  # bytes stored, counted once, then kept up to date

    def put(self, sha: str, data: bytes) -> bool:
        text = data.decode("utf-8", "replace")
        if self.redactor.replace_secrets(text) != text:
            return False
        if len(data) > self.max_bytes:
            return False

        def write() -> int:
            with write_transaction(self.db):
                added = self.db.execute(f"insert or ignore into {BLOBS} (sha, data, size, created_at) values (?, ?, ?, ?)",
                                        [sha, data, len(data), time.time()]).rowcount
                self.db.execute(f"insert or ignore into {REFS} (session_id, sha) values (?, ?)", [self.session_id, sha])
            return added

        added = retry_busy(write)
        if added and self._total is not None:
            self._total += len(data)
        if self.total() > self.max_bytes:
            prune(self.db, self.max_bytes)
            self._total = None
        return True

    def get(self, sha: str) -> bytes | None:
        row = self.db.execute(f"select data from {BLOBS} where sha = ?", [sha]).fetchone()
        return bytes(row[0]) if row is not None else None

    def total(self) -> int:
        if self._total is None:
            self._total = stored_bytes(self.db)
        return self._total


def stored_bytes(db: sqlite_utils.Database) -> int:
    return int(db.execute(f"select coalesce(sum(size), 0) from {BLOBS}").fetchone()[0])


def prune(db: sqlite_utils.Database, max_bytes: int) -> int:
    """Remove blobs until at most ``max_bytes`` are stored: first those no session keeps, then those
    kept only by finished sessions, oldest session first. Returns the bytes removed."""
    candidates = db.execute(
        f"""select b.sha, b.size, max(coalesce(s.ended_at, s.started_at, '')) as last,
                   max(case when s.status = 'running' then 1 else 0 end) as live
            from {BLOBS} b left join {REFS} r on r.sha = b.sha left join sessions s on s.id = r.session_id
            group by b.sha order by live, last, b.created_at"""
    ).fetchall()
    total = sum(size for _sha, size, _last, _live in candidates)
    removed = 0
    with write_transaction(db):
        for sha, size, _last, live in candidates:
            if total - removed <= max_bytes or live:
                break
            db.execute(f"delete from {BLOBS} where sha = ?", [sha])
            db.execute(f"delete from {REFS} where sha = ?", [sha])
            removed += size
    return removed


def files_changed(db: sqlite_utils.Database, session_ids: list[str]) -> dict[str, int]:
    """How many distinct files each session's turns changed (sessions without checkpoints left out)."""
    if not session_ids:
        return {}
    marks = ", ".join("?" for _ in session_ids)
    rows = db.execute(f"select session_id, count(distinct path) from {FILES} where session_id in ({marks}) "
                      "group by session_id", session_ids).fetchall()
    return {sid: int(n) for sid, n in rows}


def session_workspace(db: sqlite_utils.Database, session_id: str) -> str | None:
    row = db.execute("select workspace from sessions where id = ?", [session_id]).fetchone()
    return row[0] if row else None
