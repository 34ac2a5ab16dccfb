"""The Replay screen: a recorded session, read-only, one stored event per stop.

On top, the timeline bar (position / total, the event at the cursor and its
time, play state and speed, a strip of errors ✗, retries ↻ and compactions ⇣
with the cursor). Below, the transcript as it was at the cursor and, beside it,
the panes as they were: the real :class:`ContextBudgetPane` and
:class:`RetriesPane`, :class:`FeedbackPane` and :class:`TodoPane` fed the reducers' states through
``update_state``. Everything comes from :class:`~app.replay.timeline.Timeline`
(the same reducers as live); this screen only moves the cursor and draws.

Give it a database and a session id, or a ready ``timeline``. A thread worker
reads the session's header and first page of events, enough for the first frame;
another then reads and folds the rest a page at a time while the cursor rests
(the strip of marks fills in as it goes). A move beyond what is folded yet folds
on to its target first, on the UI thread: a jump far ahead right after opening a
long session waits for it. :class:`ReplayScreen.Loaded` is posted once the first
position is on screen. Play advances one event per tick of a timer
(``BASE_INTERVAL_S`` divided by the speed); it never blocks the UI.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from typing import Any

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from app.replay import gc_freeze
from app.replay.timeline import Timeline
from app.tui.side_column import NARROW_COLUMNS, replay_width
from app.tui.screens.replay_parts import ReplayTranscript, TimelineBar, clock_time
from widgets.context_budget import ContextBudgetPane
from widgets.feedback_pane import FeedbackPane
from widgets.retries_pane import RetriesPane
from widgets.todo_pane import TodoPane

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
BASE_INTERVAL_S = 0.5  # one event every half second at 1×
TRANSCRIPT_WINDOW = 200  # entries handed to the transcript (it draws the newest lines that fit)
READ_PAGE = 1000  # events read from the database at a time
FOLD_PAGE = 500  # events folded at a time after the first frame
FOLD_PAUSE_S = 0.002  # the folding thread's pause between pages, so that keys are handled at once
JUMP_PAGE = 2000  # events folded at a time by a jump ahead of the folding thread
FOLD_IDLE_S = 0.3  # the folding thread waits until the cursor has not moved for this long
FOLD_REDRAW_S = 0.5  # how often the bar's strip of marks is redrawn while the session is folded
GC_REFREEZE_S = 1.0  # after a long replay closed, when its garbage is collected (app.replay.gc_freeze.refreeze)


class ReplayScreen(Screen[None]):
    """Step through a recorded session; every pane shows the state it had at the cursor."""

    AUTO_FOCUS = ""  # nothing is focused on opening (None would inherit the app's "*": the first pane)

    DEFAULT_CSS = """
    ReplayScreen { layout: vertical; }
    ReplayScreen #replay-title { height: 1; padding: 0 1; color: $text-muted; }
    ReplayScreen #replay-body { height: 1fr; }
    ReplayScreen #replay-side { width: 42; height: 1fr; padding: 0 1 0 0; }
    ReplayScreen .replay-slot {
        height: 1fr; border: round $panel-lighten-2; border-title-color: $text-accent;
        padding: 0 0 0 1; scrollbar-size-vertical: 1;
    }
    ReplayScreen #replay-feedback { height: auto; max-height: 10; }
    ReplayScreen ContextBudgetPane { border-left: none; padding: 0; }
    ReplayScreen ContextBudgetPane #hint { display: none; }
    ReplayScreen RetriesPane { height: 1fr; }
    ReplayScreen #replay-loading { padding: 1 2; color: $text-muted; }
    ReplayScreen #replay-family { height: auto; max-height: 6; padding: 0 1; color: $text-muted; display: none; }
    """

    BINDINGS = [
        Binding("right", "step(1)", "Step", id="replay.forward", tooltip="One event forward"),
        Binding("left", "step(-1)", "Back", id="replay.back", tooltip="One event back"),
        Binding("right_square_bracket,shift+right", "turn(1)", "Next turn", id="replay.next_turn",
                tooltip="Jump to the start of the next turn"),
        Binding("left_square_bracket,shift+left", "turn(-1)", "Prev turn", id="replay.prev_turn",
                tooltip="Jump to the start of this turn, or of the previous one"),
        Binding("home", "start", "Start", id="replay.start", show=False, tooltip="Jump to the first event"),
        Binding("end", "end", "End", id="replay.end", show=False, tooltip="Jump to the last event"),
        Binding("space", "toggle_play", "Play/Pause", id="replay.play", tooltip="Play the session one event per tick, or pause"),
        Binding("plus,equals_sign", "speed(1)", "Faster", id="replay.faster", show=False, tooltip="Play faster (up to 16×)"),
        Binding("minus", "speed(-1)", "Slower", id="replay.slower", show=False, tooltip="Play slower (down to 0.5×)"),
        Binding("e", "jump('error', 1)", "Next error", id="replay.next_error",
                tooltip="Jump to the next failed model call or failed tool call"),
        Binding("E", "jump('error', -1)", "Prev error", id="replay.prev_error", show=False,
                tooltip="Jump to the previous failed model call or failed tool call"),
        Binding("r", "jump('retry', 1)", "Next retry", id="replay.next_retry",
                tooltip="Jump to the next retried attempt"),
        Binding("R", "jump('retry', -1)", "Prev retry", id="replay.prev_retry", show=False,
                tooltip="Jump to the previous retried attempt"),
        Binding("c", "jump('compaction', 1)", "Next compaction", id="replay.next_compaction",
                tooltip="Jump to the next compaction of the context"),
        Binding("C", "jump('compaction', -1)", "Prev compaction", id="replay.prev_compaction", show=False,
                tooltip="Jump to the previous compaction of the context"),
        Binding("pageup", "scroll_transcript(-1)", "Scroll up", id="replay.page_up", show=False,
                tooltip="Scroll the transcript up"),
        Binding("pagedown", "scroll_transcript(1)", "Scroll down", id="replay.page_down", show=False,
                tooltip="Scroll the transcript down"),
        Binding("ctrl+b", "toggle_panes", "Panes", id="replay.panes",
                tooltip="Show or hide the panes (below 100 columns they start hidden, as on the main screen)"),
        Binding("o", "open_child", "Open child", id="replay.open_child", show=False,
                tooltip="Replay the child session of the delegated task at the cursor (else the first child)"),
        Binding("escape,q", "close", "Close", id="replay.close", tooltip="Leave the replay"),
    ]

    position: reactive[int] = reactive(0, init=False, repaint=False)  # the widgets that change repaint themselves

    class Loaded(Message):
        """The timeline is built and its first position is on screen."""

        def __init__(self, replay: ReplayScreen) -> None:
            super().__init__()
            self.replay = replay

    def __init__(
        self,
        db: Any = None,
        session_id: str = "",
        *,
        timeline: Timeline | None = None,
        title: str = "",
        start: int = 0,
        format_time: Callable[[float], str] = clock_time,
    ) -> None:
        super().__init__()
        if timeline is None and (db is None or not session_id):
            raise ValueError("ReplayScreen needs a database and a session id, or a timeline")
        self.db = db
        self.session_id = session_id
        self.timeline = timeline
        self.title_text = title
        self.start = start
        self.format_time = format_time
        self.speed = 1.0
        self.playing = False
        self.error: str | None = None
        self.header: dict[str, Any] = {}  # title, source, model, status of the session, once read
        self._timer: Timer | None = None
        self._fold_timer: Timer | None = None  # redraws the bar (its strip of marks) while the session is folded
        self._holds_gc = False  # its fold froze what it read (app.replay.gc_freeze)
        self._moved_at = 0.0  # time.monotonic() of the last move of the cursor (the folding thread waits for a pause)
        self._shown: dict[str | None, bytes] = {}  # pane id -> the state it shows, pickled
        self.panes_shown: bool | None = None  # Ctrl+B's choice; None: by the width (folded below NARROW_COLUMNS)

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="replay-title")
        yield TimelineBar(format_time=self.format_time, id="replay-bar")
        with Horizontal(id="replay-body"):
            with Vertical(id="replay-main"):
                yield Static("Loading the recorded session…", id="replay-loading")
                yield Static("", id="replay-family")  # the parent and children of this session, when it has any
                yield ReplayTranscript(id="replay-transcript")
            with Vertical(id="replay-side"):
                yield TodoPane(id="replay-todos")
                with VerticalScroll(id="replay-context", classes="replay-slot", can_focus=False):
                    yield ContextBudgetPane(coalesce_seconds=0.01, id="replay-budget")
                yield RetriesPane(clock=self._now, format_time=self._short_time, id="replay-retries")
                with VerticalScroll(id="replay-feedback", classes="replay-slot", can_focus=False):
                    yield FeedbackPane(id="replay-feedback-summary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#replay-context").border_title = "Context budget"
        self.query_one("#replay-feedback").border_title = "Feedback"
        self.call_after_refresh(self._read_only_panes)
        self.refresh_bindings()  # the footer shows this screen's keys from its first frames (no focus change tells it)
        if self.timeline is not None:
            self._loaded(self.timeline)
        else:
            self._load()

    def on_resize(self, event: events.Resize) -> None:
        """The side column follows the terminal's width as the main screen's does: folded below 100
        columns until Ctrl+B shows it (narrow then)."""
        side = self.query_one("#replay-side")
        side.styles.width = replay_width(event.size.width)
        side.display = self.panes_shown if self.panes_shown is not None else event.size.width >= NARROW_COLUMNS
        self.query_one(TimelineBar).panes_folded = not side.display

    def action_toggle_panes(self) -> None:
        side = self.query_one("#replay-side")
        self.panes_shown = side.display = not side.display
        bar = self.query_one(TimelineBar)
        bar.panes_folded = not side.display
        bar.refresh()

    def _read_only_panes(self) -> None:
        """Nothing in the side column takes focus: the panes' own keys (drop, compact…) stay asleep."""
        for widget in self.query("#replay-side *"):
            widget.can_focus = False
        self.set_focus(None)

    def _title(self) -> str:
        """``Replay · title · source · model · status · id``, with what is known."""
        title = " ".join((self.title_text or self.header.get("title") or "").split())
        parts = ["Replay", title[:60] + ("…" if len(title) > 60 else "")]
        parts += [str(self.header.get(k)) for k in ("source", "model", "status") if self.header.get(k)]
        parts.append(self.session_id[:16])
        return " · ".join(p for p in parts if p)

    def _show_family(self) -> None:
        lines = family_lines(self.header.get("family") or {})
        widget = self.query_one("#replay-family", Static)
        widget.update("\n".join(lines))
        widget.display = bool(lines)

    def action_open_child(self) -> None:
        """The child of the delegation at the cursor (the latest one before it), else the first child."""
        children = (self.header.get("family") or {}).get("children") or []
        chosen = ""
        if self.timeline is not None and len(self.timeline):
            for entry in reversed(self.timeline.transcript_at(self.position)):
                if entry.delegation is not None and entry.delegation.child_session_id:
                    chosen = entry.delegation.child_session_id
                    break
        chosen = chosen or (children[0]["id"] if children else "")
        if not chosen:
            self.notify("This session has no child sessions.", timeout=2)
            return
        self.app.push_screen(ReplayScreen(self.db, chosen, format_time=self.format_time))

    # --- loading -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="replay-load", exit_on_error=False, description="read the recorded session")
    def _load(self) -> tuple[Timeline, dict[str, Any]]:
        from storage.queries import count_events, event_pages, session_header
        from storage.session_tree import family

        header = {**session_header(self.db, self.session_id), "family": family(self.db, self.session_id)}
        timeline = Timeline.from_stored_pages(event_pages(self.db, self.session_id, READ_PAGE),
                                              total=count_events(self.db, self.session_id))
        timeline.fold_to(self.start + 1)  # what the first frame shows; the rest is folded after it (_fold_rest)
        if len(timeline.events) >= len(timeline):  # it was all in the first page: fold it now, it is short
            timeline.fold_to(len(timeline))
        return timeline, header

    @work(thread=True, exclusive=True, group="replay-fold", exit_on_error=False, description="fold the rest of the session")
    def _fold_rest(self, timeline: Timeline) -> None:
        """Read and fold the events after the first frame, a page at a time, ahead of the cursor (a move
        beyond the fold folds on to its target by itself)."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            idle = time.monotonic() - self._moved_at
            if idle < FOLD_IDLE_S:  # the user is stepping or playing: the UI thread has the interpreter
                time.sleep(FOLD_IDLE_S - idle)
                continue
            if timeline.fold_more(FOLD_PAGE):
                break
            gc_freeze.freeze()  # the folded pages are here to stay: no collection of the whole heap walks them again
            time.sleep(FOLD_PAUSE_S)
        gc_freeze.freeze()

    def on_unmount(self) -> None:
        if self._holds_gc:
            self._holds_gc = False
            if gc_freeze.release():  # the app had frozen its start-up objects: freeze them again once this is gone
                self.app.set_timer(GC_REFREEZE_S, gc_freeze.refreeze, name="replay-refreeze")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "replay-fold" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self._fold_finished(event.worker.error)
        if event.worker.group != "replay-load":
            return
        if event.state is WorkerState.SUCCESS:
            timeline, header = event.worker.result
            self.header = header
            self.query_one("#replay-title", Static).update(self._title())
            self._show_family()
            self._loaded(timeline)
        elif event.state is WorkerState.ERROR:
            self.error = f"Could not read session {self.session_id}: {event.worker.error}"
            self.query_one("#replay-loading", Static).update(self.error)

    def _loaded(self, timeline: Timeline) -> None:
        self.timeline = timeline
        loading = self.query_one("#replay-loading", Static)
        if not len(timeline):
            loading.update("This session has no recorded events.")
        else:
            loading.display = False
        position = timeline.clamp(self.start)
        if position == self.position:
            self._show()
        else:
            self.position = position
        if not timeline.complete:
            gc_freeze.hold()
            self._holds_gc = True
            # Opening counts as a move: the folding thread starts once the first frame is painted and waits
            # FOLD_IDLE_S more, so the frame reaches the terminal first (the output thread needs the interpreter
            # the fold would hold; a frame written meanwhile came out piecemeal for a second or two).
            self._moved_at = time.monotonic()
            self.call_after_refresh(self._fold_rest, timeline)
            self._fold_timer = self.set_interval(FOLD_REDRAW_S, self._refresh_bar, name="replay-fold-progress")
        self.post_message(self.Loaded(self))

    def _fold_finished(self, error: BaseException | None) -> None:
        if self._fold_timer is not None:
            self._fold_timer.stop()
            self._fold_timer = None
        if error is not None:
            self.notify(f"Could not read the rest of session {self.session_id}: {error}", severity="error")
        self._refresh_bar()  # the whole strip of marks

    # --- drawing --------------------------------------------------------------------

    def watch_position(self) -> None:
        self._moved_at = time.monotonic()
        before = self._allocated()
        timeline = self.timeline
        while self._holds_gc and timeline is not None and timeline.folded <= self.position and not timeline.complete:
            timeline.fold_to(min(self.position + 1, timeline.folded + JUMP_PAGE))  # a jump ahead of the folding
            gc_freeze.freeze()  # thread: a page at a time, each out of the collector's reach as soon as it is folded
        self._show()
        if self._holds_gc and self._allocated() != before:
            gc_freeze.freeze()  # what this move folded or restored stays: keep it out of the collections too
        self._moved_at = time.monotonic()

    def _allocated(self) -> tuple[int, int]:
        """What the timeline built so far: events folded, checkpoints restored (a copy of every pane's state)."""
        timeline = self.timeline
        return (timeline.folded, timeline.restores) if timeline is not None else (0, 0)

    def _show(self) -> None:
        timeline = self.timeline
        if timeline is None:
            return
        p = self.position
        self.query_one(TimelineBar).show(timeline, p, speed=self.speed, playing=self.playing)
        if not len(timeline):
            return
        current = timeline.highlight_at(p)  # events that leave the transcript alone keep the mark
        self.query_one(ReplayTranscript).show(timeline.transcript_at(p, TRANSCRIPT_WINDOW), current)
        states = timeline.panes_at(p)
        # The feedback pane redraws only when what it draws changed: cheaper than pickling every task
        # of a long session (its state is the largest by far) to see whether anything changed.
        self.query_one(FeedbackPane).update_state(states.feedback_state)
        for pane, state in (
            (self.query_one(ContextBudgetPane), states.budget),
            (self.query_one(RetriesPane), states.retries_state),
            (self.query_one(TodoPane), states.todos),
        ):
            fingerprint = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
            if self._shown.get(pane.id) != fingerprint:  # most events leave most panes as they were
                self._shown[pane.id] = fingerprint
                pane.update_state(state)
                if isinstance(pane, ContextBudgetPane):
                    pane.flush()  # now, not on its coalescing timer: a step is one frame, not two

    def _now(self) -> float:
        """The replayed clock: the time of the event at the cursor (breaker countdowns use it)."""
        if self.timeline is None or not len(self.timeline):
            return 0.0
        return self.timeline.event_at(self.position).ts

    def _short_time(self, ts: float) -> str:
        return self.format_time(ts)[-8:]

    def _refresh_bar(self) -> None:
        if self.timeline is not None:
            self.query_one(TimelineBar).show(self.timeline, self.position, speed=self.speed, playing=self.playing)

    # --- moving ---------------------------------------------------------------------

    def go(self, position: int) -> None:
        """Move the cursor (clamped to the session)."""
        if self.timeline is not None:
            self.position = self.timeline.clamp(position)

    def action_step(self, delta: int) -> None:
        self.go(self.position + delta)

    def action_turn(self, direction: int) -> None:
        if self.timeline is not None:
            t = self.timeline
            self.go(t.next_turn(self.position) if direction > 0 else t.prev_turn(self.position))

    def action_start(self) -> None:
        self.go(0)

    def action_end(self) -> None:
        if self.timeline is not None:
            self.go(self.timeline.last)

    def action_jump(self, kind: str, direction: int) -> None:
        if self.timeline is None:
            return
        t = self.timeline
        target = t.next_mark(self.position, kind) if direction > 0 else t.prev_mark(self.position, kind)
        if target is None:
            where = "after" if direction > 0 else "before"
            self.notify(f"No {kind} {where} this point.", timeout=2)
            return
        self.go(target)

    def action_scroll_transcript(self, direction: int) -> None:
        transcript = self.query_one(ReplayTranscript)
        transcript.scroll_lines(-direction * max(1, transcript.content_size.height - 2))

    # --- playing -----------------------------------------------------------------------

    @property
    def interval_s(self) -> float:
        return BASE_INTERVAL_S / self.speed

    def action_toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.timeline is None or not len(self.timeline):
            return
        if self.position >= self.timeline.last:
            self.position = 0
        self.playing = True
        self._restart_timer()
        self._refresh_bar()

    def pause(self) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._refresh_bar()

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(self.interval_s, self._tick, name="replay-play")

    def _tick(self) -> None:
        if self.timeline is None or self.position >= self.timeline.last:
            self.pause()
            return
        self.position += 1
        if self.position >= self.timeline.last:
            self.pause()

    def action_speed(self, direction: int) -> None:
        index = SPEEDS.index(self.speed) if self.speed in SPEEDS else 1
        self.speed = SPEEDS[min(max(index + direction, 0), len(SPEEDS) - 1)]
        if self.playing:
            self._restart_timer()
        self._refresh_bar()

    # --- leaving ------------------------------------------------------------------------

    def action_close(self) -> None:
        self.pause()
        self.dismiss(None)

    def on_context_budget_pane_item_action(self, message: ContextBudgetPane.ItemAction) -> None:
        message.stop()  # read-only: nothing is dropped or compacted in a replay


def family_lines(family: dict[str, Any]) -> list[str]:
    """``sub-agent of 5ab00000 · its title`` for a child; a line per child session (``└ title · status · id``)."""
    lines = []
    parent = family.get("parent")
    if parent:
        lines.append(f"sub-agent of {parent['id'][:8]} · {' '.join((parent.get('title') or '(untitled)').split())[:60]}")
    children = family.get("children") or []
    if children:
        lines.append(f"{len(children)} child session{'s' if len(children) != 1 else ''} (o replays the one at the cursor):")
        lines += [f"└ {' '.join((c.get('title') or '(untitled)').split())[:60]} · {c.get('status') or '—'} · {c['id'][:8]}"
                  for c in children]
    return lines
