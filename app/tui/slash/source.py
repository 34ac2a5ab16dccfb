"""The popup's "/" source: the commands whose name (or an alias) starts with what is typed,
then those whose name contains it; each alphabetically, one row per command."""

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
        for command in self.commands.commands():  # one row each: its name, or the alias typed
            names = [n for n in (command.name, *command.aliases) if n.lower().startswith(word)]
            if names:
                first.append(candidate(command, names[0]))
            elif word in command.name.lower():
                then.append(candidate(command, command.name))
        return [*sorted(first, key=_label), *sorted(then, key=_label)][:limit]


def _label(c: Candidate) -> str:
    return c.label


def candidate(command: Command, name: str) -> Candidate:
    label = f"/{name} {command.argument_hint}".rstrip()
    where = "" if command.source == BUILTIN else f"({command.source}) "
    return Candidate(label=label, insert=f"/{name} ", help=where + command.description)
