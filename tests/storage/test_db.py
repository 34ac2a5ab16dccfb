"""Opening, migrating and refusing databases."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from storage.db import DatabaseError, open_db
from storage.migrations import MIGRATIONS, known_migration_names, migrate


def schema(db) -> dict[str, str]:
    return {
        r[0]: r[1]
        for r in db.execute("select name, sql from sqlite_master where name not like 'sqlite_%' and name != '_sqlite_migrations' order by name")
    }


def test_fresh_database_has_the_core_tables_and_is_private(tmp_path):
    db = open_db(tmp_path / "c.db")
    assert {"sessions", "events", "messages", "model_calls", "tool_calls", "blobs"} <= set(db.table_names())
    assert stat.S_IMODE(os.stat(tmp_path / "c.db").st_mode) == 0o600
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1


def test_migrating_from_every_older_version_reaches_the_same_schema(tmp_path):
    fresh = open_db(tmp_path / "fresh.db")
    names = [m.name for m in MIGRATIONS._migrations]
    assert names[0] == "core_001_tables"
    for i, name in enumerate(names):
        path = tmp_path / f"old-{i}.db"
        old = open_db(path, migrate=False)
        MIGRATIONS.apply(old, stop_before=name)
        applied = [r[0] for r in old.execute("select name from _sqlite_migrations order by id")]
        assert applied == names[:i]
        old.conn.close()
        upgraded = open_db(path)
        assert schema(upgraded) == schema(fresh), f"upgrade from before {name} differs"


def test_a_database_from_a_newer_cockpit_is_refused_and_untouched(tmp_path):
    path = tmp_path / "c.db"
    db = open_db(path)
    db["_sqlite_migrations"].insert({"migration_set": "cockpit", "name": "core_999_from_the_future", "applied_at": "x"})
    db.conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="newer version of Cockpit.*core_999_from_the_future"):
        open_db(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path):
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not a database at all" * 20)
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        open_db(path)
    assert path.read_bytes() == b"this is not a database at all" * 20


def test_a_damaged_database_is_refused(tmp_path):
    path = tmp_path / "c.db"
    db = open_db(path)
    db.conn.execute("pragma wal_checkpoint(truncate)")
    page = db.execute("pragma page_size").fetchone()[0]
    db.conn.close()
    data = bytearray(path.read_bytes())
    data[page:2 * page] = b"\xff" * page  # scribble over the second page
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError):
        open_db(path)


def test_known_migrations_include_every_registered_one():
    assert {m.name for m in MIGRATIONS._migrations} <= known_migration_names()


def test_migrate_is_idempotent(db):
    before = schema(db)
    migrate(db)
    assert schema(db) == before
    assert isinstance(db.conn, sqlite3.Connection)


def test_costs_stored_as_0_before_unpriced_existed_become_unknown(tmp_path):
    """Before core_003 an unpriced call was stored at $0: it becomes null (unpriced); a positive cost
    is litellm's for Cockpit's own sessions and the other agent's own figure for an import."""
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    MIGRATIONS.apply(old, stop_before="core_003_unpriced_cost")
    old.execute("insert into sessions (id, source, started_at) values ('native', 'cockpit', ''), ('imported', 'mini-swe-agent', '')")
    old.execute("""insert into model_calls (id, session_id, status, cost_usd) values
                   ('a', 'native', 'ok', 0), ('b', 'native', 'ok', 0.25), ('c', 'imported', 'ok', 0.5)""")
    old.conn.close()
    db = open_db(path)
    rows = db.execute("select id, cost_usd, cost_source from model_calls order by id").fetchall()
    assert rows == [("a", None, None), ("b", 0.25, "litellm"), ("c", 0.5, "recorded")]


def test_a_new_database_has_large_pages_and_an_existing_one_keeps_its_own(tmp_path):
    from storage.db import PAGE_SIZE

    assert open_db(tmp_path / "new.db").execute("pragma page_size").fetchone()[0] == PAGE_SIZE
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("pragma journal_mode = wal")
    old.execute("create table t (x)")
    old.close()
    db = open_db(tmp_path / "old.db")
    assert db.execute("pragma page_size").fetchone()[0] == 4096
    assert "sessions" in db.table_names()


def test_a_bulk_write_checkpoints_less_often(tmp_path):
    from storage.db import BULK_CHECKPOINT_BYTES, fewer_checkpoints

    db = open_db(tmp_path / "bulk.db")
    before = db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    db.execute("create table t (x text)")
    page = db.execute("PRAGMA page_size").fetchone()[0]
    with fewer_checkpoints(db):
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BULK_CHECKPOINT_BYTES // page
        for _ in range(30):  # more than 1,000 pages: SQLite's own threshold would have restarted the WAL
            with db.conn:
                db.conn.executemany("insert into t values (?)", [("x" * (page - 100),)] * 50)
        assert os.path.getsize(tmp_path / "bulk.db-wal") > 1_400 * page
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == before
    assert db.execute("select count(*) from t").fetchone() == (1_500,)
