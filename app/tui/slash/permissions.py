"""Permission commands: /permissions (the mode and the rules, as text) and /plan (toggle)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from app.agent.events.approvals import PermissionMode
from app.tui.slash.registry import Builtin

if TYPE_CHECKING:
    from app.tui.app import CockpitApp

HOW = "Shift+Tab cycles the mode; Ctrl+P › Permission rules… removes a rule."


async def permissions(app: CockpitApp, args: str) -> None:
    from app.tui.palette import PERMISSION_MODES
    from app.tui.permission_rules import NO_RULES, UNTRUSTED

    mode = app.status.permission_mode
    label, meaning = PERMISSION_MODES.get(mode, (mode, ""))
    lines = [f"mode: {label} — {meaning}"]
    if app.session is None:
        lines.append("No session: no rules are loaded.")
    else:
        policy = app.session.agent.approvals
        rules, untrusted = await asyncio.wrap_future(
            app.runner.call(lambda: (policy.rules.all(), list(policy.rules.untrusted))))
        lines += [f"{action} {rule.text}  (from {rule.source})" for action, rule in rules]
        lines += [f"allow {rule.text}  (from {rule.source}; {UNTRUSTED})" for rule in untrusted]
        if not rules and not untrusted:
            lines.append(NO_RULES)
    lines.append(HOW)
    await app.transcript.add_notice("Permissions", level="info", detail="\n".join(lines))


class PlanToggle:
    """/plan: into plan mode; again: back to the mode it left."""

    def __init__(self) -> None:
        self.left: str = PermissionMode.ASK.value

    def __call__(self, app: CockpitApp, args: str) -> None:
        mode = app.status.permission_mode
        if mode == PermissionMode.PLAN.value:
            app.palette.set_permission_mode(self.left)
            return
        self.left = mode
        app.palette.set_permission_mode(PermissionMode.PLAN.value)


def commands() -> list[Builtin]:
    return [
        Builtin("permissions", "The permission mode and rules", permissions),
        Builtin("plan", "Read-only plan mode (again: back)", PlanToggle()),
    ]
