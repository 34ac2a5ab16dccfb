"""The transcript as it was after any event of a recorded session.

The entries come from the one transcript reducer,
:class:`~app.agent.events.transcript_view.TranscriptFold`, that the live transcript and
a resumed session use too. Replay needs the picture at *any* position, in both
directions, so :class:`TranscriptIndex` folds the events once and keeps every version
of every entry (a tool call is requested, then running, then finished). The
transcript at position ``i`` is every entry created at or before event ``i``, each in
its last version at or before ``i`` — two binary searches, no replaying, no copies.
The index can grow (``extend``): a long session is folded in pages, as far as it is read.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from app.agent.events import core as ev
from app.agent.events.transcript_view import Entry, TranscriptFold

__all__ = ["Entry", "TranscriptIndex"]


class TranscriptIndex:
    """Every entry of a session with its versions, built in one pass over the events."""

    def __init__(self, events: Sequence[ev.Event] = ()) -> None:
        self.created: list[int] = []  # event index that created entry k (non-decreasing)
        self._versions: list[list[Entry]] = []  # entry k's versions, oldest first
        self._changed_at: list[list[int]] = []  # the event index of each version
        self.touched: list[int] = []  # event index -> the last entry it created or changed, or -1
        self.latest: list[int] = []  # event index -> the last entry touched at or before it, or -1
        self._fold = TranscriptFold()
        self.extend(events)

    def extend(self, events: Iterable[ev.Event]) -> None:
        """Fold the next events of the session (the index grows; what it answered stays true)."""
        fold = self._fold
        for index, event in enumerate(events, start=len(self.touched)):
            changed = fold.apply(event)
            for k in changed:
                self._record(k, index, fold.entries[k])
            touched = changed[-1] if changed else -1
            self.latest.append(touched if touched >= 0 else (self.latest[-1] if self.latest else -1))
            self.touched.append(touched)  # last: ``len(touched)`` counts the events fully folded

    def _record(self, k: int, index: int, entry: Entry) -> None:
        if k == len(self._versions):  # a new entry
            self.created.append(index)
            self._versions.append([entry])
            self._changed_at.append([index])
        elif self._changed_at[k][-1] == index:  # changed twice by one event: keep the last
            self._versions[k][-1] = entry
        else:
            self._versions[k].append(entry)
            self._changed_at[k].append(index)

    def __len__(self) -> int:
        return len(self.created)

    def count_at(self, position: int) -> int:
        """How many entries exist once event ``position`` has happened."""
        return bisect.bisect_right(self.created, position)

    def at(self, position: int, last: int | None = None) -> list[Entry]:
        """The transcript after event ``position`` (only its ``last`` entries if given)."""
        count = self.count_at(position)
        first = 0 if last is None else max(0, count - last)
        return [self._version_at(k, position) for k in range(first, count)]

    def latest_at(self, position: int) -> int | None:
        """The creating event of the entry most recently created or changed at ``position``
        (what the screen highlights: where the action is), or None before any entry."""
        if not 0 <= position < len(self.latest) or self.latest[position] < 0:
            return None
        return self.created[self.latest[position]]

    def _version_at(self, k: int, position: int) -> Entry:
        return self._versions[k][bisect.bisect_right(self._changed_at[k], position) - 1]
