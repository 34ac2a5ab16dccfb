"""What the OS sandbox adds to one command: ``true`` through the bash tool, with and without bwrap.

The baseline, measured in the same run, is the same tool call unsandboxed (``[sandbox] mode = "off"``:
``/bin/sh -c true`` in its own process group). The sandboxed run is the real bubblewrap command line
(namespaces, the read-only system mounts, tmpfs /tmp and home, the workspace bind). Runs alternate, so
drift on a shared machine hits both alike; the medians are compared. Goal: under 30 ms added per command.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.goals import report  # noqa: E402
from app.agent.tools.base import ToolContext  # noqa: E402
from app.agent.tools.bash import Bash  # noqa: E402
from app.agent.tools.sandbox import SandboxConfig, default_sandbox, detect  # noqa: E402

RUNS = int(os.environ.get("BENCH_SANDBOX_RUNS", "40"))
GOAL_MS = 30.0


async def timed(ctx: ToolContext) -> float:
    started = time.perf_counter()
    out = await Bash().run({"command": "true"}, ctx)
    elapsed = (time.perf_counter() - started) * 1000
    assert out.exit_code == 0, out.text
    return elapsed


def spawned(argv: list[str]) -> float:
    """The bare process: spawn and wait, without the tool's 20 ms exit polling."""
    started = time.perf_counter()
    subprocess.run(argv, stdin=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - started) * 1000


async def main() -> int:
    sandbox = default_sandbox()
    if not sandbox.active:
        print(f"skipped: no sandbox here ({sandbox.reason})")
        report("sandbox: added per bash command", goal=f"< {GOAL_MS:.0f} ms", measured="—", ok=None)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as ws:
        plain = ToolContext(workspace=Path(ws), sandbox=detect(SandboxConfig(mode="off")))
        boxed = ToolContext(workspace=Path(ws), sandbox=sandbox)
        await timed(plain), await timed(boxed)  # warm up
        base, sand, raw_base, raw_sand = [], [], [], []
        wrapped = sandbox.wrap(["/bin/sh", "-c", "true"], Path(ws))
        for _ in range(RUNS):
            base.append(await timed(plain))
            sand.append(await timed(boxed))
            raw_base.append(spawned(["/bin/sh", "-c", "true"]))
            raw_sand.append(spawned(wrapped))
    rb, rs = statistics.median(raw_base), statistics.median(raw_sand)
    print(f"bare process, median of {RUNS}: sh -c true {rb:.1f} ms, in bwrap {rs:.1f} ms: added {rs - rb:.1f} ms")
    b, s = statistics.median(base), statistics.median(sand)
    added = s - b
    print(f"`true` via the bash tool, median of {RUNS}: unsandboxed {b:.1f} ms, {sandbox.label()} {s:.1f} ms")
    print(f"ratio {s / b:.2f}x; added {added:.1f} ms per command (goal < {GOAL_MS:.0f} ms): "
          f"{'ok' if added < GOAL_MS else 'OVER'}")
    report(f"sandbox: added per bash command ({sandbox.label()})", goal=f"< {GOAL_MS:.0f} ms", measured=f"{added:.1f} ms",
           ratio=added / GOAL_MS, ok=added < GOAL_MS)
    return 0 if added < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
