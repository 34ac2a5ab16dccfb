"""Checkpoints composed with the store: a session's blobs in the database, its history from its events.

``build_session`` gives each session :func:`session_checkpoints`; ``cockpit undo`` and
``cockpit rewind`` work on a stored session through :func:`stored_checkpoints`, emitting
their events into it with a bus of their own. ``[checkpoints] max_mb`` (default 200) caps the
blobs kept in the database (``storage/checkpoints.py`` says what is pruned first).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import ConfigError, Settings

if TYPE_CHECKING:
    from app.agent.bus import EventBus
    from app.agent.checkpoints.actions import Checkpoints, Conversation, Outcome


def max_bytes(settings: Settings) -> int:
    from storage.checkpoints import DEFAULT_MAX_MB

    from app.agent.config import Bound

    value = settings.checkpoints.get("max_mb", DEFAULT_MAX_MB)
    try:
        Bound(whole=False, low=0, above=True).require("max_mb", value)  # megabytes
    except ValueError as exc:
        raise ConfigError(f"{settings.where('checkpoints', 'max_mb')}: [checkpoints] {exc}") from None
    return int(value * 2**20)


def stored_history(db: Any, session_id: str) -> Any:
    from app.agent.checkpoints.history import FOLDED_TYPES, CheckpointHistory
    from app.agent.events.core import event_from_dict
    from storage.queries import events_of_types

    return CheckpointHistory.of([event_from_dict(row) for row in events_of_types(db, session_id, FOLDED_TYPES)])


def session_checkpoints(settings: Settings, store: Any | None, session_id: str, bus: EventBus, workspace: Path,
                        conversation: Conversation, *, resumed: bool) -> Checkpoints | None:
    """The session's checkpoints in the store (None without one: the session keeps them in memory)."""
    if store is None:
        return None
    from app.agent.checkpoints.actions import Checkpoints
    from storage.checkpoints import SqliteBlobs

    blobs = SqliteBlobs(store.db, session_id, max_bytes=max_bytes(settings), redactor=store.redactor)
    history = stored_history(store.db, session_id) if resumed else None
    return Checkpoints(workspace, blobs, bus.emit, conversation, history)


def stored_checkpoints(db: Any, store: Any, session_id: str, settings: Settings) -> tuple[Checkpoints, EventBus]:
    """A stored session's checkpoints, for a command: its events go into the session with a bus of
    their own (the store subscribed, required)."""
    from app.agent.bus import EventBus
    from app.agent.checkpoints.actions import Checkpoints, StoredConversation
    from app.runtime import store_sink
    from storage.checkpoints import SqliteBlobs, session_workspace

    history = stored_history(db, session_id)
    bus = EventBus(session_id, start_seq=store.last_seq(session_id))
    bus.subscribe(store_sink(store), required=True)
    bus.subscribe(history)
    blobs = SqliteBlobs(db, session_id, max_bytes=max_bytes(settings), redactor=store.redactor)
    workspace = Path(session_workspace(db, session_id) or ".")
    return Checkpoints(workspace, blobs, bus.emit, StoredConversation(list(history.messages)), history), bus


class SessionBusy(Exception):
    """The session is open in another Cockpit process: undo it there."""


def run_command(db: Any, ref: str | None, act: Callable[[Checkpoints], Outcome | int]) -> int:
    """``cockpit undo`` / ``rewind``: ``act`` on the session ``ref`` names (default: the newest of this
    folder), refused (exit 1) while another process has it open; its outcome printed."""
    import sys

    try:
        checkpoints, _bus = command_checkpoints(db, ref)
    except SessionBusy as exc:
        print(f"cockpit: {exc}", file=sys.stderr)
        return 1
    result = act(checkpoints)
    return result if isinstance(result, int) else print_outcome(result)


def command_checkpoints(db: Any, ref: str | None) -> tuple[Checkpoints, EventBus]:
    """The stored session ``ref`` names (default: the newest of this folder); refused while it is open."""
    from app.settings import load_settings
    from storage.queries import (
        SessionNotFound,
        latest_session_in,
        resolve_session_id,
        session_header,
    )
    from storage.store import EventStore, mark_abandoned_sessions

    mark_abandoned_sessions(db)
    if ref is None:
        ref = latest_session_in(db, str(Path.cwd().resolve()))
        if ref is None:
            raise SessionNotFound(f"no Cockpit session in {Path.cwd().resolve()}; name one (cockpit sessions lists them)")
    session_id = resolve_session_id(db, ref)
    if session_header(db, session_id).get("status") == "running":
        raise SessionBusy(f"session {session_id} is open in another Cockpit: use /undo or /rewind there")
    return stored_checkpoints(db, EventStore(db), session_id, load_settings())


def print_outcome(outcome: Outcome, *, force_flag: str = "--force") -> int:
    """What an undo, redo or rewind did (exit 0), or why it did nothing (exit 1)."""
    import sys

    if not outcome.done:
        print(f"cockpit: {outcome.message}", file=sys.stderr)
        if outcome.conflicts:
            print(f"Nothing was changed. Run again with {force_flag} to overwrite them.", file=sys.stderr)
        return 1
    print(outcome.message)
    for path in outcome.changed:
        print(f"  restored {path}")
    for path in outcome.plan.skipped:
        print(f"  not restorable (content not kept): {path}")
    for path in outcome.conflicts:
        print(f"  overwritten (it had changed outside Cockpit): {path}")
    return 0
