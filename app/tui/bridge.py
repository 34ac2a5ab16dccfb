"""From core events to Textual messages, with stream deltas coalesced.

:class:`EventBridge` is a bus subscriber. It runs on the agent thread and hands
every event to ``post`` (``App.post_message``, which is thread-safe) wrapped in
an :class:`~app.tui.messages.AgentEvent`.

A model streams dozens of fragments a second; posting each one would flood the
UI's message queue. Text deltas are therefore buffered and flushed as a single
merged ``TextDelta`` every ``interval`` seconds (on the agent loop's clock), and
always before any other event, so the UI sees events in their true order.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from app.agent import events as ev
from app.tui.messages import AgentEvent

FLUSH_INTERVAL_S = 0.04


class EventBridge:
    def __init__(self, post: Callable[[Any], Any], *, interval: float = FLUSH_INTERVAL_S) -> None:
        self.post = post
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: ev.TextDelta | None = None
        self._parts: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self.posted = 0  # messages posted, for benchmarks and tests

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.TextDelta):
            self._buffer(event)
            return
        self.flush()
        self._post(event)

    def _buffer(self, delta: ev.TextDelta) -> None:
        with self._lock:
            if self._pending is not None and self._pending.call_id != delta.call_id:
                self._flush_locked()
            if self._pending is None:
                self._pending = delta
            self._parts.append(delta.text)
            if self._timer is None:
                self._timer = _call_later(self.interval, self.flush)
                if self._timer is None:  # no running loop here: deliver at once
                    self._flush_locked()

    def flush(self) -> None:
        """Post the buffered text now (called by the timer and before other events)."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending is None:
            return
        merged = replace(self._pending, text="".join(self._parts))
        self._pending, self._parts = None, []
        self._post(merged)

    def _post(self, event: ev.Event) -> None:
        self.posted += 1
        self.post(AgentEvent(event))


def _call_later(delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop.call_later(delay, callback)
