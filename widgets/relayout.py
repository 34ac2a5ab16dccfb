"""Repaint a changed widget, and lay the screen out again only when its height changed; lay
phrases out on lines without breaking one (:func:`flow`).

Textual's layout pass arranges the whole screen (every transcript block
included). ``Static.update`` asks for one each time, yet most pane updates change
the text, not the number of lines: redrawing those in place keeps a replay step
or a live pane update to one repaint.
"""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Static


def refresh_keeping_layout(widget: Widget) -> None:
    """``widget`` (not a container) shows new content: repaint it, with a layout pass only
    if the content no longer has the height it was laid out with."""
    widget.refresh()
    if not widget.is_mounted or not widget.size.width:
        widget.refresh(layout=True)
        return
    height = widget.styles.height
    if height is not None and not height.is_auto:
        return  # its height does not depend on its content
    needed = widget.get_content_height(widget.size, widget.app.size, widget.content_size.width)
    if needed != widget.content_size.height:
        widget.refresh(layout=True)


def update_static(widget: Static, content: VisualType) -> None:
    """``Static.update`` that lays the screen out again only when the height changes."""
    widget.update(content, layout=False)
    refresh_keeping_layout(widget)


def flow(phrases: list[Text], width: int, separator: str = " · ") -> Text:
    """``phrases`` joined by ``separator`` on as few lines of ``width`` cells as they need, a phrase
    never broken across lines (one longer than ``width`` still wraps where the widget wraps it)."""
    out, column = Text(), 0
    for index, phrase in enumerate(phrases):
        if index and column + len(separator) + phrase.cell_len > width:
            out.append("\n")
            column = 0
        elif index:
            out.append(separator)
            column += len(separator)
        out.append_text(phrase)
        column += phrase.cell_len
    return out
