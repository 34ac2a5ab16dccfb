"""What checkpoints add to a turn on a 20,000-file workspace when nothing changed.

A git repository of ``BENCH_CHECKPOINT_FILES`` files (default 20,000, in 200 folders, all in
the index) and one turn through the real loop and the scripted model: a bash call (``true``)
and an answer. A command is the expensive case: what it changed is what the kernel reports
(inotify, ``checkpoints/watch.py``), after one full scan at the session's first command.
Runs alternate between the session's checkpoints and none (the pipeline's
``NoCheckpoints``), so drift on a shared machine hits both alike; the medians are compared.
Goal: under 50 ms added per turn. The one-time setup and the scan that replaces the watch
where there is no inotify (two per command) are timed too.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.goals import report  # noqa: E402
from app.agent.offline import prepare_environment  # noqa: E402  (after the path)

FILES = int(os.environ.get("BENCH_CHECKPOINT_FILES", "20000"))
RUNS = int(os.environ.get("BENCH_CHECKPOINT_RUNS", "15"))
GOAL_MS = 50.0


def make_workspace(root: Path) -> None:
    for i in range(FILES):
        folder = root / f"pkg{i % 200:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{i}.py").write_text(f"VALUE = {i}\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)


def make_session(root: Path, script: Path):
    from app.agent.approvals import ApprovalPolicy, HeadlessApprover
    from app.agent.bus import EventBus
    from app.agent.config import AgentConfig
    from app.agent.events.approvals import PermissionMode
    from app.agent.loop import Agent
    from app.agent.model import LiteLLMModel
    from app.agent.session import Session
    from app.agent.tools.sandbox import SandboxConfig, detect

    bus = EventBus("bench-checkpoints")
    agent = Agent(model=LiteLLMModel(f"scripted/{script}"), emit=bus.emit, workspace=root,
                  approvals=ApprovalPolicy(human=HeadlessApprover(True), mode=PermissionMode.YOLO),
                  config=AgentConfig(permission_mode=PermissionMode.YOLO), sandbox=detect(SandboxConfig(mode="off")))
    return Session(bus, agent)


async def main() -> int:
    from app.agent.checkpoints.recorder import NoCheckpoints
    from app.agent.checkpoints.scan import scan
    from app.agent.events.checkpoints import CheckpointRecorded
    from app.agent.offline import load_litellm

    prepare_environment()
    load_litellm()
    with tempfile.TemporaryDirectory(prefix="bench-checkpoints-") as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        make_workspace(root)
        turns = [{"tool_calls": [{"name": "bash", "arguments": {"command": "true"}}]}, {"text": "ok"}]
        script = Path(tmp) / "script.json"
        script.write_text(json.dumps(turns * (2 * RUNS + 2)))
        session = make_session(root, script)
        session.start()
        recorded: list[CheckpointRecorded] = []
        session.bus.subscribe(lambda e: recorded.append(e) if isinstance(e, CheckpointRecorded) else None)
        recorder, off = session.checkpoints.recorder, NoCheckpoints()
        with_ms, without_ms = [], []
        for i in range(RUNS + 1):
            for checkpoints, times in ((recorder, with_ms), (off, without_ms)):
                session.agent.pipeline.checkpoints = checkpoints
                started = time.perf_counter()
                result = await session.run_task(f"turn {i}")
                elapsed = (time.perf_counter() - started) * 1000
                assert result.outcome == "completed", result
                if i:  # the first of each is a warm-up
                    times.append(elapsed)
        from app.agent.checkpoints.watch import open_watch

        started = time.perf_counter()
        watch = open_watch(root)
        setup_ms = (time.perf_counter() - started) * 1000
        assert watch is not None, "no inotify here: the turns above scanned"
        watch.close()
        scans = []
        for _ in range(RUNS):
            started = time.perf_counter()
            found = scan(root)
            scans.append((time.perf_counter() - started) * 1000)
        assert len(found) == FILES and not recorded, "nothing changed: no checkpoint"
    with_m, without_m = statistics.median(with_ms), statistics.median(without_ms)
    added = with_m - without_m
    print(f"workspace: {FILES:,} files in git; {RUNS} turns each (one bash call that changes nothing)")
    print(f"turn without checkpoints: median {without_m:.1f} ms")
    print(f"turn with checkpoints:    median {with_m:.1f} ms  (ratio {with_m / without_m:.2f}x)")
    print(f"added per turn: {added:.1f} ms (goal < {GOAL_MS:.0f} ms) -> {'met' if added < GOAL_MS else 'NOT met'}")
    goal = report(f"checkpoints: added per turn, {FILES:,}-file workspace", goal=f"< {GOAL_MS:.0f} ms",
                  measured=f"{added:.1f} ms", ratio=added / GOAL_MS, ok=added < GOAL_MS)
    print(f"once per session, at the first command: the watch's setup (a full scan, a watch per folder) {setup_ms:.0f} ms")
    print(f"without inotify, a scan (git ls-files + a stat of every file): median {statistics.median(scans):.1f} ms, "
          "two per command")
    return 0 if goal.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
