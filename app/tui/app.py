"""The Cockpit Textual app: composition and routing, no agent logic.

How the pieces talk:

* The session is built by an injected factory, ``make_session(approver, **overrides)``
  (overrides: ``resume=<id>``, ``model=<name>``), on the :class:`AgentRunner`'s
  thread, which also runs every task. ``database`` (a callable returning the
  sqlite-utils Database, for resuming, the palette's export and the screens) is
  called there too. The UI thread never runs the agent and never touches SQLite.
* Core events reach the UI only as :class:`AgentEvent` messages, posted by an
  :class:`EventBridge` subscribed to the session's bus; stream deltas wait in
  the bridge and are taken, merged, shortly after a :class:`TextReady` wake-up.
  Each event of the open session goes, in order, to everything that implements the
  pane protocol ``apply(event)`` (``app/tui/panes.py``): the status bar, the
  transcript, and every pane mounted in the side column.
* The panes a session shows come from an injected factory,
  ``session_panes(app, session)``, called when the session opens, before its first
  event; it also carries the actions back into the session (compact now, rate the
  last task, the budget pane's items, the feedback prompts).
* A resumed session's transcript is folded from its stored events by the reducer the
  live transcript uses (``app/agent/events/transcript_view.py``), so it looks as it did.
* Approvals: :class:`TuiApprover` posts :class:`ApprovalNeeded`; the transcript
  shows an inline :class:`ApprovalPrompt`; its answer resolves the agent's future.
* The palette's entries live in :mod:`app.tui.palette`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer

from app.agent.events.approvals import ApprovalDecision
from app.model_select import NoModelConfigured
from app.tui.approver import TuiApprover
from app.tui.bridge import EventBridge
from app.tui.commands import CockpitCommands, PaletteCommand
from app.tui.keys import APP_BINDINGS
from app.tui.messages import AgentEvent, ApprovalNeeded, SessionFailed, SessionOpened, TextReady, TurnDone
from app.tui.palette import Palette, readable
from app.tui.panes import Broadcast, NoSessionPanes, PanesFactory, SessionPanes, no_panes
from app.tui.runner import AgentRunner, RunnerClosed
from app.tui.side_column import SideColumn
from widgets.approval import ApprovalPrompt
from widgets.user_message import UserMessage
from widgets.prompt_input import PromptInput
from widgets.status_bar import StatusBar
from widgets.transcript import TURNS_SHOWN, Transcript

if TYPE_CHECKING:
    from app.agent.approvals import Approver
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
        session_panes: PanesFactory = no_panes,
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
        self.session_panes = session_panes
        self.clock = clock
        self.save_theme = save_theme
        self.load_litellm = load_litellm
        self.cursor_blink = cursor_blink
        self.startup_notices = list(startup_notices)
        self.on_first_frame = on_first_frame
        self.transcript_turns = transcript_turns
        self._last_drain = 0.0  # when streamed text was last taken from the bridge
        self._initial_theme = theme
        if keymap:
            self.set_keymap(keymap)

        self.runner = AgentRunner(on_turn_done=lambda result: self.post_message(TurnDone(result)))
        self.approver = TuiApprover(self.post_message)
        self.palette = Palette(self)
        self.broadcast = Broadcast(self.notify)
        self.session: Session | None = None
        self.panes: SessionPanes = NoSessionPanes(self)
        self.busy = False
        self.queue: list[tuple[str, UserMessage]] = []
        self._resolvers: dict[str, Callable[[ApprovalDecision], None]] = {}
        self._narrow: bool | None = None
        self._quit_armed_at: float | None = None
        self._quitting = False
        self._switching = False
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

    async def mount_pane(self, slot: str, widget: Widget) -> None:
        """Put ``widget`` in the side column slot ``context``, ``retries`` or ``feedback``;
        if it has ``apply(event)`` it gets every event from now on (``app/tui/panes.py``)."""
        await self.side.mount_pane(slot, widget)

    # --- sessions -------------------------------------------------------------------

    def _open_session(self, **overrides: Any) -> None:
        self._no_session_reason = ""
        self.status.activity = "starting"
        bridge = EventBridge(self.post_message)

        def build() -> Session:
            return self.make_session(self.approver, **overrides)

        def built(session: Session) -> None:  # before session.start(): the UI hears of it first
            history, problem = None, ""
            if session.resumed and self.database is not None:
                from app.tui.session_files import stored_transcript

                try:
                    history = stored_transcript(self.database(), session.id)
                except Exception as exc:  # the session still opens; the notice says what is missing
                    problem = f"The earlier conversation could not be shown: {readable(exc)}"
            self.post_message(SessionOpened(session, history, problem))

        def failed(future: Any) -> None:
            exc = future.exception()
            if isinstance(exc, NoModelConfigured):
                self.post_message(SessionFailed(exc.in_app(), no_model=True))
            elif exc is not None:
                self.post_message(SessionFailed(readable(exc)))

        self.runner.open_session(build, [bridge], on_built=built).add_done_callback(failed)

    async def on_session_opened(self, message: SessionOpened) -> None:
        self.session = message.session
        self.status.permission_mode = message.session.agent.approvals.mode.value
        if message.history is not None:
            await self.transcript.show_history(message.history)
        if message.problem:
            await self.transcript.add_notice(message.problem, level="warning")
        await self.broadcast.call(self.session_panes, self._mount_panes, message.session)
        self._set_idle()
        if self.queue:
            await self._send_next_queued()

    async def _mount_panes(self, session: Session) -> None:
        self.panes = self.session_panes(self, session)
        for slot, widget in self.panes.widgets().items():
            await self.mount_pane(slot, widget)

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
                self.panes = NoSessionPanes(self)
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
            await self.transcript.send_queued(widget)
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
        """Every event of the open session to everything that applies events, in order."""
        if self._quitting:  # what is left (the interrupt, the finish) is stored, not shown
            return
        if self.session is None or event.session_id != self.session.id:  # a closed session's last words
            return
        self.status.apply(event)
        await self.transcript.apply(event)
        await self.broadcast.send(event, self.side.panes)

    def on_context_budget_pane_item_action(self, message: Any) -> None:
        message.stop()
        self.panes.item_action(message.action, message.item_id)

    async def on_feedback_pane_prompt_changed(self, message: Any) -> None:
        message.stop()
        await self.panes.prompt_changed(message.task_id, message.previous)

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
            self.run_guarded(self.action_quit(), "quit")
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

    def action_open_sessions(self) -> None:
        self.palette.open_sessions()

    def palette_commands(self) -> list[PaletteCommand]:
        return self.palette.commands()

    def run_guarded(self, work: Any, group: str) -> None:
        """Run a coroutine as a worker; a failure becomes a notification, never a crash."""

        async def guarded() -> None:
            try:
                await work
            except Exception as exc:
                self.notify(f"{group}: {readable(exc)}", severity="error", timeout=10)

        self.run_worker(guarded(), group=group, exclusive=True)

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
