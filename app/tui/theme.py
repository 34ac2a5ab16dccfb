"""The theme: the configured one at start, and every change the user makes saved back.

An unknown theme name is a start-up notice (the default stays); a theme that cannot
be saved is a warning, never a crash.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from textual.app import App


class SavedTheme:
    def __init__(self, app: App[Any], initial: str | None, save: Callable[[str], None] | None) -> None:
        self.app = app
        self.initial = initial
        self.save = save
        self.origin = ""  # where the configured name is: ``config.toml:2: theme`` (Settings.locate)
        self._saved = ""

    def start(self) -> str:
        """Apply the configured theme and follow changes; a notice if the name is unknown."""
        app, problem = self.app, ""
        if self.initial and self.initial in app.available_themes:
            app.theme = self.initial
        elif self.initial:
            close = difflib.get_close_matches(self.initial, sorted(app.available_themes), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problem = f"{self.origin or 'theme'} {self.initial!r} is not a Textual theme{hint}; using {app.theme}"
        self._saved = app.theme
        app.theme_changed_signal.subscribe(app, self._changed)
        return problem

    def _changed(self, theme: Any) -> None:
        if theme.name == self._saved:
            return
        self._saved = theme.name
        if self.save is not None:
            try:
                self.save(theme.name)
            except OSError as exc:
                self.app.notify(f"Could not save the theme: {exc}", severity="warning")
