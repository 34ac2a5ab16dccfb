"""A first start that serves without a model: other agents' sessions found here, imported with one key.

When the app starts with no model configured, :class:`FirstStart` looks in every agent's default
location (:mod:`app.import_discovery`, on the agent thread, where the app's database lives) for
session files Cockpit never imported. If there are some, :class:`ImportOffer` says how many of
which agent; ``i`` imports them, then the Sessions screen opens with the usage report on top;
Esc leaves them for later (``cockpit import --discover`` does the same from a shell).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

if TYPE_CHECKING:
    from app.import_discovery import Location
    from app.tui.app import CockpitApp


@dataclass(frozen=True)
class Found:
    """One agent's session files that were never imported."""

    location: Location
    files: list[Path]


class FirstStart:
    """Offers the import when no model is configured (``home`` and ``workspace``: where to look; tests
    pass temporary ones)."""

    def __init__(self, home: Path | None = None, workspace: Path | None = None) -> None:
        self.home = home
        self.workspace = workspace

    def offer(self, app: CockpitApp) -> None:
        if app.database is not None:
            app.run_guarded(self._offer(app), "import")

    def new_sessions(self, db: Any) -> list[Found]:
        """Per agent, the files no session was imported from (on the agent thread)."""
        from app.import_discovery import locations, never_imported, session_files

        found = [Found(location, never_imported(db, session_files([location]).files))
                 for location in locations(self.home, self.workspace)]
        return [f for f in found if f.files]

    async def _offer(self, app: CockpitApp) -> None:
        database = app.database
        assert database is not None
        found = await asyncio.wrap_future(app.runner.call(lambda: self.new_sessions(database())))
        if not found:
            return

        def answered(accepted: bool | None) -> None:
            if accepted:
                app.run_guarded(self._import(app, found), "import")

        app.push_screen(ImportOffer(found, home=self.home or Path.home()), answered)

    async def _import(self, app: CockpitApp, found: list[Found]) -> None:
        database = app.database
        assert database is not None
        files = [path for f in found for path in f.files]
        app.notify(f"Importing {len(files)} session files…", timeout=4)
        sessions, broken = await asyncio.wrap_future(app.runner.call(lambda: _import_files(database(), files)))
        app.notify(f"Imported {sessions} sessions" + (f"; {broken} files could not be read" if broken else "")
                   + ". Esc closes the report, then the Sessions list.", timeout=8)
        app.palette.open_sessions()
        app.palette.open_report()


def _import_files(db: Any, files: list[Path]) -> tuple[int, int]:
    """(sessions imported or updated, files that could not be read)."""
    from app.import_analysis import enrich
    from storage.importers import ImportFormatError, import_sessions

    sessions = broken = 0
    for path in files:
        try:
            sessions += sum(r.status != "skipped" for r in import_sessions(db, path, enrich=enrich))
        except ImportFormatError:
            broken += 1
    return sessions, broken


class ImportOffer(ModalScreen[bool]):
    """Which agents' sessions were found, and the one key that imports them."""

    DEFAULT_CSS = """
    ImportOffer { align: center middle; }
    ImportOffer > Vertical {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $panel; padding: 1 2;
    }
    ImportOffer .title { text-style: bold; margin-bottom: 1; }
    ImportOffer .found { margin-bottom: 1; }
    ImportOffer .keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("i", "accept", "Import", id="import_offer.accept"),
        Binding("escape", "decline", "Not now", id="import_offer.decline"),
    ]

    def __init__(self, found: list[Found], *, home: Path) -> None:
        super().__init__()
        self.found = found
        self.home = home

    def shown(self, path: Path) -> str:
        """The path, with the home folder as ``~``."""
        return "~/" + str(path.relative_to(self.home)) if path.is_relative_to(self.home) else str(path)

    def compose(self) -> ComposeResult:
        total = sum(len(f.files) for f in self.found)
        with Vertical():
            yield Static("No model yet, but your other agents' sessions are here", classes="title", markup=False)
            yield Static("\n".join(f"{len(f.files):>6}  {f.location.agent:<12} {self.shown(f.location.path)}" for f in self.found),
                         classes="found", markup=False)
            yield Static(f"Import these {total} session files to see the tokens, retries and loops they paid for: "
                         "no API key needed.", classes="found", markup=False)
            yield Static("i  import and open the Sessions list and usage report    Esc  not now", classes="keys",
                         markup=False)

    def action_accept(self) -> None:
        self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)
