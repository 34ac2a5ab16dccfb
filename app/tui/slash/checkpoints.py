"""Checkpoint commands: /undo, /redo, /rewind and /diff (``app.agent.checkpoints``).

Each plans on the agent's thread first; files changed outside Cockpit since are shown and
the user is asked before they are overwritten. What was done appears in the transcript as
the event's line; a refusal or "nothing to undo" is a notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.tui.slash.registry import Builtin

if TYPE_CHECKING:
    from app.agent.checkpoints.actions import Checkpoints, Outcome
    from app.agent.checkpoints.files import Plan
    from app.agent.checkpoints.history import TurnEntry
    from app.tui.app import CockpitApp


def undo(app: CockpitApp, args: str) -> None:
    _guarded(app, "undo", lambda c: c.undo_plan(), lambda c, force: c.undo(force=force), "Undo", "Nothing to undo.")


def redo(app: CockpitApp, args: str) -> None:
    _guarded(app, "redo", lambda c: c.redo_plan(), lambda c, force: c.redo(force=force), "Redo",
             "Nothing to redo: no undo since the last turn.")


def rewind(app: CockpitApp, args: str) -> None:
    checkpoints = _checkpoints(app)
    if checkpoints is not None:
        app.run_guarded(_rewind(app, checkpoints), "rewind")


def diff(app: CockpitApp, args: str) -> None:
    checkpoints = _checkpoints(app)
    if checkpoints is not None:
        app.run_guarded(_diff(app, checkpoints), "diff")


async def _diff(app: CockpitApp, checkpoints: Checkpoints) -> None:
    from app.tui.screens.checkpoints import DiffScreen

    text = await _on_runner(app, checkpoints.diff)
    if not text:
        await app.transcript.add_notice("No file changed in this session (by its checkpoints).", level="info")
        return
    await app.push_screen(DiffScreen(text))


def _checkpoints(app: CockpitApp) -> Checkpoints | None:
    if app.session is None:
        app.notify("No session yet: nothing to undo.", severity="warning")
        return None
    if app.busy:
        app.notify("A turn is running: wait for it to end (or press Esc) first.", severity="warning")
        return None
    return app.session.checkpoints


def _guarded(app: CockpitApp, group: str, plan: Callable[[Checkpoints], Any],
             act: Callable[[Checkpoints, bool], Outcome], what: str, nothing: str) -> None:
    checkpoints = _checkpoints(app)
    if checkpoints is not None:
        app.run_guarded(_plan_then_act(app, checkpoints, plan, act, what, nothing), group)


async def _on_runner(app: CockpitApp, fn: Callable[[], Any]) -> Any:
    return await asyncio.wrap_future(app.runner.call(fn))


async def _plan_then_act(app: CockpitApp, checkpoints: Checkpoints, plan: Callable[[Checkpoints], Any],
                         act: Callable[[Checkpoints, bool], Outcome], what: str, nothing: str) -> None:
    planned = await _on_runner(app, lambda: plan(checkpoints))
    if planned is None:
        await app.transcript.add_notice(nothing, level="info")
        return
    entry, files_plan = planned
    force = await _confirm(app, f"{what} turn {entry.turn}", files_plan)
    if force is None:
        return
    await _report(app, await _on_runner(app, lambda: act(checkpoints, force)))


async def _rewind(app: CockpitApp, checkpoints: Checkpoints) -> None:
    from app.tui.screens.checkpoints import RewindScreen

    turns = await _on_runner(app, lambda: [(e.seq, turn_line(e)) for e in checkpoints.history.live()])
    if not turns:
        await app.transcript.add_notice("Nothing to rewind: no turn in this session's conversation.", level="info")
        return
    chosen = await app.push_screen_wait(RewindScreen(turns))
    if chosen is None:
        return
    seq, mode = chosen
    entry = checkpoints.history.entry(seq)
    assert entry is not None
    files_plan = await _on_runner(app, lambda: checkpoints.rewind_plan(entry, mode))
    force = await _confirm(app, f"Rewind to before turn {entry.turn}", files_plan)
    if force is None:
        return
    await _report(app, await _on_runner(app, lambda: checkpoints.rewind(entry, mode, force=force)))


async def _confirm(app: CockpitApp, action: str, plan: Plan) -> bool | None:
    """False: no conflict, go on; True: the user chose to overwrite the conflicts; None: cancelled."""
    if not plan.conflicts:
        return False
    from app.tui.screens.checkpoints import ConfirmOverwrite

    if await app.push_screen_wait(ConfirmOverwrite(action, plan.conflicts)):
        return True
    await app.transcript.add_notice(f"{action}: cancelled, nothing changed.", level="info",
                                    detail="Changed outside Cockpit: " + ", ".join(plan.conflicts))
    return None


async def _report(app: CockpitApp, outcome: Outcome) -> None:
    if not outcome.done:  # done, the event's own line says it
        await app.transcript.add_notice(outcome.message, level="warning")


def turn_line(entry: TurnEntry) -> str:
    """``turn 3 · fix the tests · 2 files``: one turn of the /rewind list."""
    from app.agent.events.checkpoints import file_count

    text = " ".join(entry.user_text.split())
    text = text if len(text) <= 60 else text[:59] + "…"
    return f"turn {entry.turn} · {text} · {file_count(len(entry.applied_changes)) if entry.changes else 'no file changed'}"


COMMANDS = [
    Builtin("undo", "Undo the last turn (files and conversation)", undo),
    Builtin("redo", "Apply the turn undone last again", redo),
    Builtin("rewind", "Restore files or conversation to before a turn", rewind),
    Builtin("diff", "Show this session's file changes as one diff", diff),
]
