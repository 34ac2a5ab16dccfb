"""The TUI's :class:`~app.agent.approvals.Approver`: a future the agent awaits, a widget resolves.

``decide`` runs on the agent loop. It creates a future there, posts
:class:`~app.tui.messages.ApprovalNeeded` to the app with a ``resolve``
callable, and waits. The approval widget (through the app) calls ``resolve``
from the UI thread, which hops back to the agent loop with
``call_soon_threadsafe``. If the task is interrupted while waiting, the future
is cancelled and ``resolve`` becomes a no-op. :class:`PendingApprovals` is the
app's list of the approvals it still has to answer.
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


class PendingApprovals:
    """The approvals the agent is waiting for, by tool call id; each is answered exactly once."""

    def __init__(self) -> None:
        self._resolvers: dict[str, Callable[[ApprovalDecision], None]] = {}

    def __bool__(self) -> bool:
        return bool(self._resolvers)

    def hold(self, message: ApprovalNeeded) -> None:
        self._resolvers[message.request.tool_call_id] = message.resolve

    def answer(self, tool_call_id: str, decision: ApprovalDecision) -> None:
        resolve = self._resolvers.pop(tool_call_id, None)
        if resolve is not None:
            resolve(decision)

    def deny_all(self, reason: str) -> None:
        for tool_call_id in list(self._resolvers):
            self.answer(tool_call_id, ApprovalDecision("deny", reason=reason))
