"""A running command's output for the screen: decoded, scrubbed, coalesced and capped.

``bash`` reads its output in chunks (up to 64 KB each) as fast as the command writes. Every
chunk goes to the result as before (``BoundedOutput``) and to a :class:`LiveOutput`, which
hands its sink at most one piece of text per ``interval``: after a quiet spell a chunk goes at
once; chunks that follow within the interval are merged and go when it has passed (a timer,
so a command that prints a line and then waits shows that line). A merged piece keeps only
its last ``keep`` characters and counts the rest as dropped: a command that prints megabytes
a second costs the screen a few short updates a second. Secrets are scrubbed from each piece
(the scrubber also catches a cut-off piece of a secret at either end).
"""

from __future__ import annotations

import asyncio
import codecs
import math
import time
from collections.abc import Callable
from typing import Protocol

from app.agent.events.core import Event, ToolOutputDelta
from app.agent.tools.scrub import NO_SCRUBBER, Scrubber

LIVE_INTERVAL_S = 0.05  # at most this often per command
LIVE_KEEP_CHARS = 4_000  # of one merged piece; the screen shows its last few lines


class OutputSink(Protocol):
    def __call__(self, text: str, dropped: int, /) -> None:
        """``text`` printed since the last call; ``dropped`` characters before it were left out."""


def no_live_output(text: str, dropped: int, /) -> None:
    """Nobody watches the output as it comes (tests, tools that do not stream)."""


class OutputDeltas:
    """The sink the tool pipeline gives a call: each piece announced as a ``ToolOutputDelta``."""

    def __init__(self, emit: Callable[[Event], object], tool_call_id: str) -> None:
        self.emit = emit
        self.tool_call_id = tool_call_id

    def __call__(self, text: str, dropped: int, /) -> None:
        self.emit(ToolOutputDelta(tool_call_id=self.tool_call_id, text=text, dropped=dropped))


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Later = Callable[[float, Callable[[], None]], Cancellable]  # e.g. the running loop's ``call_later``


class LiveOutput:
    def __init__(self, sink: OutputSink, scrubber: Scrubber = NO_SCRUBBER, *, interval: float = LIVE_INTERVAL_S,
                 keep: int = LIVE_KEEP_CHARS, clock: Callable[[], float] = time.monotonic,
                 later: Later | None = None) -> None:
        self.sink = sink
        self.scrubber = scrubber
        self.interval = interval
        self.keep = keep
        self.clock = clock
        self.later: Later = later or asyncio.get_running_loop().call_later
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        self._size = 0
        self._dropped = 0
        self._sent_at = -math.inf
        self._timer: Cancellable | None = None

    def feed(self, chunk: bytes) -> None:
        self._add(self._decoder.decode(chunk))
        if not self._parts or self._timer is not None:
            return
        wait = self._sent_at + self.interval - self.clock()
        if wait <= 0:
            self.flush()
        else:
            self._timer = self.later(wait, self._due)

    def close(self) -> None:
        """The command ended: what is left goes now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._add(self._decoder.decode(b"", final=True))
        self.flush()

    def flush(self) -> None:
        text, dropped = self._take()
        if text or dropped:
            self._sent_at = self.clock()
            self.sink(self.scrubber.scrub_text(text), dropped)

    def _due(self) -> None:
        self._timer = None
        self.flush()

    def _add(self, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        self._size += len(text)
        if self._size > 2 * self.keep:  # what cannot be shown is not kept either
            self._parts = [self._take_joined()]
            self._size = len(self._parts[0])

    def _take_joined(self) -> str:
        joined = "".join(self._parts)
        cut = max(0, len(joined) - self.keep)
        self._dropped += cut
        return joined[cut:]

    def _take(self) -> tuple[str, int]:
        text = self._take_joined()
        dropped = self._dropped
        self._parts, self._size, self._dropped = [], 0, 0
        return text, dropped
