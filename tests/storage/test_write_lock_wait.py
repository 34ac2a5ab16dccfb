"""Taking the write lock while another connection holds it: ``begin_immediate`` tries again every few
milliseconds (not with SQLite's growing sleeps, which starved a writer against an import committing
batch after batch), gives up after its timeout with SQLITE_BUSY, and leaves the busy timeout as it was."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from storage.db import begin_immediate, is_busy, open_db, write_transaction


def _other(path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)


def _busy_timeout(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA busy_timeout").fetchone()[0])


def test_the_lock_is_taken_once_the_other_writer_lets_go_and_the_busy_timeout_is_kept(tmp_path):
    db = open_db(tmp_path / "c.db")
    before = _busy_timeout(db.conn)
    holder = _other(tmp_path / "c.db")
    holder.execute("BEGIN IMMEDIATE")
    waiting = threading.Event()
    taken: list[bool] = []

    def writer() -> None:
        waiting.set()
        with write_transaction(db):
            db.execute("insert into sessions (id, source, started_at) values ('s1', 'cockpit', '2026-12-01')")
            taken.append(True)

    thread = threading.Thread(target=writer)
    thread.start()
    assert waiting.wait(10)
    holder.execute("COMMIT")  # the writer may be polling or not have tried yet: either way it gets the lock
    thread.join(30)
    assert taken == [True]
    assert db.execute("select count(*) from sessions where id = 's1'").fetchone()[0] == 1
    assert _busy_timeout(db.conn) == before
    holder.close()


def test_a_lock_held_past_the_timeout_is_sqlite_busy_and_the_busy_timeout_is_kept(tmp_path):
    db = open_db(tmp_path / "c.db")
    before = _busy_timeout(db.conn)
    holder = _other(tmp_path / "c.db")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as raised:
        begin_immediate(db.conn, timeout_s=0.05)
    assert is_busy(raised.value)
    assert not db.conn.in_transaction
    assert _busy_timeout(db.conn) == before
    holder.execute("ROLLBACK")
    begin_immediate(db.conn)  # free now: taken at the first try
    assert db.conn.in_transaction
    db.conn.execute("ROLLBACK")
    holder.close()
