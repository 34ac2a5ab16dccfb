"""The checkpoint of a turn: each file's content before the turn's first change, kept as a blob.

The tool pipeline wraps every call it runs in :meth:`TurnRecorder.watch`:

* a tool that names the files it writes (``paths_written``: write_file, edit_file) has those
  files read and kept before it runs;
* any other tool with side effects (bash) is bracketed by a scan of the workspace
  (``scan``): the files it created, deleted or changed are the turn's too. The content a
  command overwrote is known when Cockpit kept it earlier (a checkpoint's blob whose mtime
  and size still matched) or git's index holds it (the file was clean); otherwise the
  change is recorded as not restorable;
* read-only tools cost nothing.

At the turn's end (:meth:`finish_turn`) each file is read again, its new content kept (for
redo) and one ``CheckpointRecorded`` lists what changed. Outside a turn (a ``!command``
the user runs) nothing is recorded: those changes are the user's.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from app.agent.checkpoints.blobs import BlobStore, digest
from app.agent.checkpoints.scan import Stat, changed, git_content, scan, stat_of
from app.agent.checkpoints.watch import WorkspaceWatch, open_watch
from app.agent.collaborators import Emit
from app.agent.events.checkpoints import UNKNOWN, CheckpointRecorded, FileChange
from app.agent.tools.base import Tool, ToolContext, ToolError

MAX_FILE_BYTES = 16 * 1024 * 1024  # a bigger file is recorded, never kept: undo cannot restore it
BY_TOOL, BY_COMMAND = "tool", "command"


@runtime_checkable
class WritesPaths(Protocol):
    """A tool that knows which files a call changes, before it runs."""

    def paths_written(self, args: dict[str, Any], ctx: ToolContext) -> list[Path]: ...


class Checkpointer(Protocol):
    """What the tool pipeline asks of checkpoints: watch one call."""

    def watch(self, tool: Tool, args: dict[str, Any], ctx: ToolContext) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()

    def touched(self) -> list[str]:
        """The files the running turn wrote or a command of it changed so far (workspace-relative)."""
        return []


class NoCheckpoints(Checkpointer):
    """No checkpoints: every call runs unwatched."""


@dataclass(frozen=True)
class _Before:
    sha: str | None  # None: the file did not exist; UNKNOWN: it did, content not known
    restorable: bool
    by: str


class TurnRecorder(Checkpointer):
    def __init__(self, workspace: Path, blobs: BlobStore, emit: Emit, *, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = workspace.resolve()
        self.blobs = blobs
        self.emit = emit
        self.max_file_bytes = max_file_bytes
        self.turn: int | None = None  # None: no turn runs, changes are not recorded
        self._before: dict[str, _Before] = {}
        self._kept: dict[str, tuple[Stat, str]] = {}  # path -> (its stat, the sha of the blob kept of it)
        self._watch: WorkspaceWatch | None = None  # inotify, opened at the first command (None: none to be had)
        self._watch_opened = False

    def begin_turn(self, turn: int) -> None:
        self.turn, self._before = turn, {}

    @contextlib.asynccontextmanager
    async def watch(self, tool: Tool, args: dict[str, Any], ctx: ToolContext) -> AsyncIterator[None]:
        if self.turn is None or not tool.side_effects:
            yield
            return
        if isinstance(tool, WritesPaths):
            try:
                paths = tool.paths_written(args, ctx)
            except ToolError:  # a path the tool refuses: it will not write either
                paths = []
            for path in paths:
                self._keep_before(self._relative(path))
            yield
            return
        if not self._watch_opened:
            self._watch_opened = True
            self._watch = await asyncio.to_thread(open_watch, self.root)  # one full scan, off the loop
        watch = self._watch
        if watch is None:  # no inotify: a scan before and after, off the loop (a big workspace takes a while)
            before = await asyncio.to_thread(scan, self.root)
        else:
            watch.refresh()  # what changed since the last command is not this one's
        try:
            yield
        finally:
            if watch is None:
                found = changed(before, await asyncio.to_thread(scan, self.root))
            else:
                before, found = watch.changes()
            for rel in found:
                self._command_changed(rel, before.get(rel))

    def touched(self) -> list[str]:
        return sorted(self._before)

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
        self._watch = None

    def finish_turn(self) -> CheckpointRecorded | None:
        """The turn's checkpoint (announced), or None when it changed no file."""
        turn, self.turn = self.turn, None
        files = []
        for rel, before in sorted(self._before.items()):
            after = self._keep(rel)
            after_sha = after[0] if after is not None else None
            if after_sha != before.sha:
                files.append(FileChange(rel, before.sha, after_sha, restorable=before.restorable, by=before.by))
        self._before = {}
        if turn is None or not files:
            return None
        event = CheckpointRecorded(checkpoint_id=uuid.uuid4().hex[:12], turn=turn, files=[f.as_dict() for f in files])
        self.emit(event)
        return event

    # --- helpers ---------------------------------------------------------------------

    def _relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def _keep_before(self, rel: str) -> None:
        if rel in self._before:
            return
        kept = self._keep(rel)
        if kept is None:
            self._before[rel] = _Before(None, True, BY_TOOL)
        else:
            self._before[rel] = _Before(kept[0], kept[1], BY_TOOL)

    def _keep(self, rel: str) -> tuple[str, bool] | None:
        """The file's sha now and whether its content is kept; None when there is no such file."""
        path = self.root / rel
        stat = stat_of(path)
        if stat is None or not path.is_file():
            return None
        kept = self._kept.get(rel)
        if kept is not None and kept[0] == stat:
            return kept[1], True
        try:
            data = path.read_bytes()
        except OSError:
            return UNKNOWN, False
        sha = digest(data)
        stored = len(data) <= self.max_file_bytes and self.blobs.put(sha, data)
        if stored:
            self._kept[rel] = (stat, sha)
        return sha, stored

    def _command_changed(self, rel: str, before: Stat | None) -> None:
        if rel in self._before:
            return
        if before is None:
            self._before[rel] = _Before(None, True, BY_COMMAND)
            return
        kept = self._kept.get(rel)
        if kept is not None and kept[0] == before:
            self._before[rel] = _Before(kept[1], True, BY_COMMAND)
            return
        data = git_content(self.root, rel, before)
        if data is None:
            self._before[rel] = _Before(UNKNOWN, False, BY_COMMAND)
            return
        sha = digest(data)
        self._before[rel] = _Before(sha, len(data) <= self.max_file_bytes and self.blobs.put(sha, data), BY_COMMAND)
