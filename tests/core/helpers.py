"""Build a session wired to a store in a temp folder, the way the app does."""

from __future__ import annotations

from pathlib import Path

from app.agent.approvals import HeadlessApprover
from app.agent.bus import EventList
from app.runtime import RunOptions, build_session
from app.settings import Settings
from storage.db import open_db
from storage.store import EventStore


def make_session(model: str, workspace: Path, db_path: Path, *, yes: bool = True, settings: Settings | None = None, **options):
    db = open_db(db_path)
    store = EventStore(db)
    session = build_session(
        settings or Settings(),
        RunOptions(model=model, workspace=workspace, yes=yes, db_path=db_path, **options),
        human=HeadlessApprover(yes),
        store=store,
    )
    events = EventList()
    session.bus.subscribe(events)
    return session, events, db
