"""Approvals for tools with side effects.

``ApprovalPolicy`` applies the permission mode and the "allow always" rules,
and asks a human (an :class:`Approver`) only when it must; ``review`` is the
whole flow the loop runs for a call with side effects. The TUI's approver
resolves a future from a widget; the headless one answers from ``--yes``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.agent.errors import describe
from app.agent.events import core as ev
from app.agent.events.approvals import (
    EDIT_TOOLS,
    ApprovalDecision,
    ApprovalRequest,
    PermissionMode,
    command_prefix,
)
from app.agent.tools.base import Previews, Tool, ToolContext


class Approver(Protocol):
    async def decide(self, request: ApprovalRequest) -> ApprovalDecision: ...


class HeadlessApprover:
    """No person to ask: allow everything with ``--yes``, refuse clearly otherwise."""

    def __init__(self, yes: bool) -> None:
        self.yes = yes

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        if self.yes:
            return ApprovalDecision("allow", automatic=True)
        return ApprovalDecision(
            "deny",
            reason=f"{request.name} needs approval and this is a headless run without --yes; "
            "re-run with --yes to allow writes and commands",
            automatic=True,
        )


@dataclass
class ApprovalPolicy:
    human: Approver
    mode: PermissionMode = PermissionMode.ASK
    always_tools: set[str] = field(default_factory=set)
    always_prefixes: set[str] = field(default_factory=set)

    def automatic(self, request: ApprovalRequest) -> ApprovalDecision | None:
        if self.mode is PermissionMode.YOLO:
            return ApprovalDecision("allow", reason="permission mode: yolo", automatic=True)
        if self.mode is PermissionMode.ACCEPT_EDITS and request.name in EDIT_TOOLS:
            return ApprovalDecision("allow", reason="permission mode: accept edits", automatic=True)
        if request.name in self.always_tools:
            return ApprovalDecision("allow", reason=f"always allowed: {request.name}", automatic=True)
        if request.name == "bash":
            prefix = command_prefix(str(request.arguments.get("command", "")))
            if prefix and prefix in self.always_prefixes:
                return ApprovalDecision("allow", reason=f"always allowed: bash {prefix}", automatic=True)
        return None

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        decision = await self.human.decide(request)
        if decision.decision == "allow_always":
            if request.name == "bash" and decision.scope.startswith("bash:"):
                self.always_prefixes.add(decision.scope.split(":", 1)[1])
            else:
                self.always_tools.add(request.name)
                decision.scope = decision.scope or request.name
        return decision

    async def review(
        self, tool: Tool, args: dict[str, Any], ctx: ToolContext, *, tool_call_id: str, emit: Callable[[ev.Event], Any]
    ) -> str | None:
        """Decide on one call, announced as events: None when allowed, else the message for the model."""
        request = ApprovalRequest(tool_call_id=tool_call_id, name=tool.name, arguments=args, preview=_preview(tool, args, ctx))
        decision = self.automatic(request)
        if decision is None:
            emit(ev.ApprovalRequested(tool_call_id=tool_call_id, name=tool.name, arguments=args, preview=request.preview))
            try:
                decision = await self.ask(request)
            except asyncio.CancelledError:  # interrupted while the user was being asked
                emit(ev.ApprovalResolved(tool_call_id=tool_call_id, name=tool.name, decision="deny",
                                         reason="interrupted before an answer"))
                raise
        emit(
            ev.ApprovalResolved(
                tool_call_id=tool_call_id,
                name=tool.name,
                decision=decision.decision,
                reason=decision.reason,
                scope=decision.scope,
                automatic=decision.automatic,
            )
        )
        if decision.allowed:
            return None
        return "The user denied this tool call." + (f" Reason: {decision.reason}" if decision.reason else "")


def _preview(tool: Tool, args: dict[str, Any], ctx: ToolContext) -> str:
    if not isinstance(tool, Previews):
        return ""
    try:
        return tool.preview(args, ctx)
    except Exception as exc:
        return f"(no preview: {describe(exc)})"
