"""Opening the database: file mode, pragmas, schema checks and migrations.

A database that is not SQLite, is corrupt, or was written by a newer Cockpit
is refused with a clear :class:`DatabaseError` and left untouched.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from storage.migrations import MIGRATIONS, known_migration_names, migrate as apply_migrations


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do."""


def _check_file(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise DatabaseError(
            f"{path} is not a SQLite database (or is damaged). Move it away or set COCKPIT_HOME "
            "to another folder; Cockpit will not touch it."
        )


def _check_schema(db: sqlite_utils.Database, path: Path | str) -> None:
    try:
        tables = set(db.table_names())
        if "_sqlite_migrations" not in tables:
            return
        applied = {row["name"] for row in db.query("select name from _sqlite_migrations where migration_set = ?", [MIGRATIONS.name])}
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} cannot be read as a SQLite database: {exc}") from None
    unknown = sorted(applied - known_migration_names())
    if unknown:
        raise DatabaseError(
            f"{path} was written by a newer version of Cockpit (schema steps this version does not know: "
            f"{', '.join(unknown)}). Upgrade Cockpit (pip install -U agent-cockpit); the database was left untouched."
        )


def open_db(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the Cockpit database at ``path``."""
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _check_file(path)
        if not path.exists():
            # Create it private before SQLite writes anything into it.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            os.chmod(path, 0o600)
        except OSError:
            pass
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0, isolation_level=None)
        db = sqlite_utils.Database(conn)
        _check_schema(db, path)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA foreign_keys = ON")
        if not memory:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if migrate:
            apply_migrations(db)
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} cannot be used as a Cockpit database: {exc}") from None
    if result and result[0] != "ok":
        raise DatabaseError(f"{path} failed SQLite's integrity check: {result[0]}")
    return db
