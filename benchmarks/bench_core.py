"""Harness overhead per step, and event persistence throughput.

1. Overhead per step: a session of N steps (each a cheap tool call) with a
   zero-latency in-process model, so only the harness is measured (loop, events,
   SQLite store, tool dispatch). Goal: flat — the per-step cost at 1,000 steps
   stays close to the cost at 10 steps. The same is shown through the real
   litellm path with the scripted provider, for reference.
2. Persistence: EventStore.append (one transaction per event, as live runs do)
   and EventStore.append_many (one transaction, as imports do) against raw
   sqlite3 executemany into an equivalent events table, in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from app.agent.approvals import ApprovalPolicy, HeadlessApprover  # noqa: E402
from app.agent.events.approvals import PermissionMode
from app.agent.bus import EventBus  # noqa: E402
from app.agent.events.core import Usage  # noqa: E402
from app.agent.loop import Agent  # noqa: E402
from app.agent.model import ModelReply, RawToolCall  # noqa: E402
from app.agent.tools.registry import default_tools  # noqa: E402
from app.runtime import store_sink  # noqa: E402
from benchmarks.goals import GoalResult, report  # noqa: E402
from storage.db import open_db  # noqa: E402
from storage.store import EventStore  # noqa: E402


class InstantModel:
    """Zero-latency model: N tool calls, then an answer."""

    name = "bench/instant"

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.calls = 0

    async def stream(self, messages, tools, on_text):
        self.calls += 1
        on_text("ok ")
        if self.calls >= self.steps:
            return ModelReply(text="done", usage=Usage(prompt_tokens=10, completion_tokens=1, reported=True))
        call = RawToolCall(id=f"c{self.calls}", name="list_dir", arguments='{"path": "."}')
        return ModelReply(text="ok ", tool_calls=[call], usage=Usage(prompt_tokens=10, completion_tokens=1, reported=True))


def run_session(model, steps: int, workdir: Path) -> tuple[float, list[float]]:
    db = open_db(workdir / f"bench-{steps}-{time.monotonic_ns()}.db")
    bus = EventBus(f"bench{steps}")
    bus.subscribe(store_sink(EventStore(db)))
    agent = Agent(
        model=model, tools=default_tools(), emit=bus.emit, workspace=workdir,
        approvals=ApprovalPolicy(HeadlessApprover(True), PermissionMode.YOLO),
    )
    from app.agent.config import AgentConfig

    agent.config = AgentConfig(max_steps=steps + 5)
    from app.agent.events.core import SessionStarted

    bus.emit(SessionStarted(model=model.name, workspace=str(workdir)))
    step_times: list[float] = []
    last = [time.perf_counter()]

    def tick(event):
        if event.type == "model_call_started":
            now = time.perf_counter()
            step_times.append(now - last[0])
            last[0] = now

    bus.subscribe(tick)
    started = time.perf_counter()
    asyncio.run(agent.run_turn("bench"))
    total = time.perf_counter() - started
    db.conn.close()
    return total, step_times[1:]


def per_step_table(title: str, make_model, sizes: list[int], workdir: Path) -> float:
    """Prints the table; returns the last row's per-step cost over the first row's."""
    print(f"\n{title}")
    print(f"{'steps':>7} {'total s':>9} {'ms/step':>9} {'median ms/step, last 10%':>25} {'vs first row':>13}")
    base = None
    for steps in sizes:
        total, times = run_session(make_model(steps), steps, workdir)
        per_step = total / steps * 1000
        tail = times[-max(1, len(times) // 10):]
        tail_ms = statistics.median(tail) * 1000 if tail else per_step
        base = base or tail_ms
        print(f"{steps:>7} {total:>9.2f} {per_step:>9.2f} {tail_ms:>25.2f} {tail_ms / base:>12.2f}x")
    return tail_ms / base


def persistence(workdir: Path, n: int = 20_000, repeats: int = 3) -> GoalResult:
    """Each batch figure is the best of ``repeats`` runs on fresh databases, in wall time and in CPU time (both
    are CPU-bound: on a shared machine the CPU time is the figure other processes disturb least)."""
    payload = {"tool_call_id": "t", "name": "bash", "status": "ok", "result": "x" * 200, "duration_ms": 1.5}
    events = [{"type": "notice", "session_id": "s", "seq": i + 1, "ts": time.time(), **payload} for i in range(n)]
    rows = [(e["session_id"], e["seq"], e["type"], e["ts"], json.dumps(payload)) for e in events]

    def raw_run(k: int) -> tuple[float, float]:
        raw = sqlite3.connect(workdir / f"raw{k}.db", isolation_level=None)
        raw.execute("pragma journal_mode=wal")
        raw.execute("pragma synchronous=normal")
        raw.execute("create table events (id integer primary key, session_id text, seq integer, type text, ts real, payload text, unique(session_id, seq))")
        t, cpu = time.perf_counter(), time.process_time()
        raw.execute("begin")
        raw.executemany("insert into events (session_id, seq, type, ts, payload) values (?, ?, ?, ?, ?)", rows)
        raw.execute("commit")
        elapsed = time.perf_counter() - t, time.process_time() - cpu
        raw.close()
        return elapsed

    def batch_run(k: int) -> tuple[float, float]:
        db = open_db(workdir / f"batch{k}.db")
        store = EventStore(db)
        store.append({"type": "session_started", "session_id": "s", "seq": 0, "ts": time.time()})
        t, cpu = time.perf_counter(), time.process_time()
        store.append_many(events)
        elapsed = time.perf_counter() - t, time.process_time() - cpu
        db.conn.close()
        return elapsed

    raws, batches = [], []
    for k in range(repeats):  # interleaved, so both see the same machine
        raws.append(raw_run(k))
        batches.append(batch_run(k))
    raw_s, raw_cpu = (min(r[i] for r in raws) for i in (0, 1))
    batch_s, batch_cpu = (min(b[i] for b in batches) for i in (0, 1))

    db2 = open_db(workdir / "store2.db")
    store2 = EventStore(db2)
    store2.append({"type": "session_started", "session_id": "s", "seq": 0, "ts": time.time()})
    m = n // 4
    t = time.perf_counter()
    for e in events[:m]:
        store2.append(e)
    single_s = (time.perf_counter() - t) * n / m

    print(f"\nEvent persistence, {n:,} events (batches: best of {repeats}; goal: append_many at least 0.5x raw)")
    print(f"{'method':<42} {'events/s':>12} {'vs raw executemany':>20}")
    for name, secs in (
        ("raw sqlite3 executemany (baseline)", raw_s),
        ("EventStore.append_many (one transaction)", batch_s),
        ("EventStore.append (a transaction each)", single_s),
    ):
        print(f"{name:<42} {n / secs:>12,.0f} {secs / raw_s:>19.2f}x")
    ratio = raw_cpu / batch_cpu
    print(f"append_many in CPU time: {batch_cpu:.3f} s vs {raw_cpu:.3f} s for raw executemany")
    return report(f"EventStore.append_many vs raw executemany, {n:,} events (CPU)", goal=f">= {APPEND_MANY_GOAL}x",
                  measured=f"{ratio:.2f}x", ratio=ratio / APPEND_MANY_GOAL, ok=ratio >= APPEND_MANY_GOAL)


APPEND_MANY_GOAL = 0.5  # append_many's speed (CPU time) at least half raw executemany's


STEP_RATIO_GOAL = 1.5  # per-step overhead at the last size within 1.5x the first


def main() -> int:
    quick = "--quick" in sys.argv
    sizes = [10, 100] if quick else [10, 100, 1000]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        growth = per_step_table("Harness overhead per step (zero-latency in-process model, SQLite store on)", InstantModel,
                                sizes, workdir)
        flat = report(f"per-step overhead, step {sizes[-1]:,} vs step {sizes[0]}", goal=f"<= {STEP_RATIO_GOAL}x",
                      measured=f"{growth:.2f}x", ratio=growth / STEP_RATIO_GOAL, ok=growth <= STEP_RATIO_GOAL)
        script = workdir / "script.json"
        script.write_text(json.dumps([{"text": "ok", "tool_calls": [{"name": "list_dir", "arguments": {}}]}] * 1000))
        from app.agent.model import LiteLLMModel

        per_step_table(
            "Same through the real litellm path (scripted provider), for reference",
            lambda steps: LiteLLMModel(f"scripted/{script}"),
            sizes[:2] if not quick else sizes[:1],
            workdir,
        )
        persistence(workdir, 5_000 if quick else 20_000)
    return 0 if flat.ok else 1


if __name__ == "__main__":
    sys.exit(main())
