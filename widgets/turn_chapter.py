"""A few consecutive turns in one container: the transcript's own children stay few however long it is.

Every layout pass visits each child of the transcript, and each arrangement of the
transcript (every take of a streamed answer) resolves every child's box again. A chapter
holds at most :data:`CHAPTER_TURNS` turns: their task lines, their :class:`TurnGroup`
and whatever else the transcript added for them (notices, approval prompts, queued
task lines). It is a :class:`TurnGroup` one level up: it takes the margins of its first
and last displayed children (its groups' synced first: innermost first), lays them out
as the transcript would, and is covered whole when it is far out of sight
(``Transcript._cover_far_turns``); inside a chapter that is shown, the groups are
covered or shown one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widget import Widget

from widgets.turn_group import TurnGroup
from widgets.user_message import UserMessage

CHAPTER_TURNS = 5  # turns per chapter: a task line that would be the next one starts a new chapter


def starts_turn(widget: Widget) -> bool:
    """A task line that starts a turn (a queued one does not, until it is sent)."""
    return isinstance(widget, UserMessage) and not widget.queued


def is_full(widgets: Iterable[Widget]) -> bool:
    """A chapter of these children has its turns: another task line starts the next chapter."""
    return sum(map(starts_turn, widgets)) >= CHAPTER_TURNS


class TurnChapter(TurnGroup):
    @property
    def full(self) -> bool:
        return is_full(self.children)

    @property
    def groups(self) -> list[TurnGroup]:
        return [child for child in self.children if isinstance(child, TurnGroup)]

    def sync_margin(self) -> None:
        """The groups' margins first: the chapter takes its edge children's."""
        self.pre_layout(None)
        super().sync_margin()

    def pre_layout(self, layout: Any) -> None:
        for group in self.groups:
            group.sync_margin()
