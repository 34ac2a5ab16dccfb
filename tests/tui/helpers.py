"""Build a CockpitApp the way ``run_tui`` does, with a scripted model and a store in tmp."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from app.agent.events import core as ev
from app.agent.approvals import ApprovalPolicy
from app.agent.events.approvals import PermissionMode
from app.agent.bus import EventBus, EventList
from app.agent.config import AgentConfig
from app.agent.loop import Agent
from app.agent.model import LiteLLMModel
from app.agent.session import Session
from app.agent.tools.registry import default_tools
from app.agent.tools.sandbox import SandboxConfig, detect
from app.runtime import store_sink
from app.tui.app import CockpitApp
from storage.db import open_db
from storage.store import EventStore


# The TUI tests are about the screen: commands run unsandboxed on every machine, so the
# status bar (and every snapshot) says "unsandboxed" whether or not bubblewrap is installed.
UNSANDBOXED = detect(SandboxConfig(mode="off"))


class FrozenClock:
    """A clock that only moves when told (for elapsed times in snapshots)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def freeze(event: ev.Event) -> ev.Event:
    """Durations and latencies fixed, so snapshots do not depend on the machine's speed."""
    if isinstance(event, ev.ToolCallFinished):
        event.duration_ms = 12.0 if event.duration_ms else 0.0
    if isinstance(event, ev.ModelCallFinished):
        event.latency_ms = 100.0
    return event


@dataclasses.dataclass
class Harness:
    """What a test needs: the app, the database, every event of every session."""

    model: str
    workspace: Path
    db_path: Path
    mode: PermissionMode = PermissionMode.ASK
    session_ids: list[str] = dataclasses.field(default_factory=list)
    frozen: bool = False
    resume: str | None = None  # the first session resumes this stored one (as ``--resume``)
    events: EventList = dataclasses.field(default_factory=EventList)
    sessions: list[Session] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.db = open_db(self.db_path)
        self.store = EventStore(self.db)

    def make_session(self, approver: Any, **overrides: Any) -> Session:
        if self.resume and not overrides:
            overrides, self.resume = {"resume": self.resume}, None
        session_id = self.session_ids.pop(0) if self.session_ids else f"sess{len(self.sessions):012d}"
        messages: list[dict] = []
        previous_status = None
        if overrides.get("resume"):  # as app.runtime.build_session resumes
            from storage.queries import conversation

            session_id = overrides["resume"]
            messages = conversation(self.db, session_id)
            previous_status = ev.SessionStatus(self.session_row(session_id)["status"])
        bus = EventBus(session_id, start_seq=self.store.last_seq(session_id))
        bus.subscribe(store_sink(self.store), required=True)
        bus.subscribe(self.events)
        model = LiteLLMModel(overrides.get("model") or self.model)
        emit = (lambda e: bus.emit(freeze(e))) if self.frozen else bus.emit
        agent = Agent(
            model=model,
            tools=default_tools(),
            emit=emit,
            workspace=self.workspace,
            approvals=ApprovalPolicy(human=approver, mode=self.mode),
            config=AgentConfig(permission_mode=self.mode, tool_timeout_s=60),
            messages=messages,
            sandbox=UNSANDBOXED,
        )
        session = Session(bus, agent, resumed=bool(overrides.get("resume")), previous_status=previous_status)
        self.sessions.append(session)
        return session

    def app(self, **kwargs: Any) -> CockpitApp:
        kwargs.setdefault("database", lambda: self.db)
        kwargs.setdefault("load_litellm", False)
        return CockpitApp(self.make_session, **kwargs)

    def tool_call(self, tool_call_id: str) -> dict:
        return dict(self.db["tool_calls"].get((self.sessions[-1].id, tool_call_id)))

    def session_row(self, session_id: str) -> dict:
        return dict(self.db["sessions"].get(session_id))


RESUMED_ID = "5e55101000000000"


def resumed_synthetic_app(harness: Any, **options: Any) -> CockpitApp:
    """The app resuming a stored synthetic session (420 events: costs, context numbers, retries,
    feedback), with the live panes and a frozen clock."""
    from app.replay.synthetic import generate_session
    from app.tui.live_panes import LivePanes

    h = harness([], frozen=True)
    stored = generate_session(RESUMED_ID, events=420, workspace=str(h.workspace))
    h.store.append_many(e.to_dict() for e in stored)
    h.resume = RESUMED_ID
    return h.app(clock=FrozenClock(), cursor_blink=False, session_panes=LivePanes, **options)
