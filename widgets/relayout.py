"""Repaint a changed widget, and lay the screen out again only when its height changed; lay
phrases out on lines without breaking one (:func:`flow`).

Textual's layout pass arranges the whole screen (every transcript block
included). ``Static.update`` asks for one each time, yet most pane updates change
the text, not the number of lines: redrawing those in place keeps a replay step
or a live pane update to one repaint. And a pane redrawn after an event that did not
change it (each streamed fragment reaches every pane) shows the same content again:
that is no repaint at all (:func:`same_content`), so a frame of a streamed answer
composes the transcript, not the side column too.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
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
    """``Static.update`` that lays the screen out again only when the height changes, and does
    nothing when the widget shows ``content`` already."""
    if widget.is_mounted and same_content(widget.content, content):
        return
    widget.update(content, layout=False)
    refresh_keeping_layout(widget)


def same_content(shown: object, new: object) -> bool:
    """``new`` draws exactly what ``shown`` draws: the same text with the same styles (Rich's ``==``
    leaves a Text's own style out, Textual's compares the text only). Anything else (a renderable)
    counts as changed."""
    if type(shown) is not type(new):
        return False
    if isinstance(shown, str):
        return shown == new
    if isinstance(shown, Text) and isinstance(new, Text):
        return _text_key(shown) == _text_key(new)
    if isinstance(shown, Content) and isinstance(new, Content):
        return shown.plain == new.plain and shown.spans == new.spans
    return False


def _text_key(text: Text) -> tuple[object, ...]:
    return (text.plain, text.spans, text.style, text.justify, text.overflow, text.no_wrap, text.end, text.tab_size)


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
