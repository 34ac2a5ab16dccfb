"""Import sessions written by other agents into Cockpit's schema.

``import_path(db, path)`` reads one file (Claude Code transcript, Codex CLI
rollout or mini-swe-agent trajectory), converts it to Cockpit events and writes
them through :class:`~storage.store.EventStore` in one transaction: a broken
or unknown file raises :class:`ImportFormatError` naming the file and line and
writes nothing. Session ids are derived from the source, so importing the same
file again is a no-op (``status="skipped"``); a file that changed since (a
session that went on) replaces its earlier import (``status="updated"``).

``enrich`` (optional) receives the converted events and returns the list to
store: the app passes its loop detector through it (storage knows nothing of
the core).

``discover(paths)`` expands folders into the files to import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlite_utils

from storage.importers import claude_code, codex_cli, mini_swe_agent
from storage.importers.common import ImportFormatError, ImportResult, sha256

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


def detect(path: Path, data: bytes) -> ModuleType:
    """The format module for this file, or :class:`ImportFormatError`."""
    if path.name.endswith(".json"):
        return mini_swe_agent
    for number, line in enumerate(data.splitlines(), start=1):
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


def import_path(
    db: sqlite_utils.Database,
    path: str | Path,
    *,
    enrich: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
) -> ImportResult:
    """Import one session file (see the module docstring)."""
    from storage.store import EventStore

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None
    digest = sha256(data)
    same = db.execute("select id, source from sessions where source_hash = ? limit 1", [digest]).fetchone()
    if same is not None:
        return _result(db, path, same[0], same[1], "skipped", "already imported")
    events = detect(path, data).convert(path, data, digest)
    if enrich is not None:
        events = enrich(events)
    session_id, source = events[0]["session_id"], events[0]["source"]
    existed = db.execute("select 1 from sessions where id = ?", [session_id]).fetchone() is not None
    with db.atomic():
        if existed:
            _delete_session(db, session_id)
        EventStore(db).append_many(events)
    return _result(db, path, session_id, source, "updated" if existed else "imported",
                   "the file changed since it was imported" if existed else "")


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
  (select count(*) from tool_calls t where t.session_id = s.id and t.status not in ('ok', 'requested', 'validated', 'running')) as failed,
  (select coalesce(sum(m.prompt_tokens), 0) from model_calls m where m.session_id = s.id) as tokens_in,
  (select coalesce(sum(m.completion_tokens), 0) from model_calls m where m.session_id = s.id) as tokens_out,
  (select count(*) from events e where e.session_id = s.id) as events
from sessions s where s.id = ?
"""


def _result(db: sqlite_utils.Database, path: Path, session_id: str, source: str, status: str, reason: str) -> ImportResult:
    row = db.execute(_COUNTS, [session_id]).fetchone()
    parent_id, model_calls, tool_calls, failed, tokens_in, tokens_out, events = row
    return ImportResult(
        path=str(path), session_id=session_id, source=source, status=status, reason=reason, parent_id=parent_id,
        model_calls=model_calls, tool_calls=tool_calls, tool_calls_failed=failed, tokens_in=tokens_in,
        tokens_out=tokens_out, events=events,
    )
