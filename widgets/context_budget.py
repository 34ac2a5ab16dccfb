"""The Context budget pane: where every token of the window goes, and how sure we are.

Live, the app calls ``apply`` with every event (the pane protocol of
``app/tui/panes.py``) and the pane folds them into its own
:class:`~app.agent.events.budget_view.BudgetState` (the reducer replay uses too). For
replay, hand it a folded state with ``update_state``. Bursts are coalesced: the
pane redraws at most once per ``coalesce_seconds``. It computes nothing about
the budget; it lays out what the state holds and posts :class:`ItemAction`
messages for the drop / truncate / open / compact-now actions; ``?`` opens a
help on every term it shows (:mod:`widgets.context_budget_help`). Every
percentage says what it is a share of. It is drawn for the side column (about
35 cells) and uses more room when it has it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from app.agent.events.budget import ContextMeasured
from app.agent.events.budget_view import BudgetState, Legend, apportion
from app.agent.events.core import Event
from app.agent.events.format import tokens as tokens_text
from widgets.cache_lines import fixed_phrases, hit_phrases, miss_phrase, money_phrases
from widgets.context_budget_help import ContextBudgetHelp, help_text
from widgets.relayout import flow, refresh_keeping_layout, same_content, update_static

CATEGORY_KEYS = (
    "system",
    "instructions",
    "preamble",
    "tools",
    "unattributed",
    "user",
    "assistant",
    "tool_calls",
    "tool_results",
    "summaries",
    "free",
    "buffer",
    "reserve",
)
BLOCKS = {"free": "░", "buffer": "·", "reserve": "▒"}
LEGEND_NAMES = {
    "system": "system",
    "instructions": "instructions",
    "preamble": "preamble",
    "tools": "tool defs",
    "unattributed": "unattributed",
    "user": "user",
    "assistant": "assistant",
    "tool_calls": "tool calls",
    "tool_results": "tool results",
    "summaries": "summaries",
    "free": "free",
    "buffer": "buffer",
    "reserve": "reserve",
}
ACTIONABLE_KIND = "tool_result"
DROPPABLE_KIND = "mention"  # an @path attachment: it can be dropped too (its file leaves the context)
TOOL_KINDS = ("tool_definition", "tool_server")  # sent with every call: a project leaves them out (cockpit tools)
TOP_MAX_LINES = 20  # the top-consumers list scrolls past this
STEP_WORDS = {
    "cap_results": "capped results",
    "placeholder_old_results": "old results replaced",
    "summarize": "summarised",
    "drop_item": "dropped",
    "truncate_item": "truncated",
}
ACTION_WORDS = {"capped": "capped", "placeholder": "replaced", "summarized": "summarised", "dropped": "dropped", "truncated": "truncated"}


def allocate_cells(weights: list[int], width: int) -> list[int]:
    """Split ``width`` cells in proportion to ``weights`` (largest remainder, deterministic)."""
    return apportion([float(w) for w in weights], width)


NO_BAR_IMPORTED = "no bar: the source recorded no window or breakdown to draw it from"


class BudgetBar(Widget):
    """The stacked bar of the window, its threshold marks and the legend."""

    COMPONENT_CLASSES = {f"budget-bar--{key}" for key in CATEGORY_KEYS} | {
        "budget-bar--warn",
        "budget-bar--compact",
        "budget-bar--muted",
    }

    DEFAULT_CSS = """
    BudgetBar { height: auto; }
    BudgetBar > .budget-bar--system { color: $primary; }
    BudgetBar > .budget-bar--instructions { color: $primary-darken-2; }
    BudgetBar > .budget-bar--preamble { color: $primary-lighten-2; }
    BudgetBar > .budget-bar--tools { color: $secondary; }
    BudgetBar > .budget-bar--unattributed { color: $error-darken-1; }
    BudgetBar > .budget-bar--user { color: $success; }
    BudgetBar > .budget-bar--assistant { color: $accent; }
    BudgetBar > .budget-bar--tool_calls { color: $accent-darken-2; }
    BudgetBar > .budget-bar--tool_results { color: $warning-darken-1; }
    BudgetBar > .budget-bar--summaries { color: $success-darken-2; }
    BudgetBar > .budget-bar--free { color: $foreground-darken-3; }
    BudgetBar > .budget-bar--buffer { color: $foreground-darken-2; }
    BudgetBar > .budget-bar--reserve { color: $foreground-darken-1; }
    BudgetBar > .budget-bar--warn { color: $warning; text-style: bold; }
    BudgetBar > .budget-bar--compact { color: $error; text-style: bold; }
    BudgetBar > .budget-bar--muted { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = BudgetState()
        self._drawn: Text | None = None  # what the last show drew

    def show(self, state: BudgetState) -> None:
        """Show ``state``: a repaint (a layout only for a new height) when it draws something new."""
        self.state = state
        drawn = self.render()
        if self._drawn is not None and same_content(self._drawn, drawn):
            return
        self._drawn = drawn
        refresh_keeping_layout(self)

    def style_of(self, key: str) -> Style:
        return self.get_component_rich_style(f"budget-bar--{key}", default=Style())

    def render(self) -> Text:
        width = max(10, self.size.width)
        segments = self.state.segments()
        out = Text(no_wrap=False)
        if not segments:
            out.append("░" * width + "\n", self.style_of("free"))
            out.append(NO_BAR_IMPORTED if self.state.imported else "no measurement yet",
                       self.style_of("muted"))
            return out
        total = sum(s.tokens for s in segments)
        for segment, cells in zip(segments, allocate_cells([s.tokens for s in segments], width)):
            out.append(BLOCKS.get(segment.key, "█") * cells, self.style_of(segment.key))
        out.append("\n")
        out.append_text(self._marks(width, total))
        out.append("\n")
        out.append_text(self._legend(self.state.legend(), width))
        return out

    def _marks(self, width: int, total: int) -> Text:
        line = [" "] * width
        styles: dict[int, str] = {}
        for name, offset in self.state.thresholds():
            cell = min(width - 1, max(0, round(offset / total * width)))
            line[cell] = "▲"
            styles[cell] = name
        text = Text()
        for cell, char in enumerate(line):
            text.append(char, self.style_of(styles[cell]) if cell in styles else Style())
        return text

    def _legend(self, legend: Legend, width: int) -> Text:
        """What the percentages are of, one entry per segment (never broken across lines), the threshold key."""
        m = self.state.measured
        text = Text()
        if m is not None:
            if legend.over_window:
                basis = f"% of {tokens_text(legend.basis)} asked for (over the {tokens_text(m.advertised)} window)"
            elif legend.basis == m.advertised:
                basis = f"% of the {tokens_text(m.advertised)} window"
            else:
                basis = f"% of {tokens_text(legend.basis)}"
            text.append(basis + "\n", self.style_of("muted"))
        column = 0
        for segment in legend.entries:
            entry = f"{LEGEND_NAMES.get(segment.key, segment.label)} {tokens_text(segment.tokens)} {segment.pct}%"
            if column and column + len(entry) + 4 > width:
                text.append("\n")
                column = 0
            elif column:
                text.append("  ")
                column += 2
            text.append("■ ", self.style_of(segment.key))
            text.append(entry)
            column += len(entry) + 2
        if m is not None:
            warn_pct = round(100 * m.warn_at / m.usable) if m.usable else 0
            compact_pct = round(100 * m.compact_at / m.usable) if m.usable else 0
            text.append("\n▲ ", self.style_of("warn"))
            text.append(f"warn {warn_pct}%  ")
            text.append("▲ ", self.style_of("compact"))
            text.append(f"compact {compact_pct}% of usable")
            if self.state.unattributed < 0:
                text.append("\n▪ unattributed is negative: not drawn", self.style_of("muted"))
        return text


class ContextBudgetPane(Widget):
    """Headline, window bar, top consumers, growth per turn and the last compactions."""

    class ItemAction(Message):
        """The user asked for ``action`` (drop | truncate | open | compact) on ``item_id``."""

        def __init__(self, action: str, item_id: str = "", kind: str = "") -> None:
            super().__init__()
            self.action = action
            self.item_id = item_id
            self.kind = kind

    BINDINGS = [
        Binding("d", "drop", "Drop result", id="context_budget.drop", tooltip="Drop this tool result from the context"),
        Binding("t", "truncate", "Truncate", id="context_budget.truncate", tooltip="Keep only head and tail of this result"),
        Binding("o", "open", "Open", id="context_budget.open", tooltip="Show this item in full"),
        Binding("c", "compact", "Compact now", id="context_budget.compact", tooltip="Run the compaction ladder now"),
        Binding("question_mark", "help", "Help", id="context_budget.help", tooltip="What every number here means"),
    ]

    COMPONENT_CLASSES = {
        "context-budget--calm",
        "context-budget--warning",
        "context-budget--critical",
        "context-budget--muted",
        "context-budget--middle",
    }

    DEFAULT_CSS = """
    ContextBudgetPane {
        height: auto;
        border-left: thick $panel-lighten-2;
        padding: 0 0 0 1;
    }
    ContextBudgetPane.-calm { border-left: thick $success 60%; }
    ContextBudgetPane.-warning { border-left: thick $warning; }
    ContextBudgetPane.-critical { border-left: thick $error; }
    ContextBudgetPane > .context-budget--calm { color: $success; text-style: bold; }
    ContextBudgetPane > .context-budget--warning { color: $warning; text-style: bold; }
    ContextBudgetPane > .context-budget--critical { color: $error; text-style: bold; }
    ContextBudgetPane > .context-budget--muted { color: $text-muted; }
    ContextBudgetPane > .context-budget--middle { color: $warning; }
    ContextBudgetPane #headline { height: auto; }
    ContextBudgetPane BudgetBar { margin: 1 0 0 0; }
    ContextBudgetPane .section { color: $text-muted; text-style: bold; margin: 1 0 0 0; }
    ContextBudgetPane #top { height: auto; border: none; padding: 0; background: transparent; }
    ContextBudgetPane #hint { color: $text-muted; }
    ContextBudgetPane #spark { margin: 0 0; }
    ContextBudgetPane #compaction { height: auto; }
    ContextBudgetPane #cache { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, *, coalesce_seconds: float = 0.1, id: str | None = None) -> None:
        super().__init__(id=id)
        self.coalesce_seconds = coalesce_seconds
        self.reducer = BudgetState()  # what apply folds into
        self.state = self.reducer  # what is shown
        self.renders = 0  # how many times the pane redrew (coalescing is tested on it)
        self._timer: Timer | None = None
        self._drawn_width = -1
        self._items: list[dict] = []
        self._growth_shown: tuple[object, ...] = ()  # the sparkline, the basis and the series it shows

    def compose(self) -> ComposeResult:
        yield Static(id="headline")
        yield Static(id="cache")  # shown once anything was cached or marked for caching
        yield BudgetBar(id="bar")
        yield Static("Top consumers", classes="section")
        yield OptionList(id="top")
        yield Static("d drop · t truncate · o open\nc compact now · ? help", id="hint")  # whole at the side column's width
        yield Static(id="growth", classes="section")
        yield Sparkline([], id="spark")
        yield Static(id="compaction")

    def on_mount(self) -> None:
        self.flush()

    def on_resize(self, event: events.Resize) -> None:
        if self.size.width != self._drawn_width:  # the bar and the legend follow the width
            self.flush()

    # --- feeding -------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """The app's pane contract: every event, in order, on the UI thread."""
        self.reducer.apply(event)
        self.update_state(self.reducer)

    def update_state(self, state: BudgetState) -> None:
        """Show ``state``; redraws are coalesced so a burst of events costs one redraw."""
        self.state = state
        if self._timer is None and self.is_mounted:
            self._timer = self.set_timer(self.coalesce_seconds, self.flush, name="context-budget-redraw")

    def flush(self) -> None:
        """Redraw now from the current state."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.renders += 1
        self._drawn_width = self.size.width
        state = self.state
        for level in ("calm", "warning", "critical"):
            self.set_class(state.level == level and not state.empty, f"-{level}")
        update_static(self.query_one("#headline", Static), self._headline(state))
        self.query_one(BudgetBar).show(state)
        self._fill_table(state)
        self._show_growth(state)
        update_static(self.query_one("#compaction", Static), self._compactions(state))
        cache = self.query_one("#cache", Static)
        cache.display = state.cache.active
        if state.cache.active:
            update_static(cache, self._cache(state))

    # --- parts ---------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"context-budget--{name}", default=Style())

    def _headline(self, state: BudgetState) -> Text:
        m = state.measured
        if m is None:
            if state.provider_prompt_tokens:
                text = Text(f"{tokens_text(state.provider_prompt_tokens)} prompt tokens", self._style("calm"))
                text.append(" at the last call, as the provider reported them", self._style("muted"))
                text.append("\nNo local breakdown: this session was not measured by Cockpit (imported).", self._style("muted"))
                return text
            return Text("No measurement yet: the budget appears with the first model call.", self._style("muted"))
        approx = "≈" if m.estimate_is_approximate else ""
        level = self._style(m.level)
        muted = self._style("muted")
        source = {"litellm": "litellm", "config": "config", "server": "server"}.get(m.advertised_source, "ASSUMED")
        width = max(10, self.content_size.width)
        lines = [  # each line's phrases go to the next line whole when the pane is narrow
            [Text.assemble((f"{approx}{tokens_text(m.used)}", level), " used"),
             Text.assemble((f"{m.used_pct:.0f}%", level), f" of {tokens_text(m.usable)} usable")],
            [Text(f"{tokens_text(m.advertised)} advertised ({source})")],
            [Text(m.level, level), Text(f"compact at {tokens_text(m.compact_at)}")],
            [self._fixed(state, m), Text(f"reserve {tokens_text(m.reserve)}"),
             Text(f"buffer {tokens_text(m.buffer)}")],
            [Text(f"prompt {approx}{tokens_text(m.local_total)} local"),
             Text(f"{tokens_text(m.calibrated_total)} calibrated")],
        ]
        flowed = [flow(phrases, width) for phrases in lines]
        if state.unattributed < 0:  # before the accuracy: the side column's slot may show only the first lines
            middle = self._style("middle")
            flowed.append(flow([Text(f"local count is {tokens_text(-state.unattributed)}", middle),
                                Text("above the provider's", middle)], width, separator=" "))
        flowed.append(flow([Text(f"accuracy {state.badge or 'uncalibrated'}", muted), Text(m.tokenizer, muted)], width))
        text = Text("\n").join(flowed)
        if m.middle_warning:
            text.append("\n")
            text.append(
                f"{tokens_text(m.middle_tokens)} ({100 * m.middle_share:.0f}% of the conversation) in the middle third",
                self._style("middle"),
            )
        return text

    @staticmethod
    def _fixed(state: BudgetState, m: ContextMeasured) -> Text:
        """``fixed 1.8k``: the sum of its parts; when the local count is above the provider's (a negative
        unattributed), what is left of it once calibrated: ``fixed 1.8k (417 calibrated)``, never a fixed
        smaller than its own tool definitions without a word."""
        if state.unattributed >= 0:
            return Text(f"fixed {tokens_text(m.fixed)}")
        return Text(f"fixed {tokens_text(m.fixed - state.unattributed)} ({tokens_text(m.fixed)} calibrated)")

    def _fill_table(self, state: BudgetState) -> None:
        """Two lines per item: what it is, then its tokens, share and place in the window."""
        top = self.query_one("#top", OptionList)
        selected = top.highlighted_option.id if top.highlighted_option is not None else None
        self._items = state.top_items()
        options = []
        for item in self._items:
            prompt = Text(item["label"], no_wrap=True, overflow="ellipsis")
            prompt.append(f"\n  {tokens_text(int(item['tokens']))} · {100 * float(item['share']):.0f}% of prompt · ")
            position = item["position"]
            warn = position == "middle" and state.measured is not None and state.measured.middle_warning
            prompt.append(position, self._style("middle") if warn else self._style("muted"))
            options.append(Option(prompt, id=item["id"]))
        # A fixed height (two lines an item) spares the whole screen a layout pass when
        # only the numbers change; it changes, with a layout, when the number of items does.
        top.styles.height = min(TOP_MAX_LINES, 2 * len(options))
        if not _same_options(top.options, options):
            top.set_options(options)
        ids = [item["id"] for item in self._items]
        if ids:
            top.highlighted = ids.index(selected) if selected in ids else 0

    def _show_growth(self, state: BudgetState) -> None:
        """The growth line and sparkline; nothing to do when the series is the one shown (most redraws:
        it grows once a turn, and a 1,000-turn session's costs ~0.7 ms to show again)."""
        series = state.series()
        spark = self.query_one("#spark", Sparkline)
        shown = (spark, state.per_turn_basis, series)
        if shown == self._growth_shown:
            return
        self._growth_shown = shown
        label = f"Prompt tokens per turn ({state.per_turn_basis or 'local'} count)"
        if state.growth_last is not None and state.growth_mean is not None:
            label += f": {_signed(state.growth_last)} last, {_signed(round(state.growth_mean))} avg"
        update_static(self.query_one("#growth", Static), label)
        spark.data = [float(v) for v in series]

    def _compactions(self, state: BudgetState) -> Text:
        text = Text()
        if not state.compactions:
            text.append("No compaction yet.", self._style("muted"))
            return text
        text.append("Compactions\n", self._style("muted"))
        for event in state.compactions[-3:]:
            actions = sorted({ACTION_WORDS.get(str(item.get("action")), str(item.get("action"))) for item in event.items})
            text.append(
                f"⇣ {STEP_WORDS.get(event.step, event.step)} ({event.reason}): "
                f"{tokens_text(event.tokens_before)} → {tokens_text(event.tokens_after)}, "
                f"{len(event.items)} {'/'.join(actions) or 'changed'}\n"
            )
        return text

    def _cache(self, state: BudgetState) -> Text:
        """Hit rates, dollars saved and written, the fixed part priced, the last miss and its cause."""
        cache, muted = state.cache, self._style("muted")
        width = max(10, self.content_size.width)
        lines = [flow([Text(p) for p in hit_phrases(cache)], width), flow([Text(p) for p in money_phrases(cache)], width)]
        fixed = fixed_phrases(cache)
        if fixed:
            lines.append(flow([Text(p, muted) for p in fixed], width))
        miss = cache.last_miss
        if miss is not None:
            lines.append(flow([Text(f"last miss: {miss_phrase(miss)}", self._style("middle"))], width))
        return Text.assemble(Text("Prompt cache\n", muted), Text("\n").join(lines))

    # --- actions -------------------------------------------------------------------------------

    def selected_item(self) -> dict | None:
        index = self.query_one("#top", OptionList).highlighted
        if index is None or not 0 <= index < len(self._items):
            return None
        return self._items[index]

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        """Enter on an item opens it."""
        message.stop()
        self.action_open()

    def _act_on_result(self, action: str) -> None:
        item = self.selected_item()
        if item is None:
            return
        if item["kind"] in TOOL_KINDS:
            self.notify("Tool definitions go with every call. To leave tools out of this project's next sessions: "
                        "cockpit tools disable NAME (cockpit tools lists them with their calls).", severity="warning")
            return
        if item["kind"] != ACTIONABLE_KIND and not (action == "drop" and item["kind"] == DROPPABLE_KIND):
            self.notify("Only tool results can be truncated; tool results and @path attachments can be dropped.",
                        severity="warning")
            return
        self.post_message(self.ItemAction(action, item["id"], item["kind"]))

    def action_drop(self) -> None:
        self._act_on_result("drop")

    def action_truncate(self) -> None:
        self._act_on_result("truncate")

    def action_open(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.post_message(self.ItemAction("open", item["id"], item["kind"]))

    def action_compact(self) -> None:
        self.post_message(self.ItemAction("compact"))

    def action_help(self) -> None:
        self.app.push_screen(ContextBudgetHelp(help_text(self.state.measured)))


def _same_options(shown: Sequence[Option], new: list[Option]) -> bool:
    """The table would show the same items, drawn the same (set again, the list is rebuilt and repainted)."""
    return len(shown) == len(new) and all(
        a.id == b.id and same_content(a.prompt, b.prompt) for a, b in zip(shown, new))


def _signed(tokens: int) -> str:
    return ("+" if tokens >= 0 else "") + tokens_text(tokens)
