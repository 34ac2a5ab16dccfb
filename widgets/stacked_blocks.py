"""A column of blocks arranged again from the last block that did not change, not from the top.

Textual arranges every child of a container again whenever one of them changes. A
streamed answer changes at its end only (its last block grows, new ones follow), yet
each frame arranged all of its blocks (~150 for a 10,000-token answer). When the column
is plain (Textual's vertical layout, aligned top-left, blocks with their own heights, no
horizontal margins, nothing docked, split, layered, offset or positioned), a block's
place depends only on the blocks above it: the placements of the blocks that did not
change are kept, and Textual's layout arranges the rest, from the last unchanged block
(so its bottom margin collapses with the next top margin as Textual collapses them),
moved down to where that block was. The arrangement's extent is kept the same way, block by
block, instead of being measured over every block again (``total_region``). A parent that
changes its placements (``process_layout``: a turn's group moves its blocks to its top edge)
has them changed after each arrangement, as Textual's ``arrange`` does, and its extent is
measured over them.

:class:`OwnHeights` tells when this holds for a parent: Textual caches each block's box
model by the size of the container it was measured in, and a column's own height grows
with its blocks: arranged against it, every block of the column is measured again each
time one of them grows. Auto and fixed heights come out the same against any container
height, so such a column is arranged against a height of 0 and only the block that changed
is measured again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.css.scalar import Unit
from textual.geometry import NULL_SPACING, Offset, Region, Size
from textual.layout import DockArrangeResult, WidgetPlacement
from textual.layouts.vertical import VerticalLayout
from textual.widget import Widget

_OUT_OF_FLOW = ("dock", "split", "layer", "position", "overlay", "offset")
_OWN_HEIGHTS = frozenset({Unit.CELLS, Unit.AUTO})  # heights that do not depend on the container's


def plain_column(parent: Widget, children: Sequence[Widget]) -> bool:
    """Whether a block's place in ``parent`` depends only on the blocks above it (see the module docstring;
    the heights are checked by the caller)."""
    styles = parent.styles
    return (
        isinstance(parent.layout, VerticalLayout)
        and styles.align_horizontal == "left" and styles.align_vertical == "top"
        and all(_in_flow(child) for child in children)
    )


def _in_flow(child: Widget) -> bool:
    styles = child.styles
    margin = styles.margin
    return not margin.left and not margin.right and not any(map(styles.has_rule, _OUT_OF_FLOW))


def own_height(widget: Widget) -> bool:
    styles = widget.styles
    return all(
        scalar is None or scalar.unit in _OWN_HEIGHTS
        for scalar in (styles.height, styles.min_height, styles.max_height)
    )


class OwnHeights:
    """Whether no displayed child of a parent has a height that depends on the parent's, in a plain column
    (:func:`plain_column`); checked again only when its children or any of their styles changed
    (Textual's own counters, as ``Widget.arrange`` keys its cache), not at every arrangement."""

    def __init__(self) -> None:
        self._key: tuple[int, int, int] | None = None
        self._own = False

    def __call__(self, parent: Widget) -> bool:
        children = parent.displayed_children
        key = (parent._nodes._updates, parent.styles._cache_key, sum(child.styles._cache_key for child in children))
        if key != self._key:
            self._key = key
            self._own = all(map(own_height, children)) and plain_column(parent, children)
        return self._own


@dataclass
class _Arranged:
    size: Size
    optimal: bool
    keys: list[tuple[Any, ...]]  # each block, with Textual's counters of its layout and style changes
    placements: list[WidgetPlacement]
    extents: list[Region]  # the area the blocks up to each one cover, margins included


@dataclass
class _Stacked(DockArrangeResult):
    """Textual's arrangement, with its extent given (Textual's measures it over every block)."""

    extent: Region = field(default_factory=Region)

    @property
    def total_region(self) -> Region:
        return self.extent  # no scroll spacing: nothing is docked


def _extents(placements: list[WidgetPlacement], start: Region) -> list[Region]:
    """As Textual's spatial map adds them up: from an empty region at the origin."""
    extents, extent = [], start
    for placement in placements:
        extent = extent.union(placement.region.grow(placement.margin))
        extents.append(extent)
    return extents


class StackedBlocks:
    """The last arrangement of one plain column of blocks, and the next one built from it."""

    def __init__(self) -> None:
        self._last: _Arranged | None = None

    def arrange_cached(self, parent: Widget, size: Size, optimal: bool) -> DockArrangeResult:
        """The arrangement against a height of 0, from ``parent``'s own cache (keyed as ``Widget.arrange``
        keys it) when its blocks did not change since."""
        size = Size(size.width, 0)
        key = (size, parent._nodes._updates, optimal)
        arranged = parent._arrangement_cache.get(key)
        if arranged is None:
            arranged = parent._arrangement_cache[key] = self.arrange(parent, size, optimal)
        return arranged

    def arrange(self, parent: Widget, size: Size, optimal: bool) -> DockArrangeResult:
        children = list(parent.displayed_children)
        keys = [(child, child._layout_updates, child.styles._cache_key) for child in children]
        last, start = self._last, 0
        if last is not None and last.size == size and last.optimal == optimal:
            for old, new in zip(last.keys, keys):
                if old != new:
                    break
                start += 1
            start -= 1  # from the last unchanged block
        if last is not None and start >= 1:
            tail = parent.layout.arrange(parent, children[start:], size, greedy=not optimal)
            shift = last.placements[start].region.y - tail[0].region.y
            tail = WidgetPlacement.translate(tail, Offset(0, shift))
            placements = last.placements[:start] + tail
            extents = last.extents[:start] + _extents(tail, last.extents[start - 1])
        else:  # what Textual's ``arrange`` asks of the layout for a plain column
            placements = parent.layout.arrange(parent, children, size, greedy=not optimal)
            extents = _extents(placements, Region())
        self._last = _Arranged(size, optimal, keys, placements, extents)
        extent = extents[-1] if extents else Region()
        if type(parent).process_layout is not Widget.process_layout:  # as Textual's ``arrange`` does
            placements = parent.process_layout(placements)
            extent = _extents(placements, Region())[-1] if placements else Region()
        return _Stacked(placements, set(children), NULL_SPACING, extent=extent)
