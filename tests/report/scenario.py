"""A database filled the way a user's is: real runs over loopback HTTP and imports of other agents' files.

* A priced session (``openai/gpt-4o``): a long answer with cached prompt tokens, then a second task
  whose call compacts the first turn with a model summary that fails once (server error) and is
  retried: a compaction, a ``summary`` role, a retry tax.
* An unpriced session (``openai/my-local-qwen``, no price anywhere): a tool call, then an answer; its
  server sends no cache field (as llama.cpp's does), so its cache figures are unknown (NULL), not 0.
* Imports: Claude Code, Codex and mini-swe-agent sample sessions, and a mini-swe-agent trajectory
  whose failing command repeats (a loop hit, seen on import).
"""

from __future__ import annotations

import json
from pathlib import Path

from app.import_analysis import enrich
from app.settings import Settings
from storage.importers import import_path
from tests.core.helpers import make_session
from tests.support.openai_server import Fault, Reply, ToolCallSpec
from tests.support.session_files import CLAUDE_SHORT, CODEX, MINI

PRICED = "openai/gpt-4o"
UNPRICED = "openai/my-local-qwen"
SUMMARY = "The user asked for many words; they were said.\nGoals: more words\nOpen items: none"
COMPACTING = Settings(
    budget={"advertised_window": 9000, "output_reserve_tokens": 0, "compaction_buffer_tokens": 0,
            "compact_at": 0.9, "keep_last_turns": 1},
    resilience={"backoff_base_s": 0.01, "backoff_cap_s": 0.02},
)


def _looping_trajectory(path: Path) -> Path:
    failing = "```bash\npytest tests/test_x.py\n```"
    messages = [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "<pr_description>make the tests pass</pr_description>"}]
    for _ in range(3):
        messages.append({"role": "assistant", "content": f"THOUGHT: try it.\n\n{failing}"})
        messages.append({"role": "user", "content": "<returncode>1</returncode>\n<output>\nE   ImportError\n</output>"})
    path.write_text(json.dumps({"info": {"exit_status": "Submitted", "submission": "", "model_stats": {}, "config": {}},
                                "messages": messages, "trajectory_format": "mini-swe-agent-1", "instance_id": "loops"}))
    return path


async def _run(model: str, server, workspace: Path, db_path: Path, tasks: list[str], settings: Settings) -> None:
    session, _events, db = make_session(model, workspace, db_path, settings=settings, api_base=server.url)
    session.start()
    for task in tasks:
        assert (await session.run_task(task)).outcome == "completed"
    session.finish()
    db.close()


async def build(server, tmp_path: Path) -> Path:
    """The database file, filled; ``server`` is the loopback OpenAI server (``tests.support.fixtures``)."""
    db_path = tmp_path / "report.db"
    priced_ws, unpriced_ws = tmp_path / "priced", tmp_path / "unpriced"
    priced_ws.mkdir()
    unpriced_ws.mkdir()
    (unpriced_ws / "notes.txt").write_text("hello\n")
    long_answer = Reply(text=" ".join(f"word{i}" for i in range(3000)), usage={"cached_tokens": 1024})
    server.script([long_answer, Fault.server_error(), Reply(text=SUMMARY), Reply(text="done", usage={"cached_tokens": 512})])
    await _run(PRICED, server, priced_ws, db_path, ["say many words", "go on"], COMPACTING)
    no_cache_field = {"cached_tokens": None}
    server.script([Reply(tool_calls=[ToolCallSpec("read_file", {"path": "notes.txt"})], usage=no_cache_field),
                   Reply(text="It says hello.", usage=no_cache_field)])
    await _run(UNPRICED, server, unpriced_ws, db_path, ["read notes.txt"], Settings())
    from storage.db import open_db

    db = open_db(db_path)
    for path in (CLAUDE_SHORT, CODEX, MINI, _looping_trajectory(tmp_path / "loops.traj.json")):
        import_path(db, path, enrich=enrich)  # as `cockpit import` does: priced, loops seen
    db.close()
    return db_path
