"""The command palette's Cockpit entries (a Textual ``Provider``).

The entries themselves are listed by ``app.palette.commands()``
(:mod:`app.tui.palette`); this provider only searches them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], Any]


class CockpitCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        palette = getattr(self.app, "palette", None)  # the Sessions and Replay apps have none
        return palette.commands() if palette is not None else []

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.callback, help=command.help)
