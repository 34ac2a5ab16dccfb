"""The bash tool. The process-group tests read host pids (``echo $$``), so they run unsandboxed
(``HOST``); tests/tools/test_sandbox.py kills through bubblewrap's PID namespace."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.agent.tools.base import ToolContext
from app.agent.tools.bash import Bash, BoundedOutput
from app.agent.tools.sandbox import SandboxConfig, detect

HOST = detect(SandboxConfig(mode="off"))


@pytest.fixture
def host_ctx(ctx: ToolContext) -> ToolContext:
    return dataclasses.replace(ctx, sandbox=HOST)


def _alive(pid: int) -> bool:
    """True while ``pid`` is a running process (zombies count as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _processes() -> Iterator[tuple[int, list[str]]]:
    """Every process as ``(pid, fields of /proc/pid/stat after the name)``: state, ppid, pgrp, ..."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                yield int(entry), f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue


def _live_group_members(pgid: int) -> list[int]:
    return [pid for pid, fields in _processes() if int(fields[2]) == pgid and fields[0] not in ("Z", "X")]


def _children_of(parent: int) -> list[int]:
    return [pid for pid, fields in _processes() if int(fields[1]) == parent]


async def _all_gone(pids: list[int], pgid: int | None = None, deadline_s: float = 5.0) -> bool:
    """Whether the processes (and the group) are gone, allowing a dying process a moment to finish exiting."""
    end = time.monotonic() + deadline_s
    while True:
        alive = [p for p in pids if _alive(p)] + (_live_group_members(pgid) if pgid else [])
        if not alive or time.monotonic() > end:
            return not alive
        await asyncio.sleep(0.02)


def _pids(text: str, label: str) -> list[int]:
    return [int(line.split()[1]) for line in text.splitlines() if line.startswith(label + " ")]


async def _wait_for_file(path: Path, deadline_s: float = 10.0) -> str:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def _wait_for_file_blocking(path: Path, deadline_s: float = 10.0) -> str:
    """Like :func:`_wait_for_file`, without giving the event loop a turn."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.005)
    raise AssertionError(f"{path} never appeared")


async def test_success_runs_in_workspace_with_merged_streams(ws: Path, ctx: ToolContext) -> None:
    out = await Bash().run({"command": "pwd; echo out; echo err >&2"}, ctx)
    assert not out.is_error
    assert out.exit_code == 0
    assert out.text.splitlines() == [str(ws.resolve()), "out", "err"]
    assert not out.truncated


async def test_non_zero_exit_is_an_error_with_the_code(ctx: ToolContext) -> None:
    out = await Bash().run({"command": "echo partial; exit 3"}, ctx)
    assert out.is_error
    assert out.exit_code == 3
    assert out.text == "partial\n[exit code 3]"
    assert not out.timed_out


async def test_no_output_and_closed_stdin(ctx: ToolContext) -> None:
    out = await Bash().run({"command": "cat"}, ctx)  # would hang if stdin were inherited
    assert out.text == "(no output)"
    assert out.exit_code == 0


async def test_output_cap_keeps_head_and_tail_and_the_full_output(ctx: ToolContext) -> None:
    out = await Bash().run({"command": "seq 1 20000; exit 1"}, ctx)
    assert out.truncated
    assert len(out.text) < ctx.output_cap_chars + 300
    assert out.text.startswith("1\n2\n3\n")
    assert out.text.endswith("19999\n20000\n[exit code 1]")
    assert "omitted from the middle" in out.text
    assert out.full_output is not None
    assert out.full_output.splitlines() == [str(i) for i in range(1, 20001)] + ["[exit code 1]"]


async def test_timeout_kills_the_whole_process_group(ws: Path) -> None:
    ctx = ToolContext(workspace=ws, timeout_s=1.0, sandbox=HOST)  # caps the larger timeout the call asks for
    command = "echo leader $$; sh -c 'sleep 30 & echo child $!; sleep 30'"
    started = time.monotonic()
    out = await Bash().run({"command": command, "timeout_s": 60}, ctx)
    assert time.monotonic() - started < 10
    assert out.timed_out and out.is_error
    assert "[timed out after 1 s" in out.text
    leader, child = _pids(out.text, "leader")[0], _pids(out.text, "child")[0]
    assert await _all_gone([child], pgid=leader)


async def test_cancellation_kills_the_group_and_propagates(ws: Path, host_ctx: ToolContext) -> None:
    command = "echo $$ > leader.pid; sh -c 'sleep 30 & echo $! > child.pid; sleep 30'"
    task = asyncio.create_task(Bash().run({"command": command}, host_ctx))
    child = int(await _wait_for_file(ws / "child.pid"))
    leader = int(await _wait_for_file(ws / "leader.pid"))
    assert _alive(child)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _all_gone([child], pgid=leader)


async def test_cancellation_while_the_shell_starts_kills_what_it_started(ws: Path, host_ctx: ToolContext) -> None:
    """The race behind the flaky test above: Esc lands before asyncio has connected the pipes.

    asyncio then kills only the shell and waits for the output to close, which the commands
    it started hold open: the cancel hung, or returned and left them running. Here the loop
    gets no turn between the shell starting and the cancel, so the cancel always lands there.
    """
    command = "echo $$ > leader.pid; sh -c 'sleep 30 & echo $! > child.pid; sleep 30'"
    task = asyncio.create_task(Bash().run({"command": command}, host_ctx))
    while not _children_of(os.getpid()):
        await asyncio.sleep(0)  # one step at a time, until the shell is spawned
    child = int(_wait_for_file_blocking(ws / "child.pid"))
    leader = int(_wait_for_file_blocking(ws / "leader.pid"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)  # a hang fails here, not at the suite timeout
    assert await _all_gone([child], pgid=leader)


async def test_background_child_holding_the_output_is_stopped(
    host_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.agent.tools.bash.DRAIN_S", 0.2)
    out = await Bash().run({"command": "sleep 30 & echo bg $!"}, host_ctx)
    assert out.exit_code == 0 and not out.is_error
    assert "background processes still holding the output were stopped" in out.text
    assert await _all_gone(_pids(out.text, "bg"))


async def test_background_child_with_redirected_output_keeps_running(host_ctx: ToolContext) -> None:
    out = await Bash().run({"command": "sleep 30 > /dev/null 2>&1 & echo bg $!"}, host_ctx)
    pid = _pids(out.text, "bg")[0]
    try:
        assert out.text == f"bg {pid}"
        assert _alive(pid)
    finally:
        os.kill(pid, signal.SIGKILL)


async def test_invalid_arguments_and_preview(ctx: ToolContext) -> None:
    bad = await Bash().run({"cmd": "ls"}, ctx)
    assert bad.is_error and "missing required field 'command'" in bad.text and "unknown field 'cmd'" in bad.text
    assert Bash().preview({"command": "git status"}, ctx) == "git status"
    assert Bash.side_effects is True


def test_bounded_output_keeps_first_and_last_half() -> None:
    output = BoundedOutput(limit=20)
    for chunk in (b"0123456789", b"abcdefghij", b"ABCDEFGHIJ", b"KLMNOPQRST"):
        output.add(chunk)
    text = output.text()
    assert text.startswith("0123456789\n")
    assert text.endswith("\nKLMNOPQRST")
    assert "20 bytes dropped from the middle" in text
    small = BoundedOutput(limit=100)
    small.add("é".encode()[:1])
    small.add("é".encode()[1:])
    assert small.text() == "é" and small.dropped == 0
