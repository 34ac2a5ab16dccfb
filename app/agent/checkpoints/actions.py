"""Undo, redo and rewind: files and conversation back to a recorded state, each announced.

:class:`Checkpoints` works on the session's :class:`~app.agent.checkpoints.history.CheckpointHistory`
and its conversation (the agent, or the stored one for ``cockpit undo``). Each action first
plans (:meth:`Checkpoints.undo_plan` …): when files changed outside Cockpit since, it does
nothing unless ``force`` (the TUI asks first; the CLI refuses without ``--force``). Done,
it emits its event (``CheckpointUndone``, ``CheckpointRedone``, ``SessionRewound``) and, when
the conversation changes, a ``MessagesReplaced`` whose last message tells the model what
happened (a short harness note), so the next request knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.agent.checkpoints import files
from app.agent.checkpoints.blobs import BlobStore
from app.agent.checkpoints.history import CheckpointHistory, TurnEntry
from app.agent.checkpoints.recorder import TurnRecorder
from app.agent.collaborators import Emit
from app.agent.events import core as ev
from app.agent.events.checkpoints import (
    BOTH,
    CONVERSATION,
    FILES,
    CheckpointRedone,
    CheckpointUndone,
    Restored,
    SessionRewound,
    file_count,
)

NOTE = "[Cockpit harness] "


class Conversation(Protocol):
    """The messages the model sees (the :class:`~app.agent.loop.Agent` is one)."""

    messages: list[dict[str, Any]]


@dataclass
class StoredConversation:
    """The conversation of a session that is not open (``cockpit undo``): the history's."""

    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Outcome:
    done: bool
    message: str  # what happened, or why nothing did
    plan: files.Plan = field(default_factory=files.Plan)
    changed: list[str] = field(default_factory=list)  # the files written or removed

    @property
    def conflicts(self) -> list[str]:
        return self.plan.conflicts


class Checkpoints:
    def __init__(self, workspace: Path, blobs: BlobStore, emit: Emit, conversation: Conversation,
                 history: CheckpointHistory | None = None) -> None:
        self.root = workspace.resolve()
        self.blobs = blobs
        self.emit = emit
        self.conversation = conversation
        self.history = history if history is not None else CheckpointHistory()
        self.recorder = TurnRecorder(self.root, blobs, emit)
        self.after_change: Callable[[], None] = lambda: None  # the session measures the changed conversation

    # --- plans ---------------------------------------------------------------------

    def undo_plan(self) -> tuple[TurnEntry, files.Plan] | None:
        """The last turn still in the conversation and what undoing it does to files; None: nothing to undo."""
        entry = self.history.last()
        return None if entry is None else (entry, self._plan(files.backwards([entry.applied_changes])))

    def redo_plan(self) -> tuple[TurnEntry, files.Plan] | None:
        entry = self.history.redo_entry
        return None if entry is None else (entry, self._plan(files.forwards(entry.changes)))

    def rewind_plan(self, entry: TurnEntry, mode: str = BOTH) -> files.Plan:
        if mode == CONVERSATION:
            return files.Plan()
        later = [e for e in self.history.entries if e.seq >= entry.seq]  # in the conversation or not
        return self._plan(files.backwards(e.applied_changes for e in reversed(later)))

    def _plan(self, moves: list[files.Move]) -> files.Plan:
        return files.plan(self.root, moves, self.blobs)

    def diff(self) -> str:
        """The session's whole change as one unified diff ("" when it changed no file)."""
        from app.agent.checkpoints.diff import session_diff

        return session_diff(self.history, self.blobs)

    # --- actions ---------------------------------------------------------------------

    def undo(self, *, force: bool = False) -> Outcome:
        done = self._on_turn(self.undo_plan(), "Nothing to undo: no turn in this session's conversation.", force,
                             CheckpointUndone)
        if isinstance(done, Outcome):
            return done
        entry, plan, changed = done
        self._set_messages([*entry.messages_before, _note(
            f"The user undid their last request (turn {entry.turn}, \"{_short(entry.user_text)}\"): it was removed "
            f"from the conversation and {_files_note(changed)}. Do not redo it unless asked.")], "undo")
        return Outcome(True, f"Undid turn {entry.turn}: {_count(changed)} restored.", plan, changed)

    def redo(self, *, force: bool = False) -> Outcome:
        done = self._on_turn(self.redo_plan(), "Nothing to redo: no undo since the last turn.", force, CheckpointRedone)
        if isinstance(done, Outcome):
            return done
        entry, plan, changed = done
        self._set_messages(entry.messages_at_undo or list(self.conversation.messages), "redo")
        return Outcome(True, f"Redid turn {entry.turn}: {_count(changed)} applied again.", plan, changed)

    def rewind(self, entry: TurnEntry, mode: str = BOTH, *, force: bool = False) -> Outcome:
        plan = self.rewind_plan(entry, mode)  # empty for the conversation only
        turns = [e.turn for e in self.history.entries if e.seq >= entry.seq and (e.in_conversation or e.files_applied)]
        changed = self._carry_out(entry, plan, force, SessionRewound, mode=mode, turns=turns)
        if isinstance(changed, Outcome):
            return changed
        if mode == FILES:
            messages = [*self.conversation.messages, _note(
                f"The user put the workspace's files back to their state before turn {entry.turn} "
                f"({_files_note(changed)}); the conversation is unchanged. Read files again before editing them.")]
        else:
            files_said = _files_note(changed) if mode == BOTH else "the files were left as they are now"
            messages = [*entry.messages_before, _note(
                f"The user rewound the conversation to before turn {entry.turn} (\"{_short(entry.user_text)}\"); "
                f"later turns were removed, and {files_said}.")]
        self._set_messages(messages, f"rewind ({mode})")
        return Outcome(True, f"Rewound to before turn {entry.turn} ({mode}): {_count(changed)} restored.", plan,
                       changed)

    def _on_turn(self, planned: tuple[TurnEntry, files.Plan] | None, nothing: str, force: bool,
                 event: type[CheckpointUndone | CheckpointRedone]) -> tuple[TurnEntry, files.Plan, list[str]] | Outcome:
        if planned is None:
            return Outcome(False, nothing)
        entry, plan = planned
        changed = self._carry_out(entry, plan, force, event, checkpoint_id=entry.checkpoint_id)
        return changed if isinstance(changed, Outcome) else (entry, plan, changed)

    def _carry_out(self, entry: TurnEntry, plan: files.Plan, force: bool, event: type[Restored],
                   **fields: Any) -> list[str] | Outcome:
        """The files changed and the event emitted; or, with conflicts and no ``force``, why nothing was done."""
        if plan.conflicts and not force:
            return Outcome(False, f"{_count(plan.conflicts)} changed outside Cockpit since: "
                           + ", ".join(plan.conflicts), plan)
        changed = files.apply(self.root, plan, self.blobs, force=force)
        self.emit(event(turn=entry.turn, turn_seq=entry.seq, files=changed, conflicts=plan.conflicts,
                        skipped=plan.skipped, forced=force, **fields))
        return changed

    def _set_messages(self, messages: list[dict[str, Any]], reason: str) -> None:
        self.conversation.messages = list(messages)
        self.emit(ev.MessagesReplaced(messages=list(messages), reason=reason, compaction=False))
        self.after_change()  # the Context budget shows what the conversation holds now


def _note(text: str) -> dict[str, Any]:
    return {"role": "user", "content": NOTE + text}


def _short(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _count(paths: list[str]) -> str:
    return file_count(len(paths))


def _files_note(changed: list[str]) -> str:
    if not changed:
        return "no file needed restoring"
    shown = ", ".join(changed[:10]) + (" …" if len(changed) > 10 else "")
    return f"its file changes were reverted ({shown})"
