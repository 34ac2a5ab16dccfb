"""One run of one hook command: ``/bin/sh -c COMMAND`` in the workspace, the JSON on stdin.

The command runs in a process group of its own, outside the sandbox (hooks are the
user's own commands, from the user's configuration, as in Claude Code), with the
environment Cockpit has plus ``COCKPIT_PROJECT_DIR``. When its timeout passes, or the
user interrupts, the whole group is killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from app.agent.hooks.config import HookSpec

KILL_WAIT_S = 2.0  # for a killed group's shell to be reaped


@dataclass(frozen=True)
class HookResult:
    exit_code: int | None  # None: timed out, or never started
    stdout: str
    stderr: str
    duration_ms: float
    timed_out: bool = False
    error: str = ""  # why it could not start


async def run_hook(spec: HookSpec, stdin: bytes, workspace: Path) -> HookResult:
    started = time.perf_counter()

    def took() -> float:
        return (time.perf_counter() - started) * 1000

    try:
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh", "-c", spec.command, cwd=workspace, start_new_session=True,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "COCKPIT_PROJECT_DIR": str(workspace)},
        )
    except OSError as exc:
        return HookResult(None, "", "", took(), error=f"could not start /bin/sh in {workspace}: {exc}")
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout=spec.timeout_s)
    except asyncio.TimeoutError:
        await _kill(proc)
        return HookResult(None, "", "", took(), timed_out=True)
    except BaseException:  # interrupted (Esc): the hook goes with it
        await _kill(proc)
        raise
    return HookResult(proc.returncode, _text(out), _text(err), took())


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


async def _kill(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone
    try:
        await asyncio.wait_for(asyncio.shield(proc.wait()), timeout=KILL_WAIT_S)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        pass
