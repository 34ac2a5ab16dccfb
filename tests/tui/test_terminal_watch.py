"""When the terminal goes away, Cockpit stores the session and leaves (no 100% CPU, no hang)."""

from __future__ import annotations

import json
import os
import pty
import threading
import time
from pathlib import Path

from app.tui.terminal_watch import EXIT_HANGUP, TerminalWatch, terminal_gone
from tests.support.terminal import Terminal


def test_the_watch_notices_a_closed_terminal():
    master, slave = pty.openpty()
    lost = threading.Event()
    watch = TerminalWatch(lost.set, fd=slave, interval=0.02)
    watch.start()
    try:
        assert not terminal_gone(slave)
        assert not lost.wait(0.1)
        os.close(master)
        assert lost.wait(5)
        assert terminal_gone(slave)
    finally:
        watch.stop()
        os.close(slave)


def test_a_stopped_watch_calls_nothing():
    master, slave = pty.openpty()
    lost = threading.Event()
    watch = TerminalWatch(lost.set, fd=slave, interval=0.02)
    watch.start()
    watch.stop()
    watch.join(5)
    os.close(master)
    assert not lost.wait(0.2)
    os.close(slave)


def test_closing_the_terminal_mid_turn_stores_the_session_interrupted_and_exits(tmp_path):
    script = tmp_path / "slow.json"
    script.write_text(json.dumps([{"text": " ".join(f"w{i}" for i in range(5000)), "chunk_chars": 5, "chunk_delay": 0.01}]))
    home = tmp_path / "home"
    db_path = home / "cockpit.db"
    env = {**os.environ, "COCKPIT_HOME": str(home)}
    # Started in its own session: no SIGHUP will come when the terminal closes, as under `make run`.
    with Terminal(["--model", f"scripted/{script}", "--workspace", str(tmp_path)], env) as terminal:
        _wait(lambda: db_path.exists() and b"Ask Cockpit" in terminal.screen, "the app to be up")
        terminal.type(b"go slowly\r")
        _wait(lambda: _events(db_path, "model_call_started"), "the turn to start")
        terminal.close()  # the terminal goes away
        assert terminal.wait(timeout=30) == EXIT_HANGUP
    import sqlite3

    with sqlite3.connect(db_path) as db:
        assert db.execute("select status, title from sessions").fetchall() == [("interrupted", "go slowly")]
        last = db.execute("select type from events order by seq desc limit 1").fetchone()[0]
    assert last == "session_finished"


def _events(db_path: Path, kind: str) -> bool:
    import sqlite3

    try:
        with sqlite3.connect(db_path) as db:
            return db.execute("select count(*) from events where type = ?", [kind]).fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
