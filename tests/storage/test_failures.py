"""Failures are never silent and never tracebacks: a store or an output that cannot be written stops the
run with a clear error and a non-zero exit; a newer database, odd import records and a non-UTF-8
configuration file are clear errors that change nothing."""

from __future__ import annotations

import errno
import json
import os
import stat
import sys

import pytest

from app.agent.bus import EventBus, EventList
from app.agent.events import core as ev
from app.cli import main
from storage.db import DatabaseError, open_db
from storage.importers import ImportFormatError, import_path
from storage.store import EventStore, StoreWriteError
from tests.test_cli import run_cli


@pytest.fixture
def three_steps(write_script):
    return write_script([
        {"text": "Looking.", "tool_calls": [{"name": "list_dir", "arguments": {"path": "."}}]},
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "out.txt", "content": "x"}}]},
        {"text": "Done."},
    ])


def fail_inserts_of(db_path, event_type: str) -> None:
    """From now on SQLite refuses to store events of this type (as a full disk would refuse all)."""
    db = open_db(db_path)
    db.execute(
        f"create trigger fail_{event_type} before insert on events when new.type = '{event_type}' "
        "begin select raise(abort, 'simulated write failure'); end"
    )
    db.conn.close()


# --- the bus ----------------------------------------------------------------------------------


def test_a_required_sink_that_fails_is_dropped_announced_and_reported_once():
    bus = EventBus("s")
    calls: list[str] = []
    failures = []

    def store(event):
        calls.append(event.type)
        raise OSError("disk full")

    bus.subscribe(store, required=True)
    seen = bus.subscribe(EventList())
    bus.on_failure(failures.append)
    bus.emit(ev.TurnStarted(turn=1))
    bus.emit(ev.TurnFinished(turn=1))
    assert calls == ["turn_started"]  # dropped after its first failure
    assert len(failures) == 1 and failures[0] is bus.failure
    assert "disk full" in bus.failure.message and "turn_started" in bus.failure.message
    notices = seen.of(ev.Notice)
    assert [n.level for n in notices] == ["error"] and "disk full" in notices[0].message
    assert seen.types() == ["turn_started", "notice", "turn_finished"]


def test_an_optional_sink_that_fails_sets_no_failure():
    bus = EventBus("s")
    bus.subscribe(lambda event: 1 / 0)
    bus.emit(ev.Notice(message="x"))
    assert bus.failure is None and bus.errors


def test_a_store_write_that_keeps_failing_names_the_database(tmp_path):
    path = tmp_path / "c.db"
    fail_inserts_of(path, "notice")
    store = EventStore(open_db(path))
    with pytest.raises(StoreWriteError, match=rf"cannot store events in {path}.*simulated write failure"):
        store.append({"type": "notice", "session_id": "s", "seq": 1, "ts": 0.0})


# --- cockpit run ---------------------------------------------------------------------------------


def test_a_store_that_fails_mid_run_stops_it_with_a_clear_error_and_exit_1(capsys, tmp_path, workspace, three_steps):
    db_path = tmp_path / "c.db"
    fail_inserts_of(db_path, "tool_call_started")
    code, out, err = run_cli(capsys, "run", "look", "--model", three_steps, "--workspace", str(workspace), "--yes",
                             "--db", str(db_path))
    assert code == 1
    assert "cockpit: the session stopped:" in err and "simulated write failure" in err and str(db_path) in err
    assert "Traceback" not in err + out
    assert not (workspace / "out.txt").exists()  # the run stopped: the next step never ran
    db = open_db(db_path)
    assert db.execute("select count(*) from events where type = 'tool_call_started'").fetchone() == (0,)


def test_a_failing_json_output_is_not_swallowed(capsys, monkeypatch, tmp_path, workspace, three_steps):
    class FullDisk:
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", FullDisk())
    code = main(["run", "look", "--model", three_steps, "--workspace", str(workspace), "--yes", "--json",
                 "--db", str(tmp_path / "c.db")])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1
    assert "cockpit: the session stopped:" in err and "No space left on device" in err
    assert not (workspace / "out.txt").exists()


# --- a newer database --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_a_newer_database_is_refused_and_nothing_changes_not_even_the_mode(tmp_path, mode):
    path = tmp_path / "c.db"
    db = open_db(path)
    db["_sqlite_migrations"].insert({"migration_set": "cockpit", "name": "core_999_from_the_future", "applied_at": "x"})
    db.conn.close()
    os.chmod(path, mode)
    before = (path.read_bytes(), stat.S_IMODE(os.stat(path).st_mode), sorted(os.listdir(tmp_path)))
    with pytest.raises(DatabaseError, match="newer version of Cockpit"):
        open_db(path)
    assert (path.read_bytes(), stat.S_IMODE(os.stat(path).st_mode), sorted(os.listdir(tmp_path))) == before


# --- import records of the wrong type ------------------------------------------------------------

CLAUDE = {"sessionId": "5e55e55e-0000", "timestamp": "2026-01-01T00:00:00Z"}
CODEX = {"timestamp": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("name", "records", "line"),
    [
        ("claude.jsonl", [{**CLAUDE, "type": "user", "message": {"role": "user", "content": "hi"}},
                          {**CLAUDE, "type": "assistant", "message": 5}], 2),
        ("claude-usage.jsonl", [{**CLAUDE, "type": "assistant", "message": {"id": "m", "content": [],
                                                                          "usage": {"input_tokens": "many"}}}], 1),
        ("codex.jsonl", [{**CODEX, "type": "session_meta", "payload": {"id": "x"}},
                         {**CODEX, "type": "event_msg", "payload": {"type": "token_count", "info": {
                             "total_token_usage": {}, "last_token_usage": {"input_tokens": "many"}}}}], 2),
    ],
)
def test_import_records_of_the_wrong_shape_name_their_line_and_write_nothing(tmp_path, name, records, line):
    db = open_db(tmp_path / "c.db")
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(ImportFormatError) as caught:
        import_path(db, path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert db.execute("select count(*) from sessions").fetchone() == (0,)
    assert db.execute("select count(*) from events").fetchone() == (0,)


def test_a_trajectory_with_a_wrong_usage_type_is_a_clear_error(tmp_path):
    db = open_db(tmp_path / "c.db")
    path = tmp_path / "x.traj.json"
    path.write_text(json.dumps({"messages": [
        {"role": "user", "content": "task"},
        {"role": "assistant", "content": "x", "extra": {"response": {"usage": {"prompt_tokens": "many"}}}},
    ]}))
    with pytest.raises(ImportFormatError, match="unexpected shape"):
        import_path(db, path)
    assert db.execute("select count(*) from events").fetchone() == (0,)


def test_cockpit_import_of_a_wrong_record_is_exit_2_without_traceback(capsys, tmp_path):
    path = tmp_path / "claude.jsonl"
    path.write_text(json.dumps({**CLAUDE, "type": "assistant", "message": 5}) + "\n")
    code, out, err = run_cli(capsys, "import", str(path), "--db", str(tmp_path / "c.db"))
    assert code == 2
    assert f"{path}:1:" in err and "Traceback" not in err


# --- the configuration file ------------------------------------------------------------------------


def test_a_config_file_that_is_not_utf8_is_a_clear_error(capsys, cockpit_home, tmp_path, workspace, three_steps):
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_bytes(b'model = "caf\xe9"\n')
    code, out, err = run_cli(capsys, "run", "look", "--model", three_steps, "--workspace", str(workspace),
                             "--db", str(tmp_path / "c.db"))
    assert code == 2
    assert "config.toml: not UTF-8 text" in err and "Traceback" not in err
