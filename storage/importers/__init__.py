"""Import sessions written by other agents into Cockpit's schema.

``import_path(db, path)`` reads one file (a Claude Code transcript, Codex CLI
rollout, Gemini CLI session, Aider chat history, mini-swe-agent, SWE-agent or
OpenHands trajectory, or an opencode session's info file with its messages:
:func:`detect` tells them apart by content, see :mod:`storage.importers.detect`),
converts it to Cockpit events and writes them through
:class:`~storage.store.EventStore`. The file is streamed: every
line is checked first (a broken or unknown file raises
:class:`ImportFormatError` naming the file and line, and nothing is written),
then the events are written in small batches, each its own transaction, so
other Cockpit processes never wait long for the write lock. A large file is read
(parsed, converted, prepared) in a child process meanwhile
(:mod:`storage.importers.reader_process`). A record that turns
out unusable while writing removes what was written of the file. Session ids
are derived from the source, so importing the same file again is a no-op
(``status="skipped"``); a file that changed since (a session that went on)
replaces its earlier import (``status="updated"``). A process killed in the
middle of an import leaves a session without its ``session_finished`` event;
importing the file again replaces it.

One file may hold several sessions (an Aider history has one per start of
aider; a Claude Code 1.0 transcript carries its sub-agents inline): they share
the file's ``source_hash``, and :func:`import_sessions` returns one result for
each (``import_path`` the first).

``enrich`` (optional) receives the converted events as an iterator and returns
an iterable of the events to store: the app passes its loop detector through it
(storage knows nothing of the core).

``discover(paths)`` expands folders into the files to import.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sqlite_utils

from storage.db import fewer_checkpoints, write_transaction
from storage.importers import aider, claude_code, codex_cli, gemini_cli, mini_swe_agent, opencode, openhands, reader_process, swe_agent
from storage.importers.common import ImportFormatError, ImportResult, file_digest
from storage.importers.detect import Head, read_head

Events = Iterable[dict[str, Any]]
# Events per transaction ... or about this much text, whichever comes first. Each commit writes a full-text segment
# that later merges rewrite: 1,000 / 4 MB made the writer run ~14 % fewer instructions than 500 / 2 MB, and 2,000 /
# 8 MB ~16 % fewer again (callgrind, 12 MB of make bench's transcript); other writers wait longer for the lock at
# times (make bench: p99 ~60 ms at 1,000 events, the goal 500 ms).
BATCH_EVENTS = 2000
BATCH_CHARS = 8_000_000
# The first batch is smaller: the writer waits for it (a large file's reading process makes a full batch in about
# 0.4 s), and it makes the next while the first is written.
FIRST_BATCH_EVENTS = 200
FIRST_BATCH_CHARS = 500_000
IMPORT_CACHE_KIB = 32_768  # SQLite's page cache while importing (its default: 2 MiB)

if TYPE_CHECKING:
    from storage.redact import Redactor
    from storage.prepared import PreparedEvent
    from storage.store import EventStore

__all__ = ["Discovery", "ImportFormatError", "ImportResult", "detect", "discover", "find_sessions", "import_path",
           "import_sessions"]

# Every format: a module with SOURCE, NAME, sniff(head) -> bool and convert(path, digest) -> events.
# The first whose sniff says yes reads the file.
FORMATS: tuple[ModuleType, ...] = (codex_cli, claude_code, gemini_cli, mini_swe_agent, aider, swe_agent, openhands, opencode)
# What a folder may hold: the candidates, then each is sniffed.
_PATTERNS = ("*.jsonl", "*.json", "*.traj", "*.aider.chat.history.md")
# Files that live beside sessions but are not sessions (prompt history of Claude Code and Codex,
# a Claude Code sub-agent's description).
_NOT_SESSIONS = {"history.jsonl"}
_NOT_SESSION_SUFFIXES = (".meta.json",)


@dataclass
class Discovery:
    """The session files found, and the files in the folders searched that no format recognised."""

    files: list[Path] = field(default_factory=list)
    unrecognised: list[ImportFormatError] = field(default_factory=list)


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The files to import, in a stable order (:func:`find_sessions` without what it left out)."""
    return find_sessions(paths).files


def find_sessions(paths: Iterable[str | Path]) -> Discovery:
    """The files to import, in a stable order, and what was left out.

    A folder gives every file below it whose content a format recognises among
    ``*.jsonl``, ``*.json``, ``*.traj`` and ``*.aider.chat.history.md`` (a Claude
    Code project folder with its ``<session>/subagents/agent-*.jsonl``, a
    ``~/.codex/sessions`` tree, ``~/.gemini/tmp/<hash>/chats/session-*.json``);
    ``history.jsonl`` and ``*.meta.json`` are never sessions, the other files no
    format recognises are in ``unrecognised``. A file named directly is kept
    whatever it holds (importing it says what is wrong), and a Claude Code
    transcript brings its sub-agents. A path that does not exist is returned
    as is (importing it says so).
    """
    found = Discovery()
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted({p for pattern in _PATTERNS for p in path.rglob(pattern)}, key=str)
            for candidate in files:
                if candidate.is_file() and _may_be_session(candidate):
                    try:
                        detect(candidate)
                    except ImportFormatError as exc:
                        found.unrecognised.append(exc)
                        continue
                    found.files.append(candidate)
        else:
            found.files.append(path)
            found.files += sorted(path.with_suffix("").joinpath("subagents").glob("agent-*.jsonl"), key=str)
    found.files = list(dict.fromkeys(found.files))
    return found


def _may_be_session(path: Path) -> bool:
    return path.name not in _NOT_SESSIONS and not path.name.endswith(_NOT_SESSION_SUFFIXES) and not opencode.is_piece(path)


def detect(path: Path) -> ModuleType:
    """The format module for this file (from its content), or :class:`ImportFormatError` saying what it looked like."""
    head = read_head(path)
    if head.kind == "empty":
        raise ImportFormatError(path, 1, "empty file")
    module = sniff(head)
    if module is None:
        names = ", ".join(m.NAME for m in FORMATS)
        raise ImportFormatError(path, head.first_line or 1, f"unknown format: {head.recognised()}; not a {names}")
    return module


def sniff(head: Head) -> ModuleType | None:
    """The first format that recognises this head."""
    return next((module for module in FORMATS if module.sniff(head)), None)


def import_path(db: sqlite_utils.Database, path: str | Path, *, enrich: Callable[[Iterator[dict[str, Any]]], Events] | None = None) -> ImportResult:
    """Import one session file (see the module docstring); the result of its first session."""
    return import_sessions(db, path, enrich=enrich)[0]


def import_sessions(db: sqlite_utils.Database, path: str | Path, *,
                    enrich: Callable[[Iterator[dict[str, Any]]], Events] | None = None) -> list[ImportResult]:
    """Import one file; a result for each session it holds, the first first."""
    path = Path(path)
    if not reader_process.worth_it(path, enrich):
        return _import(db, path, file_digest(path), enrich, None)
    with reader_process.ReaderProcess(path, enrich) as reader:  # a large file: read in a child process (started
        return _import(db, path, file_digest(path), enrich, reader)  # now, it gets ready while the file is hashed)


def _import(db: sqlite_utils.Database, path: Path, digest: str, enrich: Callable[[Iterator[dict[str, Any]]], Events] | None,
            reader: reader_process.ReaderProcess | None) -> list[ImportResult]:
    if _imported(db, digest) is not None:
        return _results(db, path, digest, "skipped", "already imported")
    from storage.store import EventStore

    store = EventStore(db)
    with _page_cache(db), fewer_checkpoints(db):
        if reader is not None:  # a large file: read in the child process while this one writes
            return _write(db, store, path, digest, reader.read(digest, store.redactor))
        return _write(db, store, path, digest, prepared_batches(path, digest, enrich, store.redactor))


@contextmanager
def _page_cache(db: sqlite_utils.Database) -> Iterator[None]:
    """A larger page cache while importing: a batch's pages (rows, indexes, the full-text index) stay in memory
    until its commit instead of spilling to the WAL half-way; the connection's own size comes back after."""
    before = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(before)}")


def prepared_batches(path: Path, digest: str, enrich: Callable[[Iterator[dict[str, Any]]], Events] | None,
                     redactor: Redactor | None = None) -> Iterator[list[PreparedEvent]]:
    """The file's events, converted, enriched, in batches prepared for the store (touches no database)."""
    from storage.redact import Redactor
    from storage.prepared import prepare

    redactor = redactor or Redactor.from_environment()
    for batch in event_batches(path, digest, enrich):
        yield prepare(batch, redactor)


def event_batches(path: Path, digest: str, enrich: Callable[[Iterator[dict[str, Any]]], Events] | None,
                  scanned: reader_process.Scanned | None = None) -> Iterator[list[dict[str, Any]]]:
    """The file's events, converted, enriched, in bounded lists: one transaction each. ``scanned``: the format's
    first pass over the file, made already (:mod:`storage.importers.reader_process`)."""
    module = detect(path)
    events: Iterator[dict[str, Any]] = (
        module.convert(path, digest) if scanned is None else module.convert(path, digest, scanned=scanned)
    )
    if enrich is not None:
        events = iter(enrich(events))
    return _batches(events)


def _write(db: sqlite_utils.Database, store: EventStore, path: Path, digest: str,
           batches: Iterator[list[PreparedEvent]]) -> list[ImportResult]:
    """Store the batches one by one; the first claims the file (or finds it taken)."""
    first = next(batches)
    session_id = first[0].session_id
    with write_transaction(db):  # check and claim under the write lock: concurrent imports of one file line up
        if _imported(db, digest) is not None:
            return _results(db, path, digest, "skipped", "already imported")
        if _importing(db, digest) is not None:
            return _results(db, path, digest, "skipped", "being imported by another process")
        earlier = db.execute("select source_hash from sessions where id = ?", [session_id]).fetchone()
        if earlier is not None:  # an earlier import of this file (changed since, or cut short): all its sessions go
            _delete_sessions(db, [session_id, *_sessions_of(db, earlier[0])])
        try:
            store.append_prepared(first)
        except OverflowError:
            raise _too_large(path) from None
    written = _started(first)
    try:
        for batch in batches:
            store.append_prepared(batch)
            written += _started(batch)
    except BaseException as exc:
        try:  # nothing of a file that failed half-way stays
            with write_transaction(db):
                _delete_sessions(db, written)
        except sqlite3.Error:
            pass  # the database itself failed: the original error says so
        if isinstance(exc, OverflowError):
            raise _too_large(path) from None
        raise
    updated = earlier is not None and earlier[0] != digest
    return _results(db, path, digest, "updated" if updated else "imported",
                    "the file changed since it was imported" if updated else "")


def _too_large(path: Path) -> ImportFormatError:
    """A number of the file that SQLite cannot store (an integer beyond 64 bits where a column takes it: a token
    count, an exit code); which line held it is not known by then."""
    return ImportFormatError(path, 0, "a number too large to store (an integer beyond 64 bits, such as a token count)")


def _started(batch: list[PreparedEvent]) -> list[str]:
    """The sessions this batch starts."""
    return [event.session_id for event in batch if event.type == "session_started"]


def _batches(events: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Bounded lists of events: a transaction never holds the write lock for long."""
    batch: list[dict[str, Any]] = []
    append = batch.append
    chars = 0
    most_events, most_chars = FIRST_BATCH_EVENTS, FIRST_BATCH_CHARS
    for event in events:  # (the size of the texts, inline: this runs for every event)
        append(event)
        message = event.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        chars += len(event.get("result") or "") + len(event.get("text") or "") + (len(content) if isinstance(content, str) else 0)
        if chars >= most_chars or len(batch) >= most_events:
            yield batch
            batch, chars = [], 0
            append = batch.append
            most_events, most_chars = BATCH_EVENTS, BATCH_CHARS
    if batch:
        yield batch


_LAST_EVENT = "(select type from events e where e.session_id = {s}.id order by seq desc limit 1)"


def _imported(db: sqlite_utils.Database, digest: str) -> tuple[str, str] | None:
    """(session id, source) of the first session of a complete import of these bytes: every session
    the file holds has its ``session_finished``."""
    found: tuple[str, str] | None = db.execute(
        f"""select id, source from sessions s where source_hash = ? and {_LAST_EVENT.format(s='s')} = 'session_finished'
              and not exists (select 1 from sessions o where o.source_hash = s.source_hash
                              and {_LAST_EVENT.format(s='o')} is not 'session_finished')
            order by rowid limit 1""", [digest]
    ).fetchone()
    return found


def _importing(db: sqlite_utils.Database, digest: str) -> tuple[str, str] | None:
    """(session id, source) of an import of these bytes that another live process is still writing."""
    from storage.store import process_alive

    for session_id, source, pid, host in db.execute(
        "select id, source, pid, host from sessions where source_hash = ? and pid is not null", [digest]
    ).fetchall():
        if process_alive(pid, host):
            return session_id, source
    return None


def _sessions_of(db: sqlite_utils.Database, digest: str) -> list[str]:
    """The sessions imported from these bytes, in the order they were written."""
    return [row[0] for row in db.execute("select id from sessions where source_hash = ? order by rowid", [digest])]


def _delete_sessions(db: sqlite_utils.Database, session_ids: Iterable[str]) -> None:
    """Remove earlier imports of these sessions from every table keyed by session."""
    tables = [t.name for t in db.tables
              if t.name != "sessions" and not t.virtual_table_using and "session_id" in t.columns_dict]
    for session_id in dict.fromkeys(session_ids):
        for table in tables:
            db.execute(f"delete from [{table}] where session_id = ?", [session_id])
        db.execute("delete from sessions where id = ?", [session_id])


_COUNTS = """
select s.parent_id, s.source,
  (select count(*) from model_calls m where m.session_id = s.id) as model_calls,
  (select count(*) from tool_calls t where t.session_id = s.id) as tool_calls,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status not in ('ok', 'requested', 'validated', 'running', 'denied')) as failed,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status = 'denied') as denied,
  (select coalesce(sum(m.prompt_tokens), 0) from model_calls m where m.session_id = s.id) as tokens_in,
  (select coalesce(sum(m.completion_tokens), 0) from model_calls m where m.session_id = s.id) as tokens_out,
  (select count(*) from events e where e.session_id = s.id) as events,
  (select count(*) from model_calls m where m.session_id = s.id and m.usage_source != 'none') as counted
from sessions s where s.id = ?
"""


def _results(db: sqlite_utils.Database, path: Path, digest: str, status: str, reason: str) -> list[ImportResult]:
    """One result for each session imported from these bytes."""
    return [_result(db, path, session_id, status, reason) for session_id in _sessions_of(db, digest)]


def _result(db: sqlite_utils.Database, path: Path, session_id: str, status: str, reason: str) -> ImportResult:
    row = db.execute(_COUNTS, [session_id]).fetchone()
    parent_id, source, model_calls, tool_calls, failed, denied, tokens_in, tokens_out, events, counted = row
    return ImportResult(
        path=str(path), session_id=session_id, source=source, status=status, reason=reason, parent_id=parent_id,
        model_calls=model_calls, tool_calls=tool_calls, tool_calls_failed=failed, tool_calls_denied=denied, tokens_in=tokens_in,
        tokens_out=tokens_out, events=events, counted_calls=counted,
    )
