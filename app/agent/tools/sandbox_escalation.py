"""Escalation: a command the sandbox blocked may run once outside it, if a person says so.

The loop gives each tool call an :class:`ApprovalEscalation` bound to the call's
id. It asks the session's :class:`~app.agent.approvals.Approver` directly,
never the permission mode or the "always allow" rules: those approve running a
command, not leaving the sandbox. (The headless approver always refuses it, with
the reason, even with ``--yes``.) The question and the answer
are events like every approval, with ``kind="sandbox_escalation"``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from app.agent.approvals import Approver
from app.agent.events import core as ev
from app.agent.events.approvals import SANDBOX_ESCALATION as KIND
from app.agent.events.approvals import ApprovalDecision, ApprovalRequest, ToolKind
from app.agent.tools.sandbox import SandboxDenial


class ApprovalEscalation:
    def __init__(self, human: Approver, tool_call_id: str, emit: Callable[[ev.Event], Any]) -> None:
        self.human = human
        self.tool_call_id = tool_call_id
        self.emit = emit

    async def allow_unsandboxed(self, tool: str, arguments: dict[str, Any], denial: SandboxDenial) -> str | None:
        preview = (f"The sandbox blocked this command: {denial.explanation()}.\n"
                   "Allow it to run once WITHOUT the sandbox (the whole machine, the network)?")
        request = ApprovalRequest(tool_call_id=self.tool_call_id, name=tool, arguments=arguments, preview=preview,
                                  kind=KIND, tool_kind=ToolKind.COMMAND,  # only processes are sandboxed
                                  no_always="leaving the sandbox is decided command by command")
        self.emit(ev.ApprovalRequested(tool_call_id=self.tool_call_id, name=tool, arguments=arguments,
                                       preview=preview, kind=KIND))
        try:
            decision = await self.human.decide(request)
        except asyncio.CancelledError:
            self._resolved(tool, ApprovalDecision("deny", reason="interrupted before an answer"))
            raise
        self._resolved(tool, decision)
        if decision.allowed:
            return None
        if decision.automatic:
            return f"not approved: {decision.reason}"
        return "the user did not allow it" + (f" ({decision.reason})" if decision.reason else "")

    def _resolved(self, tool: str, decision: ApprovalDecision) -> None:
        # "Always allow" answers this one request: leaving the sandbox is decided command by command.
        self.emit(ev.ApprovalResolved(tool_call_id=self.tool_call_id, name=tool, decision=decision.decision,
                                      reason=decision.reason, automatic=decision.automatic, kind=KIND))
