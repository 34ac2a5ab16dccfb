"""Textual messages that carry the agent's news to the UI thread.

The agent thread never touches a widget: it posts one of these to the app
(``App.post_message`` is thread-safe) and the app routes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual.message import Message

from app.agent.events.approvals import ApprovalDecision, ApprovalRequest

if TYPE_CHECKING:
    from app.agent.events.core import Event
    from app.agent.events.transcript_view import TranscriptFold
    from app.agent.loop import TurnResult
    from app.agent.session import Session


class AgentEvent(Message):
    """One core event (stream deltas arrive merged, see :mod:`app.tui.bridge`)."""

    def __init__(self, event: Event, bridge: Any = None) -> None:
        super().__init__()
        self.event = event
        self.bridge = bridge  # the EventBridge that posted it: told when the event has been shown


class TextReady(Message):
    """Streamed text or output is waiting in ``bridge``: take it with ``bridge.take_all()`` after a short delay."""

    def __init__(self, bridge: Any) -> None:
        super().__init__()
        self.bridge = bridge


class TextDue(Message):
    """Time to take what ``bridge`` buffered. Posted by the drain timer rather than drained in the
    timer's own task, so it is handled after every event posted before it, in order: a text
    drain never overtakes an event whose handler is still mounting its block."""

    def __init__(self, bridge: Any) -> None:
        super().__init__()
        self.bridge = bridge


class ApprovalNeeded(Message):
    """The agent waits for a person: call ``resolve(decision)`` exactly once (any thread)."""

    def __init__(self, request: ApprovalRequest, resolve: Callable[[ApprovalDecision], None]) -> None:
        super().__init__()
        self.request = request
        self.resolve = resolve


class TurnDone(Message):
    """The task submitted to the runner has ended (``result`` is None if it never ran)."""

    def __init__(self, result: TurnResult | None) -> None:
        super().__init__()
        self.result = result


class SessionOpened(Message):
    """A session was built on the agent thread (its first event follows).

    ``history``: a resumed session's transcript, folded from its stored events (None
    for a new one); ``stored``: those events, for the panes and the status bar to
    fold (empty for a new one); ``problem``: why they could not be read, if they could not."""

    def __init__(self, session: Session, history: TranscriptFold | None = None, problem: str = "",
                 stored: Sequence[Event] = ()) -> None:
        super().__init__()
        self.session = session
        self.history = history
        self.problem = problem
        self.stored = stored


class SessionStopped(Message):
    """The store failed (a required subscriber of the bus): the running turn is being stopped
    and no task may run in this session, whose events are no longer stored."""

    def __init__(self, session_id: str, cause: str) -> None:
        super().__init__()
        self.session_id = session_id
        self.cause = cause


class SessionFailed(Message):
    """Building or starting a session failed; ``message`` is readable, ``no_model`` says
    the cause was that no model is configured (the app then says how to pick one)."""

    def __init__(self, message: str, *, no_model: bool = False) -> None:
        super().__init__()
        self.message = message
        self.no_model = no_model
