"""The palette's "Permission rules…": every allow and deny rule, where it comes from, and removing one.

The rules live on the session's :class:`~app.agent.approvals.ApprovalPolicy`,
on the agent thread: they are read and changed there (``app.runner.call``). The
list is a palette search; choosing a rule removes it, from the session and from
the config file it came from; Escape closes the list and keeps everything.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.agent.approvals import ApprovalPolicy
    from app.agent.permissions.rules import Rule
    from app.tui.app import CockpitApp

NO_RULES = ("No permission rules yet: answer “always” in an approval, or add [permissions] allow = [...] / "
            "deny = [...] to the config (yours, or .cockpit/config.toml in the project).")


def show_rules(app: CockpitApp) -> None:
    if app.session is None:
        app.notify("No session: there are no rules to show.", severity="warning")
        return
    app.run_guarded(_show(app, app.session.agent.approvals), "permissions")


async def _show(app: CockpitApp, policy: ApprovalPolicy) -> None:
    rules = await asyncio.wrap_future(app.runner.call(policy.rules.all))
    if not rules:
        app.notify(NO_RULES, title="Permission rules", timeout=10)
        return
    app.search_commands(
        [(f"{action} {rule.text}", _remover(app, policy, action, rule), f"from {rule.source} · choose to remove it")
         for action, rule in rules],
        placeholder="Permission rules (allow / deny, and where each comes from): choose one to remove it",
    )


def _remover(app: CockpitApp, policy: ApprovalPolicy, action: str, rule: Rule) -> Any:
    def remove() -> None:
        app.run_guarded(_remove(app, policy, action, rule), "permissions")

    return remove


async def _remove(app: CockpitApp, policy: ApprovalPolicy, action: str, rule: Rule) -> None:
    try:
        await asyncio.wrap_future(app.runner.call(policy.remove_rule, rule, deny=action == "deny"))
    except (OSError, ValueError) as exc:
        app.notify(f"Could not remove {action} {rule.text}: {exc}", severity="error", timeout=10)
        return
    app.notify(f"Removed {action} {rule.text} (it was from {rule.source})", title="Permission rules")
