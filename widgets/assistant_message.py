"""What the model answered: one Markdown widget per model call, streamed.

Importing this module loads the Markdown parser; the transcript imports it on
the first answer, so the first frame does not wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from markdown_it import MarkdownIt
from textual.geometry import Size
from textual.layout import DockArrangeResult
from textual.widget import AwaitMount, Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock, MarkdownStream

from widgets.laid_out import SizedByLayout, sized_by_layout
from widgets.stacked_blocks import OwnHeights, StackedBlocks

_parsers = threading.local()


def _gfm_parser() -> MarkdownIt:
    """Textual's parser (``gfm-like``), one a thread for every answer: Textual builds a new one for every
    ``update`` (on its executor's threads) and every streamed ``append`` (on the UI thread), ~0.3 ms and
    ~200 KB each (its link finder's patterns); a resumed transcript's answers held one each while they
    were parsed. A parser keeps nothing of a document between two parses."""
    parser: MarkdownIt | None = getattr(_parsers, "gfm", None)
    if parser is None:
        parser = _parsers.gfm = MarkdownIt("gfm-like")
    return parser


class AssistantMessage(SizedByLayout, Markdown):
    """One model call's answer, streamed through ``Markdown.get_stream``; it and its blocks are
    :class:`~widgets.laid_out.SizedByLayout` (the answer grows on every drain)."""

    DEFAULT_CSS = """
    AssistantMessage {
        margin: 0;
        padding: 0 1;
        background: transparent;
        &.-failed { color: $text-muted; text-style: italic; }
    }
    """

    BLANK = True  # its blocks draw the text; it has no border: each paint gives its own lines as one blank strip

    def __init__(self, markdown: str = "", *, call_id: str = "") -> None:
        super().__init__(markdown, parser_factory=_gfm_parser)
        self.call_id = call_id
        self.text = markdown
        self._stream: MarkdownStream | None = None
        self._own_heights = OwnHeights()
        self._blocks = StackedBlocks()

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        """The blocks, arranged against a height of 0 when none of their heights depends on it.

        Textual caches each block's box model by the size of the container it was measured
        in, and an answer's own height grows with every streamed line: measured against it,
        every block of the answer was measured again on every frame (a 10,000-token answer
        has ~150 blocks: most of a frame's layout). Auto and fixed heights come out the
        same against any container height, so measured against 0 only the block that
        changed is measured again; and only the blocks from the last unchanged one are arranged
        again (:mod:`widgets.stacked_blocks`)."""
        if not self._heights_own():
            return super().arrange(size, optimal)
        return self._blocks.arrange_cached(self, size, optimal)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As Textual's (the height of the blocks' arrangement), without its check of every
        block's height on every frame when the blocks' heights are their own."""
        if self._heights_own():
            return self.arrange(Size(width, 0)).total_region.height if width else 0
        return super().get_content_height(container, viewport, width)

    def _heights_own(self) -> bool:
        """No displayed block's height depends on the container's, in a plain column
        (:class:`~widgets.stacked_blocks.OwnHeights`)."""
        return self._own_heights(self)

    def get_block_class(self, block_name: str) -> type[MarkdownBlock]:
        return sized_by_layout(super().get_block_class(block_name))

    def mount_all(self, widgets: Iterable[Widget], *, before: int | str | Widget | None = None,
                  after: int | str | Widget | None = None) -> AwaitMount:
        """Textual's, for blocks built before they are mounted: their content was set then, which
        marks each for a layout of its own; the mount lays the answer out with them, and that mark,
        seen only once each block's message loop is idle (after the screen's next layout), asked
        for a second layout of the whole screen that changed nothing (every streamed drain paid
        two: ~40% of a frame's time)."""
        widgets = list(widgets)
        for widget in widgets:
            if not widget.is_mounted:
                widget._layout_required = False
        return super().mount_all(widgets, before=before, after=after)

    async def write(self, fragment: str) -> None:
        """Append streamed text (fragments arriving faster than rendering are merged)."""
        if not fragment:
            return
        self.text += fragment
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        await self._stream.write(fragment)

    async def end(self, *, failed: bool = False) -> None:
        """The call is over: flush what is pending and stop the stream."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
        self.set_class(failed, "-failed")

