"""Approvals for tools with side effects.

``ApprovalPolicy`` applies the permission mode and the "allow always" rules,
and asks a human (an :class:`Approver`) only when it must. The TUI's approver
resolves a future from a widget; the headless one answers from ``--yes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.agent.events.approvals import (
    EDIT_TOOLS,
    ApprovalDecision,
    ApprovalRequest,
    PermissionMode,
    command_prefix,
)


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
