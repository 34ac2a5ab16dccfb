"""Putting files back to a recorded state, and refusing where they changed since.

A plan compares each file's hash now with the one the session left there (after the last
turn undone, or before the turn redone). A file that differs changed outside Cockpit
(the user, another session, a tool that ran meanwhile): it is a conflict, and it is only
overwritten when the caller says ``force`` (after asking the user). Files whose content
was not kept are skipped, and said so. Only the paths of the session's own checkpoints
are ever touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.agent.checkpoints.blobs import BlobStore, digest
from app.agent.events.checkpoints import UNKNOWN, FileChange
from app.agent.tools.atomic import write_bytes_atomically
from app.agent.tools.stop import Stop


@dataclass(frozen=True)
class Move:
    """One file to bring from ``expected`` (what the session left) to ``target`` (None: absent)."""

    path: str
    expected: str | None
    target: str | None
    restorable: bool


@dataclass
class Plan:
    moves: list[Move] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # changed outside Cockpit since
    skipped: list[str] = field(default_factory=list)  # content not kept: cannot be put back

    @property
    def paths(self) -> list[str]:
        return [m.path for m in self.moves if m.path not in self.skipped]


def backwards(changes_newest_first: Iterable[list[FileChange]]) -> list[Move]:
    """The moves that undo turns' changes, given newest first: each file to its state before
    the oldest of them, expected as the newest left it."""
    moves: dict[str, Move] = {}
    for changes in changes_newest_first:
        for c in changes:
            newest = moves.get(c.path)
            expected = newest.expected if newest is not None else c.after
            restorable = c.restorable and (newest.restorable if newest is not None else True)
            moves[c.path] = Move(c.path, expected, c.before, restorable)
    return sorted(moves.values(), key=lambda m: m.path)


def forwards(changes: list[FileChange]) -> list[Move]:
    """The moves that apply a turn's changes again (after an undo)."""
    return [Move(c.path, c.before, c.after, True) for c in changes]


def current_hash(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError:
        return UNKNOWN


def plan(root: Path, moves: list[Move], blobs: BlobStore) -> Plan:
    result = Plan(moves=moves)
    for move in moves:
        if (not move.restorable or move.target == UNKNOWN or not _inside(root, move.path)
                or (move.target is not None and blobs.get(move.target) is None)):
            result.skipped.append(move.path)
        elif current_hash(root / move.path) not in (move.expected, move.target):
            result.conflicts.append(move.path)
    return result


def _inside(root: Path, rel: str) -> bool:
    """Never outside the workspace, whatever a stored path says (``..``, an absolute path, a symlinked folder)."""
    try:
        (root / rel).resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def apply(root: Path, planned: Plan, blobs: BlobStore, *, force: bool) -> list[str]:
    """Carry the plan out (conflicts only when ``force``); the paths changed."""
    done = []
    for move in planned.moves:
        if move.path in planned.skipped or (move.path in planned.conflicts and not force):
            continue
        path = root / move.path
        if current_hash(path) == move.target:
            continue
        if move.target is None:
            path.unlink(missing_ok=True)
        else:
            data = blobs.get(move.target)
            assert data is not None  # plan() skipped the missing ones
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                os.unlink(path)
            write_bytes_atomically(path, data, Stop())
        done.append(move.path)
    return done
