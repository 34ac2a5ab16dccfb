"""Scripted conversations for delegation tests, over the loopback OpenAI-compatible server.

Each conversation (the parent's, each child's) is known by its first user message; its n-th
request (n = the assistant messages it already holds) gets the n-th scripted step. Children
running in parallel therefore get their own replies whatever order their requests arrive in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.agent.events.subagents import SubagentStatusChanged
from app.settings import Settings
from tests.core.helpers import make_session
from tests.support.openai_server import OpenAIServer, Reply, Step, ToolCallSpec

MODEL = "openai/gpt-4o"  # priced by litellm's cost map: the roll-up of dollars is checked too


def first_user_text(body: dict[str, Any]) -> str:
    for message in body["messages"]:
        if message["role"] == "user":
            content = message["content"]
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def converse(server: OpenAIServer, scripts: dict[str, list[Step | Callable[[dict[str, Any]], Step]]]) -> None:
    """``scripts``: a conversation's first user text (its start is enough) → its steps in order."""

    def respond(body: dict[str, Any]) -> Step:
        first = first_user_text(body)
        for start, steps in scripts.items():
            if first.startswith(start):
                n = sum(1 for m in body["messages"] if m["role"] == "assistant")
                step = steps[min(n, len(steps) - 1)]
                return step(body) if callable(step) else step
        raise AssertionError(f"no script for a conversation that starts {first[:60]!r}")

    server.responder = respond


def delegate(prompt: str, description: str = "look into it", **arguments: Any) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("task", {"description": description, "prompt": prompt, **arguments})])


def delegating_session(server: OpenAIServer, workspace: Path, db_path: Path, **agent: Any):
    settings = Settings(agent={"subagents": True, **agent},
                        resilience={"backoff_base_s": 0.01, "backoff_cap_s": 0.02})
    return make_session(MODEL, workspace, db_path, settings=settings, api_base=server.url)


async def run_delegating(server: OpenAIServer, workspace: Path, db_path: Path, task: str, **agent: Any):
    """One task in a fresh session that may delegate: (its result, the session, its events, the database)."""
    session, events, db = delegating_session(server, workspace, db_path, **agent)
    session.start()
    result = await session.run_task(task)
    session.finish()
    return result, session, events, db


def statuses(events: list[Any], task_id: str | None = None) -> list[str]:
    return [e.status.value for e in events if isinstance(e, SubagentStatusChanged)
            and (task_id is None or e.task_id == task_id)]
