"""The pieces of the Replay screen that are not panes: the timeline bar and the
transcript as it was.

They only draw what they are given (a :class:`~app.replay.timeline.Timeline`
position, transcript entries); where the data comes from and what it means is
decided in :mod:`app.replay` and by the transcript reducer
(``app/agent/events/transcript_view.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

from app.agent.events.format import duration
from app.agent.events.subagents import delegation_line
from app.agent.events.transcript_view import Entry, model_error_line
from app.replay.timeline import STOP_HELP, UNREAD, Timeline
from widgets.markdown_lines import markdown_lines
from widgets.todo_pane import checklist_lines
from widgets.tool_format import STATUS_LABELS, format_duration, one_line, short_args, truncate_lines

RESULT_LINES = 6  # lines of a tool result shown under the call
MARK_GLYPHS = {"error": ("✗", "$text-error"), "retry": ("↻", "$text-warning"), "compaction": ("⇣", "$text-accent")}
KIND_STYLES = {"ok": "$text-success", "error": "$text-error", "denied": "$text-warning",
               "pending": "$text-muted", "awaiting": "$text-warning", "running": "$text-accent"}
INDENTS = {"tool": 2, "model_error": 2, "notice": 2, "turn_end": 2, "todo": 2, "delegation": 2}  # cells, under the gutter
# The help line's phrases, and the order they give way in when the line is too long (never wrapped).
HELP_PHRASES = (STOP_HELP, "←/→ step", "[ ] or shift+←/→ turn", "Home/End", "space play", "+/- speed",
                "e r c next error/retry/compaction (E R C back)", "Esc close")
HELP = " · ".join(HELP_PHRASES)
HELP_SHORT = {"[ ] or shift+←/→ turn": "[ ] turn", "e r c next error/retry/compaction (E R C back)": "e r c next ✗ ↻ ⇣"}
HELP_DROPPED_FIRST = ("Home/End", "+/- speed", STOP_HELP)
PANES_HELP = "^b panes"  # on the help line while the side column is folded


def help_text(width: int, panes_folded: bool = False) -> str:
    """The keys, on one line of ``width`` cells: phrases shortened, then left out, never cut in the
    middle (no dangling ``·``)."""
    phrases = [*HELP_PHRASES[:-1], *([PANES_HELP] if panes_folded else []), HELP_PHRASES[-1]]
    shorter = [HELP_SHORT.get(p, p) for p in phrases]
    candidates = [phrases, shorter]
    for gone in HELP_DROPPED_FIRST:
        shorter = [p for p in shorter if p != gone]
        candidates.append(shorter)
    for candidate in candidates:
        if cell_len(" · ".join(candidate)) <= width:
            return " · ".join(candidate)
    kept = 2 if panes_folded else 1  # "^b panes" and "Esc close" stay to the end
    while len(shorter) > kept and cell_len(" · ".join(shorter)) > width:
        shorter.pop(-kept - 1)
    return " · ".join(shorter)


def clock_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def elapsed_text(seconds: float) -> str:
    """``+4.2s``, ``+3m07s``, ``+2h05m``."""
    return f"+{duration(seconds)}"


def speed_text(speed: float) -> str:
    return f"{speed:g}×"


class TimelineBar(Widget):
    """Position / total, the event at the cursor, speed, and a strip of marks with the cursor."""

    DEFAULT_CSS = """
    TimelineBar {
        height: 3;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, *, format_time: Callable[[float], str] = clock_time, id: str | None = None) -> None:
        super().__init__(id=id)
        self.format_time = format_time
        self.timeline: Timeline | None = None
        self.position = 0
        self.speed = 1.0
        self.playing = False
        self.panes_folded = False  # the screen folded the side column: the help says how to show it

    def show(self, timeline: Timeline, position: int, *, speed: float, playing: bool) -> None:
        self.timeline, self.position, self.speed, self.playing = timeline, position, speed, playing
        self.refresh()

    def render(self) -> Content:
        timeline = self.timeline
        if timeline is None or not len(timeline):
            return Content.styled("No events to replay.", "$text-muted")
        width = max(10, self.content_size.width)
        event = timeline.event_at(self.position)
        state = ("▶ playing" if self.playing else "❚❚ paused") + f" {speed_text(self.speed)}"
        # By priority, on one line: the position, the event, the play state; the turn, the elapsed
        # time and the clock give way (in that order, last first) when the line is too long.
        parts: list[tuple[str | Content, ...]] = [
            ((f"{self.position + 1:,}", "bold"), f" / {len(timeline):,}  ", (event.type, "$text-accent bold")),
            (f"  {self.format_time(event.ts)}",),
            (" ", (elapsed_text(timeline.elapsed_at(self.position)), "$text-muted")),
            (f"  turn {timeline.turn_at(self.position)}",),
            ("  ", (state, "$text-warning" if self.playing else "$text-muted")),
        ]
        for drop in ((), (1,), (1, 2), (1, 2, 3)):
            head = Content.assemble(*(piece for k, part in enumerate(parts) if k not in drop for piece in part))
            if head.cell_length <= width:
                break
        help_line = Content.styled(help_text(width, self.panes_folded), "$text-muted")
        return Content("\n").join([head, self._strip(timeline, width), help_line])

    def _strip(self, timeline: Timeline, width: int) -> Content:
        cursor = timeline.cell_of(self.position, width)
        runs: list[tuple[str, str]] = []  # consecutive cells of one style share a span
        for cell, kind in enumerate(timeline.mark_strip(width)):
            if cell == cursor:
                char, style = "█", "$accent"
            elif kind is None:
                char, style = "─", "$text-muted"
            elif kind == UNREAD:
                char, style = "┄", "$text-muted"
            else:
                char, style = MARK_GLYPHS[kind]
            if runs and runs[-1][1] == style:
                runs[-1] = (runs[-1][0] + char, style)
            else:
                runs.append((char, style))
        return Content.assemble(*runs)


class ReplayTranscript(Widget, can_focus=False):
    """The transcript at the cursor, drawn bottom-up: the newest lines that fit.

    One widget, a fixed size, no children: a step redraws this region only (no
    layout, no widgets mounted or removed), whatever the length of the session.
    Each entry is wrapped once per width and version and cached. The entry the
    current event created or changed gets an accent bar in the gutter.
    ``scroll_lines`` (Page Up/Down, the mouse wheel) looks further back; any
    move of the cursor comes back to the bottom.

    It draws line by line (:meth:`render_line`): each wrapped line is turned into
    a strip once and kept, so a step that adds or highlights an entry renders
    only that entry's lines; the rest of the view is strips already made
    (:meth:`render` builds the same lines as one text, for ``visible_text``).
    """

    DEFAULT_CSS = """
    ReplayTranscript {
        height: 1fr;
        padding: 0 1;
    }
    """

    GUTTER = 2

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[Entry] = []
        self.current: int | None = None  # index of the event that created the highlighted entry
        self.back = 0  # lines scrolled back from the bottom
        self._cache: dict[tuple, list[Content]] = {}
        self._strips: dict[tuple, Strip] = {}  # lines, gutters and texts drawn, by key (see render_line)
        self._window: list[tuple[tuple, Content, Content]] | None = None  # in view (key, gutter, text); None: to do
        self._window_for: tuple = ()  # the width and height the window was computed for
        self._total = 0  # lines available at the last render

    def show(self, entries: Sequence[Entry], current: int | None) -> None:
        """Show ``entries`` (oldest first); the entry created at event ``current`` is highlighted."""
        entries = list(entries)
        if entries == self.entries and current == self.current:
            return
        self.entries, self.current, self.back = entries, current, 0
        self._window = None
        self.refresh()

    def scroll_lines(self, lines: int) -> None:
        """Look ``lines`` further back (negative: forward again, down to the bottom)."""
        height = self.content_size.height
        self.back = max(0, min(self.back + lines, max(0, self._total - height)))
        self._window = None
        self.refresh()

    def on_mouse_scroll_up(self, event) -> None:
        self.scroll_lines(3)

    def on_mouse_scroll_down(self, event) -> None:
        self.scroll_lines(-3)

    @property
    def highlighted(self) -> Entry | None:
        return next((e for e in self.entries if e.index == self.current), None)

    def visible_text(self) -> str:
        """What is on screen, as plain text (for tests and debugging)."""
        return self.render().plain

    def render(self) -> Content:
        return Content("\n").join([gutter + line for _, gutter, line in self._in_view()])

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the view: its gutter and its text, each made into a strip once (per entry version and
        width; the gutter per highlight and indent), so a highlight that moves redraws no text."""
        window = self._in_view()
        if y >= len(window):
            return Strip.blank(self.size.width, self.visual_style.rich_style)
        key, gutter, line = window[y]
        if self.text_selection is not None:  # (a selection is drawn into the strips: none are kept then)
            return self._strip(gutter + line).apply_offsets(0, y)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 16_384:
                self._strips.clear()
            gutter_key = ("gutter", key[0][3], gutter.cell_length)
            gutter_strip = self._strips.get(gutter_key)
            if gutter_strip is None:
                gutter_strip = self._strips[gutter_key] = self._strip(gutter)
            body_key = (key[0][:3], key[1])
            body = self._strips.get(body_key)
            if body is None:
                body = self._strips[body_key] = self._strip(line)
            strip = self._strips[key] = _joined(gutter_strip, body)
        return strip.apply_offsets(0, y)

    def _strip(self, line: Content) -> Strip:
        strips = Visual.to_strips(self, line, max(1, self.size.width), 1, self.visual_style)
        return strips[0] if strips else Strip([])  # (as Textual draws the whole text: the padding comes later)

    def notify_style_update(self) -> None:
        self._strips.clear()  # (a theme or CSS change: the lines are drawn again in its colours)
        super().notify_style_update()

    def _in_view(self) -> list[tuple[tuple, Content, Content]]:
        """The lines in view, top to bottom: each line's key (its entry's key and its number there), gutter, text."""
        size = self.content_size
        width, height = max(10, size.width), max(1, size.height)
        if self._window is not None and self._window_for == (width, height):
            return self._window
        wanted = height + self.back
        lines: list[tuple[tuple, Content, Content]] = []
        for entry in reversed(self.entries):
            current = entry.index == self.current
            key = (entry.index, entry.updated, width, current)
            gutter = self._gutter(entry, current)
            lines[:0] = [((key, i), _NO_GUTTER if i == 0 and entry.kind == "user" else gutter, line)  # (a blank)
                         for i, line in enumerate(self._lines(entry, width))]
            if len(lines) >= wanted:
                break
        self._total = len(lines)
        end = len(lines) - self.back
        self._window, self._window_for = lines[max(0, end - height):end], (width, height)
        return self._window

    def _gutter(self, entry: Entry, current: bool) -> Content:
        indent = INDENTS.get(entry.kind, 0)
        gutter = Content.styled("▌", "$accent") if current else Content(" ")
        return gutter + Content(" " * (self.GUTTER - 1 + indent))

    def _lines(self, entry: Entry, width: int) -> list[Content]:
        """The entry's text wrapped to what the width leaves beside the gutter (cached per version and width)."""
        key = (entry.index, entry.updated, width)
        lines = self._cache.get(key)
        if lines is None:
            room = width - self.GUTTER - INDENTS.get(entry.kind, 0)
            if entry.kind == "assistant":  # Markdown, as the live transcript shows it; every line (the view scrolls)
                lines = markdown_lines(entry.text, room)
            else:
                lines = [part for line in _entry_lines(entry) for part in line.wrap(room) or [Content("")]]
            if entry.kind == "user":
                lines.insert(0, Content(""))
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = lines
        return lines


_NO_GUTTER = Content("")  # the blank line above a task


def _joined(gutter: Strip, text: Strip) -> Strip:
    """A gutter's strip and a text's, as one text of both would draw: where the gutter's last segment and the
    text's first have the same style (their offsets aside), one segment."""
    left, right = list(gutter), list(text)
    if left and right and not left[-1].control and not right[0].control:
        last, first = left[-1], right[0]
        same = last.style == first.style or (
            last.style is not None and first.style is not None and last.style.link == first.style.link
            and last.style.clear_meta_and_links() == first.style.clear_meta_and_links()
        )
        if same:
            left[-1] = Segment(last.text + first.text, last.style)
            right = right[1:]
    return Strip(left + right, gutter.cell_length + text.cell_length)


def _entry_lines(e: Entry) -> list[Content]:
    if e.kind == "user":
        return [Content.styled("› you", "$text-primary bold")] + [Content.styled(line, "bold") for line in e.text.splitlines() or [""]]
    if e.kind == "model_error":
        return [Content.styled(f"{model_error_line(e)}: {one_line(e.text, 200)}", "$text-error")]
    if e.kind == "tool":
        return _tool_lines(e)
    if e.kind == "notice":
        style = {"error": "$text-error", "warning": "$text-warning"}.get(e.level, "$text-muted")
        icon = {"error": "✗", "warning": "■"}.get(e.level, "•")
        first, *rest = [*(e.text or "").splitlines(), *e.detail.splitlines()] or [""]
        return [Content.styled(f"{icon} {first}", f"{style} bold")] + [Content.styled(f"  {r}", "$text-muted") for r in rest]
    if e.kind == "todo":
        return checklist_lines(e.todos, title="Todo")
    if e.kind == "delegation" and e.delegation is not None:
        title, detail = delegation_line(e.delegation)
        return [Content.styled(title, "bold")] + ([Content.styled(f"  {detail}", "$text-muted")] if detail else [])
    if e.kind == "turn_end":
        steps = f"{e.steps} step" + ("" if e.steps == 1 else "s")
        return [Content.styled(f"— {e.status} · {steps}", "$text-muted"), Content("")]
    if e.kind == "session_end":
        return [Content.styled(f"■ session {e.status}" + (f": {e.text}" if e.text else ""), "$text-muted bold")]
    return [Content(e.text)]


def _tool_lines(e: Entry) -> list[Content]:
    icon, word, kind = STATUS_LABELS.get(e.status, ("•", e.status, "pending"))
    style = KIND_STYLES.get(kind, "$text-muted")
    parts = [word]
    if e.duration_ms:
        parts.append(format_duration(e.duration_ms))
    if e.exit_code not in (None, 0):
        parts.append(f"exit {e.exit_code}")
    head = Content.assemble(
        (f"{icon or '⋯'} ", style), (e.name, "bold"), " ",
        (short_args(e.name, e.parsed if e.parsed is not None else _arguments(e.arguments), e.arguments), "$text-muted"), "  ", (" · ".join(parts), style),
    )
    lines = [head]
    if e.note:
        lines.append(Content.styled(f"    {one_line(e.note, 120)}", "$text-warning"))
    if e.result:
        shown, hidden = truncate_lines(e.result.rstrip("\n"), RESULT_LINES)
        result_style = "$text-error" if kind == "error" else "$text-muted"
        lines += [Content.styled(f"    {line}", result_style) for line in shown.splitlines()]
        if hidden:
            lines.append(Content.styled(f"    … {hidden} more lines", "$text-muted"))
    return lines


def _arguments(raw: str) -> dict | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
