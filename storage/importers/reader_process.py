"""A large file is read in a second process while this one writes.

Parsing the file, converting its records to events, the ``enrich`` step and
preparing the events for the store (redacting and encoding them) are pure
Python; writing them is SQLite's. Threads would share one interpreter lock (the
writer's many short SQLite calls wait behind the parser each time), so a child
process does the reading: on a machine with two free cores the two halves overlap.

The child (``python -c``, handed this process's ``sys.path``, so it never runs
the caller's main module again) never opens the database: it sends prepared
batches, pickled, through a pipe, in order, from a thread of its own, up to
:data:`AHEAD` batches ahead of the writer (then it waits: a batch slower to make
or to write than the next does not hold the other side up), without the payloads
the writer does not read, as plain tuples
(:func:`storage.prepared.prepare_to_send`). A batch is made, and read back here,
with the cyclic collector paused (its objects are trees). An error in the child (a line that is not JSON...) is
raised here, where the import handles it; when this side stops early (a write
failed, Ctrl+C), the child is killed. Files under :data:`MIN_BYTES` are read in
this process: starting a child costs more than it saves there. ``enrich`` must
be importable by name (a module-level function) to be sent to the child;
otherwise the file is read here.

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
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.prepared import PreparedEvent

MIN_BYTES = 16_000_000
AHEAD = 3  # batches the child may have made beyond the one the writer reads: its pace and the writer's may differ

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
        self._path, self._enrich = str(path), enrich
        self._said_all = False  # the child sent its last message: it is exiting on its own
        process = self._process = subprocess.Popen(
            [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None
        pickle.dump(sys.path, process.stdin)
        process.stdin.flush()

    def read(self, digest: str) -> Iterator[list[PreparedEvent]]:
        """The file's prepared batches (the child is sent its job)."""
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        with process.stdin:
            pickle.dump((self._path, digest, self._enrich), process.stdin)
        return self._batches(process, process.stdout)

    def __enter__(self) -> ReaderProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if not self._said_all:  # stopped early: the rest of the file is not needed
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()

    def _batches(self, process: subprocess.Popen[bytes], stream: IO[bytes]) -> Iterator[list[PreparedEvent]]:
        from storage.collector import collector_paused
        from storage.prepared import new_prepared

        while True:
            try:
                with collector_paused():  # (a batch's objects are trees: read back without collections walking them)
                    kind, value = pickle.load(stream)
            except EOFError:
                raise RuntimeError(
                    f"the import's reading process ended unexpectedly (exit code {process.wait()})"
                ) from None
            self._said_all = kind != "batch"
            if kind == "done":
                return
            if kind == "error":
                raise value
            with collector_paused():
                batch = list(map(new_prepared, value))
            yield batch


def child() -> None:
    """The reading process: every batch of the file, prepared, sent in order; then ``done`` (or the error)."""
    from storage.collector import collector_paused
    from storage.importers import event_batches
    from storage.prepared import prepare_to_send
    from storage.redact import Redactor

    try:
        path, digest, enrich = pickle.load(sys.stdin.buffer)
    except EOFError:  # the importing process needed no reading after all (the file was imported already)
        return
    gc.freeze()  # (what start-up made lives to the end: the collector need not walk it again and again)
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    sender = threading.Thread(target=_send, args=(outbox, sys.stdout.buffer), daemon=True)
    sender.start()
    try:
        redactor = Redactor.from_environment()
        batches = event_batches(Path(path), digest, enrich)
        while True:
            with collector_paused():  # a batch is built and prepared without collections; between batches they run
                batch = next(batches, None)
                if batch is None:
                    break
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


def _send(outbox: queue.Queue[bytes | None], out: IO[bytes]) -> None:
    """The child's sending thread: each message in order, while the next batches are made (a write waits for the
    writer to read, without the interpreter lock)."""
    try:
        while (data := outbox.get()) is not None:
            out.write(data)
        out.flush()
    except OSError:  # the importing process is gone or stopped reading: nothing more can be sent
        os._exit(1)
