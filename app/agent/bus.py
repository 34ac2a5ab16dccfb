"""The event bus: stamps each event with the session id and a sequence number
and hands it to every subscriber, in order. The core knows none of them.

A subscriber may emit events of its own (the feedback collector does): those
are queued and dispatched after the current event has reached every
subscriber, so all sinks see the same order.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from app.agent.events.core import Event

Subscriber = Callable[[Event], None]
E = TypeVar("E", bound=Event)
log = logging.getLogger("cockpit.bus")


class EventBus:
    def __init__(self, session_id: str, *, start_seq: int = 0) -> None:
        self.session_id = session_id
        self.seq = start_seq
        self._subscribers: list[Subscriber] = []
        self._pending: deque[Event] = deque()
        self._dispatching = False
        self._lock = threading.RLock()
        self.errors: list[str] = []

    def subscribe(self, subscriber: Subscriber) -> Subscriber:
        self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

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
                message = f"event sink {getattr(subscriber, '__qualname__', subscriber)!r} failed on {event.type}: {exc!r}"
                self.errors.append(message)
                log.exception(message)


class EventList(list[Event]):
    """Collects events; handy in tests: ``bus.subscribe(events := EventList())``."""

    def __call__(self, event: Event) -> None:
        self.append(event)

    def of(self, cls: type[E]) -> list[E]:
        return [e for e in self if isinstance(e, cls)]

    def types(self) -> list[str]:
        return [e.type for e in self]
