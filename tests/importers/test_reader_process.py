"""A large file is read in a child process: what it stores is what reading it here stores."""

from __future__ import annotations

import subprocess

import pytest

from app.import_analysis import enrich
from storage import search
from storage.db import open_db
from storage.importers import ImportFormatError, discover, import_path, reader_process
from storage.store import EventStore
from tests.support.session_files import CLAUDE_INLINE, CLAUDE_SHORT, CODEX, SESSIONS

TABLES = {
    "events": "select session_id, seq, type, ts, payload from events order by session_id, seq",
    "messages": "select session_id, generation, idx, role, content, tool_calls, tool_call_id, turn, seq from messages"
                " order by session_id, generation, idx",
    "tool_calls": "select * from tool_calls order by session_id, tool_call_id",
    "model_calls": "select * from model_calls order by id",
    "blobs": "select * from blobs order by hash",
}


@pytest.fixture
def children(monkeypatch):
    """Every file is read by a child process; the processes started are collected."""
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(reader_process, "MIN_BYTES", 0)
    monkeypatch.setattr(reader_process.subprocess, "Popen", popen)
    return started


def _contents(db):
    return {name: db.execute(sql).fetchall() for name, sql in TABLES.items()}


@pytest.mark.parametrize("writer_prepares", ["when idle", "never", "always"])
def test_what_the_child_reads_is_stored_as_if_read_here(tmp_path, children, monkeypatch, writer_prepares):
    """Whoever prepares the batches (the child, or the importing process: reader_process.WRITER_PREPARES)."""
    monkeypatch.setattr(reader_process, "WRITER_PREPARES", writer_prepares)
    files = discover([SESSIONS])
    if writer_prepares != "when idle":  # (the other two on a few: every batch goes one way, whatever the file)
        files = [CLAUDE_INLINE, CODEX]
    here, there = open_db(tmp_path / "here.db"), open_db(tmp_path / "there.db")
    with pytest.MonkeyPatch.context() as local:
        local.setattr(reader_process, "MIN_BYTES", 10**12)
        for path in files:
            import_path(here, path, enrich=enrich)
    assert children == []
    results = [import_path(there, path, enrich=enrich) for path in files]
    assert len(children) == len(files) and all(child.returncode == 0 for child in children)
    assert {r.status for r in results} == {"imported"}
    assert _contents(there) == _contents(here)
    for query in ("shim binary", "haiku", "grant"):
        assert search.search_sessions(there, query) == search.search_sessions(here, query)


def test_a_broken_line_found_by_the_child_names_its_line_and_nothing_is_written(db, tmp_path, children):
    lines = CLAUDE_SHORT.read_text().splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("".join(lines[:5]) + '{"type": "user", "message": \n' + "".join(lines[5:]))
    with pytest.raises(ImportFormatError) as caught:
        import_path(db, broken)
    assert (caught.value.path, caught.value.line) == (str(broken), 6)
    assert "not valid JSON" in caught.value.reason
    assert db.execute("select count(*) from sessions").fetchone() == (0,)
    assert children[0].returncode is not None


def test_a_failed_write_stops_the_child(db, monkeypatch, children):
    def fail(self, batch):
        raise OSError("disk full")

    monkeypatch.setattr(EventStore, "append_prepared", fail)
    with pytest.raises(OSError, match="disk full"):
        import_path(db, CLAUDE_SHORT)
    assert children[0].returncode is not None  # ended and waited for: no process left behind
    assert db.execute("select count(*) from sessions").fetchone() == (0,)


@pytest.mark.parametrize("writer_prepares", ["when idle", "never", "always"])
def test_a_write_that_fails_half_way_stops_a_child_that_has_more_to_send(db, monkeypatch, children, writer_prepares):
    """The child has batches left that the pipe cannot hold (it waits to send them): it is stopped, not waited for."""
    monkeypatch.setattr(reader_process, "WRITER_PREPARES", writer_prepares)
    real = EventStore.append_prepared
    written: list[int] = []

    def fail_second(self, batch):
        if written:
            raise OSError("disk full")
        written.append(len(batch))
        return real(self, batch)

    monkeypatch.setattr(EventStore, "append_prepared", fail_second)
    with pytest.raises(OSError, match="disk full"):
        import_path(db, CLAUDE_INLINE, enrich=enrich)
    assert len(written) == 1
    assert children[0].returncode is not None and children[0].returncode != 0  # killed: it had more to send
    assert db.execute("select count(*) from sessions").fetchone() == (0,)


def test_a_file_imported_already_stops_the_child_started_for_it(db, children):
    from tests.support.store import table_counts

    assert import_path(db, CLAUDE_SHORT, enrich=enrich).status == "imported"
    before = table_counts(db)
    again = import_path(db, CLAUDE_SHORT, enrich=enrich)
    assert (again.status, again.reason) == ("skipped", "already imported")
    assert len(children) == 2 and all(child.returncode is not None for child in children)  # none left behind
    assert table_counts(db) == before


def test_a_file_that_cannot_be_hashed_stops_the_child_started_for_it(db, monkeypatch, children):
    import storage.importers as importers

    def unreadable(path):
        raise ImportFormatError(path, 0, "cannot read it: Permission denied")

    monkeypatch.setattr(importers, "file_digest", unreadable)
    with pytest.raises(ImportFormatError, match="cannot read it"):
        import_path(db, CLAUDE_SHORT)
    assert len(children) == 1 and children[0].returncode is not None
    assert db.execute("select count(*) from sessions").fetchone() == (0,)


def test_small_files_and_unsendable_enrich_steps_are_read_here(monkeypatch, tmp_path):
    assert not reader_process.worth_it(CLAUDE_SHORT, enrich)  # far below MIN_BYTES
    monkeypatch.setattr(reader_process, "MIN_BYTES", 0)
    assert reader_process.worth_it(CLAUDE_SHORT, enrich) and reader_process.worth_it(CLAUDE_SHORT, None)
    assert not reader_process.worth_it(CLAUDE_SHORT, lambda events: events)
    assert not reader_process.worth_it(tmp_path / "missing.jsonl", None)
