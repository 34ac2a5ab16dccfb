"""Opening a session: built on the runner's thread, announced to the UI before its first event.

``open_session(app, **overrides)`` calls ``app.make_session(approver, **overrides)``
on the :class:`~app.tui.runner.AgentRunner`'s thread. Before the session starts,
the UI gets :class:`~app.tui.messages.SessionOpened`; for a resumed session it
carries the transcript folded from the session's stored events (read there too,
never on the UI thread). A session that cannot be built becomes
:class:`~app.tui.messages.SessionFailed` (``no_model`` when no model is configured).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.model_select import NoModelConfigured
from app.tui.bridge import EventBridge
from app.tui.messages import SessionFailed, SessionOpened
from app.tui.palette import readable

if TYPE_CHECKING:
    from app.agent.session import Session
    from app.tui.app import CockpitApp


def open_session(app: CockpitApp, **overrides: Any) -> None:
    bridge = EventBridge(app.post_message)

    def build() -> Session:
        return app.make_session(app.approver, **overrides)

    def built(session: Session) -> None:  # before session.start(): the UI hears of it first
        history, problem = None, ""
        if session.resumed and app.database is not None:
            from app.tui.session_files import stored_transcript

            try:
                history = stored_transcript(app.database(), session.id)
            except Exception as exc:  # the session still opens; the notice says what is missing
                problem = f"The earlier conversation could not be shown: {readable(exc)}"
        app.post_message(SessionOpened(session, history, problem))

    def failed(future: Any) -> None:
        exc = future.exception()
        if isinstance(exc, NoModelConfigured):
            app.post_message(SessionFailed(exc.in_app(), no_model=True))
        elif exc is not None:
            app.post_message(SessionFailed(readable(exc)))

    app.runner.open_session(build, [bridge], on_built=built).add_done_callback(failed)
