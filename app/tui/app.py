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
  live transcript uses (``app/agent/events/transcript_view.py``), so it looks as it did;
  the same events (read once) rebuild the side-column panes and the status bar's totals.
* A store that fails stops the running turn and the session (``SessionStopped``): a
  modal says why, and no task runs in it any more (``stopped``).
* Approvals: :class:`TuiApprover` posts :class:`ApprovalNeeded`; the transcript
  shows an inline :class:`ApprovalPrompt`; its answer resolves the agent's future.
* The palette's entries live in :mod:`app.tui.palette`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from textual import events, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from app.agent.events.approvals import ApprovalDecision
from app.tui.approver import PendingApprovals, TuiApprover
from app.tui.commands import CockpitCommands
from app.tui.copy import Copier
from app.tui.history_store import PromptHistory
from app.tui.keys import APP_BINDINGS
from app.tui.keys_first import KeysFirst, KeysFirstScreen
from app.tui.mcp_ask import McpAsk
from app.tui.messages import AgentEvent, ApprovalNeeded, SessionFailed, SessionOpened, SessionStopped, TextDue, TextReady, TurnDone
from app.tui.palette import Palette, readable
from app.tui.panes import Broadcast, NoSessionPanes, PanesFactory, SessionPanes, no_panes
from app.tui.quitting import Quitting
from app.tui.runner import AgentRunner
from app.tui.session_open import open_session
from app.tui.completion import SourceCompleter, completion_sources
from app.tui.slash.catalog import slash_router
from app.tui.side_column import PANES_STEP, SideColumn
from app.tui.task_queue import TaskQueue
from app.tui.theme import SavedTheme
from widgets.approval import ApprovalPrompt
from widgets.feedback_prompt import FeedbackPrompt
from widgets.completion_menu import CompletionMenu
from widgets.user_message import UserMessage
from widgets.prompt_input import PromptInput
from widgets.status_bar import GitProbe, StatusBar
from widgets.transcript import TURNS_SHOWN, Transcript

if TYPE_CHECKING:
    from app.agent.approvals import Approver
    from app.agent.events import core as ev
    from app.agent.session import Session
    from app.tui.first_start import FirstStart


class SessionFactory(Protocol):
    def __call__(self, approver: Approver, **overrides: Any) -> Session: ...


class CockpitApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "Cockpit"
    COMMANDS = App.COMMANDS | {CockpitCommands}
    BINDINGS = APP_BINDINGS

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
        git_probe: GitProbe | None = None,
        first_start: FirstStart | None = None,
    ) -> None:
        super().__init__()
        self.make_session = make_session
        self.database = database  # called on the agent thread: it may open the file lazily
        self.session_panes = session_panes
        self.clock = clock
        self.load_litellm = load_litellm
        self.cursor_blink = cursor_blink
        self.startup_notices = list(startup_notices)
        self.on_first_frame = on_first_frame
        self.transcript_turns = transcript_turns
        self.git_probe = git_probe  # the status bar's branch and dirty state (none without it)
        self.first_start = first_start  # with no model configured: offers to import other agents' sessions
        self._last_drain = float("-inf")  # when streamed text was last taken from the bridge (on its clock)
        self.saved_theme = SavedTheme(self, theme, save_theme)
        if keymap:
            self.set_keymap(keymap)

        self.runner = AgentRunner(on_turn_done=lambda result: self.post_message(TurnDone(result)))
        self.approver = TuiApprover(self.post_message)
        self.palette = Palette(self)
        self.copier = Copier(self, lambda: self.transcript.entries)
        self.prompt_history = PromptHistory.for_app(self)
        self.slash = slash_router(self)
        self.broadcast = Broadcast(self.notify)
        self.session: Session | None = None
        self.panes: SessionPanes = NoSessionPanes(self)
        self.tasks = TaskQueue(self)
        self.quitting = Quitting(self)
        self.switching = False  # a session is being finished and another opened
        self.approvals = PendingApprovals()
        self.mcp_ask = McpAsk(self)  # a project's MCP servers waiting for approval: asked once as a session opens
        self._no_session_reason = ""  # "no model" or "no session" after a session failed to open
        self.stopped = ""  # why the open session stopped (its store failed); no task runs while set
        self._terminal_watch: Any = None
        self.keys_first = KeysFirst()  # a refresh waits while a key is on its way to the prompt

    # --- layout -------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return KeysFirstScreen(self.keys_first, id="_default")

    async def on_event(self, event: events.Event) -> None:
        """A key the driver sent is handled once the app passed it on to a widget other than the prompt
        or kept it (a binding); the prompt reports the keys it gets itself (see ``app.tui.keys_first``)."""
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        to_prompt = self.focused is not None and self.focused is self.prompt
        try:
            await super().on_event(event)
        finally:
            if not (to_prompt and event.is_forwarded):
                self.keys_first.handled(event)

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield Transcript(id="transcript", turns_shown=self.transcript_turns)
                yield CompletionMenu(id="completion")
                yield PromptInput(id="prompt")
            yield SideColumn(id="side")
        yield StatusBar(clock=self.clock, git=self.git_probe, id="status")
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
        if problem := self.saved_theme.start():
            self.startup_notices.append(problem)
        self.prompt.cursor_blink = self.cursor_blink
        self.prompt.key_taken = self.keys_first.handled
        if self._driver is not None:
            self.keys_first.watch(self._driver)
        self.prompt.attach_completion(self.query_one(CompletionMenu), SourceCompleter(completion_sources(self)))
        self.prompt.focus()
        self.watch(self.screen, "focused", self._focus_changed, init=False)
        for notice in self.startup_notices:
            self.notify(notice, severity="warning", timeout=8, markup=False)  # "[keys] …" is text, not markup
        # Nothing competes with the first frame: the key hints, the session (built on
        # the agent thread) and litellm (imported in a worker) come once it is on screen.
        self.call_after_refresh(self._after_first_frame)

    def _focus_changed(self, focused: Widget | None) -> None:
        """The focused widget was hidden (Ctrl+B folding the column) or removed with nothing to take
        over: the prompt takes the focus, so what is typed next is never lost."""
        if focused is None:
            self.call_after_refresh(self._focus_prompt_if_lost)

    def _focus_prompt_if_lost(self) -> None:
        if self.prompt.screen.focused is None:
            self.prompt.focus(scroll_visible=False)

    async def _after_first_frame(self) -> None:
        from app import startup_gc

        if self.on_first_frame is not None:  # the start-up benchmark: it stops the app here
            startup_gc.release()
            self.on_first_frame(self)
            return
        self._open_session()
        if self.load_litellm:
            self._import_litellm()  # the collector, held off while cockpit starts (app.cli), comes back after it
        else:
            startup_gc.release()
        if not self.is_headless:
            from app.tui.terminal_watch import TerminalWatch

            self._terminal_watch = TerminalWatch(self.quitting.terminal_lost)
            self._terminal_watch.start_watching()
        await self.mount(Footer())
        self.screen.refresh_bindings()  # the footer fills itself in when the bindings change

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False, description="import litellm")
    def _import_litellm(self) -> None:
        """The first frame never waits for litellm: it is imported here, after the app is up,
        with what its first call imports and the Markdown parser and the highlighter the first
        answer will need; then what they built is kept out of the garbage collector's way
        (``app/tui/gc_tuning.py``), so no full collection stalls a stream. The collector, held off
        while cockpit starts (``app/startup_gc.py``), stays off until then: its full collections
        would walk every object the imports build (~1.6 s of CPU, in pauses of the UI)."""
        from app import startup_gc

        try:
            import textual.highlight  # noqa: F401
            import widgets.assistant_message  # noqa: F401
            from app.agent.warmup import warm

            warm()
        finally:
            startup_gc.release()
        from app.tui.gc_tuning import settle

        settle()

    def on_resize(self, event: Any) -> None:
        self.side.fit(event.size.width)

    async def mount_pane(self, slot: str, widget: Widget) -> None:
        """Put ``widget`` in the side column slot ``context``, ``retries`` or ``feedback``;
        if it has ``apply(event)`` it gets every event from now on (``app/tui/panes.py``)."""
        await self.side.mount_pane(slot, widget)

    # --- sessions -------------------------------------------------------------------

    def _open_session(self, **overrides: Any) -> None:
        self._no_session_reason = ""
        self.stopped = ""
        self.status.activity = "starting"
        open_session(self, **overrides)

    async def on_session_opened(self, message: SessionOpened) -> None:
        self.session = message.session
        self.status.permission_mode = message.session.agent.approvals.mode.value
        self.prompt_history.open(message.session.agent.workspace, self.prompt.sent_history)
        if message.history is not None:
            await self.transcript.show_history(message.history)
        if message.problem:
            await self.transcript.add_notice(message.problem, level="warning")
        await self.broadcast.call(self.session_panes, self._mount_panes, message.session)
        if message.stored:  # a resumed session carries on from what it had: totals and panes
            self.status.restore(message.stored)
            await self.broadcast.call(self.panes, self.panes.restore, message.stored)
        self.mcp_ask.session_opened(message.session)
        self._set_idle()
        await self.tasks.send_next()

    async def _mount_panes(self, session: Session) -> None:
        self.panes = self.session_panes(self, session)
        for slot, widget in self.panes.widgets().items():
            await self.mount_pane(slot, widget)

    async def on_session_failed(self, message: SessionFailed) -> None:
        self.session = None
        self._no_session_reason = "no model" if message.no_model else "no session"
        self.show_activity()
        if message.no_model:
            await self.transcript.add_notice(message.message, level="warning")
            if self.first_start is not None:
                self.first_start.offer(self)
            return
        await self.transcript.add_notice(
            f"Could not start the session: {message.message}",
            level="error",
            detail="Fix the problem, then open the command palette (Ctrl+P) and choose “New session”.",
        )

    async def on_session_stopped(self, message: SessionStopped) -> None:
        """The store failed: the agent side has interrupted the turn; say so where it cannot be missed."""
        if self.session is None or message.session_id != self.session.id or self.quitting.under_way:
            return
        from app.tui.screens.session_stopped import SessionStoppedScreen

        self.stopped = message.cause
        await self.release_approvals("the session stopped: its events cannot be stored")
        self.show_activity()
        await self.push_screen(SessionStoppedScreen(message.cause))

    async def switch_session(self, **overrides: Any) -> None:
        """Finish the current session and open another (new, resumed, or with another model)."""
        if self.switching or self.quitting.under_way:
            return
        self.switching = True
        try:
            if self.session is not None:  # without one (no model yet) the queued tasks wait for the next
                await self.release_approvals("the session was closed")
                await asyncio.wrap_future(self.runner.finish_session())
                self.session = None
                self.panes = NoSessionPanes(self)
                self.tasks.clear()
                await self.transcript.clear()
                self.status.reset()
            self._open_session(**overrides)
        finally:
            self.switching = False

    # --- tasks ------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.tasks.busy

    @property
    def queue(self) -> list[tuple[str, UserMessage]]:
        return self.tasks.waiting

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        if self.quitting.under_way:
            return
        text = await self.slash.route(message.text)  # a slash command runs here and sends nothing
        if text is not None:
            await self.tasks.submit(text)

    async def on_turn_done(self, message: TurnDone) -> None:
        if self.quitting.under_way:
            return
        await self.release_approvals("the turn ended")
        self.tasks.busy = False
        await self.tasks.send_next()
        if not self.busy:
            self._set_idle()

    def _set_idle(self) -> None:
        self.prompt.set_busy(False)
        self.show_activity()

    def show_activity(self) -> None:
        if self.quitting.under_way:
            activity = "saving…"
        elif self.session is None:
            activity = self._no_session_reason or "starting"
        elif self.stopped:
            activity = "stopped: not stored"
        elif self.approvals:
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
        if message.bridge is not None and message.bridge.shown():  # text that waited for this event
            await self._drain(message.bridge)

    def on_text_ready(self, message: TextReady) -> None:
        """Streamed text is buffered in the bridge: take it all when ``bridge.due_in`` says.

        Leading edge: after a quiet spell the text is drained at once; while text keeps
        coming, drains are ``bridge.interval`` apart, so a burst costs a few renders; when
        the stream stops, its last fragment is drained a few milliseconds later."""
        self._arm_drain(message.bridge)

    def _arm_drain(self, bridge: Any) -> None:
        wait = bridge.due_in(self._last_drain, bridge.clock())
        # Textual timers need a non-zero delay; the drain itself waits its turn in the message queue
        self.set_timer(max(0.001, wait), lambda: self._drain_if_due(bridge))

    def _drain_if_due(self, bridge: Any) -> None:
        if bridge.due_in(self._last_drain, bridge.clock()) > 0:  # more text came: the stream goes on
            self._arm_drain(bridge)
        else:
            self.post_message(TextDue(bridge))

    async def on_text_due(self, message: TextDue) -> None:
        await self._drain(message.bridge)

    async def _drain(self, bridge: Any) -> None:
        """Streamed text and commands' output, once every event before them is on screen."""
        self._last_drain = bridge.clock()
        for delta in bridge.take_due():
            await self._show_event(delta)

    async def _show_event(self, event: ev.Event) -> None:
        """Every event of the open session to everything that applies events, in order."""
        if self.quitting.under_way:  # what is left (the interrupt, the finish) is stored, not shown
            return
        if self.session is None or event.session_id != self.session.id:  # a closed session's last words
            return
        self.status.apply(event)
        await self.transcript.apply(event)
        await self.broadcast.send(event, self.side.panes)

    def on_side_column_typed(self, message: SideColumn.Typed) -> None:
        """Typing while a pane had the focus: it goes to the prompt, and so does the focus."""
        self.prompt.focus(scroll_visible=False)
        self.prompt.insert(message.text)

    def on_context_budget_pane_item_action(self, message: Any) -> None:
        message.stop()
        self.panes.item_action(message.action, message.item_id)

    def on_delegation_block_open_child(self, message: Any) -> None:
        """Enter or a click on a delegated task's block: the child session, in replay."""
        message.stop()
        self.palette.open_child_session(message.session_id)

    async def on_feedback_pane_prompt_changed(self, message: Any) -> None:
        message.stop()
        await self.panes.prompt_changed(message.task_id, message.previous)

    async def on_approval_needed(self, message: ApprovalNeeded) -> None:
        if self.quitting.under_way:
            message.resolve(ApprovalDecision("deny", reason="the app is closing"))
            return
        self.approvals.hold(message)
        self.prompt.set_awaiting_approval(True)
        prompt = await self.transcript.add_approval(message.request)
        prompt.focus(scroll_visible=False)  # scrolling to it would release the transcript's anchor
        self.show_activity()

    async def on_approval_prompt_decided(self, message: ApprovalPrompt.Decided) -> None:
        self.approvals.answer(message.tool_call_id, message.decision)
        await self.transcript.remove_approval(message.tool_call_id)
        self.prompt.set_awaiting_approval(bool(self.approvals))
        self.prompt.focus()
        self.show_activity()

    async def release_approvals(self, reason: str) -> None:
        """Refuse every approval the agent still waits for, and take their prompts away."""
        self.approvals.deny_all(reason)
        for prompt in list(self.transcript.pending_approvals):
            await self.transcript.remove_approval(prompt.request.tool_call_id)
        self.prompt.set_awaiting_approval(False)

    # --- actions ----------------------------------------------------------------------

    async def action_interrupt(self) -> None:
        """Esc: stop the running turn and refuse a pending approval; the session stays open.

        The task is cancelled first, so a pending approval's future is cancelled
        with it and the refused call never runs (the deny that follows is a no-op
        for the agent; it only releases the prompt). With nothing to stop, it leads back to the prompt.
        """
        interrupted = self.runner.interrupt()
        if self.approvals:
            await self.release_approvals("interrupted by the user")
            self.prompt.focus()
        if interrupted:
            self.status.activity = "interrupting…"
        else:  # nothing to stop: Esc leads back to the prompt (from the budget list, the transcript)
            self.prompt.focus(scroll_visible=False)

    def action_quit_twice(self) -> None:
        self.quitting.press()

    async def action_quit(self) -> None:
        await self.quitting.now()

    def on_unmount(self) -> None:
        if self._terminal_watch is not None:
            self._terminal_watch.stop()
        self.runner.close()

    def action_toggle_panes(self) -> None:
        self.side.toggle()

    def action_panes_wider(self) -> None:
        self.side.resize(PANES_STEP)

    def action_panes_narrower(self) -> None:
        self.side.resize(-PANES_STEP)

    def action_focus_budget(self) -> None:
        """Ctrl+T: the Context budget list (showing the side column), or back to the prompt from it."""
        if self.side.has_focus_in("context"):
            self.prompt.focus()
        elif not self.side.focus_pane("context"):
            self.notify("The Context budget has nothing to select yet.", timeout=4)

    def action_open_sessions(self) -> None:
        self.palette.open_sessions()

    def action_cycle_permission_mode(self) -> None:
        self.palette.cycle_permission_mode()

    def action_copy_last_answer(self) -> None:
        self.copier.copy_last_answer()

    def action_answer_feedback(self) -> None:
        if not FeedbackPrompt.focus_newest(self.screen):
            self.notify("No feedback prompt is waiting (palette › Rate last task asks for one).", timeout=4)

    def run_guarded(self, work: Any, group: str) -> None:
        """Run a coroutine as a worker; a failure becomes a notification, never a crash."""

        async def guarded() -> None:
            try:
                await work
            except Exception as exc:
                self.notify(f"{group}: {readable(exc)}", severity="error", timeout=10)

        self.run_worker(guarded(), group=group, exclusive=True)
