"""The event store: appends events and keeps the projection tables in step.

Each event is written with its projections in one transaction, so a process
killed at any moment leaves a consistent database. Events arrive as plain
dicts (``Event.to_dict()``): storage does not import the app.

Every payload goes through the :class:`~storage.redact.Redactor` before
anything is written: the events, the projections and blobs made from them,
and the full-text index of a batch (from the projections' values, at its end).

Writes take the write lock up front (``BEGIN IMMEDIATE``) and wait for other
processes (the busy timeout). A write that still fails is tried again a few
times, briefly; then :class:`StoreWriteError` says which database and why.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlite_utils

from app.agent.events.subagents import CONTRACT_VERSION
from storage import projection_params, search
from storage.collector import collector_paused
from storage.db import write_transaction
from storage.migrations import TOOL_CALL_RESULT, feature_projections
from storage.prepared import PreparedEvent, prepare
from storage.projection_params import Params, iso, json_or_none
from storage.redact import Redactor

ENVELOPE = ("type", "session_id", "seq", "ts")
WRITE_RETRY_DELAYS_S = (0.05, 0.2, 0.5)  # after the busy timeout: a few more tries, then give up


# A messages row: its id (given by the store), projection_params.message's row, and where its content is
# (content_from: TOOL_CALL_RESULT when it is its tool call's result, then not stored in the row).
_INSERT_MESSAGE = (projection_params.INSERT_MESSAGE.replace("(session_id,", "(id, session_id,", 1)
                   .replace(", seq)", ", seq, content_from)", 1).replace("values (?,", "values (?, ?, ?,", 1))
_ROLE, _CONTENT, _TOOL_CALL_ID = 4, 5, 7  # (their places in a messages row)
_UNKNOWN = object()
# An events row: a PreparedEvent's first five fields, and the contract version every event is written with.
_INSERT_EVENT = f"""insert into events (session_id, seq, type, ts, payload, contract_version)
                   values (?, ?, ?, ?, ?, {int(CONTRACT_VERSION)})"""


# A tool call's row. The same call id again fails (a unique key): the old row is deleted first, as ``insert or
# replace`` (INSERT_TOOL_CALL) would, but whatever recursive_triggers says, so its index entry goes by the trigger.
_INSERT_NEW_TOOL_CALL = projection_params.INSERT_TOOL_CALL.replace("insert or replace", "insert", 1)


class StoreWriteError(Exception):
    """Events could not be stored; the message names the database and the cause."""


class EventStore:
    def __init__(self, db: sqlite_utils.Database, *, redactor: Redactor | None = None) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.redactor = redactor or Redactor.from_environment()
        self._generation: dict[str, int] = {}
        self._index = search.BatchIndex()  # what the current batch indexes, at its end (made at its start)
        self._messages: list[Params] = []  # the batch's messages rows, inserted at its end (one executemany)
        self._next_message_id = 0  # the id the batch's next message gets (0: not read yet)
        self._tool_rowids: dict[Params, int] = {}  # (session id, tool call id) → rowid of the batch's requested calls
        self._results: dict[Params, Any] = {}  # (session id, tool call id) → its stored result, as the batch left it
        self._lock = threading.Lock()
        self._features = feature_projections()
        self._projections: dict[str, Callable[[dict[str, Any]], object]] = {
            "session_started": self._session_started,
            "messages_replaced": self._messages_replaced,
            "model_call_started": self._model_call_started,
            "tool_call_validated": self._tool_call_validated,
            "approval_resolved": self._approval_resolved,
            "tool_call_started": self._tool_call_started,
            "session_finished": self._session_finished,
            "resilience_retry_tax": self._retry_tax,
        }
        # The projections whose parameters prepare() computed (storage.projection_params): (session id, parameters).
        self._run_params: dict[str, Callable[[str, Params], object]] = {
            "turn_started": self._turn_started,
            "message_appended": self._message_appended,
            "model_call_finished": self._model_call_finished,
            "tool_call_requested": self._tool_call_requested,
            "tool_call_finished": self._tool_call_finished,
        }
        self._projected = frozenset((*self._projections, *self._run_params, *self._features))  # types _write acts on

    # --- appending ---------------------------------------------------------------

    def append(self, event: dict[str, Any]) -> None:
        self.append_many([event])

    def append_many(self, events: Iterable[dict[str, Any]]) -> int:
        """Write events (and their projections) in one transaction, retried briefly if it fails."""
        with collector_paused():  # (storage.collector: the batch is prepared, and then written, without collections)
            batch = prepare(events, self.redactor)
        return self.append_prepared(batch)

    def append_prepared(self, batch: list[PreparedEvent]) -> int:
        """Write events made by :func:`prepare` (with this store's redactor) in one transaction."""
        with self._lock:
            for delay in (*WRITE_RETRY_DELAYS_S, None):
                try:
                    with collector_paused():
                        self._write_batch(batch)
                    return len(batch)
                except sqlite3.Error as exc:
                    if delay is None or self.conn.in_transaction:  # inside a caller's transaction: theirs to retry
                        raise StoreWriteError(f"cannot store events in {self._where()}: {exc}") from exc
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _write_batch(self, batch: list[PreparedEvent]) -> None:
        try:
            with write_transaction(self.db):
                self._index = index = search.BatchIndex(search.indexes_per_batch(self.conn))
                projected = self._projected
                for event in batch:
                    if event[2] in projected or event[5] is not None:  # (its type, its blob)
                        self._write(event)
                if self._messages:
                    self.conn.executemany(_INSERT_MESSAGE, self._results_not_repeated(self._messages))
                self.conn.executemany(_INSERT_EVENT, [event[:5] for event in batch])
                index.write(self.conn)
        except BaseException:
            self._generation.clear()  # it may count a compaction that was rolled back
            raise
        finally:
            self._messages = []
            self._next_message_id = 0
            self._tool_rowids = {}
            self._results = {}

    def _where(self) -> str:
        try:
            for row in self.conn.execute("pragma database_list"):
                if row[1] == "main":
                    return row[2] or "the in-memory database"
        except sqlite3.Error:
            pass
        return "the database"

    def _write(self, prepared: PreparedEvent) -> None:
        kind = prepared.type
        if prepared.blob is not None:
            digest, content = prepared.blob
            self.conn.execute(
                "insert or ignore into blobs (hash, size, content) values (?, ?, ?)", (digest, len(content), content)
            )
        run = self._run_params.get(kind)
        if run is not None:
            params = prepared.params
            if params is None:  # a PreparedEvent made by hand: no parameters yet
                params = projection_params.params(kind, prepared.session_id, prepared.seq, prepared.ts, prepared.row["payload"])
            run(prepared.session_id, params or ())
        else:
            projection = self._projections.get(kind)
            if projection is not None:
                projection(prepared.row)
        for fn in self._features.get(kind, ()):
            fn(self.db, prepared.row)

    # --- projections ---------------------------------------------------------------

    def _session_started(self, row: dict[str, Any]) -> None:
        p = row["payload"]
        existing = self.conn.execute("select 1 from sessions where id = ?", (row["session_id"],)).fetchone()
        if existing:
            self.conn.execute(
                "update sessions set status = 'running', ended_at = null, pid = ?, host = ?, model = coalesce(?, model) where id = ?",
                (os.getpid(), socket.gethostname(), p.get("model") or None, row["session_id"]),
            )
            return
        self.conn.execute(
            """insert into sessions (id, title, workspace, model, api_base, source, source_path, source_hash,
                   status, started_at, settings, pid, host, parent_id)
               values (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)""",
            (
                row["session_id"],
                p.get("title") or "",
                p.get("workspace"),
                p.get("model"),
                p.get("api_base"),
                p.get("source") or "cockpit",
                p.get("source_path"),
                p.get("source_hash"),
                iso(row["ts"]),
                json_or_none(p.get("settings") or {}),
                os.getpid(),  # the writer, until session_finished (an import in progress too)
                socket.gethostname(),
                p.get("parent_id"),
            ),
        )

    def _turn_started(self, session_id: str, params: Params) -> None:
        self.conn.execute(projection_params.UPDATE_TITLE, params)

    def _generation_of(self, session_id: str) -> int:
        if session_id not in self._generation:
            found = self.conn.execute(
                "select max(generation) from messages where session_id = ?", (session_id,)
            ).fetchone()[0]
            self._generation[session_id] = found or 0
        return self._generation[session_id]

    def _insert_message(self, session_id: str, generation: int, params: Params) -> None:
        """A messages row, inserted at the batch's end with the id it gets here (the batch holds the write lock,
        and the store only appends to messages: nothing else takes an id meanwhile)."""
        message_id = self._next_message_id
        if not message_id:
            message_id = int(self.conn.execute("select coalesce(max(id), 0) + 1 from messages").fetchone()[0])
        self._next_message_id = message_id + 1
        self._messages.append((message_id, session_id, generation, *params, None))
        self._index.message(message_id, params[1], params[2])  # (its role, its content)

    def _results_not_repeated(self, rows: list[Params]) -> list[Params]:
        """The batch's messages rows, a tool message whose content is its tool call's result (as the batch leaves
        it, so a later change in the batch counts) without it: content null, content_from TOOL_CALL_RESULT."""
        results = self._results
        for i, row in enumerate(rows):
            content = row[_CONTENT]
            if row[_ROLE] == "tool" and type(content) is str and row[_TOOL_CALL_ID] is not None:
                key = (row[1], row[_TOOL_CALL_ID])
                result = results.get(key, _UNKNOWN)
                if result is _UNKNOWN:
                    found = self.conn.execute("select result from tool_calls where session_id = ? and tool_call_id = ?",
                                              key).fetchone()
                    result = results[key] = None if found is None else found[0]
                if type(result) is str and result == content:
                    rows[i] = (*row[:_CONTENT], None, *row[_CONTENT + 1:-1], TOOL_CALL_RESULT)
        return rows

    def _message_appended(self, session_id: str, params: Params) -> None:
        self._insert_message(session_id, self._generation_of(session_id), params)

    def _messages_replaced(self, row: dict[str, Any]) -> None:
        sid = row["session_id"]
        generation = self._generation_of(sid) + 1
        self._generation[sid] = generation
        for index, message in enumerate(row["payload"].get("messages") or []):
            self._insert_message(sid, generation, projection_params.message(index, message, None, row["seq"]))

    def _model_call_started(self, row: dict[str, Any]) -> None:
        p = row["payload"]
        self.conn.execute(
            """insert or replace into model_calls (id, session_id, turn, step, attempt, model, role, started_at,
                   request_message_count, estimated_prompt_tokens, status)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')""",
            (
                *projection_params.model_call(row["session_id"], p),
                iso(row["ts"]),
                p.get("message_count"),
                p.get("estimated_prompt_tokens"),
            ),
        )

    def _model_call_finished(self, session_id: str, params: Params) -> None:
        self.conn.execute(projection_params.MODEL_CALL_FINISHED, params)

    def _tool_call_requested(self, session_id: str, params: Params) -> int:
        try:
            cursor = self.conn.execute(_INSERT_NEW_TOOL_CALL, params)
        except sqlite3.IntegrityError:  # the call's id again (or a value the table refuses): the row is replaced
            found = self._tool_rowid(params[:2])
            if found is None:
                raise
            self._index.tool_deleted(self.conn, found)
            self.conn.execute("delete from tool_calls where rowid = ?", [found])
            cursor = self.conn.execute(_INSERT_NEW_TOOL_CALL, params)
        rowid = int(cursor.lastrowid or 0)
        self._index.tool(rowid, params[4], params[5])  # (its name, its arguments_raw)
        self._tool_rowids[params[:2]] = rowid  # (a reused call id: the new row's)
        self._results[params[:2]] = None
        return rowid

    def _tool_rowid(self, key: Params) -> int | None:
        """The rowid of the tool call (session id, tool call id), None when there is none."""
        found = self.conn.execute("select rowid from tool_calls where session_id = ? and tool_call_id = ?", key).fetchone()
        return None if found is None else int(found[0])

    def _tool_call_validated(self, row: dict[str, Any]) -> None:
        p = row["payload"]
        self.conn.execute(
            "update tool_calls set arguments = ?, status = 'validated' where session_id = ? and tool_call_id = ?",
            (json_or_none(p.get("arguments")), row["session_id"], p["tool_call_id"]),
        )

    def _approval_resolved(self, row: dict[str, Any]) -> None:
        p = row["payload"]
        self.conn.execute(
            "update tool_calls set approval = ? where session_id = ? and tool_call_id = ?",
            (p.get("decision"), row["session_id"], p["tool_call_id"]),
        )

    def _tool_call_started(self, row: dict[str, Any]) -> None:
        self.conn.execute(
            "update tool_calls set status = 'running' where session_id = ? and tool_call_id = ?",
            (row["session_id"], row["payload"]["tool_call_id"]),
        )

    def _tool_call_finished(self, session_id: str, params: Params) -> None:
        finish, request = params  # request: the row to start when the file has no request for this call
        key = finish[-2:]
        rowid = self._tool_rowids.get(key) or self._tool_rowid(key)  # (requested by this batch: its rowid is known)
        if rowid is None:  # finished without a request (an import of a result whose call is not in the file)
            rowid = self._tool_call_requested(session_id, request)
        name, arguments_raw = self._index.tool_changes(self.conn, rowid)
        self.conn.execute(projection_params.FINISH_TOOL_CALL, finish)
        self._results[key] = finish[1]
        self._index.tool(rowid, name, arguments_raw, finish[1], finish[4])  # (its result, its error)

    def _retry_tax(self, row: dict[str, Any]) -> None:
        p = row["payload"]
        self.conn.execute(
            "update model_calls set wasted_tokens = wasted_tokens + ?, wasted_usd = wasted_usd + ? where id = ?",
            (int(p.get("tokens") or 0), float(p.get("usd") or 0.0), p.get("call_id")),
        )

    def _session_finished(self, row: dict[str, Any]) -> None:
        status = row["payload"].get("status", "completed")
        ended = None if row["payload"].get(projection_params.NO_END_TIME) else iso(row["ts"])
        self.conn.execute(
            "update sessions set status = ?, ended_at = ?, pid = null where id = ?",
            (status, ended, row["session_id"]),
        )

    # --- reading back ---------------------------------------------------------------

    def last_seq(self, session_id: str) -> int:
        found = self.conn.execute("select max(seq) from events where session_id = ?", (session_id,)).fetchone()[0]
        return int(found or 0)


def mark_abandoned_sessions(db: sqlite_utils.Database) -> list[str]:
    """Sessions left 'running' by a process that is gone are marked interrupted."""
    stale: list[str] = []
    for row in db.query("select id, pid, host from sessions where status = 'running'"):
        if not process_alive(row["pid"], row["host"], ours=True):
            stale.append(row["id"])
    for session_id in stale:
        last = db.conn.execute("select max(ts) from events where session_id = ?", (session_id,)).fetchone()[0]
        db.conn.execute(
            "update sessions set status = 'interrupted', ended_at = ?, pid = null where id = ?",
            (iso(last), session_id),
        )
    return stale


def process_alive(pid: int | None, host: str | None, *, ours: bool = False) -> bool:
    """Is the process that wrote ``pid``/``host`` still running (this one counts when ``ours``)?"""
    if not pid or host != socket.gethostname():
        return False
    if pid == os.getpid():
        return ours
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
