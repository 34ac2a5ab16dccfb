"""Tables of the context budget: compactions, their items, calibration per call, measurements.

The lead wires ``MIGRATIONS`` into the migration set and ``PROJECTIONS`` into
the store. Projections receive a stored event row ``{"session_id", "seq",
"type", "ts", "payload"}`` and are idempotent (keyed by session and seq), so
replaying a session's events rebuilds the same rows.

Schema (all tables keyed by ``session_id`` and the event ``seq``):

* ``budget_compactions``: one row per rung applied (or manual drop/truncate):
  step, reason, tokens before and after, message counts, summary.
* ``budget_compaction_items``: what each compaction did to which message
  (``item_id`` is the tool_call_id for tool results), with tokens and
  characters before and after. The full text of anything shortened stays in
  the ``events`` table (the original ``message_appended`` payload).
* ``budget_calibration``: per model call, the local estimate, the calibrated
  prediction and the provider's count, with the running statistics.
* ``budget_measurements``: per measurement, the headline numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils


def _create_tables(db: sqlite_utils.Database) -> None:
    db.table("budget_compactions").create(
        {
            "session_id": str,
            "seq": int,
            "ts": float,
            "step": str,
            "reason": str,
            "tokens_before": int,
            "tokens_after": int,
            "tokens_saved": int,
            "messages_before": int,
            "messages_after": int,
            "item_count": int,
            "summary": str,
            "summary_source": str,
        },
        pk=("session_id", "seq"),
        not_null={"step", "reason"},
        if_not_exists=True,
    )
    db.table("budget_compaction_items").create(
        {
            "session_id": str,
            "seq": int,
            "position": int,
            "item_id": str,
            "kind": str,
            "label": str,
            "action": str,
            "tokens_before": int,
            "tokens_after": int,
            "chars_before": int,
            "chars_after": int,
        },
        pk=("session_id", "seq", "position"),
        if_not_exists=True,
    )
    db.table("budget_calibration").create(
        {
            "session_id": str,
            "seq": int,
            "ts": float,
            "model": str,
            "call_id": str,
            "estimated": int,
            "predicted": int,
            "provider": int,
            "cached_tokens": int,
            "cache_write_tokens": int,
            "unattributed": int,
            "error_pct": float,
            "ratio": float,
            "median_ratio": float,
            "scale": float,
            "overhead": float,
            "p95_error_pct": float,
            "n": int,
        },
        pk=("session_id", "seq"),
        if_not_exists=True,
    )
    db.table("budget_measurements").create(
        {
            "session_id": str,
            "seq": int,
            "ts": float,
            "model": str,
            "turn": int,
            "advertised": int,
            "usable": int,
            "used": int,
            "used_pct": float,
            "fixed": int,
            "local_total": int,
            "calibrated_total": int,
            "middle_tokens": int,
            "level": str,
        },
        pk=("session_id", "seq"),
        if_not_exists=True,
    )
    db.table("budget_compaction_items").create_index(["item_id"], if_not_exists=True)
    db.table("budget_calibration").create_index(["model", "ts"], if_not_exists=True)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("budget_001_tables", _create_tables),
]


def _key(row: dict[str, Any]) -> dict[str, Any]:
    return {"session_id": row["session_id"], "seq": row["seq"]}


def project_compaction(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    payload = row["payload"]
    before, after = int(payload.get("tokens_before") or 0), int(payload.get("tokens_after") or 0)
    items = payload.get("items") or []
    db.table("budget_compactions").upsert(
        {
            **_key(row),
            "ts": row.get("ts"),
            "step": payload.get("step") or "",
            "reason": payload.get("reason") or "",
            "tokens_before": before,
            "tokens_after": after,
            "tokens_saved": before - after,
            "messages_before": payload.get("messages_before"),
            "messages_after": payload.get("messages_after"),
            "item_count": len(items),
            "summary": payload.get("summary"),
            "summary_source": payload.get("summary_source"),
        },
        pk=("session_id", "seq"),
    )
    db.table("budget_compaction_items").delete_where("session_id = ? and seq = ?", [row["session_id"], row["seq"]])
    db.table("budget_compaction_items").insert_all(
        (
            {
                **_key(row),
                "position": position,
                "item_id": item.get("id"),
                "kind": item.get("kind"),
                "label": item.get("label"),
                "action": item.get("action"),
                "tokens_before": item.get("tokens_before"),
                "tokens_after": item.get("tokens_after"),
                "chars_before": item.get("chars_before"),
                "chars_after": item.get("chars_after"),
            }
            for position, item in enumerate(items)
        ),
        pk=("session_id", "seq", "position"),
    )


def project_calibration(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    payload = row["payload"]
    provider = int(payload.get("provider") or 0)
    predicted = int(payload.get("predicted") or 0)
    db.table("budget_calibration").upsert(
        {
            **_key(row),
            "ts": row.get("ts"),
            "model": payload.get("model"),
            "call_id": payload.get("call_id"),
            "estimated": payload.get("estimated"),
            "predicted": predicted,
            "provider": provider,
            "cached_tokens": payload.get("cached_tokens"),
            "cache_write_tokens": payload.get("cache_write_tokens"),
            "unattributed": payload.get("unattributed"),
            "error_pct": round(abs(predicted - provider) / provider * 100, 3) if provider else None,
            "ratio": payload.get("ratio"),
            "median_ratio": payload.get("median_ratio"),
            "scale": payload.get("scale"),
            "overhead": payload.get("overhead"),
            "p95_error_pct": payload.get("p95_error_pct"),
            "n": payload.get("n"),
        },
        pk=("session_id", "seq"),
    )


def project_measurement(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    payload = row["payload"]
    db.table("budget_measurements").upsert(
        {
            **_key(row),
            "ts": row.get("ts"),
            **{
                name: payload.get(name)
                for name in (
                    "model",
                    "turn",
                    "advertised",
                    "usable",
                    "used",
                    "used_pct",
                    "fixed",
                    "local_total",
                    "calibrated_total",
                    "middle_tokens",
                    "level",
                )
            },
        },
        pk=("session_id", "seq"),
    )


PROJECTIONS: dict[str, Callable[[sqlite_utils.Database, dict[str, Any]], None]] = {
    "compaction_performed": project_compaction,
    "calibration_updated": project_calibration,
    "context_measured": project_measurement,
}


# --- readers -----------------------------------------------------------------------------


def calibration_samples(db: sqlite_utils.Database, model: str, limit: int = 200) -> list[tuple[int, int]]:
    """The latest (estimated, provider) pairs for ``model``, oldest first, to seed calibration."""
    if "budget_calibration" not in db.table_names():
        return []
    rows = db.execute(
        "select estimated, provider from budget_calibration where model = ? order by ts desc, seq desc limit ?",
        [model, limit],
    ).fetchall()
    return [(int(e), int(p)) for e, p in reversed(rows)]


def compactions(db: sqlite_utils.Database, session_id: str) -> list[dict[str, Any]]:
    """A session's compactions in order, each with its ``items``."""
    out = []
    for row in db.table("budget_compactions").rows_where("session_id = ?", [session_id], order_by="seq"):
        row["items"] = list(
            db.table("budget_compaction_items").rows_where(
                "session_id = ? and seq = ?", [session_id, row["seq"]], order_by="position"
            )
        )
        out.append(row)
    return out
