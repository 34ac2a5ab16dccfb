"""The event bus: stamps each event with the session id and a sequence number
and hands it to every subscriber, in order. The core knows none of them.

A subscriber may emit events of its own (the feedback collector does): those
are queued and dispatched after the current event has reached every
subscriber, so all sinks see the same order.

A failing subscriber never takes the agent down. A *required* one (the store,
the headless printer) is never silent either: its first failure is kept in
``failure``, the subscriber is dropped, the other subscribers get an error
:class:`~app.agent.events.core.Notice`, and every ``on_failure`` callback runs
(``cockpit run`` stops the task there and exits non-zero).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from app.agent.events.core import Event, Notice

Subscriber = Callable[[Event], None]
E = TypeVar("E", bound=Event)
log = logging.getLogger("cockpit.bus")


@dataclass(frozen=True)
class SinkFailure:
    """The first failure of a required subscriber: what failed, on which event, why."""

    subscriber: str
    event_type: str
    error: BaseException

    @property
    def message(self) -> str:
        return f"{self.error} (while handling {self.event_type})"


class EventBus:
    def __init__(self, session_id: str, *, start_seq: int = 0) -> None:
        self.session_id = session_id
        self.seq = start_seq
        self._subscribers: list[Subscriber] = []
        self._required: set[int] = set()
        self._pending: deque[Event] = deque()
        self._dispatching = False
        self._lock = threading.RLock()
        self._failure_callbacks: list[Callable[[SinkFailure], None]] = []
        self.errors: list[str] = []
        self.failure: SinkFailure | None = None

    def subscribe(self, subscriber: Subscriber, *, required: bool = False) -> Subscriber:
        """Add a subscriber; ``required`` ones must not fail silently (see the module docstring)."""
        self._subscribers.append(subscriber)
        if required:
            self._required.add(id(subscriber))
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)
        self._required.discard(id(subscriber))

    def on_failure(self, callback: Callable[[SinkFailure], None]) -> None:
        """Call ``callback`` when a required subscriber fails (at once if one already has)."""
        self._failure_callbacks.append(callback)
        if self.failure is not None:
            callback(self.failure)

    def emit(self, event: Event) -> Event:
        with self._lock:
            if event.persist:  # stored events get dense sequence numbers
                self.seq += 1
            event.session_id = self.session_id
            event.seq = self.seq
            self._pending.append(event)
            if self._dispatching:
                return event
            self._dispatching = True
            try:
                while self._pending:
                    self._dispatch(self._pending.popleft())
            finally:
                self._dispatching = False
        return event

    def _dispatch(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception as exc:  # a sink must never take the agent down
                name = getattr(subscriber, "__qualname__", type(subscriber).__qualname__)
                message = f"event sink {name!r} failed on {event.type}: {exc!r}"
                self.errors.append(message)
                if id(subscriber) in self._required:
                    # Said once, clearly, by whoever runs the session (exit 1, or 141 for a closed pipe):
                    # no traceback on the terminal.
                    log.debug(message, exc_info=True)
                    self._fail(subscriber, SinkFailure(name, event.type, exc))
                else:
                    log.exception(message)

    def _fail(self, subscriber: Subscriber, failure: SinkFailure) -> None:
        self.unsubscribe(subscriber)  # it would fail again on every event
        if self.failure is not None:
            return
        self.failure = failure
        self.emit(Notice(level="error", message=f"Cockpit cannot go on: {failure.message}"))
        for callback in list(self._failure_callbacks):
            callback(failure)


class EventList(list[Event]):
    """Collects events; handy in tests: ``bus.subscribe(events := EventList())``."""

    def __call__(self, event: Event) -> None:
        self.append(event)

    def of(self, cls: type[E]) -> list[E]:
        return [e for e in self if isinstance(e, cls)]

    def types(self) -> list[str]:
        return [e.type for e in self]
