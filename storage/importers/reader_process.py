"""A large file is read in a second process while this one writes.

Parsing the file, converting its records to events, the ``enrich`` step and
preparing the events for the store (redacting and encoding them) are pure
Python; writing them is SQLite's. Threads would share one interpreter lock (the
writer's many short SQLite calls wait behind the parser each time), so a child
process does the reading: on a machine with two free cores the two halves overlap.

The child (``python -c``, handed this process's ``sys.path``, so it never runs
the caller's main module again) never opens the database: it sends batches
(prepared, or not: see below), pickled, through a pipe, in order, from a thread of its own, up to
:data:`AHEAD` batches ahead of the writer (then it waits: a batch slower to make
or to write than the next does not hold the other side up), without the payloads
the writer does not read, as plain tuples when prepared
(:func:`storage.prepared.prepare_to_send`). A batch is made, and read back here,
with the cyclic collector paused (its objects are trees). An error in the child (a line that is not JSON...) is
raised here, where the import handles it; when this side stops early (a write
failed, Ctrl+C), the child is killed. Files under :data:`MIN_BYTES` are read in
this process: starting a child costs more than it saves there. ``enrich`` must
be importable by name (a module-level function) to be sent to the child;
otherwise the file is read here.

The file is checked before anything is written (a first pass over every line: a
broken line writes nothing). For a format that can check a file by parts (its
module has ``scan_part``: Claude Code's) the two processes share that pass: the
child checks the first :data:`CHILD_SHARE` of the file as soon as it is started,
while this process hashes the whole file and then checks the rest; it sends its
part's findings with the job, and the child joins them to its own, in file order.

Preparing is the costliest step the child does that this process can do as well
(redacting, encoding, the projections' parameters: about a fifth of the child's
time), and sending events unprepared costs a seventh as much as sending them
prepared. So the work is shared as the two paces require (:data:`WRITER_PREPARES`):
a batch made while none waits to be sent (this process is about to have nothing
to write) is sent as it is, and prepared here; otherwise the child prepares it.

The price: pickling the batches costs CPU time (about a tenth more in all), and
a machine whose cores are all busy gains nothing from the overlap.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol, Self

if TYPE_CHECKING:
    from storage.importers.common import Span
    from storage.prepared import PreparedEvent
    from storage.redact import Redactor


class Scanned(Protocol):
    """A part's findings from a format's first pass (``scan_part``), joined to the next part's by ``then``."""

    def then(self, rest: Self) -> Self: ...


class ScansByParts(Protocol):
    """A format module that can check a file by parts."""

    def scan_part(self, path: Path, span: Span | None = None) -> Scanned: ...


MIN_BYTES = 16_000_000
AHEAD = 3  # batches the child may have made beyond the one the writer reads: its pace and the writer's may differ
# The part of the first pass the child does. It starts later (its imports: ~0.2 s) and this process hashes the file
# first (SHA-256 ~1.1 ms/MB, a pass ~2.9 ms/MB on make bench's transcript, on this machine): 0.6 has both finish at
# about the same time for a few hundred MB (0.45 would for 150 MB, 0.7 for 1 GB).
CHILD_SHARE = 0.6
# Who prepares a batch: "when idle": this process, when the child made it while none waited to be sent; "never":
# the child always (and "always": this process always; both for tests).
WRITER_PREPARES = "when idle"

Enrich = Callable[[Iterator[dict[str, Any]]], Any]
_CHILD = "import sys, pickle; sys.path[:] = pickle.load(sys.stdin.buffer); import storage.importers.reader_process as r; r.child()"


def worth_it(path: Path, enrich: Enrich | None) -> bool:
    """Is this file large enough for a reading process, and can ``enrich`` be sent to one?"""
    try:
        if not sys.executable or path.stat().st_size < MIN_BYTES:
            return False
        pickle.dumps(enrich)
    except (OSError, pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


class ReaderProcess:
    """The file's prepared batches, read by a child process; use as a context manager (leaving it stops the child
    if it is not done). The child starts at once and imports what it needs while the caller hashes the file; it is
    given its job by :meth:`read`, and, never given one (the file was imported already), it is stopped."""

    def __init__(self, path: Path, enrich: Enrich | None) -> None:
        self._path, self._enrich = path, enrich
        self._said_all = False  # the child sent its last message: it is exiting on its own
        self._parts = _parts_of(path)
        self._split = _split(path) if self._parts is not None else None
        process = self._process = subprocess.Popen(
            [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None
        pickle.dump(sys.path, process.stdin)
        pickle.dump((str(path), self._split), process.stdin)  # it checks its part of the file meanwhile
        process.stdin.flush()

    def read(self, digest: str, redactor: Redactor) -> Iterator[list[PreparedEvent]]:
        """The file's prepared batches: this process checks its part of the file, then the child is sent its job
        (``redactor``: the store's, for the batches prepared here)."""
        from storage.importers.common import Span

        process = self._process
        assert process.stdin is not None and process.stdout is not None
        rest = None
        if self._parts is not None and self._split is not None:
            rest = self._parts.scan_part(self._path, Span(self._split))
        with process.stdin:
            pickle.dump((digest, self._enrich, rest, WRITER_PREPARES), process.stdin)
        return self._batches(process, process.stdout, redactor)

    def __enter__(self) -> ReaderProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if not self._said_all:  # stopped early: the rest of the file is not needed
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()

    def _batches(self, process: subprocess.Popen[bytes], stream: IO[bytes],
                 redactor: Redactor) -> Iterator[list[PreparedEvent]]:
        from storage.collector import collector_paused
        from storage.prepared import new_prepared, prepare

        while True:
            try:
                with collector_paused():  # (a batch's objects are trees: read back without collections walking them)
                    kind, value = pickle.load(stream)
            except EOFError:
                raise RuntimeError(
                    f"the import's reading process ended unexpectedly (exit code {process.wait()})"
                ) from None
            self._said_all = kind in ("done", "error")
            if kind == "done":
                return
            if kind == "error":
                raise value
            with collector_paused():
                batch = prepare(value, redactor) if kind == "events" else list(map(new_prepared, value))
            yield batch


def child() -> None:
    """The reading process: its part of the first pass, then (given the job) every batch of the file, sent in order,
    prepared or as events; then ``done`` (or the error)."""
    from storage.collector import collector_paused
    from storage.importers import event_batches
    from storage.importers.common import Span
    from storage.prepared import prepare_to_send
    from storage.redact import Redactor

    try:
        path, split = pickle.load(sys.stdin.buffer)
        parts = _parts_of(Path(path)) if split is not None else None
        scanned = parts.scan_part(Path(path), Span(0, split)) if parts is not None else None
        digest, enrich, rest, writer_prepares = pickle.load(sys.stdin.buffer)
    except EOFError:  # the importing process needed no reading after all (the file was imported already)
        return
    scanned = scanned.then(rest) if scanned is not None and rest is not None else None
    gc.freeze()  # (what start-up made lives to the end: the collector need not walk it again and again)
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    sender = threading.Thread(target=_send, args=(outbox, sys.stdout.buffer), daemon=True)
    sender.start()
    try:
        redactor = Redactor.from_environment()
        batches = event_batches(Path(path), digest, enrich, scanned)
        while True:
            with collector_paused():  # a batch is built and prepared without collections; between batches they run
                batch = next(batches, None)
                if batch is None:
                    break
                if writer_prepares == "always" or (writer_prepares == "when idle" and outbox.empty()):
                    data = pickle.dumps(("events", batch), protocol=pickle.HIGHEST_PROTOCOL)  # prepared there
                else:
                    data = pickle.dumps(("batch", prepare_to_send(batch, redactor)), protocol=pickle.HIGHEST_PROTOCOL)
            outbox.put(data)
        outbox.put(pickle.dumps(("done", None)))
    except BaseException as exc:
        try:
            data = pickle.dumps(("error", exc))
        except Exception:  # an error that cannot be pickled: its text still says what happened
            data = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        outbox.put(data)
    outbox.put(None)
    sender.join()


def _parts_of(path: Path) -> ScansByParts | None:
    """The file's format module when it checks files by parts (None: the child checks the whole file; a file no
    format recognises too: the child says what is wrong)."""
    from storage.importers import ImportFormatError, detect

    try:
        module = detect(path)
    except (ImportFormatError, OSError):
        return None
    return module if hasattr(module, "scan_part") else None


def _split(path: Path) -> int | None:
    """Where the part of the first pass this process does starts: the start of a line (None: it does none)."""
    from storage.importers.common import ImportFormatError, line_start_after

    try:
        return line_start_after(path, int(path.stat().st_size * CHILD_SHARE))
    except (ImportFormatError, OSError):
        return None


def _send(outbox: queue.Queue[bytes | None], out: IO[bytes]) -> None:
    """The child's sending thread: each message in order, while the next batches are made (a write waits for the
    writer to read, without the interpreter lock)."""
    try:
        while (data := outbox.get()) is not None:
            out.write(data)
        out.flush()
    except OSError:  # the importing process is gone or stopped reading: nothing more can be sent
        os._exit(1)
