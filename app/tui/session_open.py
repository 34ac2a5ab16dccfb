"""Opening a session: built on the runner's thread, announced to the UI before its first event.

``open_session(app, **overrides)`` calls ``app.make_session(approver, **overrides)``
on the :class:`~app.tui.runner.AgentRunner`'s thread. Before the session starts,
the UI gets :class:`~app.tui.messages.SessionOpened`; for a resumed session it
carries the session's stored events (read there too, never on the UI thread, once)
and the transcript folded from them; the app folds the same events into the panes
and the status bar. A session that cannot be built becomes
:class:`~app.tui.messages.SessionFailed` (``no_model`` when no model is configured).

If the store fails (the bus's required subscriber, ``bus.on_failure``), the running
turn is interrupted at once, on the agent's side, and the UI gets
:class:`~app.tui.messages.SessionStopped`: nothing runs while events are not stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.model_select import NoModelConfigured
from app.tui.bridge import EventBridge
from app.tui.messages import SessionFailed, SessionOpened, SessionStopped
from app.tui.palette import readable

if TYPE_CHECKING:
    from app.agent.bus import SinkFailure
    from app.agent.session import Session
    from app.tui.app import CockpitApp


def open_session(app: CockpitApp, **overrides: Any) -> None:
    bridge = EventBridge(app.post_message)

    def build() -> Session:
        return app.make_session(app.approver, **overrides)

    def built(session: Session) -> None:  # before session.start(): the UI hears of it first
        history, problem, stored = None, "", []
        if session.resumed and app.database is not None:
            from app.agent.events.transcript_view import TranscriptFold
            from app.tui.session_files import stored_events

            try:
                stored = stored_events(app.database(), session.id)
                history = TranscriptFold.of(stored)
            except Exception as exc:  # the session still opens; the notice says what is missing
                stored, problem = [], f"The earlier conversation could not be shown: {readable(exc)}"
        app.post_message(SessionOpened(session, history, problem, stored))

        def store_failed(failure: SinkFailure) -> None:  # on the agent thread, inside the failing emit
            app.runner.interrupt()
            app.post_message(SessionStopped(session.id, failure.message))

        session.bus.on_failure(store_failed)

    def failed(future: Any) -> None:
        exc = future.exception()
        if isinstance(exc, NoModelConfigured):
            app.post_message(SessionFailed(exc.in_app(), no_model=True))
        elif exc is not None:
            app.post_message(SessionFailed(readable(exc)))

    app.runner.open_session(build, [bridge], on_built=built).add_done_callback(failed)
