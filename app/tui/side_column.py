"""The side column: slots for the live panes (context budget, retries, feedback; a todo list once there is one).

It folds away by itself on terminals narrower than ``NARROW_COLUMNS`` and comes back
when the terminal is wide again; Ctrl+B toggles it and Alt+←/→ resize it
(:meth:`SideColumn.toggle`, :meth:`SideColumn.resize`). Its width follows the
terminal (:func:`default_width`: wide enough that the panes' own lines do not
wrap) until the user resizes it. The three slots share the height (the budget
and the retries scroll inside theirs), so every pane's title is on screen.
:meth:`SideColumn.focus_pane` brings a pane's list into focus (showing the column).

Each slot is a container with a fixed id (``#pane-context``, ``#pane-retries``,
``#pane-feedback``), a title and a placeholder line until a pane is mounted
into it with :meth:`SideColumn.mount_pane`. A pane that draws its own border and
title (its class has ``FRAMED = True``) replaces the slot's frame instead of
sitting inside it.

While a pane has the focus, its slot's bottom border says how to get back to the
prompt. Typing there goes to the prompt (:class:`SideColumn.Typed`, the app inserts
it): a printable key that is none of the pane's bindings, and any printable key
pressed in a burst (within ``BURST_S`` of the previous one), so ``!git status``
typed into the focused budget list neither truncates nor opens nor drops.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

NARROW_COLUMNS = 100  # below this the side column collapses by itself
PANES_WIDTH = (24, 42, 80)  # min, default, max
WIDE_COLUMNS = 140  # from this terminal width on, the default is WIDE_PANES_WIDTH
WIDE_PANES_WIDTH = 48
PANES_STEP = 4


BURST_S = 0.25  # a printable key this soon after the previous one is typing, not a pane's key
BACK_TO_PROMPT = ("focus-prompt", "interrupt")  # the app's keys that lead back to the prompt (app/tui/keys.py)
NARROW_PANES_WIDTH = 34  # a replay below NARROW_COLUMNS keeps its panes (they are what it replays), this narrow


def replay_width(terminal_width: int) -> int:
    """The replay's side column: the main screen's width, and narrow (not folded) on a narrow terminal."""
    return NARROW_PANES_WIDTH if terminal_width < NARROW_COLUMNS else default_width(terminal_width)


def default_width(terminal_width: int) -> int:
    """The column's width before the user resizes it: the panes' lines fit at 42 cells (38 inside a
    pane's frame); wide terminals give them more."""
    return WIDE_PANES_WIDTH if terminal_width >= WIDE_COLUMNS else PANES_WIDTH[1]

SLOTS: dict[str, tuple[str, str]] = {
    "todos": ("Todo", ""),  # shown only once the model keeps a todo list (widgets/todo_pane.py)
    "context": ("Context budget", "waiting for the first model call"),
    "retries": ("Retries", "no retries yet"),
    "feedback": ("Feedback", "asked after a task, now and then"),
}


class PaneSlot(Vertical):
    DEFAULT_CSS = """
    PaneSlot {
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-accent;
        padding: 0 1;
        margin: 0 0 1 0;
        scrollbar-size-vertical: 1;
        .pane-placeholder { color: $text-muted; text-style: italic; }
        &.-framed { border: none; padding: 0; }
    }
    /* Once they hold panes, the slots share the height: the budget and the retries scroll inside theirs. */
    PaneSlot#pane-context.-filled { height: 3fr; min-height: 8; overflow-y: auto; }
    PaneSlot#pane-retries.-filled { height: 2fr; min-height: 7; }
    PaneSlot#pane-feedback.-filled { height: auto; max-height: 12; overflow-y: auto; margin: 0; }
    PaneSlot#pane-todos { display: none; margin: 0; }
    PaneSlot#pane-todos.-filled { display: block; height: auto; }
    """

    def __init__(self, slot: str) -> None:
        title, placeholder = SLOTS[slot]
        super().__init__(id=f"pane-{slot}")
        self.slot = slot
        self.border_title = title
        self.placeholder = placeholder
        self.pane: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.placeholder, classes="pane-placeholder")

    async def set_pane(self, widget: Widget) -> None:
        """Replace the placeholder (or the previous pane) with ``widget``."""
        await self.remove_children()
        self.pane = widget
        self.set_class(getattr(widget, "FRAMED", False), "-framed")
        self.add_class("-filled")
        await self.mount(widget)


class SideColumn(VerticalScroll):
    DEFAULT_CSS = """
    SideColumn {
        width: 42;
        height: 1fr;
        padding: 0 1 0 0;
        scrollbar-size-vertical: 1;
    }
    """

    class Typed(Message):
        """Keys typed while a pane had the focus, for the prompt."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.width_cells = PANES_WIDTH[1]
        self.resized = False  # by the user: the width no longer follows the terminal
        self._narrow: bool | None = None
        self.last_key_at = float("-inf")  # when the previous printable key came (its event time)

    def on_key(self, event: events.Key) -> None:
        """Before the app's bindings see it (they are checked once the key reaches the app)."""
        if not event.is_printable or not event.character:
            return
        burst = event.time - self.last_key_at < BURST_S
        self.last_key_at = event.time
        if burst or event.key not in self.app.active_bindings:
            event.stop()
            event.prevent_default()
            self.post_message(self.Typed(event.character))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        for slot in self.query(PaneSlot):
            slot.border_subtitle = self._back_hint() if slot in event.widget.ancestors_with_self else ""

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        for slot in self.query(PaneSlot):
            slot.border_subtitle = ""

    def _back_hint(self) -> str:
        """``^g / esc: back to the prompt``, with the keys as bound now."""
        keys = {active.binding.id: self.app.get_key_display(active.binding) for active in self.app.active_bindings.values()}
        shown = [keys[binding_id] for binding_id in BACK_TO_PROMPT if binding_id in keys]
        return f"{' / '.join(shown)}: back to the prompt" if shown else ""

    def compose(self) -> ComposeResult:
        for slot in SLOTS:
            yield PaneSlot(slot)

    def fit(self, terminal_width: int) -> None:
        """Fold away when the terminal becomes narrow, come back when it becomes wide."""
        narrow = terminal_width < NARROW_COLUMNS
        if narrow != self._narrow:
            self._narrow = narrow
            self.display = not narrow
        if not self.resized and self.width_cells != default_width(terminal_width):
            self.width_cells = default_width(terminal_width)
            self.styles.width = self.width_cells

    def toggle(self) -> None:
        self.display = not self.display

    def resize(self, cells: int) -> None:
        """Wider (``cells`` > 0, showing the column) or narrower, within ``PANES_WIDTH``."""
        if cells > 0:
            self.display = True
        self.resized = True
        self.width_cells = min(PANES_WIDTH[2], max(PANES_WIDTH[0], self.width_cells + cells))
        self.styles.width = self.width_cells

    def focus_pane(self, slot: str) -> bool:
        """Focus the first focusable widget of the pane in ``slot`` (showing the column); False if it has none."""
        target = next((w for w in self.slot(slot).query("*") if w.can_focus and not w.disabled), None)
        if target is None:
            return False
        self.display = True
        self.call_after_refresh(target.focus)  # once shown: a hidden widget takes no focus
        return True

    def has_focus_in(self, slot: str) -> bool:
        focused = self.screen.focused
        return focused is not None and self.slot(slot) in focused.ancestors_with_self

    def slot(self, name: str) -> PaneSlot:
        name = name.removeprefix("#").removeprefix("pane-")
        if name not in SLOTS:
            raise ValueError(f"unknown pane slot {name!r}; slots are {', '.join(SLOTS)}")
        return self.query_one(f"#pane-{name}", PaneSlot)

    async def mount_pane(self, slot: str, widget: Widget) -> None:
        await self.slot(slot).set_pane(widget)

    @property
    def panes(self) -> list[Widget]:
        return [s.pane for s in self.query(PaneSlot) if s.pane is not None]
