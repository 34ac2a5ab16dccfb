"""Delegation overhead: a task handed to a child agent (the task tool) against a single-model turn.

Each row is the median wall time of a whole task (``Session.run_task``: loop, events, the SQLite
store on disk, tools) over several tasks, each in a fresh session, with a zero-latency model:

1. single   — the model answers at once (1 model call): the baseline of the ratio;
2. delegated — the model calls ``task``; a child session starts (its own bus, stored, linked to the
   parent), answers, its result is checked and recorded in the idempotency ledger; the parent
   answers (3 model calls, 2 sessions);
3. 3 calls  — the same number of model calls without delegating (two list_dir calls, then the
   answer): what delegation adds beyond its model calls.

The same three through litellm against the loopback OpenAI-compatible server
(``tests/support/openai_server.py``) follow, where each model call also pays for HTTP and
litellm's own work, as a real provider call does (a real provider's latency would dwarf both).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.goals import report  # noqa: E402
from app.agent.approvals import ApprovalPolicy, HeadlessApprover  # noqa: E402
from app.agent.bus import EventBus  # noqa: E402
from app.agent.config import AgentConfig  # noqa: E402
from app.agent.events.approvals import PermissionMode  # noqa: E402
from app.agent.events.core import Usage  # noqa: E402
from app.agent.loop import Agent  # noqa: E402
from app.agent.model import LiteLLMModel, ModelReply, RawToolCall  # noqa: E402
from app.agent.session import Session  # noqa: E402
from app.agent.subagents.runner import Delegator  # noqa: E402
from app.agent.tools.registry import ToolRegistry, default_tools  # noqa: E402
from app.agent.tools.sandbox import SandboxConfig, detect  # noqa: E402
from app.agent.tools.task import TaskTool  # noqa: E402
from app.runtime import store_sink  # noqa: E402
from storage.db import open_db  # noqa: E402
from storage.store import EventStore  # noqa: E402

TASKS = 15
DELEGATION_GOAL = 1.5  # a delegated task / a turn of as many model calls: what delegation adds beyond its calls
CHILD = "Count the files."
TASK_ARGS = '{"description": "count", "prompt": "%s", "allowed_tools": ["list_dir"]}' % CHILD
LIST = '{"path": "."}'
UNSANDBOXED = detect(SandboxConfig(mode="off"))  # list_dir only: the sandbox plays no part
USAGE = Usage(prompt_tokens=10, completion_tokens=1, reported=True)

# flow → the parent's replies in order (None: an answer), and whether the child answers
FLOWS: dict[str, list[tuple[str, str] | None]] = {
    "single": [None],
    "delegated": [("task", TASK_ARGS), None],
    "3 calls": [("list_dir", LIST), ("list_dir", LIST), None],
}


class Scripted:
    """Zero-latency model: the parent's replies of a flow by the step it is at; a child answers at once."""

    name = "bench/scripted"

    def __init__(self, flow: str) -> None:
        self.flow = FLOWS[flow]

    def priced_by(self) -> str | None:
        return None

    async def stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], on_text: Any) -> ModelReply:
        step = sum(1 for m in messages if m["role"] == "assistant")
        if any(m["role"] == "user" and m["content"].startswith(CHILD) for m in messages):
            return ModelReply(text="3 files", usage=USAGE)
        call = self.flow[min(step, len(self.flow) - 1)]
        if call is None:
            return ModelReply(text="done", usage=USAGE)
        return ModelReply(text="", tool_calls=[RawToolCall(id=f"c{step}", name=call[0], arguments=call[1])], usage=USAGE)


def one_task(model: Any, store: EventStore, work: Path, n: int) -> float:
    def bus_for(session_id: str) -> EventBus:
        bus = EventBus(session_id)
        bus.subscribe(store_sink(store), required=True)
        return bus

    bus = bus_for(f"bench{time.monotonic_ns()}")
    delegator = Delegator(new_bus=bus_for, session_id=bus.session_id)
    agent = Agent(model=model, tools=ToolRegistry([*default_tools(), TaskTool(delegator)]), emit=bus.emit,
                  workspace=work, approvals=ApprovalPolicy(HeadlessApprover(True), PermissionMode.YOLO),
                  config=AgentConfig(permission_mode=PermissionMode.YOLO), sandbox=UNSANDBOXED)
    delegator.bind(agent)
    session = Session(bus, agent)

    async def run() -> None:
        session.start()
        result = await session.run_task(f"bench task {n}")
        session.finish()
        assert result.outcome == "completed", result

    started = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - started


def median_task(make_model: Any, flow: str, store: EventStore, work: Path) -> float:
    times = [one_task(make_model(flow), store, work, n) for n in range(TASKS + 1)]
    return statistics.median(times[1:])  # the first warms caches


def table(title: str, make_model: Any, store: EventStore, work: Path) -> bool:
    print(f"\n{title}: median of {TASKS} tasks, each in a fresh session")
    print(f"{'flow':<12} {'model calls':>11} {'ms / task':>10} {'vs single':>10}")
    medians = {flow: median_task(make_model, flow, store, work) for flow in FLOWS}
    calls = {"single": 1, "delegated": 3, "3 calls": 3}
    for flow, seconds in medians.items():
        print(f"{flow:<12} {calls[flow]:>11} {seconds * 1000:>10.1f} {seconds / medians['single']:>9.2f}x")
    own, added = medians["delegated"] / medians["3 calls"], f"{(medians['delegated'] - medians['3 calls']) * 1000:+.1f} ms"
    print(f"delegation's own cost: {own:.2f}x a turn of as many model calls ({added})")
    return bool(report(f"delegation's own cost ({title.split(' (')[0]})", goal=f"<= {DELEGATION_GOAL}x",
                       measured=f"{own:.2f}x ({added})", ratio=own / DELEGATION_GOAL, ok=own <= DELEGATION_GOAL).ok)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "ws"
        work.mkdir()
        (work / "a.py").write_text("a = 1\n")
        store = EventStore(open_db(Path(tmp) / "bench.db"))
        met = [table("In-process model (the harness alone)", Scripted, store, work)]

        from app.agent.offline import load_litellm
        from tests.support.openai_server import OpenAIServer, Reply, ToolCallSpec

        load_litellm()
        server = OpenAIServer().start()
        try:
            def loopback(flow: str) -> LiteLLMModel:
                scripted = Scripted(flow)

                def respond(body: dict[str, Any]) -> Reply:
                    step = sum(1 for m in body["messages"] if m["role"] == "assistant")
                    if any(m["role"] == "user" and str(m["content"]).startswith(CHILD) for m in body["messages"]):
                        return Reply(text="3 files")
                    call = scripted.flow[min(step, len(scripted.flow) - 1)]
                    if call is None:
                        return Reply(text="done")
                    import json
                    return Reply(tool_calls=[ToolCallSpec(call[0], json.loads(call[1]))])

                server.responder = respond
                return LiteLLMModel("openai/bench", api_base=server.url, api_key="x")

            met.append(table("litellm over loopback HTTP", loopback, store, work))
        finally:
            server.close()
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
