"""Storing events in tests the way the app stores them: through ``EventStore``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.agent.events.core import Event


def store_events(
    db: Any, events: Iterable[Event | dict[str, Any]], *, session_id: str | None = None, start_ts: float = 1_700_000_000.0
) -> int:
    """Write ``events`` through ``storage.store.EventStore`` in one batch (projections, feature tables,
    blobs, redaction) and return how many were written.

    Events are vocabulary events or dicts in ``Event.to_dict()`` shape. Given a ``session_id``, each is
    stamped first with that session, ``seq`` 1, 2, … and ``ts = start_ts + seq``; otherwise they keep
    their own envelope.
    """
    from storage.store import EventStore

    rows = [e.to_dict() if isinstance(e, Event) else dict(e) for e in events]
    if session_id is not None:
        rows = [{**row, "session_id": session_id, "seq": seq, "ts": start_ts + seq} for seq, row in enumerate(rows, 1)]
    return EventStore(db).append_many(rows)


def table_counts(db: Any) -> dict[str, int]:
    """Row counts of every table and the FTS index: 'nothing was written' means these did not move."""
    names = [t.name for t in db.tables if not t.name.startswith("search_fts_")]
    return {name: db.execute(f"select count(*) from [{name}]").fetchone()[0] for name in names}
