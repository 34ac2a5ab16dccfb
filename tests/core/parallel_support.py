"""Tools whose calls end when the test says so, and an agent wired to a store around them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.agent.approvals import ApprovalPolicy, Approver
from app.agent.bus import EventBus, EventList
from app.agent.config import AgentConfig
from app.agent.events import core as ev
from app.agent.events.approvals import ApprovalDecision, ApprovalRequest, PermissionMode
from app.agent.loop import Agent
from app.agent.model import LiteLLMModel
from app.agent.session import Session
from app.agent.tools.base import ToolContext, ToolOutput
from app.agent.tools.registry import ToolRegistry, default_tools
from app.agent.tools.sandbox import SandboxConfig, detect
from app.runtime import store_sink
from storage.db import open_db
from storage.store import EventStore


class Probe:
    """A read-only tool: a call of ``{"key": k}`` says it entered, then waits until ``release(k)``."""

    name = "probe"
    description = "Wait for the test."
    parameters: dict[str, Any] = {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]}
    side_effects = False
    enforces_own_timeout = False

    def __init__(self) -> None:
        self._entered: dict[str, asyncio.Event] = {}
        self._gates: dict[str, asyncio.Event] = {}
        self.inside = 0
        self.most_inside = 0
        self.order: list[str] = []  # keys in the order their calls ended

    def _event(self, table: dict[str, asyncio.Event], key: str) -> asyncio.Event:
        return table.setdefault(key, asyncio.Event())

    async def entered(self, *keys: str) -> None:
        for key in keys:
            await self._event(self._entered, key).wait()

    def has_entered(self, key: str) -> bool:
        return self._event(self._entered, key).is_set()

    def release(self, *keys: str) -> None:
        for key in keys:
            self._event(self._gates, key).set()

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        key = args["key"]
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        self._event(self._entered, key).set()
        try:
            await self._event(self._gates, key).wait()
        finally:
            self.inside -= 1
        self.order.append(key)
        return ToolOutput(f"probe {key}")


class Waiter:
    """A bus subscriber: ``await waiter.until(predicate)`` returns once an event matched it."""

    def __init__(self) -> None:
        self.events = EventList()
        self._changed = asyncio.Event()

    def __call__(self, event: ev.Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def until(self, predicate: Callable[[ev.Event], bool]) -> ev.Event:
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            self._changed.clear()
            await self._changed.wait()


class HeldApprover:
    """Asks the test: each request waits until ``answer(decision)``."""

    def __init__(self) -> None:
        self.requests: list[ApprovalRequest] = []
        self._answers: asyncio.Queue[str] = asyncio.Queue()

    def answer(self, decision: str) -> None:
        self._answers.put_nowait(decision)

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        self.requests.append(request)
        return ApprovalDecision(await self._answers.get())


@dataclass
class Rig:
    session: Session
    waiter: Waiter
    db: Any
    probe: Probe
    approver: Approver = field(default_factory=lambda: HeldApprover())

    @property
    def events(self) -> EventList:
        return self.waiter.events

    def finished(self, key: str) -> Callable[[ev.Event], bool]:
        return lambda e: isinstance(e, ev.ToolCallFinished) and (e.arguments or {}).get("key") == key

    def tool_results(self) -> list[str]:
        return [m["content"] for m in self.session.agent.messages if m["role"] == "tool"]

    def stored_seqs(self) -> list[int]:
        return [r[0] for r in self.db.execute("select seq from events order by seq")]

    def stored_calls(self) -> dict[str, tuple[str, str]]:
        rows = self.db.execute("select tool_call_id, status, result from tool_calls")
        return {r[0]: (r[1], r[2]) for r in rows}


def rig(model: str, workspace: Path, db_path: Path, *, approver: Approver | None = None, parallel: int = 4,
        mode: PermissionMode = PermissionMode.ASK) -> Rig:
    db = open_db(db_path)
    store = EventStore(db)
    bus = EventBus("sess-parallel")
    bus.subscribe(store_sink(store), required=True)
    waiter = Waiter()
    bus.subscribe(waiter)
    probe = Probe()
    approver = approver or HeldApprover()
    agent = Agent(
        model=LiteLLMModel(model), tools=ToolRegistry([*default_tools(), probe]), emit=bus.emit, workspace=workspace,
        approvals=ApprovalPolicy(human=approver, mode=mode),
        config=AgentConfig(permission_mode=mode, tool_timeout_s=60, parallel_tools=parallel),
        sandbox=detect(SandboxConfig(mode="off")),
    )
    return Rig(Session(bus, agent), waiter, db, probe, approver)


def probe_call(key: str) -> dict[str, Any]:
    return {"name": "probe", "arguments": {"key": key}}
