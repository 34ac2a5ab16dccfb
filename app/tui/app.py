"""The Cockpit Textual app: composition and routing, no agent logic.

How the pieces talk:

* The session is built by an injected factory, ``make_session(approver, **overrides)``
  (overrides: ``resume=<id>``, ``model=<name>``), on the :class:`AgentRunner`'s
  thread, which also runs every task. ``database`` (a callable returning the
  sqlite-utils Database, for the palette's resume and export) is called there
  too. The UI thread never runs the agent and never touches SQLite.
* Core events reach the UI only as :class:`AgentEvent` messages, posted by an
  :class:`EventBridge` subscribed to the session's bus; stream deltas wait in
  the bridge and are taken, merged, shortly after a :class:`TextReady` wake-up.
  Each event goes to the transcript, the status bar, and every pane mounted in
  the side column.
* Approvals: :class:`TuiApprover` posts :class:`ApprovalNeeded`; the transcript
  shows an inline :class:`ApprovalPrompt`; its answer resolves the agent's future.

The pane contract (for the context budget, retries and feedback panes):
``app.mount_pane(slot, widget)`` with ``slot`` one of ``"context"``,
``"retries"``, ``"feedback"`` puts ``widget`` in ``#pane-<slot>`` (replacing the
placeholder). If the widget has a method ``on_agent_event(event)`` (sync or
async), it is called on the UI thread with every core event, in order, after
the transcript and status bar saw it. A pane that raises is reported once with a
notification and otherwise ignored; it never takes the app down.

Hooks for composition (all optional, set them before or after ``run``):

* ``app.session_opened_hook(app, session)`` — called on the UI thread each time a
  session opens (the first one, a new one, a resumed one, after a model change),
  before any of its events (``session_started`` included) reaches the UI; may be
  async. The place to mount the live panes.
* ``app.add_event_listener(fn)`` — ``fn(event)`` (sync or async) gets every core
  event after the panes; listeners stay across sessions until removed.
* ``app.compaction_hook(app)`` and ``app.feedback_hook(app)`` — behind the
  palette's "Compact now" and "Rate last task"; without them the entries say
  "not available".
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer

from app.agent.approvals import Approver
from app.agent.events.approvals import ApprovalDecision, PermissionMode
from app.model_select import NoModelConfigured
from app.tui.approver import TuiApprover
from app.tui.bridge import EventBridge
from app.tui.commands import CockpitCommands, PaletteCommand
from app.tui.keys import APP_BINDINGS
from app.tui.messages import AgentEvent, ApprovalNeeded, SessionFailed, SessionOpened, TextReady, TurnDone
from app.tui.runner import AgentRunner, RunnerClosed
from app.tui.side_column import SideColumn
from widgets.approval import ApprovalPrompt
from widgets.user_message import UserMessage
from widgets.prompt_input import PromptInput
from widgets.status_bar import StatusBar
from widgets.transcript import TURNS_SHOWN, Transcript

if TYPE_CHECKING:
    from app.agent.events import core as ev
    from app.agent.session import Session

NARROW_COLUMNS = 100  # below this the side column collapses by itself
PANES_WIDTH = (24, 38, 80)  # min, default, max
PANES_STEP = 4
QUIT_WINDOW_S = 3.0  # the second Ctrl+C must come within this


class SessionFactory(Protocol):
    def __call__(self, approver: Approver, **overrides: Any) -> Session: ...


class CockpitApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "Cockpit"
    COMMANDS = App.COMMANDS | {CockpitCommands}
    BINDINGS = APP_BINDINGS

    show_panes: reactive[bool] = reactive(True, init=False)
    panes_width: reactive[int] = reactive(PANES_WIDTH[1], init=False)

    def __init__(
        self,
        make_session: SessionFactory,
        *,
        database: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        save_theme: Callable[[str], None] | None = None,
        load_litellm: bool = True,
        cursor_blink: bool = True,
        startup_notices: Iterable[str] = (),
        on_first_frame: Callable[["CockpitApp"], None] | None = None,
        transcript_turns: int = TURNS_SHOWN,
    ) -> None:
        super().__init__()
        self.make_session = make_session
        self.database = database  # called on the agent thread: it may open the file lazily
        self.clock = clock
        self.save_theme = save_theme
        self.load_litellm = load_litellm
        self.cursor_blink = cursor_blink
        self.startup_notices = list(startup_notices)
        self.on_first_frame = on_first_frame
        self.transcript_turns = transcript_turns
        self.compaction_hook: Callable[[CockpitApp], Any] | None = None
        self.feedback_hook: Callable[[CockpitApp], Any] | None = None
        self.session_opened_hook: Callable[[CockpitApp, Session], Any] | None = None
        self._listeners: list[Callable[[ev.Event], Any]] = []
        self._last_drain = 0.0  # when streamed text was last taken from the bridge
        self._initial_theme = theme
        if keymap:
            self.set_keymap(keymap)

        self.runner = AgentRunner(on_turn_done=lambda result: self.post_message(TurnDone(result)))
        self.approver = TuiApprover(self.post_message)
        self.session: Session | None = None
        self.busy = False
        self.queue: list[tuple[str, UserMessage]] = []
        self._resolvers: dict[str, Callable[[ApprovalDecision], None]] = {}
        self._narrow: bool | None = None
        self._quit_armed_at: float | None = None
        self._quitting = False
        self._switching = False
        self._pane_errors: set[int] = set()
        self._no_session_reason = ""  # "no model" or "no session" after a session failed to open
        self._terminal_watch: Any = None

    # --- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield Transcript(id="transcript", turns_shown=self.transcript_turns)
                yield PromptInput(id="prompt")
            yield SideColumn(id="side")
        yield StatusBar(clock=self.clock, id="status")
        # The key hints (Footer) are mounted right after the first frame: Textual's
        # Footer fills itself in a later refresh anyway, once the bindings are known.

    @property
    def transcript(self) -> Transcript:
        return self.query_one("#transcript", Transcript)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    @property
    def side(self) -> SideColumn:
        return self.query_one("#side", SideColumn)

    def on_mount(self) -> None:
        if self._initial_theme and self._initial_theme in self.available_themes:
            self.theme = self._initial_theme
        elif self._initial_theme:
            self.startup_notices.append(f"theme {self._initial_theme!r} is not a Textual theme; using {self.theme}")
        self._saved_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.prompt.cursor_blink = self.cursor_blink
        self.prompt.focus()
        for notice in self.startup_notices:
            self.notify(notice, severity="warning", timeout=8)
        # Nothing competes with the first frame: the key hints, the session (built on
        # the agent thread) and litellm (imported in a worker) come once it is on screen.
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        if self.on_first_frame is not None:  # the start-up benchmark: it stops the app here
            self.on_first_frame(self)
            return
        self._open_session()
        if self.load_litellm:
            self._import_litellm()
        if not self.is_headless:
            from app.tui.terminal_watch import TerminalWatch

            self._terminal_watch = TerminalWatch(self._terminal_lost)
            self._terminal_watch.start_watching()
        await self.mount(Footer())
        self.screen.refresh_bindings()  # the footer fills itself in when the bindings change

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False, description="import litellm")
    def _import_litellm(self) -> None:
        """The first frame never waits for litellm: it is imported here, after the app is up,
        with the Markdown parser and the highlighter the first answer will need."""
        import textual.highlight  # noqa: F401
        import widgets.assistant_message  # noqa: F401
        from app.agent.offline import load_litellm

        load_litellm()

    def on_resize(self, event: Any) -> None:
        narrow = event.size.width < NARROW_COLUMNS
        if narrow != self._narrow:
            self._narrow = narrow
            self.show_panes = not narrow

    def watch_show_panes(self, show: bool) -> None:
        self.side.display = show

    def watch_panes_width(self, width: int) -> None:
        self.side.styles.width = width

    # --- the pane contract ------------------------------------------------------------

    async def mount_pane(self, slot: str, widget: Widget) -> None:
        """Put ``widget`` in the side column slot ``context``, ``retries`` or ``feedback``.

        If it has ``on_agent_event(event)``, it receives every core event from now on.
        """
        await self.side.mount_pane(slot, widget)

    def add_event_listener(self, listener: Callable[[ev.Event], Any]) -> None:
        """``listener(event)`` (sync or async) gets every core event, after the panes."""
        self._listeners.append(listener)

    def remove_event_listener(self, listener: Callable[[ev.Event], Any]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def _route_to_panes(self, event: ev.Event) -> None:
        for pane in self.side.panes:
            handler = getattr(pane, "on_agent_event", None)
            if handler is not None:
                await self._call_safely(pane, handler, event)
        for listener in list(self._listeners):
            await self._call_safely(listener, listener, event)

    async def _call_safely(self, owner: Any, handler: Callable[..., Any], *args: Any) -> None:
        """Call a pane, listener or hook; a failure is reported once per owner, never fatal."""
        try:
            result = handler(*args)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            if id(owner) not in self._pane_errors:
                self._pane_errors.add(id(owner))
                name = getattr(owner, "__qualname__", type(owner).__name__)
                what = getattr(args[0], "type", "") if args else ""
                self.notify(f"{name} failed{' on ' + what if what else ''}: {exc!r}", severity="error", timeout=10)

    # --- sessions -------------------------------------------------------------------

    def _open_session(self, **overrides: Any) -> None:
        self._no_session_reason = ""
        self.status.activity = "starting"
        bridge = EventBridge(self.post_message)

        def build() -> Session:
            return self.make_session(self.approver, **overrides)

        def built(session: Session) -> None:  # before session.start(): the UI hears of it first
            history = [m for m in session.agent.messages if m.get("role") != "system"] if session.resumed else []
            self.post_message(SessionOpened(session, history))

        def failed(future: Any) -> None:
            exc = future.exception()
            if isinstance(exc, NoModelConfigured):
                self.post_message(SessionFailed(exc.in_app(), no_model=True))
            elif exc is not None:
                self.post_message(SessionFailed(_readable(exc)))

        self.runner.open_session(build, [bridge], on_built=built).add_done_callback(failed)

    async def on_session_opened(self, message: SessionOpened) -> None:
        self.session = message.session
        self.status.permission_mode = message.session.agent.approvals.mode.value
        if message.history:
            await self.transcript.show_history(message.history)
            await self.transcript.add_notice(f"Resumed session {message.session.id[:8]}.", level="info")
        if self.session_opened_hook is not None:
            await self._call_safely(self.session_opened_hook, self.session_opened_hook, self, message.session)
        self._set_idle()
        if self.queue:
            await self._send_next_queued()

    async def on_session_failed(self, message: SessionFailed) -> None:
        self.session = None
        self._no_session_reason = "no model" if message.no_model else "no session"
        self._show_activity()
        if message.no_model:
            await self.transcript.add_notice(message.message, level="warning")
            return
        await self.transcript.add_notice(
            f"Could not start the session: {message.message}",
            level="error",
            detail="Fix the problem, then open the command palette (Ctrl+P) and choose “New session”.",
        )

    async def switch_session(self, **overrides: Any) -> None:
        """Finish the current session and open another (new, resumed, or with another model)."""
        if self._switching or self._quitting:
            return
        self._switching = True
        try:
            if self.session is not None:  # without one (no model yet) the queued tasks wait for the next
                self._deny_pending("the session was closed")
                await asyncio.wrap_future(self.runner.finish_session())
                self.session = None
                self.busy = False
                self.queue.clear()
                await self.transcript.clear()
                self.status.reset()
            self._open_session(**overrides)
        finally:
            self._switching = False

    # --- tasks ------------------------------------------------------------------------

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        if self._quitting:
            return
        if self.busy or self.session is None or self._switching:
            widget = await self.transcript.add_user(message.text, queued=True)
            self.queue.append((message.text, widget))
            self._show_activity()
            return
        await self._send(message.text)

    async def _send(self, text: str, widget: UserMessage | None = None) -> None:
        if widget is None:
            await self.transcript.add_user(text)
        else:  # a queued task moves below what happened while it waited
            await self.transcript.move_to_end(widget)
            widget.mark_sent()
        self.busy = True
        self.prompt.set_busy(True)
        self._show_activity()
        try:
            future = self.runner.submit(text)
        except RunnerClosed:
            self.busy = False
            return

        def failed(f: Any) -> None:
            if f.exception() is not None:
                self.post_message(TurnDone(None))

        future.add_done_callback(failed)

    async def _send_next_queued(self) -> None:
        text, widget = self.queue.pop(0)
        await self._send(text, widget)

    async def on_turn_done(self, message: TurnDone) -> None:
        if self._quitting:
            return
        self._deny_pending("the turn ended")
        for prompt in list(self.transcript.pending_approvals):
            await self.transcript.remove_approval(prompt.request.tool_call_id)
        self.busy = False
        if self.queue and self.session is not None and not self._quitting:
            await self._send_next_queued()
        else:
            self._set_idle()

    def _set_idle(self) -> None:
        self.prompt.set_busy(False)
        self._show_activity()

    def _show_activity(self) -> None:
        if self._quitting:
            activity = "saving…"
        elif self.session is None:
            activity = self._no_session_reason or "starting"
        elif self._resolvers:
            activity = "awaiting approval"
        elif self.busy:
            activity = "working"
        else:
            activity = "idle"
        if self.queue:
            activity += f" · {len(self.queue)} queued"
        self.status.activity = activity

    # --- events from the agent ------------------------------------------------------

    async def on_agent_event(self, message: AgentEvent) -> None:
        await self._show_event(message.event)

    def on_text_ready(self, message: TextReady) -> None:
        """Streamed text is buffered in the bridge: take it all at most once per interval.

        Leading edge: after a quiet spell the text is drained at once; while text keeps
        coming, drains are ``bridge.interval`` apart, so a burst costs a few renders and
        the last fragment waits at most one interval."""
        bridge = message.bridge

        async def drain() -> None:
            self._last_drain = time.monotonic()
            delta = bridge.take()
            if delta is not None:
                await self._show_event(delta)

        wait = bridge.interval - (time.monotonic() - self._last_drain)
        self.set_timer(max(0.001, wait), drain)  # Textual timers need a non-zero delay

    async def _show_event(self, event: ev.Event) -> None:
        if self._quitting:  # what is left (the interrupt, the finish) is stored, not shown
            return
        self.status.apply(event)
        await self.transcript.apply(event)
        await self._route_to_panes(event)

    async def on_approval_needed(self, message: ApprovalNeeded) -> None:
        if self._quitting:
            message.resolve(ApprovalDecision("deny", reason="the app is closing"))
            return
        self._resolvers[message.request.tool_call_id] = message.resolve
        prompt = await self.transcript.add_approval(message.request)
        prompt.focus(scroll_visible=False)  # scrolling to it would release the transcript's anchor
        self._show_activity()

    async def on_approval_prompt_decided(self, message: ApprovalPrompt.Decided) -> None:
        resolve = self._resolvers.pop(message.tool_call_id, None)
        if resolve is not None:
            resolve(message.decision)
        await self.transcript.remove_approval(message.tool_call_id)
        self.prompt.focus()
        self._show_activity()

    def _deny_pending(self, reason: str) -> None:
        for tool_call_id, resolve in list(self._resolvers.items()):
            resolve(ApprovalDecision("deny", reason=reason))
        self._resolvers.clear()

    # --- actions ----------------------------------------------------------------------

    async def action_interrupt(self) -> None:
        """Esc: stop the running turn and refuse a pending approval; the session stays open.

        The task is cancelled first, so a pending approval's future is cancelled
        with it and the refused call never runs (the deny that follows is a no-op
        for the agent; it only releases the prompt).
        """
        interrupted = self.runner.interrupt()
        if self._resolvers:
            self._deny_pending("interrupted by the user")
            for prompt in list(self.transcript.pending_approvals):
                await self.transcript.remove_approval(prompt.request.tool_call_id)
            self.prompt.focus()
        if interrupted:
            self.status.activity = "interrupting…"

    def action_quit_twice(self) -> None:
        now = time.monotonic()
        if self._quit_armed_at is not None and now - self._quit_armed_at <= QUIT_WINDOW_S:
            self._spawn(self.action_quit(), "quit")
            return
        self._quit_armed_at = now
        self.notify("Press Ctrl+C again to quit.", title="Quit?", timeout=QUIT_WINDOW_S)

    async def action_quit(self) -> None:
        """Finish the session (interrupted if a turn is running), then exit."""
        if self._quitting:
            return
        self._quitting = True
        self._show_activity()
        self._deny_pending("the app is closing")
        try:
            await asyncio.wrap_future(self.runner.finish_session())
        except RunnerClosed:
            pass
        self.exit(0)

    def _terminal_lost(self) -> None:
        """On the terminal watch's thread: the terminal is gone (see ``app/tui/terminal_watch.py``).

        Finish the session as a quit would, then end the process at once: Textual's
        shutdown would try to restore the terminal and can block writing to it."""
        from app.tui.terminal_watch import EXIT_HANGUP

        self._quitting = True
        try:
            self.runner.close(timeout=15)  # interrupts a running turn, finishes and stores the session
        finally:
            os._exit(EXIT_HANGUP)

    def on_unmount(self) -> None:
        if self._terminal_watch is not None:
            self._terminal_watch.stop()
        self.runner.close()

    def action_toggle_panes(self) -> None:
        self.show_panes = not self.show_panes

    def action_panes_wider(self) -> None:
        self.show_panes = True
        self.panes_width = min(PANES_WIDTH[2], self.panes_width + PANES_STEP)

    def action_panes_narrower(self) -> None:
        self.panes_width = max(PANES_WIDTH[0], self.panes_width - PANES_STEP)

    # --- palette entries ----------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand("New session", "Finish this session and start a fresh one", self.cmd_new_session),
            PaletteCommand("Resume session…", "Continue a stored session", self.cmd_resume_session),
            PaletteCommand("Sessions…", "Browse, search, replay, export or delete stored sessions (ctrl+o)", self.action_open_sessions),
            PaletteCommand("Change model…", "Continue this conversation with another model", self.cmd_change_model),
            PaletteCommand("Toggle panes", "Show or hide the context, retries and feedback panes", self.action_toggle_panes),
            PaletteCommand("Export session", "Write this session as Markdown into the workspace", self.cmd_export),
        ]
        for mode, label in (("ask", "ask"), ("accept_edits", "accept edits"), ("yolo", "yolo")):
            commands.append(
                PaletteCommand(
                    f"Permission mode: {label}",
                    {
                        "ask": "Ask before every write, edit and command",
                        "accept_edits": "Allow file writes and edits; ask before commands",
                        "yolo": "Allow everything without asking",
                    }[mode],
                    lambda mode=mode: self.set_permission_mode(mode),
                )
            )
        commands += [
            PaletteCommand("Open data folder", "Show where Cockpit keeps its database and config", self.cmd_data_folder),
            PaletteCommand("Compact now", "Summarize the conversation to free context", self.request_compaction),
            PaletteCommand("Rate last task", "Give feedback on the last task", self.request_feedback),
            PaletteCommand("Feedback report", "The bias-corrected satisfaction estimate, by category and model", self.cmd_feedback_report),
        ]
        return commands

    def _spawn(self, work: Any, group: str) -> None:
        """Run a coroutine as a worker; a failure becomes a notification, never a crash."""

        async def guarded() -> None:
            try:
                await work
            except Exception as exc:
                self.notify(f"{group}: {_readable(exc)}", severity="error", timeout=10)

        self.run_worker(guarded(), group=group, exclusive=True)

    def cmd_new_session(self) -> None:
        self._spawn(self.switch_session(), "session")

    def cmd_feedback_report(self) -> None:
        if self.database is None:
            self.notify("No database: there is no feedback to report.", severity="warning")
            return
        self._spawn(self._open_feedback_report(), "feedback")

    async def _open_feedback_report(self) -> None:
        from app.tui.screens.feedback import FeedbackScreen

        self.push_screen(FeedbackScreen(await self._own_connection()))

    async def _own_connection(self) -> Any:
        """A connection of the screen's own, so its reads never interleave with the store's writes."""
        from storage.db import open_db
        from storage.queries import database_file

        database = self.database

        def connect() -> Any:
            return open_db(database_file(database()) or ":memory:")

        return await asyncio.wrap_future(self.runner.call(connect))

    def action_open_sessions(self) -> None:
        if self.database is None:
            self.notify("No database: there are no stored sessions to show.", severity="warning")
            return
        self._spawn(self._open_sessions(), "sessions")

    async def _open_sessions(self) -> None:
        from app.tui.screens.sessions import SessionsScreen

        db = await self._own_connection()

        def chosen(result: Any) -> None:
            if result and result[0] == "resume":
                self._spawn(self.switch_session(resume=result[1]), "session")

        current = self.session
        self.push_screen(
            SessionsScreen(
                db,
                workspace=str(current.agent.workspace) if current else None,
                current_session_id=current.id if current else None,
            ),
            chosen,
        )

    def cmd_resume_session(self) -> None:
        if self.database is None:
            self.notify("No database: sessions cannot be resumed.", severity="warning")
            return
        self._spawn(self._pick_session(), "resume")

    async def _pick_session(self) -> None:
        from app.tui.session_files import resumable_sessions

        exclude = self.session.id if self.session else ""
        database = self.database
        choices = await asyncio.wrap_future(self.runner.call(lambda: resumable_sessions(database(), exclude=exclude)))
        if not choices:
            self.notify("There are no other stored sessions.")
            return
        self.search_commands(
            [(label, lambda sid=sid: self._spawn(self.switch_session(resume=sid), "session"), help_text)
             for sid, label, help_text in choices],
            placeholder="Resume which session?",
        )

    def cmd_change_model(self) -> None:
        from app.tui.model_prompt import ModelPrompt

        current = self.session.agent.model.name if self.session else ""

        def chosen(model: str | None) -> None:
            if not model:
                return
            overrides: dict[str, Any] = {"model": model}
            if self.session is not None and self.database is not None:
                overrides["resume"] = self.session.id
            self._spawn(self.switch_session(**overrides), "session")

        self.push_screen(ModelPrompt(current, first=self.session is None), chosen)

    def cmd_export(self) -> None:
        if self.database is None or self.session is None:
            self.notify("Nothing to export yet.", severity="warning")
            return
        self._spawn(self._export(self.session), "export")

    async def _export(self, session: Session) -> None:
        from app.tui.session_files import export_markdown

        database = self.database
        workspace = Path(session.agent.workspace)
        try:
            path = await asyncio.wrap_future(self.runner.call(lambda: export_markdown(database(), session.id, workspace)))
        except Exception as exc:
            self.notify(f"Export failed: {_readable(exc)}", severity="error")
            return
        self.notify(f"Exported to {path}", title="Session exported", timeout=10)

    def set_permission_mode(self, mode: str) -> None:
        value = PermissionMode(mode)
        session = self.session
        if session is not None:
            self.runner.call(setattr, session.agent.approvals, "mode", value)
        self.status.permission_mode = value.value
        self.notify(f"Permission mode: {value.value.replace('_', ' ')}")

    def cmd_data_folder(self) -> None:
        from app import paths

        self.notify(str(paths.home()), title="Cockpit data folder", timeout=15)

    def request_compaction(self) -> None:
        if self.compaction_hook is None:
            self.notify("Compaction is not available in this build.", severity="warning")
            return
        self.compaction_hook(self)

    def request_feedback(self) -> None:
        if self.feedback_hook is None:
            self.notify("Feedback is not available in this build.", severity="warning")
            return
        self.feedback_hook(self)

    # --- theme ------------------------------------------------------------------------

    def _theme_changed(self, theme: Any) -> None:
        if theme.name == self._saved_theme:
            return
        self._saved_theme = theme.name
        if self.save_theme is not None:
            try:
                self.save_theme(theme.name)
            except OSError as exc:
                self.notify(f"Could not save the theme: {exc}", severity="warning")


def _readable(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
