"""Leaving the app: Ctrl+C twice, Ctrl+Q, or a terminal that goes away.

Every way out finishes the session first (stored as interrupted if a turn was
running); once :attr:`Quitting.under_way`, the app shows no more events (what is
left is stored, not shown) and refuses pending approvals.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING

from app.tui.runner import RunnerClosed

if TYPE_CHECKING:
    from app.tui.app import CockpitApp

QUIT_WINDOW_S = 3.0  # the second Ctrl+C must come within this


class Quitting:
    def __init__(self, app: CockpitApp) -> None:
        self.app = app
        self.under_way = False
        self._armed_at: float | None = None

    def press(self) -> None:
        """Ctrl+C: the first press asks, a second one within ``QUIT_WINDOW_S`` quits."""
        now = time.monotonic()
        if self._armed_at is not None and now - self._armed_at <= QUIT_WINDOW_S:
            self.app.run_guarded(self.now(), "quit")
            return
        self._armed_at = now
        self.app.notify("Press Ctrl+C again to quit.", title="Quit?", timeout=QUIT_WINDOW_S)

    async def now(self) -> None:
        """Finish the session (interrupted if a turn is running), then exit."""
        if self.under_way:
            return
        self.under_way = True
        self.app.show_activity()
        await self.app.release_approvals("the app is closing")
        try:
            await asyncio.wrap_future(self.app.runner.finish_session())
        except RunnerClosed:
            pass
        self.app.exit(0)

    def terminal_lost(self) -> None:
        """On the terminal watch's thread: the terminal is gone (see ``app/tui/terminal_watch.py``).

        Finish the session as a quit would, then end the process at once: Textual's
        shutdown would try to restore the terminal and can block writing to it."""
        from app.tui.terminal_watch import EXIT_HANGUP

        self.under_way = True
        try:
            self.app.runner.close(timeout=15)  # interrupts a running turn, finishes and stores the session
        finally:
            os._exit(EXIT_HANGUP)
