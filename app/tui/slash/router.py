"""Is a submitted text a slash command? If so run it here: it never reaches the model.

* ``/name args`` where ``name`` is a command (or alias) → run it (a custom command's
  expanded text is then sent, shown as ``/name args``).
* ``/name`` that looks like a command name but is none → a notice with close matches;
  nothing is sent.
* ``//text`` → ``/text`` is sent as it is (the escape for a message that starts with ``/``).
* Anything else, a path included (``/usr/bin is …``: the first word holds another ``/``) → sent.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.tui.slash.custom import CustomCommand, send_custom
from app.tui.slash.registry import NAME, Builtin, SlashCommands

if TYPE_CHECKING:
    from app.tui.app import CockpitApp

COMMAND = re.compile(rf"/({NAME})(?:\s+(.*))?", re.DOTALL)  # the name, then what follows


@dataclass(frozen=True)
class Invocation:
    name: str
    args: str


def parse(text: str) -> Invocation | str:
    """The command typed, or the text to send to the model."""
    if text.startswith("//"):
        return text[1:]
    typed = COMMAND.fullmatch(text)
    if typed is None:
        return text
    return Invocation(typed.group(1), (typed.group(2) or "").strip())


class SlashRouter:
    def __init__(self, app: CockpitApp, commands: SlashCommands) -> None:
        self.app = app
        self.commands = commands

    async def route(self, text: str) -> str | None:
        """Run ``text`` if it is a command (None: nothing to send), else the text to send."""
        typed = parse(text)
        if isinstance(typed, str):
            return typed
        command = self.commands.find(typed.name)
        if command is None:
            await self.unknown(typed.name)
            return None
        if isinstance(command, Builtin):
            result = command.run(self.app, typed.args)
            if inspect.isawaitable(result):
                await result
        elif isinstance(command, CustomCommand):
            await send_custom(self.app, command, typed.args)
        return None

    async def unknown(self, name: str) -> None:
        close = self.commands.close_matches(name)
        detail = ("Did you mean " + ", ".join(f"/{n}" for n in close) + "? " if close else "") + \
            "/help lists the commands. Nothing was sent to the model; to send a message starting with “/”, begin it with “//”."
        await self.app.transcript.add_notice(f"Unknown command /{name}", level="warning", detail=detail)
