"""A real recorded session for the replay tests: the scripted model through the real loop.

One task reads a file, survives an overloaded provider (retried), runs a failing
command, floods the window so that the budget compacts, and answers; a second
task answers at once. Feedback is sampled after every task (rate 1). Both the
stored rows and the events the live bus carried (what the live panes saw) are kept.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.agent.events import core as ev

SCRIPT = [
    {"text": "Reading.", "usage": {"prompt_tokens": 900, "completion_tokens": 10},
     "tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]},
    {"error": {"status": 503, "message": "overloaded"}},
    {"text": "Now run it.", "tool_calls": [{"name": "bash", "arguments": {"command": "exit 3"}}]},
    {"tool_calls": [{"name": "bash", "arguments": {"command": "cat big.log"}}]},
    {"tool_calls": [{"name": "read_file", "arguments": {"path": "big.log"}}]},
    {"text": "Done: the log is the same line, over and over."},
    {"text": "Second answer."},
]
TASKS = ("look at the files", "and again")


@dataclass
class Recorded:
    db_path: Path
    session_id: str
    live: list[ev.Event]  # every event the bus carried, stream deltas included


def record_session(folder: Path) -> Recorded:
    """Run the scripted session into ``folder/cockpit.db``."""
    from app.settings import Settings
    from tests.core.helpers import make_session

    workspace = folder / "project"
    workspace.mkdir(parents=True)
    (workspace / "a.py").write_text("x = 1\n" * 40)
    (workspace / "big.log").write_text("line something happened\n" * 3000)
    script = folder / "script.json"
    script.write_text(json.dumps(SCRIPT))
    settings = Settings(
        resilience={"backoff_base_s": 0.01, "backoff_cap_s": 0.02},
        budget={"advertised_window": 12_000, "output_reserve_tokens": 1_000, "compaction_buffer_tokens": 500},
        feedback={"rate": 1.0},
    )
    session, events, db = make_session(
        f"scripted/{script}", workspace, folder / "cockpit.db", settings=settings, feedback_rate=1.0
    )

    async def run() -> None:
        session.start()
        for task in TASKS:
            await session.run_task(task)
        session.finish()

    asyncio.run(run())
    db.close()
    return Recorded(folder / "cockpit.db", session.id, list(events))


def copy_database(source: Path, target: Path) -> Path:
    """A private copy (SQLite's backup API: WAL content included)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target
