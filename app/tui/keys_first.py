"""Keys before frames: while a key is on its way to the prompt, the screen starts no refresh.

A key from the terminal reaches the prompt in a few turns of the event loop: the
driver's input thread hands it to the app, the app checks its bindings and hands it to
the focused widget, which inserts it. A streamed answer keeps the screen's refresh
timer (60 a second) due, and one refresh can take ~20 ms of the UI thread (more after a
long session is resumed). A refresh that fell due between two of those turns ran
first, and the key waited for all of it: most keys handled in more than 20 ms in
``benchmarks/bench_tui.py`` had arrived just before such a refresh started.

:class:`KeysFirst` notes each key as the driver sends it (on the driver's thread)
and forgets it once it is handled (on the UI thread): by the prompt, when the app's
bindings took it, or at once when it went to another widget. While a noted key waits,
:class:`KeysFirstScreen` lets its refresh timer tick by without refreshing and
refreshes once the key is handled. A refresh already running is not interrupted, but
its two halves are parted: a key that arrived while the screen was laid out goes in
before the layout is painted (Textual paints right after the layout otherwise). No key
holds the screen for more than ``HOLD_S`` (a key no one reports handled, keys held
down), so frames never stall behind typing.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.driver import Driver
    from textual.geometry import Size
    from textual.message import Message

HOLD_S = 0.05  # the longest a key keeps the screen from refreshing


class KeysFirst:
    """The keys the driver sent that are not handled yet, and when each arrived."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self._lock = threading.Lock()  # the driver's thread adds, the UI thread takes away
        self._waiting: list[tuple[events.Key, float]] = []

    def watch(self, driver: Driver) -> None:
        """Note every key ``driver`` sends to the app, as it sends it."""
        send = driver.send_message

        def send_message(message: Message) -> None:
            if isinstance(message, events.Key):
                self.arrived(message)
            send(message)

        driver.send_message = send_message  # type: ignore[method-assign]

    def arrived(self, key: events.Key) -> None:
        with self._lock:
            self._waiting.append((key, self.clock()))

    def handled(self, key: events.Key) -> None:
        with self._lock:
            self._waiting = [(k, t) for k, t in self._waiting if k is not key]

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def holds_frame(self) -> bool:
        """Whether a key that arrived less than ``HOLD_S`` ago is still on its way (older ones are forgotten)."""
        with self._lock:
            if not self._waiting:
                return False
            oldest = self.clock() - HOLD_S
            self._waiting = [(k, t) for k, t in self._waiting if t >= oldest]
            return bool(self._waiting)


class KeysFirstScreen(Screen[None]):
    """The app's main screen: a refresh that falls due while a key waits (``keys``) comes right after the
    key is handled; a key that arrives while the screen is laid out goes in before the layout is painted."""

    def __init__(self, keys: KeysFirst, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys = keys
        self._laying_out = False
        self._due: set[Callable[[Screen[None]], None]] = set()  # Textual's refresh or paint, waiting for keys

    def _on_timer_update(self) -> None:
        if self.keys.holds_frame():
            self._after_keys(Screen._on_timer_update)
            return
        self._due.discard(Screen._on_timer_update)
        super()._on_timer_update()

    def _refresh_layout(self, size: Size | None = None, scroll: bool = False) -> None:
        self._laying_out = True
        try:
            super()._refresh_layout(size, scroll)
        finally:
            self._laying_out = False

    def _compositor_refresh(self) -> None:
        """Textual paints right after each layout, in the same turn of the loop: about half of the
        refresh. A key that arrived during the layout is let in first; the paint follows it."""
        if self._laying_out and self.keys.holds_frame():
            self._after_keys(Screen._compositor_refresh)
            return
        self._due.discard(Screen._compositor_refresh)
        super()._compositor_refresh()

    def _after_keys(self, then: Callable[[Screen[None]], None]) -> None:
        """``then`` (Textual's own), once no key waits: checked each turn of the loop, so each of a
        key's steps to the prompt goes first; not at all if it was done meanwhile (the timer's next tick)."""
        if then in self._due:
            return
        self._due.add(then)
        loop = asyncio.get_running_loop()

        def check() -> None:
            if then not in self._due:
                return
            if self.keys.holds_frame():
                loop.call_soon(check)
                return
            self._due.discard(then)
            if self.is_current:
                then(self)

        loop.call_soon(check)
