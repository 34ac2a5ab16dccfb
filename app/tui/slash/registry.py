"""The slash commands: builtins first, then custom ones; a builtin wins over a custom
command of the same name, a project command over a user one (``custom.py``)."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.tui.app import CockpitApp
    from app.tui.slash.custom import CustomCommand


BUILTIN = "builtin"
NAME = r"[A-Za-z][\w.:-]*"  # what a command's name may be (``frontend:component``, ``review-v2``)


class Command(Protocol):
    """What the popup and /help show of any command."""

    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def description(self) -> str: ...
    @property
    def argument_hint(self) -> str: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class Builtin:
    name: str
    description: str
    run: Callable[[CockpitApp, str], Awaitable[None] | None]  # (app, the arguments as typed)
    argument_hint: str = ""
    aliases: tuple[str, ...] = ()
    source: str = BUILTIN


class SlashCommands:
    """The builtins and ``custom()``, the custom commands found now (read each time it is
    asked, so a file added while the app runs is there at the next keystroke)."""

    def __init__(self, builtins: Sequence[Builtin], custom: Callable[[], list[CustomCommand]]) -> None:
        self.builtins = list(builtins)
        self.custom = custom

    def commands(self) -> list[Command]:
        """Every command that can run: builtins, then the custom ones no builtin hides."""
        taken = self._builtin_names()
        return [*self.builtins, *(c for c in self.custom() if c.name not in taken)]

    def hidden(self) -> list[CustomCommand]:
        """Custom commands a builtin of the same name hides."""
        taken = self._builtin_names()
        return [c for c in self.custom() if c.name in taken]

    def find(self, name: str) -> Command | None:
        for command in self.commands():
            if name == command.name or name in command.aliases:
                return command
        return None

    def close_matches(self, name: str) -> list[str]:
        names = [n for c in self.commands() for n in (c.name, *c.aliases)]
        starting = [n for n in names if n.startswith(name[:2])] if name else []
        close = difflib.get_close_matches(name, names, n=4, cutoff=0.5)
        return list(dict.fromkeys([*close, *starting]))[:4]

    def _builtin_names(self) -> set[str]:
        return {n for b in self.builtins for n in (b.name, *b.aliases)}
