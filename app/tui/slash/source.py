"""The popup's "/" source: the commands whose name (or alias) starts with what is typed,
then those that contain it; each alphabetically."""

from __future__ import annotations

from app.tui.slash.registry import BUILTIN, Command, SlashCommands
from widgets.completion_menu import Candidate


class SlashSource:
    trigger = "/"

    def __init__(self, commands: SlashCommands) -> None:
        self.commands = commands

    def candidates(self, token: str, limit: int) -> list[Candidate]:
        word = token.lower()
        first: list[Candidate] = []
        then: list[Candidate] = []
        for command in self.commands.commands():
            for name in (command.name, *command.aliases):
                if name.lower().startswith(word):
                    first.append(candidate(command, name))
                elif word in name.lower():
                    then.append(candidate(command, name))
        return [*sorted(first, key=_label), *sorted(then, key=_label)][:limit]


def _label(c: Candidate) -> str:
    return c.label


def candidate(command: Command, name: str) -> Candidate:
    label = f"/{name} {command.argument_hint}".rstrip()
    where = "" if command.source == BUILTIN else f"({command.source}) "
    return Candidate(label=label, insert=f"/{name} ", help=where + command.description)
