"""How panes get events, and what a session puts in the side column.

**The pane protocol** (:class:`EventPane`): a widget with ``apply(event)``. The app
calls it on the UI thread with every event of the open session, in order: the
status bar, the transcript, then every pane mounted in the side column. ``apply``
may be async. A pane that raises is reported once with a notification and
otherwise ignored; it never takes the app down (:class:`Broadcast`).

**Session panes** (:class:`SessionPanes`): the app is given a factory,
``session_panes(app, session)``, and calls it each time a session opens (the first
one, a new one, a resumed one, after a model change), before any of the session's
events reaches the UI. What it returns names a widget per side-column slot
(``context``, ``retries``, ``feedback``) and carries the actions that lead back into
the session: the palette's "Compact now" and "Rate last task", the budget pane's
item actions, the feedback prompt the Feedback pane asks for. :class:`NoSessionPanes`
is the null object: no panes, and the palette entries say they are not available.

**A resumed session** (``restore(events)``): once its panes are mounted, and before
any new event, they are given the session's stored events, so they show what they
showed when it was left. By default every pane's ``apply`` gets each stored event;
:class:`~app.tui.live_panes.LivePanes` folds them into its reducers and redraws once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from app.agent.events.core import Event
    from app.agent.session import Session


class EventPane(Protocol):
    def apply(self, event: Event) -> Any:
        """Fold ``event`` into what the pane shows (may return an awaitable)."""


class SessionPanes(Protocol):
    def widgets(self) -> dict[str, Widget]: ...
    def compact_now(self) -> None: ...
    def rate_last_task(self) -> None: ...
    def item_action(self, action: str, item_id: str) -> None: ...
    async def prompt_changed(self, task_id: str | None, previous: str | None) -> None: ...
    async def restore(self, events: Sequence[Event]) -> None: ...


class PanesFactory(Protocol):
    def __call__(self, app: Any, session: Session) -> SessionPanes: ...


class NoSessionPanes:
    """No panes: what the app has before a session opens, or when it was given no factory."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app

    def widgets(self) -> dict[str, Widget]:
        return {}

    def compact_now(self) -> None:
        self.app.notify("Compaction is not available in this build.", severity="warning")

    def rate_last_task(self) -> None:
        self.app.notify("Feedback is not available in this build.", severity="warning")

    def item_action(self, action: str, item_id: str) -> None:
        pass

    async def prompt_changed(self, task_id: str | None, previous: str | None) -> None:
        pass

    async def restore(self, events: Sequence[Event]) -> None:
        """A resumed session's stored events, to every pane's ``apply``, in order."""
        panes = list(self.widgets().values())
        if panes:
            broadcast = Broadcast(self.app.notify)
            for event in events:
                await broadcast.send(event, panes)


def no_panes(app: Any, session: Session) -> SessionPanes:
    return NoSessionPanes(app)


class Broadcast:
    """Every event to every pane, in order; a failing pane is reported once and skipped over."""

    def __init__(self, notify: Callable[..., Any]) -> None:
        self.notify = notify
        self._failed: set[int] = set()

    async def send(self, event: Event, panes: Iterable[Any]) -> None:
        for pane in panes:
            apply = getattr(pane, "apply", None)
            if apply is not None:
                await self.call(pane, apply, event)

    async def call(self, owner: Any, handler: Callable[..., Any], *args: Any) -> None:
        """Call a pane (or any handler); a failure is reported once per owner, never fatal."""
        try:
            result = handler(*args)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            if id(owner) not in self._failed:
                self._failed.add(id(owner))
                name = getattr(owner, "__qualname__", type(owner).__name__)
                what = getattr(args[0], "type", "") if args else ""
                self.notify(f"{name} failed{' on ' + what if what else ''}: {exc!r}", severity="error", timeout=10)
