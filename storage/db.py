"""Opening the database: file mode, pragmas, schema checks and migrations.

A database that is not SQLite, is corrupt, or was written by a newer Cockpit
is refused with a clear :class:`DatabaseError` and left untouched (its bytes
and its file mode).

Many Cockpit processes share one database (the TUI, headless runs, imports,
readers). Every write transaction starts with ``BEGIN IMMEDIATE``
(:func:`write_transaction`): in WAL mode a deferred transaction that reads and
then writes gets ``SQLITE_BUSY`` at once when another process committed in
between, whatever the busy timeout. Migrations are checked and applied inside
one such transaction, so concurrent first starts on a fresh database line up.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from storage.migrations import MIGRATIONS, known_migration_names, migrate as apply_migrations, pending

BUSY_TIMEOUT_S = 10.0  # how long a writer waits for another process's transaction to end
BULK_CHECKPOINT_BYTES = 64 << 20  # WAL bytes between checkpoints during a bulk write (SQLite's default: 1,000 pages)
# The page size of a new database (SQLite's default: 4,096). Cockpit's rows are large (events with their payloads,
# tool results, the full-text index): 16 KiB pages hold most of them without overflow pages, and a commit writes and
# checksums a quarter as many pages: an import's commits cost about a third less CPU time. An existing database keeps
# its own page size (WAL mode fixes it).
PAGE_SIZE = 16_384
T = TypeVar("T")


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do."""


LOCK_POLL_FIRST_S = 0.0005  # the first pause before trying the write lock again; doubled up to LOCK_POLL_MAX_S
LOCK_POLL_MAX_S = 0.002


def begin_immediate(conn: sqlite3.Connection, timeout_s: float = BUSY_TIMEOUT_S) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``timeout_s`` for another process's write lock by trying again every
    2 ms at most.

    SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms), and the lock is
    free only between two of another writer's transactions: against an import committing batch after
    batch it woke up inside the next batch again and again, and waited for seconds (a median of 1.3 s, often
    over 3 s, against a writer holding the lock 100 ms with 3 ms between; polling: a median of 95 ms, the
    longest 0.6 s). So the lock is asked for without the busy timeout, which is put back for the statements
    of the transaction.
    """
    deadline = time.monotonic() + timeout_s
    delay = LOCK_POLL_FIRST_S
    busy_ms = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, LOCK_POLL_MAX_S)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction taking the write lock up front (nested: a savepoint)."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    begin_immediate(conn)
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def fewer_checkpoints(db: sqlite_utils.Database, pages: int | None = None) -> Iterator[None]:
    """While a bulk write runs (an import), the WAL is copied back into the database file every ``pages`` pages
    (default: :data:`BULK_CHECKPOINT_BYTES` of them) instead of SQLite's 1,000: a page that many batches rewrite
    (the indexes, the full-text index) is copied once per checkpoint, and a checkpoint's fsyncs are paid a few
    times instead of once every 1,000 pages. Commits stay durable as before (WAL, synchronous NORMAL); the WAL
    file may grow to about ``pages`` pages. Afterwards the connection's own setting comes back and what is left
    is copied back (PASSIVE: nobody waits for it)."""
    if pages is None:
        pages = bulk_checkpoint_pages(db)
    before = int(db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    db.conn.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
    try:
        yield
    finally:
        db.conn.execute(f"PRAGMA wal_autocheckpoint = {before}")
        if not db.conn.in_transaction:
            try:
                db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.OperationalError:  # busy: the next commit's automatic checkpoint does it
                pass


def bulk_checkpoint_pages(db: sqlite_utils.Database) -> int:
    """:data:`BULK_CHECKPOINT_BYTES` in pages of this database."""
    return max(1_000, BULK_CHECKPOINT_BYTES // int(db.conn.execute("PRAGMA page_size").fetchone()[0]))


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def retry_busy(fn: Callable[[], T], *, attempts: int = 5, first_delay_s: float = 0.05) -> T:
    """Run ``fn``, again after a short pause while the database is busy (beyond the busy timeout)."""
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if attempt == attempts or not is_busy(exc):
                raise
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


def _check_schema(db: sqlite_utils.Database, path: Path | str) -> None:
    """Refuse a database that has schema steps this version does not know (read-only)."""
    try:
        tables = set(db.table_names())
        if "_sqlite_migrations" not in tables:
            return
        applied = {row["name"] for row in db.query("select name from _sqlite_migrations where migration_set = ?", [MIGRATIONS.name])}
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            raise DatabaseError(
                f"{path} is not a SQLite database (or is damaged). Move it away or set COCKPIT_HOME "
                "to another folder; Cockpit will not touch it."
            ) from None
        raise DatabaseError(f"{path} cannot be read as a SQLite database: {exc}") from None
    unknown = sorted(applied - known_migration_names())
    if unknown:
        raise DatabaseError(
            f"{path} was written by a newer version of Cockpit (schema steps this version does not know: "
            f"{', '.join(unknown)}). Upgrade Cockpit (pip install -U agent-cockpit); the database was left untouched."
        )


def _migrate(db: sqlite_utils.Database, path: Path | str) -> None:
    """Check and apply pending migrations under the write lock: one process migrates, the others find it done."""
    if not pending(db):
        return
    with write_transaction(db):
        _check_schema(db, path)
        apply_migrations(db)


def _create_private(path: Path) -> None:
    """Create the file (mode 0600) before SQLite writes anything into it."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:  # another process was first
        pass


def open_db(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the Cockpit database at ``path``."""
    path = Path(path)
    memory = str(path) == ":memory:"
    if not memory:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Never open and close the file ourselves: closing any descriptor of it drops the POSIX locks
        # this process's SQLite connections hold, and another process may then delete the WAL under them.
        if not path.exists():
            _create_private(path)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        db = sqlite_utils.Database(conn)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        retry_busy(lambda: _check_schema(db, path))
        if not memory:
            _make_private(path)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before anything is written; a no-op on an existing database
        if not memory:
            retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        conn.execute("PRAGMA synchronous = NORMAL")
        if migrate:
            retry_busy(lambda: _migrate(db, path))
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_busy(exc):
            raise DatabaseError(
                f"{path} stayed locked by another process for too long ({exc}); try again in a moment"
            ) from None
        raise DatabaseError(f"{path} cannot be used as a Cockpit database: {exc}") from None
    except BaseException:
        conn.close()
        raise
    if result and result[0] != "ok":
        conn.close()
        raise DatabaseError(f"{path} failed SQLite's integrity check: {result[0]}")
    return db


def _make_private(path: Path) -> None:
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass
