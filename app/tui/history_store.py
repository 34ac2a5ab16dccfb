"""The prompt history of one workspace, kept across sessions in a small JSONL file.

Where: ``<data folder>/history/<folder name>-<hash of the workspace path>.jsonl``
(the data folder is ``app.paths.home()``), one JSON line per sent prompt,
``{"text": ..., "at": <unix time>}``, oldest first. What is stored went through
the redactor (``storage.redact``): an API key pasted into the prompt is written
as ``[redacted:NAME]``.

Two Cockpit processes on one workspace may append at once: every append takes
an exclusive ``flock`` on the file and writes one whole line. The file is cut
back to the newest :data:`KEEP` prompts when it grows past :data:`LIMIT`; the
cut writes a new file and renames it over the old one under the lock, and an
append that waited on the old file's lock notices the rename and retries on the
new one. A line that does not parse (a crash mid-write, a hand edit) is skipped.

:class:`PromptHistory` connects a store to the prompt's in-memory history
(``widgets.prompt_input.History``): the file is read and written on worker
threads, never on the UI thread.
"""

from __future__ import annotations

import collections
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from widgets.prompt_input import History

LIMIT = 1000  # lines past which the file is cut back
KEEP = 500  # prompts kept when it is cut (and read into the prompt)
MAX_CHARS = 20_000  # a longer prompt is stored cut to this many characters
_SHORTEST_LINE = len('{"text": "x", "at": 1}\n')  # a file smaller than limit × this cannot be too long


def history_file(workspace: Path, folder: Path) -> Path:
    """The history file of ``workspace``: readable by folder name, unique by the resolved path's hash."""
    resolved = str(Path(workspace).expanduser().resolve())
    digest = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:12]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(resolved).name)[:40] or "root"
    return folder / f"{name}-{digest}.jsonl"


class HistoryStore:
    """Appends and reads one workspace's history file (see the module docstring)."""

    def __init__(self, path: Path, *, scrub: Callable[[str], str] | None = None,
                 limit: int = LIMIT, keep: int = KEEP) -> None:
        self.path = path
        self.scrub = scrub if scrub is not None else _default_scrub()
        self.limit = limit
        self.keep = keep

    def load(self) -> list[str]:
        """The newest ``keep`` prompts, oldest first (nothing when there is no file yet)."""
        try:
            with self.path.open("r", encoding="utf-8", errors="replace") as file:
                lines = file.readlines()
        except FileNotFoundError:
            return []
        return [text for text in map(_text_of, lines) if text][-self.keep:]

    def append(self, text: str) -> None:
        """Add one prompt (scrubbed, cut to ``MAX_CHARS``) as one line, safe against other processes."""
        line = json.dumps({"text": self.scrub(text[:MAX_CHARS]), "at": round(time.time(), 3)}, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            with self.path.open("a", encoding="utf-8") as file:
                fcntl.flock(file, fcntl.LOCK_EX)
                if not self._still_current(file):  # cut and renamed while we waited: append to the new file
                    continue
                file.write(line)
                file.flush()
                if file.tell() > self.limit * _SHORTEST_LINE and self._too_long():
                    self._cut()
                return  # closing the file releases the lock

    def _still_current(self, file: Any) -> bool:
        try:
            return os.fstat(file.fileno()).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def _too_long(self) -> bool:
        with self.path.open("rb") as file:
            return sum(1 for _ in file) > self.limit

    def _cut(self) -> None:
        """Keep the newest ``keep`` lines (called holding the lock)."""
        with self.path.open("r", encoding="utf-8", errors="replace") as file:
            kept = [line for line in file if _text_of(line)][-self.keep:]
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text("".join(kept), encoding="utf-8")
        os.replace(temporary, self.path)


def _text_of(line: str) -> str:
    try:
        value = json.loads(line)
    except ValueError:
        return ""
    text = value.get("text") if isinstance(value, dict) else None
    return text if isinstance(text, str) else ""


def _default_scrub() -> Callable[[str], str]:
    from storage.redact import Redactor

    return Redactor.from_environment().scrub_text


class PromptHistory:
    """The prompt's history, backed by its workspace's file once a session says which workspace.

    Prompts sent before that are written once the file is known (they are in ``history``). ``run_in_thread(fn)``
    runs ``fn`` on a worker thread; ``call_in_ui(fn, *args)`` runs it on the UI thread.
    """

    def __init__(self, *, folder: Callable[[], Path], run_in_thread: Callable[[Callable[[], None]], Any],
                 call_in_ui: Callable[..., Any], scrub: Callable[[str], str] | None = None) -> None:
        self.folder = folder
        self.run_in_thread = run_in_thread
        self.call_in_ui = call_in_ui
        self.scrub = scrub
        self.store: HistoryStore | None = None
        self._queue: collections.deque[tuple[HistoryStore, str]] = collections.deque()
        self._lock = threading.Lock()  # one writer at a time, in the order the prompts were sent

    @classmethod
    def for_app(cls, app: Any) -> PromptHistory:
        """Files in the data folder, read and written on the app's thread workers."""
        from app import paths

        def run_in_thread(work: Callable[[], None]) -> None:
            app.run_worker(work, thread=True, group="prompt-history", description="prompt history",
                           exit_on_error=False)

        return cls(folder=lambda: paths.home() / "history", run_in_thread=run_in_thread,
                   call_in_ui=app.call_from_thread)

    def open(self, workspace: Path, history: History) -> None:
        """Read ``workspace``'s stored prompts into ``history`` and keep what it gets from now on.

        The first time, the stored prompts go before what this run sent already (written now);
        another workspace later (a session of another folder) replaces them."""
        history.sink = self.add
        store = HistoryStore(history_file(workspace, self.folder()), scrub=self.scrub)
        if self.store is not None and self.store.path == store.path:
            return

        def read() -> None:
            older = store.load()
            self.call_in_ui(self._opened, store, older, history)

        self.run_in_thread(read)

    def _opened(self, store: HistoryStore, older: list[str], history: History) -> None:
        if self.store is None:
            self._queue.extend((store, text) for text in history.entries)
        else:
            history.entries.clear()
        self.store = store
        history.prepend(older)
        self.run_in_thread(self._flush)

    def add(self, text: str) -> None:
        """A prompt was sent (the in-memory history tells us); before a workspace is known it waits."""
        if self.store is not None:
            self._queue.append((self.store, text))
            self.run_in_thread(self._flush)

    def _flush(self) -> None:
        with self._lock:
            while self._queue:
                store, text = self._queue.popleft()
                store.append(text)
