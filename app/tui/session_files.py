"""Database reads the TUI needs: exporting a session (into the data folder), listing sessions to resume,
the stored events of a resumed session (its transcript, panes and status bar are folded from them).

They run on the agent runner's thread (``runner.call``, or while a session is
built), like every other use of the SQLite connection, so the UI thread never
waits on the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.agent.events.core import Event


def stored_events(db: Any, session_id: str) -> list[Event]:
    """The session's stored events, in order, decoded: one read for the transcript, the panes and the status bar
    (without the copies of the conversation none of them reads: ``storage.queries.load_shown_events``)."""
    from app.agent.events.core import event_from_dict
    from storage.queries import load_shown_events

    return [event_from_dict(row) for row in load_shown_events(db, session_id)]


def export_markdown(db: Any, session_id: str, folder: Path | None = None) -> Path:
    """Write the session as Markdown into ``folder`` (default: ``exports/`` in Cockpit's data folder, never the
    user's repository); returns the file."""
    from app.paths import exports_dir
    from storage.export import export_session

    text = export_session(db, session_id, "md")
    target = folder or exports_dir()
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"cockpit-session-{session_id[:8]}.md"
    path.write_text(text, encoding="utf-8")
    return path


def resumable_sessions(db: Any, *, exclude: str = "", limit: int = 50) -> list[tuple[str, str, str]]:
    """(session id, title line, help line) of recent sessions, newest first."""
    from app.agent.events.format import count_of
    from storage.queries import list_sessions

    choices = []
    for row in list_sessions(db, limit=limit):
        if row["id"] == exclude:
            continue
        title = row.get("title") or Path(row.get("workspace") or "").name or "session"
        started = (row.get("started_at") or "")[:16].replace("T", " ")
        label = f"{row['id'][:8]} · {title} · {started}"
        help_text = (
            f"{row.get('status')} · {row.get('model')} · {count_of(row.get('steps') or 0, 'step')} · "
            f"{count_of(row.get('tool_calls') or 0, 'tool call')} · {row.get('workspace')}"
        )
        choices.append((row["id"], label, help_text))
    return choices
