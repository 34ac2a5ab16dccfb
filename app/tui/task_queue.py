"""Tasks typed in the input: sent at once when the agent is free, queued in order otherwise.

A task typed while a turn runs, while no session is open (none yet, no model, a
switch under way) waits in :attr:`TaskQueue.waiting`, shown as queued in the
transcript; each turn's end (or a session opening) sends the next one. The agent
runs them on the runner's thread; the queue only decides what is sent when.
A session that stopped (its store failed, ``app.stopped``) takes no task: what is
typed is refused with a notice, what waits keeps waiting for the next session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.tui.messages import TurnDone
from app.tui.runner import RunnerClosed

if TYPE_CHECKING:
    from app.tui.app import CockpitApp
    from widgets.user_message import UserMessage


class TaskQueue:
    def __init__(self, app: CockpitApp) -> None:
        self.app = app
        self.waiting: list[tuple[str, UserMessage]] = []
        self.busy = False  # a task was sent and its turn has not ended

    async def submit(self, text: str, *, shown: str = "") -> None:
        """Send ``text`` (shown in the transcript as ``shown``, when given: a custom command's name)."""
        app = self.app
        if app.stopped and not app.switching:
            app.notify(f"The session stopped: {app.stopped}. Nothing runs while its events cannot be stored; "
                       "start a new session (Ctrl+P › New session) or quit.", severity="error", timeout=10)
            app.prompt.text = text  # nothing typed is lost
            return
        if self.busy or app.session is None or app.switching:
            widget = await app.transcript.add_user(shown or text, queued=True, sent=text)
            self.waiting.append((text, widget))
            app.show_activity()
            return
        await self._send(text, shown=shown)

    async def send_next(self) -> None:
        """Send the oldest waiting task, if there is one and the agent can take it."""
        if self.waiting and not self.busy and self.app.session is not None and not self.app.stopped:
            text, widget = self.waiting.pop(0)
            await self._send(text, widget)

    def clear(self) -> None:
        self.waiting.clear()
        self.busy = False

    async def _send(self, text: str, widget: UserMessage | None = None, shown: str = "") -> None:
        app = self.app
        if widget is None:
            await app.transcript.add_user(shown or text, sent=text)
        else:  # a queued task moves below what happened while it waited
            await app.transcript.send_queued(widget)
        self.busy = True
        app.prompt.set_busy(True)
        app.show_activity()
        try:
            future = app.runner.submit(text)
        except RunnerClosed:
            self.busy = False
            return

        def failed(f: Any) -> None:
            if f.exception() is not None:
                app.post_message(TurnDone(None))

        future.add_done_callback(failed)
