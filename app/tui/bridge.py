"""From core events to Textual messages, with stream deltas coalesced.

:class:`EventBridge` is a bus subscriber. It runs on the agent thread and hands
every event to ``post`` (``App.post_message``, which is thread-safe) wrapped in
an :class:`~app.tui.messages.AgentEvent`.

A model streams dozens of fragments a second; posting each one would flood the
UI's message queue. Text deltas are therefore buffered here, and only the first
fragment of a burst posts a :class:`~app.tui.messages.TextReady` wake-up. The UI
answers it when :meth:`EventBridge.due_in` says the text is due by calling
:meth:`EventBridge.take`, which returns everything buffered since as one merged
``TextDelta``: while text keeps coming, at most once per ``interval``; once no fragment
has come for a quiet time (``QUIET_S``, or four of the stream's usual gaps between
fragments if that is longer: a slow stream is not drained after every token), as soon
as a quarter of an interval has passed since the last drain. So the end of an answer is
drawn at once, not up to an interval later (nor only when the model call's end arrives).
The timer runs on
the UI's clock, not the agent loop's, so text still reaches the screen while the
agent thread is busy (litellm assembles its final response after the last chunk).
Any other event first flushes the buffer, so the UI sees events in their true order.
The UI's drain (:meth:`EventBridge.take_due`) also keeps that order: text buffered after
events the UI has not shown yet waits for them (the UI reports each one shown with
:meth:`EventBridge.shown`, which says when the waiting text is due), so a drain never
overtakes an event whose handler is still at work or still queued.

A running command's output (``tool_output_delta``) takes the same path: the deltas of
each call merge into one, of which only the last ``OUTPUT_KEEP_CHARS`` are kept (the
screen shows its last lines), and :meth:`EventBridge.take_all` returns them with the
text. However fast a command prints, the screen redraws its block a few times a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.tui.messages import AgentEvent, TextReady

if TYPE_CHECKING:
    from app.agent.events import core as ev

FLUSH_INTERVAL_S = 0.1  # each drain costs a frame of layout: ~20 ms of UI time under a 10,000-token answer
QUIET_S = 0.01  # no fragment for this long: the stream ended or paused (at 1,000 tokens/s they come every ~2 ms)
QUIET_GAPS = 4  # nor for this many of the stream's usual gaps between fragments
OUTPUT_KEEP_CHARS = 4_000  # of a call's merged output (the transcript keeps as much: transcript_view.LIVE_CHARS)


class EventBridge:
    def __init__(
        self, post: Callable[[Any], Any], *, interval: float = FLUSH_INTERVAL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.post = post
        self.interval = interval
        self.clock = clock  # the UI's clock: due_in is asked with its readings
        self._lock = threading.RLock()  # _buffer posts a merged delta while holding it
        self._pending: ev.TextDelta | None = None
        self._parts: list[str] = []
        self._outputs: dict[str, ev.ToolOutputDelta] = {}  # tool_call_id -> its output merged so far
        self._woken = False
        self._events_posted = 0  # AgentEvents posted so far
        self._events_shown = 0  # of them, those the UI has shown
        self._after = 0  # AgentEvents posted before the first buffered delta: shown first
        self._owed = False  # a drain found the UI behind: the text is due once it catches up
        self._last_buffered = float("-inf")  # when the last fragment was buffered (``clock``)
        self._gap = 0.0  # the usual time between fragments (a moving average, at most an interval)
        self.posted = 0  # messages posted, for benchmarks and tests

    def __call__(self, event: ev.Event) -> None:
        if event.type == "text_delta":  # matched by its type: the first frame never imports the events module
            self._buffer(event)  # type: ignore[arg-type]
            return
        if event.type == "tool_output_delta":
            self._buffer_output(event)  # type: ignore[arg-type]
            return
        self.flush()
        self._post_event(event)

    def _buffer(self, delta: ev.TextDelta) -> None:
        with self._lock:
            if self._pending is not None and self._pending.call_id != delta.call_id:
                merged = self._take_locked()
                if merged is not None:
                    self._post_event(merged)
            self._mark_start_locked()
            if self._pending is None:
                self._pending = delta
            self._parts.append(delta.text)
            self._note_fragment_locked()
            wake, self._woken = not self._woken, True
        if wake:
            self._post(TextReady(self))

    def _buffer_output(self, delta: ev.ToolOutputDelta) -> None:
        with self._lock:
            self._mark_start_locked()
            merged = self._outputs.get(delta.tool_call_id)
            if merged is not None:
                text = merged.text + delta.text
                cut = max(0, len(text) - OUTPUT_KEEP_CHARS)
                delta = replace(merged, text=text[cut:], dropped=merged.dropped + delta.dropped + cut)
            self._outputs[delta.tool_call_id] = delta
            self._note_fragment_locked()
            wake, self._woken = not self._woken, True
        if wake:
            self._post(TextReady(self))

    def due_in(self, last_drain: float, now: float) -> float:
        """Seconds (on ``clock``) until the buffered text is due on screen, 0 when it is:
        ``interval`` after the last drain, or earlier once the stream has been quiet for a while
        and a quarter of an interval has passed since the last drain (see the module docstring)."""
        with self._lock:
            quiet = self._last_buffered + max(QUIET_S, QUIET_GAPS * self._gap)
        due = min(last_drain + self.interval, max(quiet, last_drain + self.interval / 4))
        return max(0.0, due - now)

    def take_all(self) -> list[ev.Event]:
        """The text and the commands' output buffered so far, each merged into one delta; any thread."""
        with self._lock:
            text = self._take_locked()
            outputs, self._outputs = list(self._outputs.values()), {}
        return ([text] if text is not None else []) + outputs

    def take_due(self) -> list[ev.Event]:
        """What :meth:`take_all` returns, once the UI has shown every event posted before it;
        until then nothing, and :meth:`shown` says when it is due."""
        with self._lock:
            if self._events_shown < self._after:
                self._owed = True
                return []
        return self.take_all()

    def shown(self) -> bool:
        """The UI has shown one more of the posted events; True when buffered text is now due."""
        with self._lock:
            self._events_shown += 1
            due = self._owed and self._events_shown >= self._after
            if due:
                self._owed = False
            return due

    def take(self) -> ev.TextDelta | None:
        """The text buffered so far as one ``TextDelta`` (None if there is none); any thread."""
        with self._lock:
            return self._take_locked()

    def flush(self) -> None:
        """Post the buffered deltas now (before any other event)."""
        for merged in self.take_all():
            self._post_event(merged)

    def _take_locked(self) -> ev.TextDelta | None:
        self._woken = False
        if self._pending is None:
            return None
        merged = replace(self._pending, text="".join(self._parts))
        self._pending, self._parts = None, []
        return merged

    def _note_fragment_locked(self) -> None:
        """A fragment (text or output) came now: the quiet time counts from it."""
        now = self.clock()
        self._gap += (min(now - self._last_buffered, self.interval) - self._gap) / 8
        self._last_buffered = now

    def _mark_start_locked(self) -> None:
        """A delta is buffered: if the buffer was empty, it comes after the events posted so far."""
        if self._pending is None and not self._outputs:
            self._after = self._events_posted

    def _post_event(self, event: ev.Event) -> None:
        with self._lock:
            self._events_posted += 1
        self._post(AgentEvent(event, self))

    def _post(self, message: Any) -> None:
        self.posted += 1
        self.post(message)
