"""kill -9 in the middle of a run leaves a consistent database with every committed event."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage.db import open_db


def test_kill_9_mid_run_loses_no_committed_event(tmp_path, workspace, write_script):
    turns = []
    for i in range(200):
        turns.append({"text": f"step {i} " * 5, "chunk_chars": 3, "chunk_delay": 0.002,
                      "tool_calls": [{"name": "write_file", "arguments": {"path": f"f{i % 7}.txt", "content": "x" * 200}}]})
    model = write_script(turns)
    db_path = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    printed: set[tuple[str, int]] = set()
    for round_ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "run", "write files", "--model", model, "--workspace", str(workspace),
             "--yes", "--json", "--db", str(db_path)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )
        deadline = time.monotonic() + 60
        seen = 0
        assert proc.stdout is not None
        for line in proc.stdout:
            event = json.loads(line)
            if event["type"] != "text_delta":
                printed.add((event["session_id"], event["seq"]))
            if event["type"] == "tool_call_finished":
                seen += 1
            if seen >= 3 + 2 * round_ or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

    db = open_db(db_path)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    stored = set(db.execute("select session_id, seq from events").fetchall())
    assert printed <= stored, f"lost {len(printed - stored)} committed events"
    from storage.store import mark_abandoned_sessions

    # Each new run marked the sessions its killed predecessors left running; the last one is marked now.
    assert len(mark_abandoned_sessions(db)) == 1
    statuses = [r[0] for r in db.execute("select status from sessions")]
    assert statuses == ["interrupted"] * 4
    # Every session's projections are consistent with its events.
    for (sid,) in db.execute("select id from sessions").fetchall():
        n_calls = db.execute("select count(*) from events where session_id = ? and type = 'model_call_started'", [sid]).fetchone()[0]
        assert db.execute("select count(*) from model_calls where session_id = ?", [sid]).fetchone()[0] == n_calls
