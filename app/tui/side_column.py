"""The side column: three slots for the live panes (context budget, retries, feedback).

It folds away by itself on terminals narrower than ``NARROW_COLUMNS`` and comes back
when the terminal is wide again; Ctrl+B toggles it and Alt+←/→ resize it
(:meth:`SideColumn.toggle`, :meth:`SideColumn.resize`).

Each slot is a container with a fixed id (``#pane-context``, ``#pane-retries``,
``#pane-feedback``), a title and a placeholder line until a pane is mounted
into it with :meth:`SideColumn.mount_pane`. A pane that draws its own border and
title (its class has ``FRAMED = True``) replaces the slot's frame instead of
sitting inside it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

NARROW_COLUMNS = 100  # below this the side column collapses by itself
PANES_WIDTH = (24, 38, 80)  # min, default, max
PANES_STEP = 4

SLOTS: dict[str, tuple[str, str]] = {
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
        .pane-placeholder { color: $text-muted; text-style: italic; }
        &.-framed { border: none; padding: 0; }
    }
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
        await self.mount(widget)


class SideColumn(VerticalScroll):
    DEFAULT_CSS = """
    SideColumn {
        width: 38;
        height: 1fr;
        padding: 0 1 0 0;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.width_cells = PANES_WIDTH[1]
        self._narrow: bool | None = None

    def compose(self) -> ComposeResult:
        for slot in SLOTS:
            yield PaneSlot(slot)

    def fit(self, terminal_width: int) -> None:
        """Fold away when the terminal becomes narrow, come back when it becomes wide."""
        narrow = terminal_width < NARROW_COLUMNS
        if narrow != self._narrow:
            self._narrow = narrow
            self.display = not narrow

    def toggle(self) -> None:
        self.display = not self.display

    def resize(self, cells: int) -> None:
        """Wider (``cells`` > 0, showing the column) or narrower, within ``PANES_WIDTH``."""
        if cells > 0:
            self.display = True
        self.width_cells = min(PANES_WIDTH[2], max(PANES_WIDTH[0], self.width_cells + cells))
        self.styles.width = self.width_cells

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
