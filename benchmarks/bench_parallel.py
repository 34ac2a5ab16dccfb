"""Parallel read-only tools: one reply asking for 4 read-only calls, run at once vs one at a time.

The whole harness runs (loop, pipeline, events, SQLite store) with a zero-latency
in-process model that asks for 4 calls in one reply, then answers; each table row
is the median of several turns, with ``[agent] parallel_tools`` = 1 (sequential,
the baseline of the same run) and = 4.

1. grep, read_file, glob and list_dir over a generated workspace (2,000 files): the
   real tools. They are CPU-bound Python (the regex walk holds the GIL), so on a
   local disk the gain is small; it is the honest figure for a warm local checkout.
2. A read-only tool that waits 50 ms before it answers (a slow disk, a network
   filesystem, a read-only MCP server later): the case the feature is for.
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
from app.agent.events.core import SessionStarted, Usage  # noqa: E402
from app.agent.loop import Agent  # noqa: E402
from app.agent.model import ModelReply, RawToolCall  # noqa: E402
from app.agent.tools.base import ToolContext, ToolOutput  # noqa: E402
from app.agent.tools.registry import ToolRegistry, default_tools  # noqa: E402
from app.runtime import store_sink  # noqa: E402
from storage.db import open_db  # noqa: E402
from storage.store import EventStore  # noqa: E402

REAL_CALLS = [
    ("grep", '{"pattern": "needle_[0-9]+"}'),
    ("read_file", '{"path": "pkg0/mod0.py"}'),
    ("glob", '{"pattern": "**/*.py"}'),
    ("list_dir", '{"path": "pkg1"}'),
]
SLOW_CALLS = [("slow_read", f'{{"key": "{k}"}}') for k in "abcd"]
TURNS = 7
# The goal, for the case the feature is for: four 50 ms waits at once take at most half the time of one at a
# time. (The real tools are CPU-bound: their row is the honest figure, without a goal.)
WAITING_GOAL = 2.0


class SlowRead:
    """A read-only tool that takes 50 ms of waiting (not of CPU) per call."""

    name = "slow_read"
    description = "Read something slow."
    parameters: dict[str, Any] = {"type": "object", "properties": {"key": {"type": "string"}}}
    side_effects = False
    enforces_own_timeout = False

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        await asyncio.sleep(0.05)
        return ToolOutput(f"slow {args.get('key')}")


class FourCalls:
    """Zero-latency model: one reply with the four calls, then an answer."""

    name = "bench/four-calls"

    def __init__(self, calls: list[tuple[str, str]]) -> None:
        self.calls, self.n = calls, 0

    async def stream(self, messages, tools, on_text):
        self.n += 1
        usage = Usage(prompt_tokens=10, completion_tokens=1, reported=True)
        if self.n % 2 == 0:
            return ModelReply(text="done", usage=usage)
        parts = [RawToolCall(id=f"c{self.n}_{i}", name=name, arguments=args) for i, (name, args) in enumerate(self.calls)]
        return ModelReply(text="", tool_calls=parts, usage=usage)


def workspace(root: Path) -> Path:
    for p in range(20):
        pkg = root / f"pkg{p}"
        pkg.mkdir(parents=True)
        for m in range(100):
            body = "".join(f"def f{i}(x):\n    return x + {i}  # filler line\n" for i in range(40))
            (pkg / f"mod{m}.py").write_text(body + (f"needle_{p}_{m} = 1\n" if m % 25 == 0 else ""))
    return root


def tool_seconds(calls: list[tuple[str, str]], parallel: int, work: Path) -> float:
    """The median time of the tool phase of a turn: from the reply to the next model call."""
    db = open_db(work / f"bench-{parallel}-{time.monotonic_ns()}.db")
    bus = EventBus(f"bench-parallel-{parallel}")
    bus.subscribe(store_sink(EventStore(db)))
    tools = ToolRegistry([*default_tools(), SlowRead()])
    agent = Agent(model=FourCalls(calls), tools=tools, emit=bus.emit, workspace=work,
                  approvals=ApprovalPolicy(HeadlessApprover(True), PermissionMode.YOLO),
                  config=AgentConfig(parallel_tools=parallel))
    bus.emit(SessionStarted(model="bench", workspace=str(work)))
    marks: list[float] = []
    bus.subscribe(lambda e: marks.append(time.perf_counter()) if e.type in ("tool_call_requested", "model_call_started") else None)
    phases = []
    for _ in range(TURNS):
        marks.clear()
        asyncio.run(agent.run_turn("bench"))
        first_tool = marks[1]  # after the first model call started
        phases.append(marks[-1] - first_tool)  # until the second one started
    db.conn.close()
    return statistics.median(phases[1:])  # the first turn warms caches


def main() -> int:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = workspace(Path(tmp) / "ws")
        print(f"\n4 read-only calls in one reply, median of {TURNS - 1} turns (tool phase: reply to next model call)")
        print(f"{'calls':<44} {'sequential ms':>14} {'parallel ms':>12} {'speed-up':>9}")
        for title, calls, goal in (("grep + read_file + glob + list_dir (2k files)", REAL_CALLS, None),
                                   ("4 × a read-only tool that waits 50 ms", SLOW_CALLS, WAITING_GOAL)):
            one = tool_seconds(calls, 1, work)
            four = tool_seconds(calls, 4, work)
            print(f"{title:<44} {one * 1000:>14.1f} {four * 1000:>12.1f} {one / four:>8.2f}x")
            if goal is not None:
                results.append(report(f"parallel read-only calls, speed-up: {title}", goal=f">= {goal:.1f}x",
                                      measured=f"{one / four:.2f}x", ratio=one / four / goal, ok=one / four >= goal))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
