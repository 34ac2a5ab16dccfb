from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path

import pytest

from app.agent.tools.base import ToolError, ToolOutput
from app.agent.tools.output import cap_output, looks_binary, run_checked
from app.agent.tools.stop import Stop, Stopped


def test_short_text_is_untouched() -> None:
    assert cap_output("hello\n", 100) == ("hello\n", False)


def test_long_text_keeps_head_and_tail_and_says_what_was_omitted() -> None:
    lines = [f"line {i:04d}" for i in range(1000)]
    text = "\n".join(lines)
    capped, truncated = cap_output(text, 1000)
    assert truncated
    assert capped.startswith("line 0000\n")
    assert capped.endswith("line 0999")
    marker = re.search(r"\[\.\.\. (\d+) characters \((\d+) lines\) omitted", capped)
    assert marker is not None
    assert "full output is stored" in capped
    kept_head = capped[: marker.start()]
    kept_tail = capped[capped.index("]\n", marker.start()) + 2 :]
    # nothing is lost except what the marker counts, and cuts fall on line boundaries
    assert len(kept_head) + int(marker.group(1)) + len(kept_tail) == len(text)
    assert kept_head.endswith("\n") and kept_tail.startswith("line ")
    # the tail gets the larger share
    assert len(kept_tail) > len(kept_head)
    assert len(capped) < 1000 + 150


def test_text_without_newlines_is_cut_by_characters() -> None:
    capped, truncated = cap_output("x" * 10_000, 100)
    assert truncated
    assert capped.startswith("x" * 40)
    assert capped.endswith("x" * 60)
    assert "9900 characters (0 lines) omitted" in capped


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert looks_binary(bytes(range(256)) * 4)
    assert not looks_binary(b"def main():\n    return 0\n")
    assert not looks_binary("héllo wörld ✓\n".encode())
    assert not looks_binary("café".encode("latin-1") * 100)  # text, just not UTF-8
    assert not looks_binary(b"")
    # a multi-byte character cut at the sniff boundary is still text
    assert not looks_binary(("a" * 8191 + "é" * 10).encode())


async def test_run_checked_turns_failures_into_error_results(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {}, "additionalProperties": False}

    def refuse(stop: Stop) -> ToolOutput:
        raise ToolError("no")

    def missing(stop: Stop) -> ToolOutput:
        return ToolOutput((tmp_path / "nope").read_text())

    assert await run_checked(schema, {}, refuse) == ToolOutput("no", is_error=True)
    bad = await run_checked(schema, {"x": 1}, lambda stop: ToolOutput("ran"))
    assert bad.is_error and "unknown field 'x'" in bad.text
    gone = await run_checked(schema, {}, missing)
    assert gone.is_error and "No such file" in gone.text


async def test_run_checked_cancelled_returns_at_once_and_stops_the_thread() -> None:
    schema = {"type": "object"}
    started, gave_up, never = threading.Event(), threading.Event(), threading.Event()

    def work(stop: Stop) -> ToolOutput:
        started.set()
        try:
            for _ in range(2000):  # a long job (20 s at most) that checks its stop between steps
                stop.check()
                never.wait(0.01)
        except Stopped:
            gave_up.set()
            raise
        return ToolOutput("ran to the end: the stop was never set")

    task = asyncio.create_task(run_checked(schema, {}, work))
    await asyncio.to_thread(started.wait)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(gave_up.wait, 10)
