"""Events of checkpoints: what a turn changed in the workspace, and its undo, redo and rewind.

A turn that changes files ends with one :class:`CheckpointRecorded`: for each file, its
sha256 before the turn's first change and after the turn (``None``: the file did not
exist), with the content of both kept as blobs in the store. :class:`CheckpointUndone`,
:class:`CheckpointRedone` and :class:`SessionRewound` say what was put back, which files
had changed outside Cockpit since (``conflicts``) and whether the user chose to
overwrite them (``forced``). The transcript fold shows one line for each (:func:`line`).

A file's change is a plain dict (``FileChange.as_dict``), so the events round-trip as
they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.agent.events.core import Event

CREATED = "created"
MODIFIED = "modified"
DELETED = "deleted"
UNKNOWN = "unknown"  # a file's hash before, when its content was overwritten before it could be read

FILES = "files"
CONVERSATION = "conversation"
BOTH = "both"
MODES = (BOTH, FILES, CONVERSATION)


@dataclass(frozen=True)
class FileChange:
    """One file a turn changed: its hash before (``None``: absent) and after (``None``: deleted).

    ``restorable`` is False when the content before is not kept (a bash command changed a
    file Cockpit had not seen, too large, or holding a secret): undo cannot put it back."""

    path: str  # relative to the workspace, "/"-separated
    before: str | None
    after: str | None
    restorable: bool = True
    by: str = "tool"  # tool | command: a file tool wrote it, or a scan found a command changed it

    @property
    def kind(self) -> str:
        return CREATED if self.before is None else DELETED if self.after is None else MODIFIED

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after, "restorable": self.restorable,
                "by": self.by}

    @classmethod
    def of(cls, data: dict[str, Any]) -> FileChange:
        return cls(path=str(data["path"]), before=data.get("before"), after=data.get("after"),
                   restorable=bool(data.get("restorable", True)), by=str(data.get("by", "tool")))


def changes_of(files: list[dict[str, Any]]) -> list[FileChange]:
    return [FileChange.of(f) for f in files]


@dataclass(kw_only=True)
class CheckpointRecorded(Event):
    """The files turn ``turn`` changed (``checkpoint_id`` names it in undo, redo and rewind)."""

    type: ClassVar[str] = "checkpoint_recorded"
    checkpoint_id: str = ""
    turn: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class Restored(Event):
    """What undo, redo and rewind share: ``files`` written or removed, ``conflicts`` the files changed
    outside Cockpit since (overwritten only when ``forced``), ``skipped`` those whose content was not kept."""

    turn: int = 0
    turn_seq: int = 0  # the seq of the turn's TurnStarted: names the turn even when numbers repeat
    files: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    forced: bool = False


@dataclass(kw_only=True)
class CheckpointUndone(Restored):
    """The last turn undone: its files back as they were before it, the turn out of the conversation."""

    type: ClassVar[str] = "checkpoint_undone"
    checkpoint_id: str = ""  # "" when the turn changed no file


@dataclass(kw_only=True)
class CheckpointRedone(Restored):
    """The turn undone last, applied again: its files as it left them, the conversation back."""

    type: ClassVar[str] = "checkpoint_redone"
    checkpoint_id: str = ""


@dataclass(kw_only=True)
class SessionRewound(Restored):
    """Files, conversation or both (``mode``) put back to the state before turn ``turn``."""

    type: ClassVar[str] = "session_rewound"
    mode: str = BOTH
    turns: list[int] = field(default_factory=list)  # the turns undone, oldest first


CHECKPOINT_EVENTS = (CheckpointRecorded, CheckpointUndone, CheckpointRedone, SessionRewound)
CheckpointEvent = CheckpointRecorded | CheckpointUndone | CheckpointRedone | SessionRewound


def file_count(n: int) -> str:
    """``1 file``, ``3 files``."""
    return f"{n} file{'' if n == 1 else 's'}"


def _tail(e: Restored) -> str:
    parts = []
    if e.conflicts:
        parts.append(f"{file_count(len(e.conflicts))} changed outside Cockpit "
                     + ("overwritten" if e.forced else "left as they are") + ": " + ", ".join(e.conflicts))
    if e.skipped:
        parts.append(f"{file_count(len(e.skipped))} not restorable (content not kept): " + ", ".join(e.skipped))
    return "; ".join(parts)


def line(e: CheckpointEvent) -> tuple[str, str, str]:
    """The transcript's line for a checkpoint event: its text, its detail and its level."""
    if isinstance(e, CheckpointRecorded):
        changes = changes_of(e.files)
        counts = {k: sum(1 for c in changes if c.kind == k) for k in (MODIFIED, CREATED, DELETED)}
        what = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        paths = ", ".join(c.path for c in changes[:8]) + (" …" if len(changes) > 8 else "")
        return f"Checkpoint: turn {e.turn} changed {file_count(len(changes))} ({what}) · /undo reverts it", paths, "info"
    if isinstance(e, CheckpointUndone):
        text = f"Undid turn {e.turn}: {file_count(len(e.files))} restored, the turn removed from the conversation"
    elif isinstance(e, CheckpointRedone):
        text = f"Redid turn {e.turn}: {file_count(len(e.files))} applied again, the turn back in the conversation"
    else:
        what = {BOTH: "files and conversation", FILES: "files", CONVERSATION: "conversation"}.get(e.mode, e.mode)
        text = f"Rewound {what} to before turn {e.turn}"
        text += f": {file_count(len(e.files))} restored" if e.mode != CONVERSATION else ""
    tail = _tail(e)
    return text, tail, "warning" if tail else "info"
