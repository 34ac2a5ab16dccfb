"""Conversation commands: /compact, /model, /feedback (through the palette)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.tui.slash.registry import Builtin

if TYPE_CHECKING:
    from app.tui.app import CockpitApp


def compact(app: CockpitApp, args: str) -> None:
    app.palette.compact_now()


def model(app: CockpitApp, args: str) -> None:
    if args:
        app.palette.switch_model(args.split()[0])
    else:
        app.palette.change_model()


def feedback(app: CockpitApp, args: str) -> None:
    app.palette.rate_last_task()


COMMANDS = [
    Builtin("compact", "Summarize the conversation", compact),
    Builtin("model", "Switch model (no name: choose)", model, argument_hint="[name]"),
    Builtin("feedback", "Rate the last task", feedback),
]
