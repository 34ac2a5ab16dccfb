"""A session's turns, as its events tell them: what each changed, the conversation before it,
and whether it was undone or rewound since.

:class:`CheckpointHistory` is a fold: live it is a bus subscriber, on resume (and for the
``cockpit undo`` command) it folds the stored events of :data:`FOLDED_TYPES`, so both see
the same turns. A turn is named by the ``seq`` of its ``TurnStarted`` (turn numbers can
repeat once turns were removed from the conversation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.agent.events import core as ev
from app.agent.events.checkpoints import (
    CONVERSATION,
    FILES,
    CheckpointRecorded,
    CheckpointRedone,
    CheckpointUndone,
    FileChange,
    SessionRewound,
    changes_of,
)

FOLDED_TYPES = tuple(cls.type for cls in (ev.TurnStarted, ev.MessageAppended, ev.MessagesReplaced, CheckpointRecorded,
                                          CheckpointUndone, CheckpointRedone, SessionRewound))


@dataclass
class TurnEntry:
    seq: int  # the seq of its TurnStarted
    turn: int
    user_text: str
    messages_before: list[dict[str, Any]]  # the conversation before the turn
    changes: list[FileChange] = field(default_factory=list)
    checkpoint_id: str = ""
    in_conversation: bool = True  # False once undone or rewound away
    files_applied: bool = True  # False once its file changes were reverted
    messages_at_undo: list[dict[str, Any]] | None = None  # what redo puts back

    @property
    def applied_changes(self) -> list[FileChange]:
        return self.changes if self.files_applied else []


class CheckpointHistory:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.entries: list[TurnEntry] = []
        self.redo_entry: TurnEntry | None = None  # the turn undone last, while no turn started since

    @classmethod
    def of(cls, events: list[ev.Event]) -> CheckpointHistory:
        history = cls()
        for event in events:
            history(event)
        return history

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.TurnStarted):
            self.entries.append(TurnEntry(event.seq, event.turn, event.user_text, list(self.messages)))
            self.redo_entry = None
        elif isinstance(event, ev.MessageAppended):
            self.messages[event.index:] = [event.message]
        elif isinstance(event, ev.MessagesReplaced):
            self.messages = list(event.messages)
        elif isinstance(event, CheckpointRecorded):
            entry = next((e for e in reversed(self.entries) if e.turn == event.turn), None)
            if entry is not None:
                entry.changes, entry.checkpoint_id = changes_of(event.files), event.checkpoint_id
        elif isinstance(event, CheckpointUndone):
            self._undone(event)
        elif isinstance(event, CheckpointRedone):
            entry = self.entry(event.turn_seq)
            if entry is not None:
                entry.in_conversation = entry.files_applied = True
            self.redo_entry = None
        elif isinstance(event, SessionRewound):
            for entry in self.entries:
                if entry.seq >= event.turn_seq:
                    entry.files_applied = entry.files_applied and event.mode == CONVERSATION
                    entry.in_conversation = entry.in_conversation and event.mode == FILES
            self.redo_entry = None

    def _undone(self, event: CheckpointUndone) -> None:
        entry = self.entry(event.turn_seq)
        if entry is None:
            return
        entry.messages_at_undo = list(self.messages)
        entry.in_conversation = entry.files_applied = False
        self.redo_entry = entry

    # --- asking ------------------------------------------------------------------------

    def entry(self, seq: int) -> TurnEntry | None:
        return next((e for e in self.entries if e.seq == seq), None)

    def live(self) -> list[TurnEntry]:
        """The turns still in the conversation, oldest first (what /rewind lists)."""
        return [e for e in self.entries if e.in_conversation]

    def last(self) -> TurnEntry | None:
        live = self.live()
        return live[-1] if live else None

    def by_turn(self, turn: int) -> TurnEntry | None:
        """The latest turn numbered ``turn`` still in the conversation."""
        return next((e for e in reversed(self.live()) if e.turn == turn), None)

    def files_changed(self) -> int:
        return len({c.path for e in self.entries for c in e.changes})

