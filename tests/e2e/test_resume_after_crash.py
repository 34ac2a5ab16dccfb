"""kill -9 during a bash command, then resume: the model hears that the command may have run.

The command started (its idempotency-ledger entry is ``pending``) and Cockpit died
before its outcome was recorded: "Not run" would be a lie. A call of the same
reply that never started still says "Not run".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage.db import open_db
from tests.support.openai_server import Reply, ToolCallSpec


def cockpit_run(task: str, server_url: str, workspace: Path, db_path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "run", task, "--model", "openai/test-model", "--api-base", server_url,
         "--workspace", str(workspace), "--yes", "--json", "--db", str(db_path), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for_file(path: Path, proc: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists() or not path.read_text().strip():
        assert proc.poll() is None, f"cockpit exited early: {proc.stderr.read() if proc.stderr else ''}"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def stop_commands_in(workspace: Path) -> None:
    """End what the killed run left running in ``workspace`` (outside a sandbox the command's
    process group outlives cockpit): only processes working in this test's own folder."""
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            if Path(os.readlink(proc_dir / "cwd")) == workspace:
                os.kill(int(proc_dir.name), signal.SIGKILL)
        except OSError:  # gone meanwhile, or not ours to look at
            continue


def tool_messages(body: dict) -> dict[str, str]:
    return {m["tool_call_id"]: m["content"] for m in body["messages"] if m["role"] == "tool"}


def test_a_command_killed_with_cockpit_may_have_run(openai_server, workspace, tmp_path):
    marker = workspace / "marker.txt"
    command = "echo started > marker.txt; sleep 60; echo finished > finished.txt"
    openai_server.script([
        Reply(tool_calls=[ToolCallSpec("bash", {"command": command}, id="call_bash"),
                          ToolCallSpec("write_file", {"path": "later.txt", "content": "x"}, id="call_write")]),
        Reply(text="I will check marker.txt before doing anything else."),
    ])
    db_path = tmp_path / "crash.db"
    proc = cockpit_run("run the command", openai_server.url, workspace, db_path)
    try:
        wait_for_file(marker, proc)  # the command is running now
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stop_commands_in(workspace.resolve())
    assert proc.returncode == -signal.SIGKILL

    db = open_db(db_path)
    (session_id,) = db.execute("select id from sessions").fetchone()
    status = db.execute("select status from resilience_idempotency where tool_call_id = 'call_bash'").fetchone()
    assert status == ("pending",)
    db.close()

    resumed = cockpit_run("go on", openai_server.url, workspace, db_path, "--resume", session_id)
    assert resumed.wait(timeout=120) == 0, resumed.stderr.read() if resumed.stderr else ""

    # What the model was sent on resume, as the server received it.
    results = tool_messages(openai_server.chat_requests[-1].body)
    assert results["call_bash"].startswith("May have run; outcome unknown") and "Not run" not in results["call_bash"]
    assert results["call_write"].startswith("Not run")
    assert not (workspace / "later.txt").exists()

    # The session's events say so too: the tool result, and a warning for the user.
    db = open_db(db_path)
    rows = db.execute("select type, payload from events where session_id = ? order by seq", [session_id]).fetchall()
    payloads = [(kind, json.loads(p)) for kind, p in rows]
    appended = [p["message"] for kind, p in payloads if kind == "message_appended" and p["message"]["role"] == "tool"]
    assert [m["tool_call_id"] for m in appended] == ["call_bash", "call_write"]
    assert appended[0]["content"] == results["call_bash"]
    notices = [p for kind, p in payloads if kind == "notice" and p["level"] == "warning"]
    assert any("`bash` may have run" in n["message"] for n in notices)
    # Each call has one finished row: the killed one's outcome is unknown, the other was not run.
    statuses = db.execute("select tool_call_id, status from tool_calls where session_id = ? order by rowid",
                          [session_id]).fetchall()
    assert statuses == [("call_bash", "unknown"), ("call_write", "cancelled")]
