"""The theme: the configured one at start, and every change the user makes saved back.

An unknown theme name is a start-up notice (the default stays); a theme that cannot
be saved is a warning, never a crash.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App


def theme_problem(name: str, available: Iterable[str], fallback: str, origin: str = "") -> str:
    """The notice for a configured theme that is not one ("" when it is): the TUI's and ``cockpit run``'s."""
    names = sorted(available)
    if name in names:
        return ""
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{origin or 'theme'} {name!r} is not a Textual theme{hint}; using {fallback}"


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
            problem = theme_problem(self.initial, app.available_themes, app.theme, self.origin)
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
