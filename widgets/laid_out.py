"""Widgets whose size only the screen's layout changes: no second layout when it does.

After each layout pass Textual gives every widget its new size and virtual size. The
virtual size is a reactive that asks for a layout when it changes, so a widget that the
pass grew (a streamed answer, its newest block, the containers around them) asks for a
second pass of the whole screen, with the size that pass has just given it: nothing
moves, yet it costs as much as the first (every streamed drain paid two). A widget with
:class:`SizedByLayout` takes the size the pass gave it and asks for nothing; what it
shows still asks for a layout when it changes (``refresh(layout=True)``, a mount, a style).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.widget import Widget

if TYPE_CHECKING:
    from textual.geometry import Size

W = TypeVar("W", bound=type[Widget])


class SizedByLayout:
    """A widget's new size, given by a layout pass, does not ask for another pass. List it first
    (``class Answer(SizedByLayout, Markdown)``); it is not a widget class, so the CSS a widget
    inherits along its first widget base is unchanged."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]


_CLASSES: dict[type[Widget], type[Widget]] = {}


def sized_by_layout(cls: W) -> W:
    """``cls`` with :class:`SizedByLayout`, under the same name (the same CSS rules apply to it)."""
    sized = _CLASSES.get(cls)
    if sized is None:
        sized = _CLASSES[cls] = type(cls.__name__, (SizedByLayout, cls), {"__module__": cls.__module__})
    return sized  # type: ignore[return-value]
