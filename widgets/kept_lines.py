"""A Static for long text that changes a line at a time (a log, newest first): each line is drawn
once and kept, so an update that adds a line draws that line, not the whole text again.

``Static`` draws its whole content at every update (every line wrapped and styled: ≈ 0.14 ms a
line on a slow machine, 14 ms for the Retries pane's 101-line log). :class:`KeptLinesStatic`
draws the same strips (segments, styles and selection offsets as Static's own drawing of the
whole text), line by line from a cache keyed by each line's text and spans and the width. It
draws as Static does whenever that could differ: text that is not a ``Content``, a selection
in progress.
"""

from __future__ import annotations

from textual.content import Content
from textual.strip import Strip
from textual.visual import Visual
from textual.widgets import Static

_KEPT = 4_096  # lines kept; more and the cache starts again


class KeptLinesStatic(Static):
    """``Static``, drawn line by line from strips kept per line (see the module)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._kept: dict[tuple[object, ...], list[tuple[int, Strip]]] = {}  # line key → (its x offset, strip)
        self._rows: list[tuple[int, int, Strip]] = []  # (logical line, x offset, strip) of each row drawn
        self._rows_for: tuple[object, int] | None = None  # the content and the width the rows are for

    def render_line(self, y: int) -> Strip:
        content = self.content
        if not isinstance(content, Content) or self.text_selection is not None:
            return super().render_line(y)
        width = self.size.width
        if self._rows_for is None or self._rows_for[0] is not content or self._rows_for[1] != width:
            self._rows = self._arrange(content, width)
            self._rows_for = (content, width)
        if y >= len(self._rows):
            return Strip.blank(width, self.visual_style.rich_style)
        line, x, strip = self._rows[y]
        return strip.apply_offsets(x, line)

    def notify_style_update(self) -> None:
        self._kept.clear()  # (a theme or CSS change: the lines are drawn again in its colours)
        self._rows_for = None
        super().notify_style_update()

    def _arrange(self, content: Content, width: int) -> list[tuple[int, int, Strip]]:
        rows: list[tuple[int, int, Strip]] = []
        kept = self._kept
        for number, line in enumerate(content.split(allow_blank=True)):  # (as Content draws itself)
            key = (line.plain, tuple(line.spans), width)
            strips = kept.get(key)
            if strips is None:
                if len(kept) > _KEPT:
                    kept.clear()
                strips = kept[key] = [(_x_offset(strip), strip) for strip in
                                      Visual.to_strips(self, line, width, None, self.visual_style)]
            rows.extend((number, x, strip) for x, strip in strips)
        return rows


def _x_offset(strip: Strip) -> int:
    """Where a drawn row starts in its line (the selection offset Textual gave its first segment)."""
    for segment in strip:
        style = segment.style
        if style is not None and style._meta:
            offset = style.meta.get("offset")
            if offset is not None:
                return int(offset[0])
        break
    return 0
