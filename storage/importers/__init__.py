"""Import sessions written by other agents into Cockpit's schema.

``import_path(db, path)`` reads one file (Claude Code transcript, Codex CLI
rollout or mini-swe-agent trajectory), converts it to Cockpit events and writes
them through :class:`~storage.store.EventStore`. The file is streamed: every
line is checked first (a broken or unknown file raises
:class:`ImportFormatError` naming the file and line, and nothing is written),
then the events are written in small batches, each its own transaction, so
other Cockpit processes never wait long for the write lock. A large file is read
(parsed, converted, prepared) in a child process meanwhile
(:mod:`storage.importers.reader_process`). A record that turns
out unusable while writing removes what was written of the session. Session ids
are derived from the source, so importing the same file again is a no-op
(``status="skipped"``); a file that changed since (a session that went on)
replaces its earlier import (``status="updated"``). A process killed in the
middle of an import leaves a session without its ``session_finished`` event;
importing the file again replaces it.

``enrich`` (optional) receives the converted events as an iterator and returns
an iterable of the events to store: the app passes its loop detector through it
(storage knows nothing of the core).

``discover(paths)`` expands folders into the files to import.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sqlite_utils

from storage.importers import claude_code, codex_cli, mini_swe_agent, reader_process
from storage.db import write_transaction
from storage.importers.common import ImportFormatError, ImportResult, file_digest, lines

Events = Iterable[dict[str, Any]]
BATCH_EVENTS = 500  # events per transaction ...
BATCH_CHARS = 2_000_000  # ... or about this much text, whichever comes first
IMPORT_CACHE_KIB = 32_768  # SQLite's page cache while importing (its default: 2 MiB)

if TYPE_CHECKING:
    from storage.redact import Redactor
    from storage.store import EventStore, PreparedEvent

__all__ = ["ImportFormatError", "ImportResult", "detect", "discover", "import_path"]

FORMATS: tuple[ModuleType, ...] = (claude_code, codex_cli, mini_swe_agent)
# Files that live beside sessions but are not sessions (prompt history of Claude Code and Codex).
_NOT_SESSIONS = {"history.jsonl"}


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The files to import, in a stable order.

    A folder gives every ``*.jsonl`` and ``*.traj.json`` below it (a Claude
    Code project folder with its ``<session>/subagents/agent-*.jsonl``, a
    ``~/.codex/sessions`` tree of ``rollout-*.jsonl``), ``history.jsonl``
    excepted. A Claude Code transcript named directly brings its sub-agents.
    A path that does not exist is returned as is (importing it says so).
    """
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files = [p for pattern in ("*.jsonl", "*.traj.json") for p in path.rglob(pattern)]
            found += sorted((p for p in files if p.is_file() and p.name not in _NOT_SESSIONS), key=str)
        else:
            found.append(path)
            found += sorted(path.with_suffix("").joinpath("subagents").glob("agent-*.jsonl"), key=str)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path, None)
    return list(unique)


def detect(path: Path) -> ModuleType:
    """The format module for this file (from its first record), or :class:`ImportFormatError`."""
    if path.name.endswith(".json"):
        return mini_swe_agent
    for number, line in lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            raise ImportFormatError(path, number, "not JSON Lines: expected one JSON object per line") from None
        if isinstance(record, dict):
            for module in (codex_cli, claude_code):
                if module.looks_like(record):
                    return module
        raise ImportFormatError(
            path, number, "unknown format: not a Claude Code transcript, Codex CLI rollout or mini-swe-agent trajectory"
        )
    raise ImportFormatError(path, 1, "empty file")


def import_path(db: sqlite_utils.Database, path: str | Path, *, enrich: Callable[[Iterator[dict[str, Any]]], Events] | None = None) -> ImportResult:
    """Import one session file (see the module docstring)."""
    path = Path(path)
    digest = file_digest(path)
    done = _imported(db, digest)
    if done is not None:
        return _result(db, path, *done, "skipped", "already imported")
    from storage.store import EventStore

    store = EventStore(db)
    with _page_cache(db):
        if reader_process.worth_it(path, enrich):  # a large file: read in a child process while this one writes
            with reader_process.ReaderProcess(path, digest, enrich) as batches:
                return _write(db, store, path, digest, batches)
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
    from storage.store import prepare

    events: Iterator[dict[str, Any]] = detect(path).convert(path, digest)
    if enrich is not None:
        events = iter(enrich(events))
    redactor = redactor or Redactor.from_environment()
    for batch in _batches(events):
        yield prepare(batch, redactor)


def _write(db: sqlite_utils.Database, store: EventStore, path: Path, digest: str,
           batches: Iterator[list[PreparedEvent]]) -> ImportResult:
    """Store the batches one by one; the first claims the session (or finds it taken)."""
    first = next(batches)
    session_id, source = first[0].row["session_id"], first[0].row["payload"]["source"]
    with write_transaction(db):  # check and claim under the write lock: concurrent imports of one file line up
        done = _imported(db, digest) or _importing(db, digest)
        if done is not None:
            return _result(db, path, *done, "skipped", "already imported" if _imported(db, digest) else "being imported by another process")
        earlier = db.execute("select source_hash from sessions where id = ?", [session_id]).fetchone()
        if earlier is not None:
            _delete_session(db, session_id)
        store.append_prepared(first)
    try:
        for batch in batches:
            store.append_prepared(batch)
    except BaseException:
        try:  # nothing of a file that failed half-way stays
            with write_transaction(db):
                _delete_session(db, session_id)
        except sqlite3.Error:
            pass  # the database itself failed: the original error says so
        raise
    updated = earlier is not None and earlier[0] != digest
    return _result(db, path, session_id, source, "updated" if updated else "imported",
                   "the file changed since it was imported" if updated else "")


def _batches(events: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Bounded lists of events: a transaction never holds the write lock for long."""
    batch: list[dict[str, Any]] = []
    chars = 0
    for event in events:
        batch.append(event)
        chars += _text_size(event)
        if len(batch) >= BATCH_EVENTS or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _text_size(event: dict[str, Any]) -> int:
    message = event.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return len(event.get("result") or "") + len(event.get("text") or "") + (len(content) if isinstance(content, str) else 0)


_LAST_EVENT = "(select type from events e where e.session_id = s.id order by seq desc limit 1)"


def _imported(db: sqlite_utils.Database, digest: str) -> tuple[str, str] | None:
    """(session id, source) of a complete import of these bytes."""
    found: tuple[str, str] | None = db.execute(
        f"select id, source from sessions s where source_hash = ? and {_LAST_EVENT} = 'session_finished' limit 1", [digest]
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


def _delete_session(db: sqlite_utils.Database, session_id: str) -> None:
    """Remove an earlier import of this session from every table keyed by session."""
    for table in db.tables:
        if table.name != "sessions" and not table.virtual_table_using and "session_id" in table.columns_dict:
            db.execute(f"delete from [{table.name}] where session_id = ?", [session_id])
    db.execute("delete from sessions where id = ?", [session_id])


_COUNTS = """
select s.parent_id,
  (select count(*) from model_calls m where m.session_id = s.id) as model_calls,
  (select count(*) from tool_calls t where t.session_id = s.id) as tool_calls,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status not in ('ok', 'requested', 'validated', 'running', 'denied')) as failed,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status = 'denied') as denied,
  (select coalesce(sum(m.prompt_tokens), 0) from model_calls m where m.session_id = s.id) as tokens_in,
  (select coalesce(sum(m.completion_tokens), 0) from model_calls m where m.session_id = s.id) as tokens_out,
  (select count(*) from events e where e.session_id = s.id) as events
from sessions s where s.id = ?
"""


def _result(db: sqlite_utils.Database, path: Path, session_id: str, source: str, status: str, reason: str) -> ImportResult:
    row = db.execute(_COUNTS, [session_id]).fetchone()
    parent_id, model_calls, tool_calls, failed, denied, tokens_in, tokens_out, events = row
    return ImportResult(
        path=str(path), session_id=session_id, source=source, status=status, reason=reason, parent_id=parent_id,
        model_calls=model_calls, tool_calls=tool_calls, tool_calls_failed=failed, tool_calls_denied=denied, tokens_in=tokens_in,
        tokens_out=tokens_out, events=events,
    )
