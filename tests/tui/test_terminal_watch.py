"""When the terminal goes away, Cockpit stores the session and leaves (no 100% CPU, no hang)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

from app.tui.terminal_watch import EXIT_HANGUP, TerminalWatch, terminal_gone

ROOT = Path(__file__).resolve().parents[2]


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
    env = {**os.environ, "TERM": "xterm-256color", "COCKPIT_HOME": str(home)}
    env.pop("COCKPIT_CONFIG", None)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen = bytearray()

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            screen.extend(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    argv = [sys.executable, "-m", "app", "--model", f"scripted/{script}", "--workspace", str(tmp_path)]
    # Its own session, without the terminal as controlling tty: no SIGHUP will come, as under `make run`.
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    try:
        db_path = home / "cockpit.db"
        _wait(lambda: db_path.exists() and b"Ask Cockpit" in screen, "the app to be up")
        os.write(master, b"go slowly\r")
        _wait(lambda: _events(db_path, "text_delta") or _events(db_path, "model_call_started"), "the turn to start")
        os.close(master)  # the terminal goes away
        assert proc.wait(timeout=30) == EXIT_HANGUP
    finally:
        if proc.poll() is None:
            proc.kill()
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
