"""One turn's blocks after its task, in one container, laid out as if they were the transcript's own.

Textual lays the whole screen out on every layout pass (a streamed answer asks for
several a second): each displayed widget is visited, and the transcript arranges
every child of its own again. In a group, a turn's blocks are one child of the
transcript (the group's arrangement is cached while none of its blocks changes), and
a group far from the view can be covered (:meth:`TurnGroup.cover`): a layout pass
then visits the group, not its blocks. Groups sit in chapters of a few turns
(:class:`widgets.turn_chapter.TurnChapter`, a TurnGroup one level up, covered whole
the same way). The transcript covers only chapters and groups out of sight by at least
a screen's height and uncovers them as they come near (``Transcript._cover_far_turns``);
Tab passes a covered one by, a block focused otherwise (a click, a search) shows its
chapter and group again.

Spacing is the same as without the group: the group takes its first block's top
margin and its last block's bottom margin (so they collapse with its neighbours'
as the blocks' own did), lays its blocks out from its top edge and ends at its last
block's bottom edge.
"""

from __future__ import annotations

from textual.geometry import Offset, Size, Spacing
from textual.layout import DockArrangeResult, WidgetPlacement
from textual.widget import Widget

from widgets.laid_out import SizedByLayout
from widgets.stacked_blocks import OwnHeights, StackedBlocks


_NOTHING_PLACED = DockArrangeResult([], set(), Spacing())


class TurnGroup(SizedByLayout, Widget):  # see widgets.laid_out
    DEFAULT_CSS = """
    TurnGroup {
        height: auto;
        layout: vertical;
    }
    """

    BLANK = True  # no border, no content of its own: each paint gives its lines as one blank strip, not line by line
    _measuring = False  # in get_content_height: arrange gives the blocks' arrangement, covered or not

    def __init__(self, *children: Widget, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(*children, id=id, classes=classes)
        self._own_heights = OwnHeights()
        self._blocks = StackedBlocks()

    def sync_margin(self) -> None:
        """Take the edge margins of the first and last displayed blocks (before the transcript's layout)."""
        shown = self.displayed_children
        top = shown[0].styles.margin.top if shown else 0
        bottom = shown[-1].styles.margin.bottom if shown else 0
        if self.styles.margin != (top, 0, bottom, 0):
            self.styles.margin = (top, 0, bottom, 0)

    def process_layout(self, placements: list[WidgetPlacement]) -> list[WidgetPlacement]:
        """The edge blocks' outer margins are the group's own (``sync_margin``): the blocks start at
        its top edge, and its height (its arrangement's extent, margins included) ends at the last one's."""
        if not placements:
            return placements
        first = placements[0]
        placements = list(WidgetPlacement.translate(placements, Offset(0, -first.margin.top)))
        placements[0] = placements[0]._replace(margin=first.margin._replace(top=0))
        placements[-1] = placements[-1]._replace(margin=placements[-1].margin._replace(bottom=0))
        return placements

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        """Covered: nothing to place (a layout pass places the cover, and would still go through every
        block's placement); measured for its height (``get_content_height``), its blocks' real arrangement.

        When no block's height depends on the group's, the blocks are arranged against a height of 0,
        and from the last one that did not change (:mod:`widgets.stacked_blocks`): the measuring and the
        placing of a layout pass share one arrangement, and a block that did not change is not
        measured again because the group grew (a streamed answer grows it at every take)."""
        if self._cover_widget is not None and not self._measuring:
            return _NOTHING_PLACED
        if not self._own_heights(self):
            return super().arrange(size, optimal)
        return self._blocks.arrange_cached(self, size, optimal)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._measuring = True
        try:
            return super().get_content_height(container, viewport, width)
        finally:
            self._measuring = False

    @property
    def covered(self) -> bool:
        return self._cover_widget is not None

    def cover(self) -> None:
        """Out of sight: a layout pass places a blank widget here instead of visiting every block."""
        if self._cover_widget is None and self.is_mounted:
            self._cover(Widget())

    def uncover(self) -> None:
        self._uncover()

    def allow_focus_children(self) -> bool:
        """Tab passes a covered group by (its blocks have no place on the screen to sort them by)."""
        return not self.covered and super().allow_focus_children()

    def on_unmount(self) -> None:
        self._uncover()
