"""Repaint a changed widget, and lay the screen out again only when its height changed.

Textual's layout pass arranges the whole screen (every transcript block
included). ``Static.update`` asks for one each time, yet most pane updates change
the text, not the number of lines: redrawing those in place keeps a replay step
or a live pane update to one repaint.
"""

from __future__ import annotations

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
