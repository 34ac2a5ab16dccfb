"""The Retries pane: the harness's retry layer, live.

It renders a :class:`~app.agent.events.retries_view.RetriesState` (folded from
events by ``RetriesReducer``; the same state live and in replay): the retry
budget gauge and refusals, the retry ratio against its 10 % / 20 % lines, time
spent in backoff, the retry tax, the circuit breakers with the time until
half-open, loop-detector hits, semantic errors per tool, and the attempt log,
newest first. It computes nothing of its own beyond formatting.

Narrower than ``WIDE_CELLS`` (the side column) its lines are laid out for the
width: shorter gauges, phrases moved to the next line whole (never broken in
the middle), and each attempt on two lines with its error class first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Static

from app.agent.events.format import cost, count_of, duration, money, tax_estimate_note
from app.agent.events.retries_view import AttemptRow, BreakerView, RetriesState
from widgets.cache_lines import misses_phrases
from widgets.kept_lines import KeptLinesStatic
from widgets.relayout import update_static

GAUGE_WIDTH = 20
RATIO_SCALE = 0.30  # the ratio bar spans 0 % .. 30 %
LOG_ROWS = 50
WIDE_CELLS = 54  # from this many cells inside the frame, every line is laid out in full
INDENT = 8  # where the values start, after "Budget  ", "Ratio   "...


@lru_cache(maxsize=64)
def _markup(markup: str) -> Content:
    """Parsed once: a redraw (an event's, while nothing in the pane changed) shows the same text again, and
    Textual's markup parser is most of what a redraw costs (a 50-row log: ~3 ms). Content is immutable."""
    return Content.from_markup(markup)


def _clock_time(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


class RetriesPane(Widget):
    """Budget, breakers, loops and the attempt log of the resilience engine."""

    FRAMED = True  # draws its own border (its colour is the state) and title

    DEFAULT_CSS = """
    RetriesPane {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    RetriesPane.-storming {
        border: round $error;
        border-title-color: $error;
    }
    RetriesPane.-looping {
        border: round $warning;
        border-title-color: $warning;
    }
    RetriesPane > VerticalScroll {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    RetriesPane .retries-section {
        height: auto;
        margin-bottom: 1;
    }
    RetriesPane #retries-breakers, RetriesPane #retries-log {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(
        self,
        state: RetriesState | None = None,
        *,
        clock: Callable[[], float] = time.time,
        format_time: Callable[[float], str] = _clock_time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.state = state or RetriesState()
        self.clock = clock
        self.format_time = format_time
        self._width: int | None = None  # cells inside the frame, as last laid out

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            summary = Static(id="retries-summary", classes="retries-section")
            summary.tooltip = SUMMARY_TOOLTIP
            yield summary
            yield Static(id="retries-breakers", classes="retries-section")
            yield Static(id="retries-loops", classes="retries-section")
            yield KeptLinesStatic(id="retries-log", classes="retries-section")  # (newest first: a line at a time)

    def on_mount(self) -> None:
        self.border_title = "Retries"
        self._countdown = self.set_interval(1.0, self.refresh_countdown, pause=True)
        self._show_all()

    def on_resize(self, event: events.Resize) -> None:
        width = self.content_size.width - 1  # the scrollbar's column
        if width != self._width:
            self._width = width
            self._show_all()

    @property
    def narrow_width(self) -> int | None:
        """The width to lay the lines out for, or None: wide enough for every line in full."""
        return self._width if self._width is not None and self._width < WIDE_CELLS else None

    def update_state(self, state: RetriesState) -> None:
        """Show ``state`` (the reducer's state object, possibly the same one mutated)."""
        self.state = state
        if self.is_mounted:
            self._show_all()

    # --- rendering ------------------------------------------------------------------

    def _show_all(self) -> None:
        state = self.state
        self.set_class(state.storming, "-storming")
        self.set_class(not state.storming and any(h.action == "halt" for h in state.loop_hits), "-looping")
        width = self.narrow_width
        update_static(self.query_one("#retries-summary", Static), render_summary(state, width))
        self.refresh_countdown()
        update_static(self.query_one("#retries-loops", Static), render_loops(state))
        update_static(self.query_one("#retries-log", Static), render_log(state.attempts, self.format_time, width))

    def refresh_countdown(self) -> None:
        """Redraw the breakers (their time until half-open); runs every second while one is open."""
        update_static(self.query_one("#retries-breakers", Static), render_breakers(self.state, self.clock()))
        if self.state.open_breakers:
            self._countdown.resume()
        else:
            self._countdown.pause()


# --- pure formatting (state in, Content out) ------------------------------------------------


SUMMARY_TOOLTIP = (
    "Tax: tokens (and dollars, where the model has a price) spent for nothing: output thrown away, and the "
    "prompt of every failed attempt that reached the provider. That prompt is the provider's count when a retry "
    "of it reported one; otherwise ≈ an estimate: calibrated (the local count corrected by the Context budget's "
    "calibration) or local (no calibration yet)."
)


def _bar(fraction: float, width: int) -> tuple[int, int]:
    filled = max(0, min(width, round(fraction * width)))
    return filled, width - filled


def render_summary(state: RetriesState, width: int | None = None) -> Content:
    """The budget, ratio, backoff and tax lines; laid out for ``width`` cells (None: in full)."""
    if width is not None:
        return _narrow_summary(state, width)
    level, capacity = state.bucket_level, state.bucket_capacity
    lines = [
        f"[b]Budget[/b]  {_budget_bar(state, GAUGE_WIDTH)} {level:g}/{capacity:g}  {_refused(state)}",
        f"[b]Ratio[/b]   {_ratio_bar(state)} {_ratio_text(state)}",
        f"        {_tries(state)}  ·  {_lines(state)}",
        f"[b]Backoff[/b] {duration(state.backoff_s)}"
        + (f"  ·  short-circuited {state.short_circuited}" if state.short_circuited else ""),
        f"[b]Tax[/b]     " + " · ".join(_tax_pieces(state)),
    ]
    misses = _cache_pieces(state)
    if misses:
        lines.append("[b]Cache[/b]   " + " · ".join(misses))
    return _markup("\n".join(lines + _notes(state)))


def _narrow_summary(state: RetriesState, width: int) -> Content:
    """The same lines for a side column: gauges that fit, phrases moved whole to the next line."""
    level, capacity = state.bucket_level, state.bucket_capacity
    amount = f" {level:g}/{capacity:g}"
    refused = f"refused {state.refused_by_budget}"  # kept on the gauge's line while the gauge keeps 10 cells
    gauge = max(6, min(GAUGE_WIDTH, width - INDENT - len(amount), max(10, width - INDENT - len(amount) - 2 - len(refused))))
    backoff = [duration(state.backoff_s)] + ([f"short-circuited {state.short_circuited}"] if state.short_circuited else [])
    lines = [
        *_flow("[b]Budget[/b]  ", [_budget_bar(state, gauge) + amount, _refused(state)], width, separator="  "),
        *_flow("[b]Ratio[/b]   ", [_ratio_bar(state, gauge), _ratio_text(state)], width, separator=" "),
        *_flow(" " * INDENT, [_tries(state), _lines(state)], width),
        *_flow("[b]Backoff[/b] ", backoff, width),
        *_flow("[b]Tax[/b]     ", _tax_pieces(state), width, separator=" · "),
    ]
    misses = _cache_pieces(state)
    if misses:
        lines += _flow("[b]Cache[/b]   ", misses, width, separator=" · ")
    return _markup("\n".join(lines + _notes(state)))


def _flow(label: str, pieces: list[str], width: int, separator: str = "  ·  ") -> list[str]:
    """``label`` then the markup ``pieces`` on as few lines as ``width`` allows; a piece that does not
    fit goes whole to the next line, under the first."""
    def start(lead: str, piece: str) -> str:  # a blank lead shrinks to two cells when the piece needs them
        too_wide = _markup(lead + piece).cell_length > width
        return ("  " if too_wide and not lead.strip() else lead) + piece

    lines = [start(label, pieces[0])]
    for piece in pieces[1:]:
        joined = lines[-1] + separator + piece
        if _markup(joined).cell_length <= width:
            lines[-1] = joined
        else:
            lines.append(start(" " * INDENT, piece))
    return lines


def _budget_bar(state: RetriesState, width: int) -> str:
    level, capacity = state.bucket_level, state.bucket_capacity
    filled, empty = _bar(level / capacity if capacity else 0.0, width)
    budget_style = "$error" if level < capacity * 0.2 else "$warning" if level < capacity * 0.5 else "$success"
    return f"[{budget_style}]{'█' * filled}[/][$text-muted]{'░' * empty}[/]"


def _refused(state: RetriesState) -> str:
    return f"[$error]refused {state.refused_by_budget}[/]" if state.refused_by_budget else "refused 0"


def _tries(state: RetriesState) -> str:
    return f"{count_of(state.retries, 'retry', 'retries')} / {count_of(state.first_tries, 'first try', 'first tries')}"


def _lines(state: RetriesState) -> str:
    return f"lines {state.ratio_warn:.0%} / {state.ratio_alarm:.0%}"


def _notes(state: RetriesState) -> list[str]:
    """A proxy that retries on its own (and what its key has spent), why the last call stopped, spans not exported."""
    lines = []
    if state.upstream_retries:
        lines.append(f"[$warning]Proxy[/]   retried upstream {state.upstream_retries}× unseen"
                     "  ·  set num_retries: 0 in its config")
    if state.proxy_key_spend_usd is not None:
        lines.append(f"Proxy   key spend {money(state.proxy_key_spend_usd)}  ·  the proxy's count, every call of the key")
    if state.last_stop:
        lines.append(f"[$error]Stopped[/] {escape(state.last_stop)}")
    if state.telemetry_dropped:
        lines.append(f"[$warning]OTel[/]    {count_of(state.telemetry_dropped, 'span')} not exported"
                     "  ·  collector down or slow")
    return lines


def _ratio_bar(state: RetriesState, width: int = GAUGE_WIDTH) -> str:
    filled, _ = _bar(min(state.retry_ratio, RATIO_SCALE) / RATIO_SCALE, width)
    warn_at = round(state.ratio_warn / RATIO_SCALE * width)
    alarm_at = round(state.ratio_alarm / RATIO_SCALE * width)
    style = {"ok": "$success", "warning": "$warning", "alarm": "$error"}[state.ratio_level]
    cells = []
    for i in range(width):
        if i in (warn_at, alarm_at):
            cells.append("[$text-muted]│[/]" if i >= filled else f"[{style}]┃[/]")
        elif i < filled:
            cells.append(f"[{style}]█[/]")
        else:
            cells.append("[$text-muted]·[/]")
    return "".join(cells)


def _ratio_text(state: RetriesState) -> str:
    text = f"{state.retry_ratio:.1%}"
    if state.ratio_level == "alarm":
        return f"[$error b]{text} ALARM[/]"
    if state.ratio_level == "warning":
        return f"[$warning]{text} warn[/]"
    return text


def _tax_pieces(state: RetriesState) -> list[str]:
    """``1,498 tok``, ``≈540 tok`` and whose estimate it is, then the dollars (``$x (1.2% of $y)``,
    ``$x + N unpriced``; ``unpriced`` when no charge had a price; none when nothing was wasted)."""
    estimated = state.tax_estimated
    pieces = [f"{'≈' if estimated else ''}{state.tax_tokens:,} tok"]
    if estimated:
        pieces.append(tax_estimate_note(estimated, state.tax_tokens, kind=state.tax_estimate_kind))
    if not state.tax_priced:
        return pieces + (["unpriced"] if state.tax_unpriced else [])
    share = state.tax_share
    return pieces + [cost(state.tax_usd, unpriced=state.tax_unpriced)
                     + ("" if share is None else f" ({share:.1%} of {money(state.session_cost_usd)})")]


def _cache_pieces(state: RetriesState) -> list[str]:
    """Cache misses, a tax of their own: how many, what they cost, the last one's cause."""
    return [escape(piece) for piece in misses_phrases(state.cache)]


def render_breakers(state: RetriesState, now: float) -> Content:
    if not state.breakers:
        return _markup("[b]Breakers[/b]  [$text-muted]all closed[/]")
    order = {"open": 0, "half_open": 1, "closed": 2}
    views = sorted(state.breakers.values(), key=lambda b: (order.get(b.state, 3), b.scope, b.target))
    lines = ["[b]Breakers[/b]"]
    lines.extend(_breaker_line(view, now) for view in views)
    return _markup("\n".join(lines))


def _breaker_line(view: BreakerView, now: float) -> str:
    if view.state == "open":
        remaining = view.half_open_in(now) or 0.0
        status = f"[$error b]OPEN[/] half-open in {remaining:.0f} s"
    elif view.state == "half_open":
        status = "[$warning b]HALF-OPEN[/] probing"
    else:
        status = "[$success]closed[/]"
    reason = f" · {escape(view.reason)}" if view.state != "closed" and view.reason else ""
    return f" {view.scope:<5} {status}  {escape(view.target)}[$text-muted]{reason}[/]"


def render_loops(state: RetriesState) -> Content:
    lines = ["[b]Loops[/b]" + ("  [$text-muted]none detected[/]" if not state.loop_hits else "")]
    for hit in state.loop_hits[:5]:
        action = {"halt": "[$error b]HALT[/]", "seen": "[$warning]seen[/]"}.get(hit.action, "[$warning]warn[/]")
        tool = f" · {escape(hit.tool)}" if hit.tool else ""
        lines.append(f" {action} {hit.pattern}{tool} ×{hit.count}  [$text-muted]turn {hit.turn}[/]")
        lines.append(f"   [$text-muted]{escape(_fit(hit.message, 240))}[/]")
    if state.semantic_errors:
        counts = ", ".join(f"{escape(name)} {n}" for name, n in sorted(state.semantic_errors.items()))
        lines.append(f"[b]Semantic errors[/b]  {counts}")
    if state.tool_failures:
        counts = ", ".join(f"{escape(name)} {n}" for name, n in sorted(state.tool_failures.items()))
        lines.append(f"[b]Tool failures[/b]  {counts}")
    return _markup("\n".join(lines))


def render_log(rows: list[AttemptRow], format_time: Callable[[float], str], width: int | None = None) -> Content:
    """Newest first, one line an attempt; narrower than ``WIDE_CELLS`` (``width`` given), two lines:
    time, outcome, attempt and wait, then the error class and the target (only the target is cut)."""
    if not rows:
        return _markup("[b]Attempts[/b]  [$text-muted]no attempts yet[/]")
    lines = ["[b]Attempts[/b] [$text-muted](newest first)[/]"]
    for row in rows[:LOG_ROWS]:
        attempt = f"{row.attempt}/{row.max_attempts}" if row.attempt else "—"
        wait = duration(row.wait_s) if row.wait_s else ""
        error = row.error_class or "—"
        if width is not None:
            lines.append(f" {format_time(row.ts)} {_outcome(row.outcome, pad=False)} {attempt}"
                         + (f" · wait {wait}" if wait else ""))
            lines.append(f"   {escape(error)} [$text-muted]{escape(row.target)}[/]")
            continue
        lines.append(
            f" {format_time(row.ts)} {_outcome(row.outcome)} {attempt:>4} {wait:>5} {error:<13} "
            f"[$text-muted]{escape(row.target)}[/]"
        )
    return _markup("\n".join(lines))


def _outcome(outcome: str, *, pad: bool = True) -> str:
    """The outcome, padded to a fixed width (unless ``pad`` is False), in its colour."""
    plain = outcome.replace("stop:", "stop: ").replace("_", " ")
    padded = escape(f"{_fit(plain, 18):<18}" if pad else plain)
    if outcome == "ok":
        return f"[$success]{padded}[/]"
    if outcome in ("retry", "fallback"):
        return f"[$warning]{padded}[/]"
    return f"[$error]{padded}[/]"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
