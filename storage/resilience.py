"""Resilience tables: the idempotency ledger and projections of the retry events.

Tables (all prefixed ``resilience_``):

``resilience_idempotency``      one row per side effect key and the tool call that reserved it:
                                pending → done with its result (a reference to the stored tool
                                call, not a copy of its output).
``resilience_attempts``         every model-call attempt outcome and the engine's decision.
``resilience_breaker_changes``  every circuit breaker transition.
``resilience_loop_hits``        every doom-loop detector hit.
``resilience_retry_tax``        every charge of wasted tokens / dollars.
``resilience_sessions``         per-session totals, recomputed from the tables above.

Projections are keyed by ``(session_id, seq)``, so replaying an event twice
leaves the tables unchanged. This module works with event ``type`` strings and
payload dicts only: it never imports the app.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.redact import Redactor

IDEMPOTENCY = "resilience_idempotency"
ATTEMPTS = "resilience_attempts"
BREAKERS = "resilience_breaker_changes"
LOOP_HITS = "resilience_loop_hits"
TAX = "resilience_retry_tax"
SESSIONS = "resilience_sessions"

_READ_BACK = ("text", "full_output")  # of a tool call's result: read from the stored call, not copied
NOT_STORED = "(the effect was applied, but its output was not stored)"

_EVENT_KEYS = {"session_id": str, "seq": int, "ts": float}


def _create_tables(db: sqlite_utils.Database) -> None:
    db.table(IDEMPOTENCY).create(
        {
            "key": str,
            "session_id": str,
            "tool": str,
            "args_digest": str,
            "status": str,
            "result": str,  # JSON
            "created_ts": float,
            "completed_ts": float,
        },
        pk="key",
        not_null={"session_id", "tool", "args_digest", "status"},
        if_not_exists=True,
    )
    db.table(ATTEMPTS).create(
        {
            **_EVENT_KEYS,
            "call_id": str,
            "target": str,
            "attempt": int,
            "max_attempts": int,
            "first_try": int,
            "fallback": int,
            "outcome": str,  # ok | retry | fallback | stop | short_circuit
            "reason": str,
            "error_kind": str,
            "error_class": str,
            "status": int,
            "message": str,
            "retry_after_s": float,
            "wait_s": float,
            "retry_cost": float,
            "bucket_level": float,
        },
        pk=("session_id", "seq"),
        if_not_exists=True,
    )
    db.table(BREAKERS).create(
        {
            **_EVENT_KEYS,
            "scope": str,
            "target": str,
            "state": str,
            "previous": str,
            "reason": str,
            "open_for_s": float,
            "trips": int,
        },
        pk=("session_id", "seq"),
        if_not_exists=True,
    )
    db.table(LOOP_HITS).create(
        {**_EVENT_KEYS, "pattern": str, "action": str, "tool": str, "count": int, "turn": int, "message": str},
        pk=("session_id", "seq"),
        if_not_exists=True,
    )
    db.table(TAX).create(
        {**_EVENT_KEYS, "call_id": str, "attempt": int, "model": str, "tokens": int, "usd": float, "reason": str},
        pk=("session_id", "seq"),
        if_not_exists=True,
    )
    db.table(SESSIONS).create(
        {
            "session_id": str,
            "first_tries": int,
            "retries": int,
            "retry_ratio": float,
            "refused_by_budget": int,
            "short_circuited": int,
            "backoff_s": float,
            "wasted_tokens": int,
            "wasted_usd": float,
            "loop_warnings": int,
            "loop_halts": int,
        },
        pk="session_id",
        if_not_exists=True,
    )
    db.table(ATTEMPTS).create_index(["session_id", "call_id"], if_not_exists=True)
    db.table(TAX).create_index(["session_id", "call_id", "attempt"], if_not_exists=True)


def _idempotency_calls(db: sqlite_utils.Database) -> None:
    """Each key names the tool call that reserved it: a resume finds what a killed call left behind."""
    if "tool_call_id" not in db.table(IDEMPOTENCY).columns_dict:
        db.table(IDEMPOTENCY).add_column("tool_call_id", str)
    db.table(IDEMPOTENCY).create_index(["session_id", "tool_call_id"], if_not_exists=True)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("resilience_001_tables", _create_tables),
    ("resilience_002_idempotency_calls", _idempotency_calls),
]


# --- projections -------------------------------------------------------------------


def _envelope(row: dict[str, Any]) -> dict[str, Any]:
    return {"session_id": row["session_id"], "seq": row["seq"], "ts": row.get("ts")}


def _attempt(db: sqlite_utils.Database, row: dict[str, Any], outcome: str, payload: dict[str, Any]) -> None:
    db.table(ATTEMPTS).upsert(
        {
            **_envelope(row),
            "call_id": payload.get("call_id", ""),
            "target": payload.get("target", ""),
            "attempt": payload.get("attempt", 0),
            "max_attempts": payload.get("max_attempts", 0),
            "first_try": int(bool(payload.get("first_try", False))),
            "fallback": int(bool(payload.get("fallback", False))),
            "outcome": outcome,
            "reason": payload.get("reason", ""),
            "error_kind": payload.get("error_kind", ""),
            "error_class": payload.get("error_class", ""),
            "status": payload.get("status"),
            "message": payload.get("message", ""),
            "retry_after_s": payload.get("retry_after_s"),
            "wait_s": payload.get("wait_s", 0.0),
            "retry_cost": payload.get("retry_cost", 0.0),
            "bucket_level": payload.get("bucket_level"),
        },
        pk=("session_id", "seq"),
    )
    _refresh_session(db, row["session_id"])


def project_attempt_succeeded(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    _attempt(db, row, "ok", row["payload"])


def project_attempt_failed(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    payload = row["payload"]
    _attempt(db, row, payload.get("decision", "stop"), payload)


def project_short_circuited(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    payload = dict(row["payload"])
    payload.setdefault("error_class", "breaker_open")
    payload["reason"] = f"fallback to {payload['fallback_target']}" if payload.get("fallback_target") else "paused"
    _attempt(db, row, "short_circuit", payload)


def project_breaker_changed(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    db.table(BREAKERS).upsert(
        {
            **_envelope(row),
            "scope": p.get("scope", "model"),
            "target": p.get("target", ""),
            "state": p.get("state", ""),
            "previous": p.get("previous", ""),
            "reason": p.get("reason", ""),
            "open_for_s": p.get("open_for_s", 0.0),
            "trips": p.get("trips", 0),
        },
        pk=("session_id", "seq"),
    )


def project_loop_detected(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    db.table(LOOP_HITS).upsert(
        {
            **_envelope(row),
            "pattern": p.get("pattern", ""),
            "action": p.get("action", ""),
            "tool": p.get("tool"),
            "count": p.get("count", 0),
            "turn": p.get("turn", 0),
            "message": p.get("message", ""),
        },
        pk=("session_id", "seq"),
    )
    _refresh_session(db, row["session_id"])


def project_retry_tax(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    db.table(TAX).upsert(
        {
            **_envelope(row),
            "call_id": p.get("call_id", ""),
            "attempt": p.get("attempt", 0),
            "model": p.get("model", ""),
            "tokens": p.get("tokens", 0),
            "usd": p.get("usd", 0.0),
            "reason": p.get("reason", ""),
        },
        pk=("session_id", "seq"),
    )
    _refresh_session(db, row["session_id"])


def _refresh_session(db: sqlite_utils.Database, session_id: str) -> None:
    """Recompute the session's totals from the projected rows (idempotent)."""
    one = db.execute
    first, retries, refused, short, backoff = one(
        f"""select coalesce(sum(first_try = 1 and outcome != 'short_circuit'), 0),
                   coalesce(sum(first_try = 0 and outcome != 'short_circuit'), 0),
                   coalesce(sum(reason = 'retry_budget'), 0),
                   coalesce(sum(outcome = 'short_circuit'), 0),
                   coalesce(sum(case when outcome = 'retry' then wait_s else 0 end), 0.0)
            from {ATTEMPTS} where session_id = ?""",
        [session_id],
    ).fetchone()
    tokens, usd = one(
        f"select coalesce(sum(tokens), 0), coalesce(sum(usd), 0.0) from {TAX} where session_id = ?", [session_id]
    ).fetchone()
    warnings, halts = one(
        f"select coalesce(sum(action = 'warn'), 0), coalesce(sum(action = 'halt'), 0) from {LOOP_HITS} "
        "where session_id = ?",
        [session_id],
    ).fetchone()
    db.table(SESSIONS).upsert(
        {
            "session_id": session_id,
            "first_tries": first,
            "retries": retries,
            "retry_ratio": retries / first if first else 0.0,
            "refused_by_budget": refused,
            "short_circuited": short,
            "backoff_s": backoff,
            "wasted_tokens": tokens,
            "wasted_usd": usd,
            "loop_warnings": warnings,
            "loop_halts": halts,
        },
        pk="session_id",
    )


PROJECTIONS: dict[str, Callable[[sqlite_utils.Database, dict[str, Any]], None]] = {
    "resilience_attempt_succeeded": project_attempt_succeeded,
    "resilience_attempt_failed": project_attempt_failed,
    "resilience_call_short_circuited": project_short_circuited,
    "resilience_breaker_changed": project_breaker_changed,
    "resilience_loop_detected": project_loop_detected,
    "resilience_retry_tax": project_retry_tax,
}


# --- the idempotency ledger -----------------------------------------------------------


@dataclass
class LedgerRow:
    key: str
    session_id: str
    tool: str
    args_digest: str
    status: str  # pending | done
    result: dict[str, Any] | None


class SqliteLedger:
    """The idempotency ledger in SQLite (satisfies ``app.agent.resilience.idempotency.IdempotencyLedger``).

    It stores and returns entries; the rules (conflicts, pending keys) are the
    guard's. Run :data:`MIGRATIONS` first. A result that names its
    ``tool_call_id`` is kept as a reference: its ``text`` and ``full_output``
    are read back from that stored tool call (``tool_calls`` and its blob),
    never copied here. What is stored goes through the redactor.
    """

    def __init__(
        self, db: sqlite_utils.Database, *, clock: Callable[[], float] = time.time, redactor: Redactor | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.redactor = redactor or Redactor.from_environment()

    def reserve(
        self, key: str, *, session_id: str, tool: str, args_digest: str, tool_call_id: str = ""
    ) -> LedgerRow | None:
        with self.db.conn:
            cursor = self.db.execute(
                f"insert or ignore into {IDEMPOTENCY} (key, session_id, tool, args_digest, status, created_ts, "
                "tool_call_id) values (?, ?, ?, ?, 'pending', ?, ?)",
                [key, session_id, tool, args_digest, self.clock(), tool_call_id or None],
            )
        if cursor.rowcount == 1:
            return None
        return self.get(key)

    def complete(self, key: str, result: dict[str, Any]) -> None:
        if result.get("tool_call_id"):
            result = {k: v for k, v in result.items() if k not in _READ_BACK}
        with self.db.conn:
            cursor = self.db.execute(
                f"update {IDEMPOTENCY} set status = 'done', result = ?, completed_ts = ? where key = ?",
                [self.redactor.scrub_json(result)[1], self.clock(), key],
            )
        if cursor.rowcount != 1:
            raise KeyError(key)

    def get(self, key: str) -> LedgerRow | None:
        found = self.db.execute(
            f"select key, session_id, tool, args_digest, status, result from {IDEMPOTENCY} where key = ?", [key]
        ).fetchone()
        if found is None:
            return None
        key, session_id, tool, digest, status, stored = found
        result = json.loads(stored) if stored else None
        if result is not None and result.get("tool_call_id"):
            result.update(self._stored_output(session_id, str(result["tool_call_id"])))
        return LedgerRow(key, session_id, tool, digest, status, result)

    def for_call(self, session_id: str, tool_call_id: str) -> LedgerRow | None:
        """The entry the tool call ``tool_call_id`` reserved (its latest), or None if it reserved none."""
        found = self.db.execute(
            f"select key from {IDEMPOTENCY} where session_id = ? and tool_call_id = ? "
            "order by created_ts desc, rowid desc limit 1",
            [session_id, tool_call_id],
        ).fetchone()
        return None if found is None else self.get(found[0])

    def _stored_output(self, session_id: str, tool_call_id: str) -> dict[str, Any]:
        """``text`` and ``full_output`` of the referenced tool call, as the store kept them."""
        row = self.db.execute(
            "select t.result, b.content from tool_calls t left join blobs b on b.hash = t.output_hash "
            "where t.session_id = ? and t.tool_call_id = ? and t.result is not null",
            [session_id, tool_call_id],
        ).fetchone()
        if row is None:  # the effect ran, but its outcome was never stored (the process died in between)
            return {"text": NOT_STORED, "full_output": None}
        return {"text": row[0], "full_output": row[1]}
