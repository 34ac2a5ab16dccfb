"""The session's whole change as one unified diff, from its checkpoints (no git needed).

Each file the session's turns changed (and that no undo or rewind put back), from its content
before the first of those turns to what the last one left; text files as unified diffs, binary
files and files whose content was not kept as a one-line note.
"""

from __future__ import annotations

import difflib

from app.agent.checkpoints.blobs import BlobStore
from app.agent.checkpoints.files import backwards
from app.agent.checkpoints.history import CheckpointHistory
from app.agent.events.checkpoints import UNKNOWN


def session_diff(history: CheckpointHistory, blobs: BlobStore) -> str:
    """The diff ("" when the session changed no file)."""
    moves = backwards(e.applied_changes for e in reversed(history.entries))
    parts = []
    for move in moves:  # target: the state before; expected: the state the session left
        if move.target == move.expected:
            continue
        parts.append(_file_diff(move.path, _content(blobs, move.target), _content(blobs, move.expected)))
    return "".join(parts)


def _content(blobs: BlobStore, sha: str | None) -> bytes | None | str:
    """The bytes, None when absent, or UNKNOWN when not kept."""
    if sha is None:
        return None
    if sha == UNKNOWN:
        return UNKNOWN
    data = blobs.get(sha)
    return UNKNOWN if data is None else data


def _file_diff(path: str, before: bytes | None | str, after: bytes | None | str) -> str:
    if isinstance(before, str) or isinstance(after, str):
        return f"--- a/{path}\n+++ b/{path}\n# content not kept: no diff\n"
    old, new = _text(before), _text(after)
    if old is None or new is None:
        return f"Binary file {path} {'created' if before is None else 'deleted' if after is None else 'changed'}\n"
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 "/dev/null" if before is None else f"a/{path}",
                                 "/dev/null" if after is None else f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _text(data: bytes | None) -> str | None:
    """The text of ``data`` ("" when absent), or None when it is binary."""
    if data is None:
        return ""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
