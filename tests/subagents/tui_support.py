"""A TUI harness whose sessions have the task tool, with ids a snapshot can rely on."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from app.agent.approvals import HeadlessApprover
from app.agent.bus import EventBus
from app.agent.subagents.runner import Delegator
from app.agent.tools.registry import ToolRegistry
from app.agent.tools.task import TaskTool
from app.runtime import store_sink
from tests.tui.helpers import Harness


def with_task_tool(h: Harness) -> Harness:
    """``h`` whose every session may delegate; ids count up (``c0000…1``, ``c0000…2``)."""
    counter = itertools.count(1)
    make = h.make_session

    def child_bus(child_id: str) -> EventBus:
        bus = EventBus(child_id)
        bus.subscribe(store_sink(h.store), required=True)
        bus.subscribe(h.events)
        return bus

    def make_session(approver: Any, **overrides: Any):
        session = make(approver, **overrides)
        agent = session.agent
        delegator = Delegator(new_bus=child_bus, session_id=session.id,
                              new_id=lambda: f"c{next(counter):031d}")
        agent.tools = agent.pipeline.tools = ToolRegistry([*agent.tools, TaskTool(delegator)])
        delegator.bind(agent)
        return session

    h.make_session = make_session  # type: ignore[method-assign]
    return h


async def store_task(h: Harness, task: str) -> Any:
    """The task run headless into the store (the screens then read what was stored)."""
    session = h.make_session(HeadlessApprover(True))
    session.start()
    await session.run_task(task)
    session.finish()
    return session


def run_stored(h: Harness, task: str) -> Any:
    return asyncio.run(store_task(h, task))
