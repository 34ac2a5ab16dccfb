"""A running command's output reaches its sink as it comes, coalesced and capped; the result
is the same as without anyone watching."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from app.agent.events import core as ev
from app.agent.events.approvals import PermissionMode
from app.agent.tools.base import ToolContext
from app.agent.tools.bash import Bash
from app.agent.tools.live_output import LIVE_INTERVAL_S, LIVE_KEEP_CHARS, LiveOutput
from app.agent.tools.sandbox import SandboxConfig, detect
from tests.core.parallel_support import rig

UNSANDBOXED = detect(SandboxConfig(mode="off"))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, object]] = []

    def __call__(self) -> float:
        return self.now

    def later(self, delay: float, callback):
        timer = Timer(callback)
        self.timers.append((delay, timer))
        return timer


class Timer:
    def __init__(self, callback) -> None:
        self.callback, self.cancelled = callback, False

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self) -> None:
        if not self.cancelled:
            self.callback()


class Upper:
    def scrub_text(self, text: str, /) -> str:
        return text.replace("secret", "[redacted]")


def test_a_burst_costs_one_piece_now_and_one_when_the_interval_has_passed():
    pieces: list[tuple[str, int]] = []
    clock = Clock()
    live = LiveOutput(lambda text, dropped: pieces.append((text, dropped)), Upper(), interval=0.05, keep=10,
                      clock=clock, later=clock.later)
    live.feed(b"first\n")
    assert pieces == [("first\n", 0)]  # after a quiet spell: at once
    for n in range(10_000):
        live.feed(b"%05d\n" % n)
    assert len(pieces) == 1 and len(clock.timers) == 1  # one timer for the whole burst
    assert clock.timers[0][0] == pytest.approx(0.05)
    clock.now += 0.05
    clock.timers[0][1].fire()  # type: ignore[attr-defined]
    assert pieces[1] == ("998\n09999\n", 60_000 - 10)  # only the last ``keep`` characters
    live.feed(b"a secret\n")  # within the interval again: waits for a new timer
    assert len(pieces) == 2 and len(clock.timers) == 2
    live.close()  # the command ended: the rest goes now, the timer is off
    assert pieces[2] == ("a [redacted]\n", 0) and clock.timers[1][1].cancelled  # type: ignore[attr-defined]


def test_a_character_split_over_two_chunks_arrives_whole():
    pieces: list[str] = []
    clock = Clock()
    live = LiveOutput(lambda text, dropped: pieces.append(text), clock=clock, later=clock.later)
    data = "café ☕\n".encode()
    live.feed(data[:4])
    live.feed(data[4:6])
    clock.now += 1
    live.feed(data[6:])
    live.close()
    assert "".join(pieces) == "café ☕\n"


async def test_bash_output_arrives_before_the_command_ends_and_the_result_is_unchanged(tmp_path: Path):
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    seen: list[str] = []
    arrived = asyncio.Event()

    def sink(text: str, dropped: int) -> None:
        seen.append(text)
        arrived.set()

    ctx = ToolContext(workspace=tmp_path, sandbox=UNSANDBOXED, live_output=sink)
    command = f"echo ready; read line < {fifo}; echo \"got $line\""
    run = asyncio.create_task(Bash().run({"command": command}, ctx))
    await arrived.wait()
    assert "".join(seen) == "ready\n" and not run.done()  # it still waits on the FIFO
    await asyncio.to_thread(fifo.write_text, "go\n")
    output = await run
    assert output.text == "ready\ngot go"
    assert "".join(seen) == "ready\ngot go\n"
    quiet = await Bash().run({"command": "echo ready; echo got go"}, ToolContext(workspace=tmp_path, sandbox=UNSANDBOXED))
    assert quiet.text == output.text


async def test_a_flood_costs_a_few_capped_deltas_that_are_not_stored(workspace, tmp_path, write_script):
    command = "yes | head -c 8000000"
    model = write_script([{"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}, {"text": "done"}])
    r = rig(model, workspace, tmp_path / "c.db", mode=PermissionMode.YOLO)
    r.session.start()
    started = time.monotonic()
    result = await r.session.run_task("flood")
    elapsed = time.monotonic() - started
    r.session.finish()

    assert result.outcome == "completed"
    deltas = r.events.of(ev.ToolOutputDelta)
    assert deltas and all(len(d.text) <= LIVE_KEEP_CHARS for d in deltas)
    # Pieces go at least an interval apart (the last one when the command ends): 8 MB read in
    # 64 KB chunks would be 120 and more.
    assert len(deltas) <= elapsed / LIVE_INTERVAL_S + 2
    assert sum(len(d.text) + d.dropped for d in deltas) == 8_000_000
    assert not r.db.execute("select count(*) from events where type = 'tool_output_delta'").fetchone()[0]
    finished = r.events.of(ev.ToolCallFinished)[0]
    quiet = await Bash().run({"command": command}, ToolContext(workspace=workspace, sandbox=UNSANDBOXED))
    assert finished.result == quiet.text and finished.full_output == quiet.full_output
    assert r.stored_calls()[finished.tool_call_id] == ("ok", quiet.text)
