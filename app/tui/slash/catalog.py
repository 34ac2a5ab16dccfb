"""Every builtin slash command, by group, and the app's router over them and the custom ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.tui.slash import checkpoints, conversation, info, mcp, permissions, sessions
from app.tui.slash.custom import CustomCommands, folders
from app.tui.slash.registry import Builtin, SlashCommands
from app.tui.slash.router import SlashRouter

if TYPE_CHECKING:
    from app.tui.app import CockpitApp


def builtins() -> list[Builtin]:
    return sorted([*info.COMMANDS, *sessions.COMMANDS, *conversation.COMMANDS, *permissions.commands(),
                   *checkpoints.COMMANDS, *mcp.COMMANDS], key=lambda b: b.name)


def slash_router(app: CockpitApp) -> SlashRouter:
    def workspace() -> Path:
        return Path(app.session.agent.workspace) if app.session is not None else Path.cwd()

    return SlashRouter(app, SlashCommands(builtins(), CustomCommands(lambda: folders(workspace()))))
