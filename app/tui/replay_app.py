"""A small App that shows only the Replay screen: ``cockpit replay ID``.

The screen reads the session on a thread worker; closing it (Esc or q) quits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from app.tui.screens.replay import ReplayScreen
from app.tui.screens.replay_parts import clock_time


class ReplayApp(App[int]):
    TITLE = "Cockpit replay"

    def __init__(
        self,
        db: Any,
        session_id: str,
        *,
        title: str = "",
        start: int = 0,
        format_time: Callable[[float], str] = clock_time,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.session_id = session_id
        self.replay_title = title
        self.start = start
        self.format_time = format_time
        self._theme = theme

    def on_mount(self) -> None:
        if self._theme and self._theme in self.available_themes:
            self.theme = self._theme
        screen = ReplayScreen(self.db, self.session_id, title=self.replay_title, start=self.start,
                              format_time=self.format_time)
        self.push_screen(screen, lambda _result: self.exit(0))

    @property
    def replay(self) -> ReplayScreen:
        screen = self.screen
        assert isinstance(screen, ReplayScreen)
        return screen
