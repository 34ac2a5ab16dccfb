"""The command palette's Cockpit entries and what each one does.

:class:`Palette` lists the entries (:meth:`Palette.commands`, searched by
:class:`~app.tui.commands.CockpitCommands`) and runs them against the app: sessions
(new, resume, the Sessions screen, another model), export, the permission mode, the
data folder, the feedback report, and the session's panes ("Compact now", "Rate last
task"). Database work runs on the agent runner's thread; a failure is a
notification, never a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.agent.events.approvals import PermissionMode, next_mode
from app.tui.commands import PaletteCommand
from app.tui.permission_rules import show_rules, trust_rules

if TYPE_CHECKING:
    from app.agent.session import Session
    from app.tui.app import CockpitApp

PERMISSION_MODES = {
    "ask": ("ask", "Ask before every write, edit and command"),
    "accept_edits": ("accept edits", "Allow file writes and edits; ask before commands"),
    "plan": ("plan", "Read-only: reads and read-only commands run; writes and other commands are refused (shift+tab)"),
    "yolo": ("yolo", "Allow everything without asking"),
}


class Palette:
    def __init__(self, app: CockpitApp) -> None:
        self.app = app

    def commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand("New session", "Finish this session and start a fresh one", self.new_session),
            PaletteCommand("Resume session…", "Continue a stored session", self.resume_session),
            PaletteCommand("Sessions…", "Browse, search, replay, export or delete stored sessions (ctrl+o)", self.open_sessions),
            PaletteCommand("Change model…", "Continue this conversation with another model", self.change_model),
            PaletteCommand("Toggle panes", "Show or hide the context, retries and feedback panes", self.app.action_toggle_panes),
            PaletteCommand("Export session", "Write this session as Markdown into Cockpit's data folder", self.export),
        ]
        for mode, (label, help_text) in PERMISSION_MODES.items():
            commands.append(PaletteCommand(f"Permission mode: {label}", help_text, lambda mode=mode: self.set_permission_mode(mode)))
        commands += [
            PaletteCommand("Permission rules…", "The allow and deny rules, where each comes from; remove one",
                           lambda: show_rules(self.app)),
            PaletteCommand("Trust project rules", "Let the allow rules of .cockpit/config.toml apply (asked again "
                           "when the file changes)", lambda: trust_rules(self.app)),
            PaletteCommand("Open data folder", "Show where Cockpit keeps its database and config", self.data_folder),
            PaletteCommand("Compact now", "Summarize the conversation to free context", self.compact_now),
            PaletteCommand("Rate last task", "Give feedback on the last task", self.rate_last_task),
            PaletteCommand("Copy last answer", "Put the last answer on the clipboard (OSC 52)",
                           self.app.copier.copy_last_answer),
            PaletteCommand("Copy code block…", "Put one fenced code block of the last answer on the clipboard",
                           self.app.copier.choose_code_block),
            PaletteCommand("Feedback report", "The bias-corrected satisfaction estimate, by category and model", self.feedback_report),
            PaletteCommand("Usage report", "Tokens, cost, cache hit rate and retry tax across every session (/report)",
                           self.open_report),
        ]
        return commands

    # --- sessions ---------------------------------------------------------------------

    def new_session(self) -> None:
        self.app.run_guarded(self.app.switch_session(), "session")

    def resume_session(self) -> None:
        self._with_database(self._pick_session, "resume", "No database: sessions cannot be resumed.")

    async def _pick_session(self) -> None:
        from app.tui.session_files import resumable_sessions

        app = self.app
        exclude = app.session.id if app.session else ""
        database = app.database
        choices = await asyncio.wrap_future(app.runner.call(lambda: resumable_sessions(database(), exclude=exclude)))
        if not choices:
            app.notify("There are no other stored sessions.")
            return
        app.search_commands(
            [(label, lambda sid=sid: app.run_guarded(app.switch_session(resume=sid), "session"), help_text)
             for sid, label, help_text in choices],
            placeholder="Resume which session?",
        )

    def open_sessions(self) -> None:
        self._with_database(self._open_sessions, "sessions", "No database: there are no stored sessions to show.")

    async def _open_sessions(self) -> None:
        from app.tui.screens.sessions import SessionsScreen

        app = self.app
        db = await self._own_connection()

        def chosen(result: Any) -> None:
            if result and result[0] == "resume":
                app.run_guarded(app.switch_session(resume=result[1]), "session")

        current = app.session
        app.push_screen(
            SessionsScreen(
                db,
                workspace=str(current.agent.workspace) if current else None,
                current_session_id=current.id if current else None,
            ),
            chosen,
        )

    def change_model(self) -> None:
        from app.tui.model_prompt import ModelPrompt

        app = self.app
        current = app.session.agent.model.name if app.session else ""

        def chosen(model: str | None) -> None:
            if model:
                self.switch_model(model)

        app.push_screen(ModelPrompt(current, first=app.session is None), chosen)

    def switch_model(self, model: str) -> None:
        """Continue this conversation with ``model`` (the picker's choice, or ``/model <name>``).

        The model is checked first (on the runner's thread: litellm is imported there): one that
        cannot be called is a notification, and the session goes on with the old model."""
        app = self.app
        overrides: dict[str, Any] = {"model": model}
        if app.session is not None and app.database is not None:
            overrides["resume"] = app.session.id
        app.run_guarded(self._switch_model(model, overrides), "session")

    async def _switch_model(self, model: str, overrides: dict[str, Any]) -> None:
        from app.model_check import InvalidModel, check_model

        app = self.app
        session = app.session
        try:
            await asyncio.wrap_future(app.runner.call(check_model, model, session.api_base if session else None, "Model"))
        except InvalidModel as exc:
            kept = f"Still using {session.agent.model.name}." if session else "No model is in use yet."
            app.notify(f"{exc}\n{kept}", title="Model not changed", severity="error", timeout=15, markup=False)
            return
        await app.switch_session(**overrides)

    # --- this session -------------------------------------------------------------------

    def export(self) -> None:
        if self.app.database is None or self.app.session is None:
            self.app.notify("Nothing to export yet.", severity="warning")
            return
        self.app.run_guarded(self._export(self.app.session), "export")

    async def _export(self, session: Session) -> None:
        from app.tui.session_files import export_markdown

        app = self.app
        database = app.database
        try:
            path = await asyncio.wrap_future(app.runner.call(lambda: export_markdown(database(), session.id)))
        except Exception as exc:
            app.notify(f"Export failed: {readable(exc)}", severity="error")
            return
        app.notify(f"Exported to {path}", title="Session exported", timeout=10)

    def set_permission_mode(self, mode: str) -> None:
        app = self.app
        value = PermissionMode(mode)
        if app.session is not None:
            app.runner.call(setattr, app.session.agent.approvals, "mode", value)
        app.status.permission_mode = value.value
        app.notify(f"Permission mode: {value.value.replace('_', ' ')}")

    def cycle_permission_mode(self) -> None:
        self.set_permission_mode(next_mode(PermissionMode(self.app.status.permission_mode)).value)

    def compact_now(self) -> None:
        self.app.panes.compact_now()

    def rate_last_task(self) -> None:
        self.app.panes.rate_last_task()

    # --- elsewhere --------------------------------------------------------------------

    def data_folder(self) -> None:
        from app import paths

        self.app.notify(str(paths.home()), title="Cockpit data folder", timeout=15)

    def feedback_report(self) -> None:
        self._with_database(self._open_feedback_report, "feedback", "No database: there is no feedback to report.")

    async def _open_feedback_report(self) -> None:
        from app.tui.screens.feedback import FeedbackScreen

        self.app.push_screen(FeedbackScreen(await self._own_connection()))

    def open_child_session(self, session_id: str) -> None:
        """A delegated task's child session, replayed (from its block in the transcript)."""
        self._with_database(lambda: self._replay(session_id), "sessions",
                            "No database: the child session was not stored.")

    async def _replay(self, session_id: str) -> None:
        from app.tui.screens.replay import ReplayScreen

        self.app.push_screen(ReplayScreen(await self._own_connection(), session_id))

    def open_report(self, by: str = "day") -> None:
        self._with_database(lambda: self._open_report(by), "report", "No database: there is no usage to report.")

    async def _open_report(self, by: str) -> None:
        from app.tui.screens.report import ReportScreen

        self.app.push_screen(ReportScreen(await self._own_connection(), by=by))

    def _with_database(self, work: Callable[[], Awaitable[None]], group: str, missing: str) -> None:
        """Run ``work()`` as a guarded worker, or say ``missing`` when the app has no database."""
        if self.app.database is None:
            self.app.notify(missing, severity="warning")
            return
        self.app.run_guarded(work(), group)

    async def _own_connection(self) -> Any:
        """A connection of the screen's own, so its reads never interleave with the store's writes."""
        from storage.db import open_db
        from storage.queries import database_file

        database = self.app.database

        def connect() -> Any:
            return open_db(database_file(database()) or ":memory:")

        return await asyncio.wrap_future(self.app.runner.call(connect))


def readable(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
