"""Horizontal bars: one line per entry, its label, a bar as long as its share of the largest value,
and its caption (the figures in words). Drawn for the widget's width, with Rich text only."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

FULL, PARTS = "█", " ▏▎▍▌▋▊▉"  # eighths of a cell


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # what the bar's length shows (≥ 0)
    caption: str  # the figures, as they read


def bar_text(value: float, most: float, cells: int) -> str:
    """``value`` of ``most`` in ``cells`` cells, to an eighth of a cell; a positive value shows at least ▏."""
    if most <= 0 or value <= 0 or cells <= 0:
        return ""
    eighths = max(1, round(8 * cells * min(value, most) / most))
    whole, part = divmod(eighths, 8)
    return FULL * whole + (PARTS[part] if part else "")


class BarChart(Widget):
    """The bars of :attr:`bars`; the labels and captions keep their width, the bars take what is left."""

    DEFAULT_CSS = """
    BarChart { height: auto; }
    BarChart > .bar-chart--bar { color: $accent; }
    BarChart > .bar-chart--caption { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"bar-chart--bar", "bar-chart--caption"}
    LABEL_MAX = 24

    def __init__(self, bars: list[Bar] | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.bars = bars or []

    def show(self, bars: list[Bar]) -> None:
        self.bars = bars
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self.bars))

    def render(self) -> Text:
        if not self.bars:
            return Text("—", style=self.get_component_rich_style("bar-chart--caption"))
        width = self.content_size.width or 80
        label_width = min(self.LABEL_MAX, max(len(b.label) for b in self.bars))
        caption_width = max(len(b.caption) for b in self.bars)
        cells = max(4, width - label_width - caption_width - 3)
        most = max(b.value for b in self.bars)
        bar_style = self.get_component_rich_style("bar-chart--bar")
        caption_style = self.get_component_rich_style("bar-chart--caption")
        lines = []
        for b in self.bars:
            label = b.label if len(b.label) <= label_width else b.label[: label_width - 1] + "…"
            line = Text(label.ljust(label_width) + " ")
            line.append(bar_text(b.value, most, cells).ljust(cells), bar_style)
            line.append(" " + b.caption.rjust(caption_width), caption_style)
            lines.append(line)
        return Text("\n").join(lines)
