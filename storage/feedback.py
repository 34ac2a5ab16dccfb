"""Feedback tables: the sampling decision log, answers and implicit signals.

Schema (one row per task in ``feedback_tasks`` and ``feedback_signals``):

- ``feedback_tasks``: every completed task's sampling decision (π, u, shown,
  category, reasons, model), whether it was asked or not, plus the solicited
  answer once there is one (``response`` = answered | dismissed).
- ``feedback_answers``: every rating as it came, solicited and volunteered,
  keyed by the event's (session_id, seq) so that re-projection is idempotent.
- ``feedback_signals``: the implicit signals of each task, the common ones as
  columns and the whole dict as JSON (``signals``). ``tests_last`` is what the
  test runner's summary said: ``passed``, ``failed``, ``no_tests`` or ``unknown``
  (no summary in the output); only ``passed`` and ``failed`` count as either.
  ``tests_passed`` / ``tests_failed`` count runs read as such; runs with an
  unknown outcome are counted in the JSON only (``tests_unknown``).

``MIGRATIONS`` and ``PROJECTIONS`` follow the storage conventions; the
``task_rows`` reader is what the report and the export use. This module knows
the event types only by their strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlite_utils

TASKS = "feedback_tasks"
ANSWERS = "feedback_answers"
SIGNALS = "feedback_signals"

# signal columns: name -> SQLite type (the whole dict is kept in ``signals`` too)
SIGNAL_COLUMNS: dict[str, type] = {
    "approvals": int,
    "denials": int,
    "interrupted": int,
    "tool_calls": int,
    "tool_errors": int,
    "retries": int,
    "loop_hits": int,
    "limit_hit": str,
    "cost_usd": float,
    "tests_passed": int,
    "tests_failed": int,
    "tests_last": str,
    "rephrased": int,
    "corrected": int,
    "files_checked": int,
    "reverted": int,
    "modified": int,
    "abandoned": int,
}


def _create_tables(db: sqlite_utils.Database) -> None:
    db.table(TASKS).create(
        {
            "task_id": str,
            "session_id": str,
            "turn": int,
            "ts": float,
            "pi": float,
            "u": float,
            "shown": int,
            "category": str,
            "reasons": str,  # JSON list
            "fatigued": int,
            "model": str,
            "outcome": str,
            "response": str,  # NULL (not asked / waiting) | answered | dismissed
            "rating": str,  # up | down | skip
            "comment": str,
            "answered_ts": float,
            "dismiss_reason": str,
        },
        pk="task_id",
        if_not_exists=True,
    )
    db.table(ANSWERS).create(
        {
            "session_id": str,
            "seq": int,
            "ts": float,
            "task_id": str,
            "source": str,  # solicited | volunteered
            "rating": str,
            "comment": str,
        },
        pk=("session_id", "seq"),
        if_not_exists=True,
    )
    db.table(SIGNALS).create(
        {
            "task_id": str,
            "session_id": str,
            "turn": int,
            "ts": float,
            "model": str,
            "category": str,
            "outcome": str,
            **SIGNAL_COLUMNS,
            "signals": str,  # JSON dict
        },
        pk="task_id",
        if_not_exists=True,
    )
    db.table(TASKS).create_index(["session_id"], if_not_exists=True)
    db.table(TASKS).create_index(["ts"], if_not_exists=True)
    db.table(ANSWERS).create_index(["task_id"], if_not_exists=True)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("feedback_001_tables", _create_tables),
]


def ensure_tables(db: sqlite_utils.Database) -> None:
    """Run the feedback migrations (each is idempotent)."""
    for _name, migrate in MIGRATIONS:
        migrate(db)


# --- projections -----------------------------------------------------------------


def _sampled(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    db.table(TASKS).upsert(
        {
            "task_id": p["task_id"],
            "session_id": row["session_id"],
            "turn": p.get("turn", 0),
            "ts": row["ts"],
            "pi": p["pi"],
            "u": p["u"],
            "shown": int(bool(p["shown"])),
            "category": p.get("category", ""),
            "reasons": json.dumps(p.get("reasons", [])),
            "fatigued": int(bool(p.get("fatigued", False))),
            "model": p.get("model", ""),
            "outcome": p.get("outcome", ""),
        },
        pk="task_id",
    )


def _answered(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    db.table(ANSWERS).upsert(
        {
            "session_id": row["session_id"],
            "seq": row["seq"],
            "ts": row["ts"],
            "task_id": p["task_id"],
            "source": p.get("source", "solicited"),
            "rating": p.get("rating", "skip"),
            "comment": p.get("comment", ""),
        },
        pk=("session_id", "seq"),
    )
    if p.get("source", "solicited") == "solicited":
        db.table(TASKS).upsert(
            {
                "task_id": p["task_id"],
                "response": "answered",
                "rating": p.get("rating", "skip"),
                "comment": p.get("comment", ""),
                "answered_ts": row["ts"],
                "dismiss_reason": None,
            },
            pk="task_id",
        )


def _dismissed(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    # an answer always wins over a dismissal, whichever is projected first
    db.execute(
        f"UPDATE {TASKS} SET response = 'dismissed', dismiss_reason = ? "
        "WHERE task_id = ? AND (response IS NULL OR response = 'dismissed')",
        [p.get("reason", "dismissed"), p["task_id"]],
    )


def _signals(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    signals = p.get("signals", {})
    record: dict[str, Any] = {
        "task_id": p["task_id"],
        "session_id": row["session_id"],
        "turn": p.get("turn", 0),
        "ts": row["ts"],
        "model": signals.get("model", ""),
        "category": signals.get("category", ""),
        "outcome": signals.get("outcome", ""),
        "signals": json.dumps(signals),
    }
    for name, kind in SIGNAL_COLUMNS.items():
        value = signals.get(name)
        record[name] = int(bool(value)) if isinstance(value, bool) else value
    db.table(SIGNALS).upsert(record, pk="task_id")


PROJECTIONS: dict[str, Callable[[sqlite_utils.Database, dict[str, Any]], None]] = {
    "feedback_sampled": _sampled,
    "feedback_answered": _answered,
    "feedback_dismissed": _dismissed,
    "implicit_signals": _signals,
}


# --- readers ---------------------------------------------------------------------

_TASK_ROWS = f"""
WITH ids AS (
    SELECT task_id FROM {TASKS} UNION SELECT task_id FROM {SIGNALS}
),
volunteered AS (
    SELECT task_id, rating, comment, ts,
           ROW_NUMBER() OVER (PARTITION BY task_id ORDER BY ts DESC, seq DESC) AS pos
    FROM {ANSWERS} WHERE source = 'volunteered'
)
SELECT
    ids.task_id AS task_id,
    COALESCE(t.session_id, s.session_id) AS session_id,
    COALESCE(t.turn, s.turn) AS turn,
    COALESCE(t.ts, s.ts) AS ts,
    COALESCE(NULLIF(t.model, ''), s.model, '') AS model,
    COALESCE(NULLIF(t.category, ''), s.category, '') AS category,
    COALESCE(NULLIF(t.outcome, ''), s.outcome, '') AS outcome,
    t.pi, t.u, t.shown, t.fatigued, t.reasons,
    t.response, t.rating, t.comment, t.dismiss_reason,
    v.rating AS volunteered_rating, v.comment AS volunteered_comment,
    {", ".join(f"s.{name} AS {name}" for name in SIGNAL_COLUMNS)},
    s.signals AS signals
FROM ids
LEFT JOIN {TASKS} t ON t.task_id = ids.task_id
LEFT JOIN {SIGNALS} s ON s.task_id = ids.task_id
LEFT JOIN volunteered v ON v.task_id = ids.task_id AND v.pos = 1
"""


def task_rows(
    db: sqlite_utils.Database, *, since: float | None = None, model: str | None = None
) -> list[dict[str, Any]]:
    """One dict per task (decision, solicited answer, last volunteered rating,
    signals), oldest first; ``since`` is a Unix time, ``model`` an exact name."""
    ensure_tables(db)
    clauses: list[str] = []
    params: list[float | str] = []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(since)
    if model:
        clauses.append("model = ?")
        params.append(model)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT * FROM ({_TASK_ROWS}) {where} ORDER BY ts, session_id, turn"
    rows = []
    for row in db.query(sql, params):
        row["reasons"] = json.loads(row["reasons"]) if row["reasons"] else []
        row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        for name in ("shown", "fatigued"):
            if row[name] is not None:
                row[name] = bool(row[name])
        rows.append(row)
    return rows
