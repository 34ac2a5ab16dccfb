"""The palette's "Permission rules…": every allow and deny rule, where it comes from, and removing one.

The rules live on the session's :class:`~app.agent.approvals.ApprovalPolicy`,
on the agent thread: they are read and changed there (``app.runner.call``). The
list is a palette search; choosing a rule removes it, from the session and from
the config file it came from; Escape closes the list and keeps everything. The
project file's allow rules the user has not trusted are listed as untrusted;
"Trust project rules" (:func:`trust_rules`) makes them apply.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.agent.approvals import ApprovalPolicy
    from app.agent.permissions.rules import Rule
    from app.tui.app import CockpitApp

UNTRUSTED = "untrusted: allows nothing until you trust the project's rules (Ctrl+P › Trust project rules)"
NO_RULES = ("No permission rules yet: answer “always” in an approval, or add [permissions] allow = [...] / "
            "deny = [...] to the config (yours, or .cockpit/config.toml in the project).")


def show_rules(app: CockpitApp) -> None:
    if app.session is None:
        app.notify("No session: there are no rules to show.", severity="warning")
        return
    app.run_guarded(_show(app, app.session.agent.approvals), "permissions")


async def _show(app: CockpitApp, policy: ApprovalPolicy) -> None:
    rules, untrusted = await asyncio.wrap_future(app.runner.call(lambda: (policy.rules.all(), list(policy.rules.untrusted))))
    if not rules and not untrusted:
        app.notify(NO_RULES, title="Permission rules", timeout=10)
        return
    app.search_commands(
        [(f"{action} {rule.text}", _remover(app, policy, action, rule), f"from {rule.source} · choose to remove it")
         for action, rule in rules]
        + [(f"allow {rule.text} (untrusted)", _remover(app, policy, "untrusted", rule),
            f"from {rule.source} · {UNTRUSTED} · choose to remove it") for rule in untrusted],
        placeholder="Permission rules (allow / deny, and where each comes from): choose one to remove it",
    )


def trust_rules(app: CockpitApp) -> None:
    """The palette's "Trust project rules": the project file's allow rules apply, now and in later sessions."""
    if app.session is None:
        app.notify("No session: there are no project rules to trust.", severity="warning")
        return
    app.run_guarded(_trust(app, app.session.agent.approvals, app.session.agent.workspace), "permissions")


async def _trust(app: CockpitApp, policy: ApprovalPolicy, workspace: Path) -> None:
    from app.permission_files import ConfigRuleFile
    from app.settings import ConfigError

    if not await asyncio.wrap_future(app.runner.call(lambda: bool(policy.rules.untrusted))):
        app.notify("Every project rule is trusted already.", title="Permission rules")
        return
    try:
        trusted = await asyncio.wrap_future(app.runner.call(ConfigRuleFile(workspace).trust_rules, policy.rules))
    except (OSError, ValueError, ConfigError) as exc:
        app.notify(f"Could not trust the project rules: {exc}", severity="error", timeout=10)
        return
    app.notify(f"Trusted {', '.join(r.text for r in trusted)} (until the file changes)", title="Permission rules")


def _remover(app: CockpitApp, policy: ApprovalPolicy, action: str, rule: Rule) -> Any:
    def remove() -> None:
        app.run_guarded(_remove(app, policy, action, rule), "permissions")

    return remove


async def _remove(app: CockpitApp, policy: ApprovalPolicy, action: str, rule: Rule) -> None:
    try:
        await asyncio.wrap_future(app.runner.call(_forget, policy, action, rule))
    except (OSError, ValueError) as exc:
        app.notify(f"Could not remove {action} {rule.text}: {exc}", severity="error", timeout=10)
        return
    app.notify(f"Removed {action} {rule.text} (it was from {rule.source})", title="Permission rules")


def _forget(policy: ApprovalPolicy, action: str, rule: Rule) -> None:
    """Remove a rule from the session and its file; an untrusted one is not among the session's rules."""
    if action != "untrusted":
        policy.remove_rule(rule, deny=action == "deny")
        return
    policy.rule_file.remove(rule)
    policy.rules.untrusted.remove(rule)
