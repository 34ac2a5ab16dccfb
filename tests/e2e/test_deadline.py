"""``--max-time`` is a deadline: it cancels the model call or the tool that is running
when it expires, and the task ends as ``limit``, stored, with the time-limit event."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

from app.agent.events import core as ev
from storage.db import open_db
from tests.core.helpers import make_session
from tests.support.openai_server import Hang, Reply

SAFETY_NET_S = 120  # only if the deadline failed: the hang and the sleep last longer than this


def commands_running(token: str) -> list[int]:
    """Processes whose command line holds ``token`` (zombies have none: they are dead)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile
    return found


def wait_until_gone(token: str, within_s: float = 10.0) -> list[int]:
    """Wait for the processes of ``token`` to be gone (killing is asynchronous); those left."""
    deadline = time.monotonic() + within_s
    while (left := commands_running(token)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


async def warmed_up(session, max_wall_s: float):
    """A first task without a deadline (imports, first connection), then ``max_wall_s`` per task."""
    session.start()
    assert (await session.run_task("first")).outcome == "completed"
    session.agent.config = replace(session.agent.config, max_wall_s=max_wall_s)
    return session


def assert_stopped_by_the_deadline(db, outcome: str) -> None:
    assert outcome == "limit"
    assert db.execute("select status from sessions").fetchone()[0] == "limit"
    kinds = [r[0] for r in db.execute("select json_extract(payload, '$.kind') from events where type = 'limit_reached'")]
    assert kinds == ["time"]


def test_cockpit_run_against_a_hung_provider_stops_at_max_time(openai_server, workspace, tmp_path):
    openai_server.script([Hang(seconds=600)])
    db_path = tmp_path / "hung.db"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "app", "run", "hello", "--model", "openai/test-model", "--api-base", openai_server.url,
         "--workspace", str(workspace), "--db", str(db_path), "--max-time", "2"],
        capture_output=True, text=True, timeout=SAFETY_NET_S, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr  # the limit's exit code
    assert "time limit reached (2 s)" in proc.stdout + proc.stderr
    assert elapsed < 60  # start-up included; the provider would have kept it for 600 s
    db = open_db(db_path)
    assert_stopped_by_the_deadline(db, "limit")
    statuses = [r[0] for r in db.execute("select status from model_calls")]
    assert all(s == "cancelled" for s in statuses), statuses  # none left running, none counted as an error


async def test_a_hung_model_call_is_cancelled_at_the_deadline(openai_server, workspace, tmp_path):
    openai_server.script([Reply(text="warm"), Hang(seconds=600)])
    session, events, db = make_session("openai/test-model", workspace, tmp_path / "d.db", api_base=openai_server.url)
    await warmed_up(session, max_wall_s=2)
    result = await asyncio.wait_for(session.run_task("second"), SAFETY_NET_S)
    session.finish()
    assert len(openai_server.chat_requests) == 2  # the hung request was in flight when the deadline came
    assert_stopped_by_the_deadline(db, result.outcome)
    last = events.of(ev.ModelCallFinished)[-1]
    assert last.status is ev.CallStatus.CANCELLED
    assert events.of(ev.LimitReached)[0].message == "time limit reached (2 s)"


async def test_a_slow_command_is_killed_at_the_deadline(workspace, tmp_path, write_script):
    token = f"61.{uuid.uuid4().int % 10**6:06d}"  # a sleep of its own, to find it among all processes
    model = write_script([
        {"text": "warm"},
        {"tool_calls": [{"name": "bash", "arguments": {"command": f"sleep {token}"}}]},
        {"text": "never reached"},
    ])
    session, events, db = make_session(model, workspace, tmp_path / "d.db")
    await warmed_up(session, max_wall_s=2)
    result = await asyncio.wait_for(session.run_task("sleep"), SAFETY_NET_S)
    session.finish()
    assert_stopped_by_the_deadline(db, result.outcome)
    finished = events.of(ev.ToolCallFinished)
    assert [(e.status, e.result) for e in finished] == [(ev.ToolStatus.CANCELLED, "Error: time limit reached (2 s)")]
    assert db.execute("select status, result from tool_calls").fetchall() == [
        ("cancelled", "Error: time limit reached (2 s)")
    ]
    assert events.types().index("tool_call_started") < events.types().index("limit_reached")
    assert wait_until_gone(token) == []  # the command's process group was killed
    # The conversation stays valid: the cancelled call has its result.
    tool_results = [m for m in session.agent.messages if m["role"] == "tool"]
    assert len(tool_results) == 1 and "time limit reached" in tool_results[0]["content"]
