"""The ``bash`` tool: run a shell command in the workspace, and always be able to stop it.

The command runs in its own session (so in its own process group) with stdin
closed and stderr merged into stdout. On timeout or interrupt the whole group
gets SIGTERM, then SIGKILL after a short grace, so background children die too.
While it runs, its output also goes to the context's ``live_output`` (coalesced, capped:
``tools/live_output.py``) for the screen; the result is the whole output as before.
It runs in the context's OS sandbox (``tools/sandbox.py``); when it fails
because of the sandbox, the context's escalation asks whether it may run once
outside it, and the result says what happened.
"""

from __future__ import annotations

import asyncio
import os
import signal
from asyncio.subprocess import Process
from collections import deque
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from app.agent.events.approvals import ToolKind
from app.agent.tools.base import ToolContext, ToolError, ToolOutput
from app.agent.tools.live_output import LiveOutput
from app.agent.tools.output import cap_output
from app.agent.tools.sandbox import Sandbox, SandboxDenial
from app.agent.tools.scrub import NO_SCRUBBER, Scrubber
from app.agent.tools.validation import require_valid

MAX_KEPT_BYTES = 10 * 1024 * 1024  # of output kept in memory: the first and last half
TERM_GRACE_S = 2.0  # between SIGTERM and SIGKILL
DRAIN_S = 2.0  # after the shell exits, for background processes to release the output
_CHUNK = 64 * 1024
_POLL_S = 0.02
_ENV = {"PAGER": "cat", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}


class Bash:
    name = "bash"
    description = (
        "Run a shell command in the workspace directory and return its output (stdout and "
        "stderr together). stdin is closed, so interactive programs will not wait for input. "
        "Commands are killed after timeout_s seconds (default and maximum set by the harness)."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "minLength": 1, "description": "The shell command to run."},
            "timeout_s": {"type": "number", "minimum": 1, "description": "Seconds before the command is killed."},
        },
        "required": ["command"],
        "additionalProperties": False,
    }
    side_effects = True
    permission_kind = ToolKind.COMMAND  # bash(…) rules match its command line
    enforces_own_timeout = True  # kills its process group on timeout

    def preview(self, args: dict[str, Any], ctx: ToolContext) -> str:
        """What an approval prompt shows: the command itself."""
        return str(args.get("command", ""))

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        try:
            require_valid(self.parameters, args)
        except ToolError as exc:
            return ToolOutput(str(exc), is_error=True)
        timeout = min(float(args.get("timeout_s", ctx.timeout_s)), ctx.timeout_s)
        refusal = ctx.sandbox.refusal()
        if refusal:
            return ToolOutput(refusal, is_error=True)
        output = await self._execute(args["command"], timeout, ctx.sandbox, ctx)
        blocked = ctx.sandbox.diagnose(output.full_output or output.text) if output.is_error else None
        if blocked is None or output.timed_out:
            return output
        return await self._escalate(args, timeout, ctx, output, blocked)

    async def _escalate(
        self, args: dict[str, Any], timeout: float, ctx: ToolContext, output: ToolOutput, blocked: SandboxDenial
    ) -> ToolOutput:
        """A command the sandbox blocked: run once outside it if allowed, and say so either way."""
        refused = await ctx.escalation.allow_unsandboxed(self.name, args, blocked)
        data = {"sandbox_blocked": blocked.kind, "escalated": refused is None}
        if refused is not None:
            note = f"\n[sandbox: the command failed because {blocked.explanation()}; not run outside the sandbox: {refused}]"
            full = output.full_output + note if output.full_output is not None else None
            return replace(output, text=output.text + note, full_output=full, data=data)
        rerun = await self._execute(args["command"], timeout, ctx.sandbox.lifted(), ctx)
        note = (f"[sandbox: the command failed because {blocked.explanation()}; the user allowed it to run once "
                "outside the sandbox, and this is the output of that run]\n")
        full = note + rerun.full_output if rerun.full_output is not None else None
        return replace(rerun, text=note + rerun.text, full_output=full, data=data)

    async def _execute(self, command: str, timeout: float, sandbox: Sandbox, ctx: ToolContext) -> ToolOutput:
        try:
            proc = await _spawn_uncancelled(asyncio.create_subprocess_exec(
                *sandbox.wrap(["/bin/sh", "-c", command], ctx.workspace),
                cwd=ctx.workspace,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                env={**sandbox.environment(os.environ, ctx.workspace), **_ENV},
            ))
        except OSError as exc:
            return ToolOutput(f"could not start the shell in {ctx.workspace}: {exc}", is_error=True)

        output = BoundedOutput(MAX_KEPT_BYTES)
        live = LiveOutput(ctx.live_output, ctx.scrubber)
        assert proc.stdout is not None
        reader = asyncio.create_task(_pump(proc.stdout, output, live))
        exited = asyncio.create_task(_exit_status(proc))
        timed_out = stray = False
        try:
            await asyncio.wait({exited}, timeout=timeout)
            if not exited.done():
                timed_out = True
                await _stop_group(proc.pid, reader, exited)
            else:
                await asyncio.wait({reader}, timeout=DRAIN_S)
                if not reader.done():  # a background child still holds the output open
                    stray = True
                    await _stop_group(proc.pid, reader, exited)
            await asyncio.wait({reader}, timeout=DRAIN_S)
            reader.cancel()  # no-op when done; otherwise a process that left the group holds the pipe
            returncode = await exited
        except asyncio.CancelledError:
            try:
                await _stop_group(proc.pid, reader, exited)
            finally:
                reader.cancel()
                exited.cancel()
            raise
        finally:
            live.close()
        return _result(output, returncode, timed_out, stray, timeout, ctx)


def _result(
    output: "BoundedOutput", returncode: int, timed_out: bool, stray: bool, timeout: float, ctx: ToolContext
) -> ToolOutput:
    full = output.text(ctx.scrubber).rstrip("\n")  # secrets out before any cut
    notes = []
    if stray:  # never in the sandbox: its processes end with the command
        notes.append(
            "[background processes still holding the output were stopped; "
            "redirect their output (cmd > log 2>&1 &) to keep them running]"
        )
    if timed_out:
        notes.append(f"[timed out after {timeout:g} s; the command and its child processes were killed]")
    elif returncode > 0:
        notes.append(f"[exit code {returncode}]")
    elif returncode < 0:
        notes.append(f"[killed by signal {-returncode}]")
    suffix = "".join("\n" + note for note in notes)

    capped, truncated = cap_output(full, ctx.output_cap_chars)
    truncated = truncated or output.dropped > 0
    return ToolOutput(
        (capped or "(no output)") + suffix,
        is_error=timed_out or returncode != 0,
        exit_code=returncode,
        timed_out=timed_out,
        full_output=full + suffix if truncated else None,
    )


async def _spawn_uncancelled(spawn: Coroutine[Any, Any, Process]) -> Process:
    """The started shell. Cancelled meanwhile, it kills the shell's group before re-raising:
    asyncio alone would kill only the leader and leave the commands it already started running."""
    task = asyncio.ensure_future(spawn)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        if task.exception() is None:
            _signal_group(task.result().pid, signal.SIGKILL)
        raise


async def _pump(stream: asyncio.StreamReader, output: "BoundedOutput", live: LiveOutput) -> None:
    while chunk := await stream.read(_CHUNK):
        output.add(chunk)
        live.feed(chunk)


async def _exit_status(proc: asyncio.subprocess.Process) -> int:
    """The shell's exit status, as soon as it exits.

    Not ``proc.wait()``: on Python 3.11 that also waits for the output pipe to
    close, which a background child can hold open indefinitely.
    """
    while proc.returncode is None:
        await asyncio.sleep(_POLL_S)
    return proc.returncode


async def _stop_group(pgid: int, reader: asyncio.Task[None], exited: asyncio.Task[int]) -> None:
    """SIGTERM the group; SIGKILL it once the shell exited and the output closed, or after the grace."""
    _signal_group(pgid, signal.SIGTERM)
    try:
        await asyncio.wait({reader, exited}, timeout=TERM_GRACE_S)
    finally:
        _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


class BoundedOutput:
    """Collects a byte stream, keeping its first and last ``limit / 2`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        half = self.limit // 2
        room = half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail.append(chunk)
        self.tail_size += len(chunk)
        while self.tail_size - len(self.tail[0]) >= half:
            gone = self.tail.popleft()
            self.tail_size -= len(gone)
            self.dropped += len(gone)

    def text(self, scrubber: Scrubber = NO_SCRUBBER) -> str:
        """What was kept, secrets scrubbed (each side of a dropped middle on its own)."""
        tail = b"".join(self.tail)
        if not self.dropped:
            return scrubber.scrub_text((bytes(self.head) + tail).decode("utf-8", errors="replace"))
        marker = (
            f"\n[... {self.dropped} bytes dropped from the middle: only the first and last "
            f"{self.limit // 2} bytes of the output were kept ...]\n"
        )
        head, rest = self.head.decode("utf-8", errors="replace"), tail.decode("utf-8", errors="replace")
        return scrubber.scrub_text(head) + marker + scrubber.scrub_text(rest)
