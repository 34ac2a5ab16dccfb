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

STATUSES = ("completed", "unverified", "interrupted", "failed", "limit", "running")
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
    "files": "Files",
    "tokens": "Tokens",
    "cost": "Cost",
    "outcome": "Outcome",
    "feedback": "Feedback",
}

COLUMN_WIDTHS: dict[str, int] = {"title": 40, "workspace": 24, "model": 24}  # at most; cut with …

# The columns a narrow table keeps, most important first; the others go from the end of this list.
COLUMN_PRIORITY = ("title", "outcome", "cost", "started", "model", "tokens", "steps", "duration", "files", "feedback",
                   "workspace")
TREE_BRANCH, TREE_INDENT = "└ ", "  "  # a child session's title, under its parent's
TITLE_MIN = 20  # the title gives up cells down to this before a column goes
CELL_PADDING = 2  # DataTable's padding around each cell


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
    each with ``feedback_up`` / ``feedback_down`` counts, ``files_changed`` (the checkpoints') and
    ``parent_id`` (a delegated task's, an imported sub-agent's: the session it belongs to); ``tokens_in`` /
    ``tokens_out`` are None when no call has token counts (as ``cockpit sessions`` says)."""
    from storage.checkpoints import files_changed
    from storage.queries import feedback_counts, list_sessions
    from storage.session_tree import parents_of

    rows = list_sessions(db, search=query.search.strip() or None, workspace=query.workspace, limit=query.limit)
    rows = [
        r for r in rows
        if (query.status is None or r["status"] == query.status) and (query.source is None or r["source"] == query.source)
    ]
    counts = feedback_counts(db, [r["id"] for r in rows])
    changed = files_changed(db, [r["id"] for r in rows])  # None: no checkpoint says (none changed, or before them)
    parents = parents_of(db, [r["id"] for r in rows])
    for row in rows:
        row["feedback_up"], row["feedback_down"] = counts.get(row["id"], (0, 0))
        row["files_changed"] = changed.get(row["id"])
        row["parent_id"] = parents.get(row["id"])
    return rows


# --- sorting ---------------------------------------------------------------------------

SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "title": lambda r: (r.get("title") or "").lower(),
    "workspace": lambda r: (r.get("workspace") or "").lower(),
    "model": lambda r: (r.get("model") or "").lower(),
    "started": lambda r: r.get("started_at") or "",
    "duration": lambda r: r.get("duration_s") if r.get("duration_s") is not None else -1.0,
    "steps": lambda r: r.get("steps") or 0,
    "files": lambda r: r.get("files_changed") if r.get("files_changed") is not None else -1,  # unknown first
    "tokens": lambda r: -1 if (n := _tokens(r)) is None else n,  # unknown first
    "cost": lambda r: r.get("cost_usd") if r.get("cost_usd") is not None else -1.0,  # unpriced below $0
    "outcome": lambda r: r.get("status") or "",
    "feedback": lambda r: (r.get("feedback_up", 0) - r.get("feedback_down", 0), r.get("feedback_up", 0)),
}


def sort_rows(rows: list[dict[str, Any]], column: str, reverse: bool) -> list[dict[str, Any]]:
    """Rows ordered by ``column`` (ties keep the newest first), each child under its parent (:func:`tree_order`)."""
    newest_first = sorted(rows, key=SORT_KEYS["started"], reverse=True)
    return tree_order(sorted(newest_first, key=SORT_KEYS[column], reverse=reverse))


def tree_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with every child session right under its parent (siblings in the order given), and each
    row's ``depth`` (0: a session whose parent is not listed, or that has none)."""
    ids = {r["id"] for r in rows}
    children: dict[str, list[dict[str, Any]]] = {}
    roots = []
    for row in rows:
        parent = row.get("parent_id")
        if parent in ids and parent != row["id"]:
            children.setdefault(parent, []).append(row)
        else:
            roots.append(row)
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()
    for root in [*roots, *rows]:  # then the rows of a parent cycle, which no root leads to
        stack = [(root, 0)]
        while stack:
            row, depth = stack.pop()
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            ordered.append({**row, "depth": depth})
            stack.extend((child, depth + 1) for child in reversed(children.get(row["id"], [])))
    return ordered


# --- cells -------------------------------------------------------------------------------


def cells(row: dict[str, Any], widths: dict[str, int] | None = None) -> list[str]:
    """The row as the table shows it: every column in ``COLUMNS`` order, or those of ``widths``
    (key → cells; text longer than that is cut with …, numbers never are)."""
    widths = widths or {key: COLUMN_WIDTHS.get(key, 0) for key in COLUMNS}
    texts = full_cells(row)
    return [
        _short_path(texts[key], widths[key]) if key == "workspace" else _fit(texts[key], widths[key]) if key in COLUMN_WIDTHS
        else texts[key]
        for key in COLUMNS if key in widths
    ]


def full_cells(row: dict[str, Any]) -> dict[str, str]:
    """Every column's text, uncut."""
    return {
        "title": TREE_INDENT * max(0, row.get("depth", 0) - 1) + (TREE_BRANCH if row.get("depth") else "")
                 + " ".join((row.get("title") or "(untitled)").split()),
        "workspace": row.get("workspace") or "",
        "model": row.get("model") or "",
        "started": (row.get("started_at") or "")[:16].replace("T", " "),
        "duration": duration(row.get("duration_s")),
        "steps": str(row.get("steps") or 0),
        "files": "—" if row.get("files_changed") is None else str(row["files_changed"]),  # — : no checkpoint says
        "tokens": tokens(_tokens(row)),
        "cost": cost_total(row.get("cost_usd"), unpriced=row.get("unpriced_calls") or 0),
        "outcome": row.get("status") or "",
        "feedback": feedback_text(row.get("feedback_up", 0), row.get("feedback_down", 0)),
    }


def _tokens(row: dict[str, Any]) -> int | None:
    """In and out tokens together; None when unknown (``load_sessions``: no call has counts)."""
    return None if row.get("tokens_in") is None else row["tokens_in"] + (row.get("tokens_out") or 0)


def column_widths(rows: list[dict[str, Any]], headers: dict[str, str], width: int) -> dict[str, int]:
    """The columns that fit in ``width`` cells and each one's width (in ``COLUMNS`` order).

    Each column is as wide as its widest cell or header (at most ``COLUMN_WIDTHS``); while the
    table is too wide the title narrows down to ``TITLE_MIN``, then the columns go from the end
    of ``COLUMN_PRIORITY``. The title takes what is left over, up to its own widest cell.
    """
    texts = [full_cells(row) for row in rows]
    natural = {
        key: min(COLUMN_WIDTHS.get(key, 10**6), max([len(headers[key])] + [len(t[key]) for t in texts]))
        for key in COLUMNS
    }
    shown = list(COLUMN_PRIORITY)

    def others() -> int:
        return sum(natural[k] + CELL_PADDING for k in shown if k != "title") + CELL_PADDING

    while len(shown) > 1 and others() + min(TITLE_MIN, natural["title"]) > width:
        shown.pop()
    title = max(min(TITLE_MIN, natural["title"]), min(natural["title"], width - others()))
    return {key: title if key == "title" else natural[key] for key in COLUMNS if key in shown}


def feedback_text(up: int, down: int) -> str:
    if not up and not down:
        return "—"
    return " ".join(part for part in (f"▲{up}" if up else "", f"▼{down}" if down else "") if part)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_path(path: str, width: int) -> str:
    """The end of a path matters most: ``…/work/project``."""
    return path if len(path) <= width else "…" + path[-(width - 1):]
