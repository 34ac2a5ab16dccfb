"""Session commands: /clear, /resume, /sessions, /export, /quit (through the palette)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from app.tui.slash.registry import Builtin

if TYPE_CHECKING:
    from app.tui.app import CockpitApp


def clear(app: CockpitApp, args: str) -> None:
    app.palette.new_session()


def resume(app: CockpitApp, args: str) -> None:
    if not args:
        app.palette.resume_session()
    elif app.database is None:
        app.notify("No database: sessions cannot be resumed.", severity="warning")
    else:
        app.run_guarded(_resume_id(app, args.split()[0]), "resume")


async def _resume_id(app: CockpitApp, prefix: str) -> None:
    from app.tui.session_files import resumable_sessions

    database, exclude = app.database, app.session.id if app.session else ""
    assert database is not None
    choices = await asyncio.wrap_future(app.runner.call(lambda: resumable_sessions(database(), exclude=exclude, limit=1000)))
    found = [sid for sid, _, _ in choices if sid == prefix] or [sid for sid, _, _ in choices if sid.startswith(prefix)]
    if len(found) != 1:
        what = "No other stored session starts" if not found else f"{len(found)} stored sessions start"
        await app.transcript.add_notice(f"/resume {prefix}: {what} with that id", level="warning",
                                        detail="/resume without an id lists them.")
        return
    await app.switch_session(resume=found[0])


def sessions(app: CockpitApp, args: str) -> None:
    app.palette.open_sessions()


def export(app: CockpitApp, args: str) -> None:
    app.palette.export()


async def quit_app(app: CockpitApp, args: str) -> None:
    await app.action_quit()


COMMANDS = [
    Builtin("clear", "Start a new session", clear, aliases=("new",)),
    Builtin("resume", "Continue a stored session", resume, argument_hint="[id]"),
    Builtin("sessions", "Browse the stored sessions", sessions),
    Builtin("export", "Export this session as Markdown", export),
    Builtin("quit", "Quit (the session stays stored)", quit_app, aliases=("exit",)),
]
