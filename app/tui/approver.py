"""The TUI's :class:`~app.agent.approvals.Approver`: a future the agent awaits, a widget resolves.

``decide`` runs on the agent loop. It creates a future there, posts
:class:`~app.tui.messages.ApprovalNeeded` to the app with a ``resolve``
callable, and waits. The approval widget (through the app) calls ``resolve``
from the UI thread, which hops back to the agent loop with
``call_soon_threadsafe``. If the task is interrupted while waiting, the future
is cancelled and ``resolve`` becomes a no-op.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from app.agent.events.approvals import ApprovalDecision, ApprovalRequest
from app.tui.messages import ApprovalNeeded


class TuiApprover:
    def __init__(self, post: Callable[[Any], Any]) -> None:
        self.post = post

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ApprovalDecision] = loop.create_future()

        def settle(decision: ApprovalDecision) -> None:
            if not future.done():
                future.set_result(decision)

        def resolve(decision: ApprovalDecision) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(settle, decision)

        self.post(ApprovalNeeded(request, resolve))
        return await future
