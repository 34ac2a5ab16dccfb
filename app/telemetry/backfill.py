"""Stored sessions → spans after the fact (``cockpit export-otel``), through the live path's builder.

A session's events are read back from the database in order and fed to a :class:`SpanBuilder`
as the bus fed them live; its children (delegated tasks, imported sub-agents) follow, as child
spans of the task call that delegated them (or, for an import that recorded no such call, of
the parent's run), in the parent's trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.agent.events.core import event_from_dict
from app.telemetry.exporter import Export
from app.telemetry.spans import Delegations, Scrubber, SpanBuilder
from storage.queries import load_events
from storage.session_tree import children_of


def backfill(db: Any, export: Export, session_id: str, *, scrubber: Scrubber,
             delegations: Delegations | None = None, on_session: Callable[[str], None] | None = None) -> int:
    """Send ``session_id`` and its descendants; the number of sessions sent."""
    delegations = delegations or Delegations()
    builder = SpanBuilder(export.tracer, scrubber=scrubber, content=export.config.content, delegations=delegations)
    for row in load_events(db, session_id):
        builder(event_from_dict(row))
    builder.close()
    if on_session is not None:
        on_session(session_id)
    sent = 1
    for child in children_of(db, session_id):
        if delegations.parent_of(child["id"]) is None and builder.first_run is not None:
            delegations.delegated(child["id"], builder.first_run)
        sent += backfill(db, export, child["id"], scrubber=scrubber, delegations=delegations, on_session=on_session)
    return sent
