"""A session built as the app builds it, with ``[roles]``, over the loopback OpenAI server; each model
(the generator, the router, the verifier, the escalation) gets its own scripted replies."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.agent.bus import EventList
from app.runtime import RunOptions, build_session
from app.settings import Settings
from storage.db import open_db
from storage.store import EventStore
from tests.core.test_permissions_policy import Answers
from tests.support.openai_server import OpenAIServer, Reply, Step, ToolCallSpec

GENERATOR = "openai/gpt-4o"
ROUTER = "openai/gpt-4o-mini"
VERIFIER = "openai/gpt-4o-mini-2024-07-18"
STRONGER = "openai/gpt-4.1"


class ByModel:
    """The server's replies, scripted per model (the request names it, without its provider)."""

    def __init__(self, server: OpenAIServer) -> None:
        self.server = server
        self.queues: dict[str, deque[Step]] = defaultdict(deque)
        server.responder = self

    def script(self, model: str, steps: Iterable[Step]) -> None:
        self.queues[model.partition("/")[2]].extend(steps)

    def __call__(self, body: dict[str, Any]) -> Step:
        queue = self.queues[str(body.get("model"))]
        return queue.popleft() if queue else Reply(text="(unscripted)")

    def requests_to(self, model: str) -> list[Any]:
        return [r for r in self.server.chat_requests if r.body.get("model") == model.partition("/")[2]]

    def pending(self) -> dict[str, int]:
        return {model: len(queue) for model, queue in self.queues.items() if queue}


def write(path: str, content: str) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("write_file", {"path": path, "content": content})])


def verdict(value: str, *findings: str) -> Reply:
    return Reply(text=json.dumps({"verdict": value, "findings": list(findings)}))


def open_session(workspace: Path, db_path: Path, api_base: str, roles: dict[str, Any]):
    db = open_db(db_path)
    session = build_session(Settings(roles=roles), RunOptions(model=GENERATOR, workspace=workspace, db_path=db_path,
                                                              api_base=api_base, permission_mode="yolo"),
                            human=Answers(), store=EventStore(db))
    events = EventList()
    session.bus.subscribe(events)
    session.start()
    return session, events, db


def checks_file(workspace: Path, path: str, expected: str) -> str:
    """A test command (a script in the workspace) that passes when ``path`` holds ``expected``, and
    says so the way pytest would."""
    (workspace / "check.py").write_text(
        "import sys\n"
        f"ok = open({path!r}).read() == {expected!r}\n"
        "print('1 passed' if ok else 'FAILED test_file - wrong content\\n1 failed')\n"
        "sys.exit(0 if ok else 1)\n", encoding="utf-8")
    return "python3 check.py"
