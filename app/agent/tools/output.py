"""Shaping what a tool gives back: capped text, binary detection, error results."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable
from typing import Any

from app.agent.tools.base import ToolError, ToolOutput
from app.agent.tools.stop import Stop
from app.agent.tools.validation import require_valid

HEAD_SHARE = 0.4  # the rest of the budget goes to the tail, where errors usually are
SNIFF_BYTES = 8192  # bytes read to tell text from binary


def cap_output(text: str, cap_chars: int) -> tuple[str, bool]:
    """``text`` cut to about ``cap_chars``: head and tail kept, the middle replaced by a marker.

    Returns ``(text, truncated)``. Cuts fall on line boundaries when one is
    close enough, so the model does not see half lines.
    """
    if len(text) <= cap_chars:
        return text, False
    budget = max(cap_chars, 0)
    head_end = _snap_back(text, int(budget * HEAD_SHARE))
    tail_start = _snap_forward(text, len(text) - (budget - int(budget * HEAD_SHARE)))
    tail_start = max(tail_start, head_end)
    omitted = text[head_end:tail_start]
    marker = (
        f"[... {len(omitted)} characters ({omitted.count(chr(10))} lines) omitted from the middle; "
        "the full output is stored with this tool call ...]"
    )
    head, tail = text[:head_end], text[tail_start:]
    if head and not head.endswith("\n"):
        head += "\n"
    if tail:
        marker += "\n"
    return head + marker + tail, True


def looks_binary(data: bytes) -> bool:
    """True for data that is not text: a NUL byte, or mostly undecodable bytes."""
    sample = data[:SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(data) <= SNIFF_BYTES)
        return False
    except UnicodeDecodeError:
        pass
    texty = sum(1 for b in sample if b >= 0x20 or b in b"\t\n\r\f\b")
    return texty / len(sample) < 0.9


def _snap_back(text: str, pos: int) -> int:
    """Move a head cut back to just after a newline, if one is in the last quarter."""
    newline = text.rfind("\n", 0, pos)
    return newline + 1 if newline >= pos * 3 // 4 and newline >= 0 else pos


def _snap_forward(text: str, pos: int) -> int:
    """Move a tail cut forward to just after a newline, if one is near."""
    reach = max((len(text) - pos) // 4, 1)
    newline = text.find("\n", pos, pos + reach)
    return newline + 1 if newline >= 0 else pos


async def run_checked(
    schema: dict[str, Any], args: dict[str, Any], work: Callable[[Stop], ToolOutput]
) -> ToolOutput:
    """Validate ``args``, run blocking ``work`` in a thread, and turn expected failures into results.

    A :class:`ToolError` (bad input, refused path) or an :class:`OSError`
    (permission denied, disk full) becomes an error result the model can read.
    Cancelled (Esc, or the loop's timeout), it returns at once and sets the
    :class:`Stop` it gave ``work``, so the thread gives up at its next check.
    """
    stop = Stop()
    try:
        require_valid(schema, args)
        return await asyncio.to_thread(work, stop)
    except asyncio.CancelledError:
        stop.set()
        raise
    except ToolError as exc:
        return ToolOutput(str(exc), is_error=True)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return ToolOutput(f"{exc.strerror or exc}{where}", is_error=True)
