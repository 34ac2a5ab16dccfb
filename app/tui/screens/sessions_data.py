"""What the Sessions screen lists: rows read from the database, filtered and sorted.

``load_sessions`` runs on a thread worker (never on the UI thread); the screen
only draws its result. Search uses the full-text index through
``storage.queries.list_sessions``; status and source filters are applied to its
rows, and feedback counts are added when the feedback tables exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.agent.events.format import cost_total, duration, tokens

STATUSES = ("completed", "interrupted", "failed", "limit", "running")
SOURCES = ("cockpit", "claude-code", "codex-cli", "mini-swe-agent")
LIMIT = 500

# column key → header label
COLUMNS: dict[str, str] = {
    "title": "Title",
    "workspace": "Workspace",
    "model": "Model",
    "started": "Started",
    "duration": "Duration",
    "steps": "Steps",
    "tokens": "Tokens",
    "cost": "Cost",
    "outcome": "Outcome",
    "feedback": "Feedback",
}

COLUMN_WIDTHS: dict[str, int] = {"title": 40, "workspace": 24, "model": 24}


@dataclass(frozen=True)
class SessionQuery:
    """What the user asked for: words to search, filters."""

    search: str = ""
    status: str | None = None
    source: str | None = None
    workspace: str | None = None  # only sessions of this folder when set
    limit: int = LIMIT


def load_sessions(db: Any, query: SessionQuery) -> list[dict[str, Any]]:
    """Summary rows (``storage.queries.list_sessions``) matching ``query``, newest first,
    each with ``feedback_up`` / ``feedback_down`` counts."""
    from storage.queries import feedback_counts, list_sessions

    rows = list_sessions(db, search=query.search.strip() or None, workspace=query.workspace, limit=query.limit)
    rows = [
        r for r in rows
        if (query.status is None or r["status"] == query.status) and (query.source is None or r["source"] == query.source)
    ]
    counts = feedback_counts(db, [r["id"] for r in rows])
    for row in rows:
        row["feedback_up"], row["feedback_down"] = counts.get(row["id"], (0, 0))
    return rows


# --- sorting ---------------------------------------------------------------------------

SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "title": lambda r: (r.get("title") or "").lower(),
    "workspace": lambda r: (r.get("workspace") or "").lower(),
    "model": lambda r: (r.get("model") or "").lower(),
    "started": lambda r: r.get("started_at") or "",
    "duration": lambda r: r.get("duration_s") if r.get("duration_s") is not None else -1.0,
    "steps": lambda r: r.get("steps") or 0,
    "tokens": lambda r: (r.get("tokens_in") or 0) + (r.get("tokens_out") or 0),
    "cost": lambda r: r.get("cost_usd") if r.get("cost_usd") is not None else -1.0,  # unpriced below $0
    "outcome": lambda r: r.get("status") or "",
    "feedback": lambda r: (r.get("feedback_up", 0) - r.get("feedback_down", 0), r.get("feedback_up", 0)),
}


def sort_rows(rows: list[dict[str, Any]], column: str, reverse: bool) -> list[dict[str, Any]]:
    """Rows ordered by ``column`` (ties keep the newest first)."""
    newest_first = sorted(rows, key=SORT_KEYS["started"], reverse=True)
    return sorted(newest_first, key=SORT_KEYS[column], reverse=reverse)


# --- cells -------------------------------------------------------------------------------


def cells(row: dict[str, Any]) -> list[str]:
    """The row as the table shows it, in ``COLUMNS`` order."""
    return [
        _fit(" ".join((row.get("title") or "(untitled)").split()), COLUMN_WIDTHS["title"]),
        _short_path(row.get("workspace") or "", COLUMN_WIDTHS["workspace"]),
        _fit(row.get("model") or "", COLUMN_WIDTHS["model"]),
        (row.get("started_at") or "")[:16].replace("T", " "),
        duration(row.get("duration_s")),
        str(row.get("steps") or 0),
        tokens((row.get("tokens_in") or 0) + (row.get("tokens_out") or 0)),
        cost_total(row.get("cost_usd"), unpriced=row.get("unpriced_calls") or 0),
        row.get("status") or "",
        feedback_text(row.get("feedback_up", 0), row.get("feedback_down", 0)),
    ]


def feedback_text(up: int, down: int) -> str:
    if not up and not down:
        return "—"
    return " ".join(part for part in (f"▲{up}" if up else "", f"▼{down}" if down else "") if part)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_path(path: str, width: int) -> str:
    """The end of a path matters most: ``…/work/project``."""
    return path if len(path) <= width else "…" + path[-(width - 1):]
