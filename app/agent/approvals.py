"""Approvals for tool calls.

``ApprovalPolicy`` applies the permission mode and the permission rules
(:mod:`app.agent.permissions`: deny rules, plan mode, allow rules from the
config and from "always" answers) and asks a human (an :class:`Approver`) only
when it must; ``review`` is the whole flow the loop runs for a call. A read is
never asked about, only refused by a deny rule. The TUI's approver resolves a
future from a widget; the headless one answers from ``--yes``. "Always for this
project" rules are written by a :class:`RuleFile` (the app's config file).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from app.agent.errors import describe
from app.agent.events import core as ev
from app.agent.events.approvals import SANDBOX_ESCALATION
from app.agent.events.approvals import ApprovalDecision, ApprovalRequest, PermissionMode, Remember, ToolKind
from app.agent.permissions.decide import Action, RuleSet, Verdict, decide, suggest_rules
from app.agent.permissions.rules import Rule, parse_rule, url_host
from app.agent.tools.base import Previews, Tool, ToolContext


HEADLESS_STAYS_SANDBOXED = ('blocked by the sandbox; a headless run never leaves it: set [sandbox] mode = "off" '
                            "to run commands unsandboxed")


class Approver(Protocol):
    async def decide(self, request: ApprovalRequest) -> ApprovalDecision: ...


class HeadlessApprover:
    """No person to ask: allow everything with ``--yes``, refuse clearly otherwise.

    Never a sandbox escalation, not even with ``--yes``: only a person in the TUI lets one command out.
    """

    def __init__(self, yes: bool) -> None:
        self.yes = yes

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        if request.kind == SANDBOX_ESCALATION:
            return ApprovalDecision("deny", reason=HEADLESS_STAYS_SANDBOXED, automatic=True)
        if self.yes:
            return ApprovalDecision("allow", automatic=True)
        return ApprovalDecision(
            "deny",
            reason=f"{request.name} needs approval and this is a headless run without --yes; "
            "re-run with --yes to allow writes and commands",
            automatic=True,
        )


@runtime_checkable
class Prechecks(Protocol):
    """A tool that knows, before anyone is asked, that a call cannot run (web_fetch without network)."""

    def refusal(self, args: dict[str, Any], ctx: ToolContext) -> str | None: ...  # None: it can run


@runtime_checkable
class Gated(Protocol):
    """A tool the permission rules know: ``bash(…)``, ``edit(…)`` or ``read(…)``."""

    permission_kind: ToolKind


class RuleFile(Protocol):
    """Where "always for this project" rules are kept; raises OSError or ValueError when it cannot write."""

    def add(self, text: str, *, deny: bool = False) -> Rule: ...

    def remove(self, rule: Rule, *, deny: bool = False) -> None: ...


class NoRuleFile:
    """No project to write to (headless runs, tests): "always for this project" stays in the session."""

    def add(self, text: str, *, deny: bool = False) -> Rule:
        raise OSError("no project configuration file to write to")

    def remove(self, rule: Rule, *, deny: bool = False) -> None:
        raise OSError("no project configuration file to change")


def tool_kind(tool: Tool) -> ToolKind:
    return tool.permission_kind if isinstance(tool, Gated) else ToolKind.OTHER


def subject_of(kind: ToolKind, args: dict[str, Any]) -> str:
    """What a rule is matched against: the command line, the URL's host, or the path."""
    if kind is ToolKind.COMMAND:
        return str(args.get("command", ""))
    if kind is ToolKind.FETCH:
        return url_host(str(args.get("url", "")))
    return str(args.get("path", "."))


@dataclass
class ApprovalPolicy:
    human: Approver
    mode: PermissionMode = PermissionMode.ASK
    rules: RuleSet = field(default_factory=RuleSet)
    rule_file: RuleFile = field(default_factory=NoRuleFile)

    def automatic(self, request: ApprovalRequest, workspace: Path) -> ApprovalDecision | None:
        """The decision the mode or a rule makes without asking, or None to ask."""
        verdict = decide(self.mode, self.rules, request.tool_kind, subject_of(request.tool_kind, request.arguments),
                         workspace)
        return _decision(verdict)

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        decision = await self.human.decide(request)
        if decision.decision == "allow_always":
            if not request.always:  # nothing a rule could cover: this once
                decision.decision = "allow"
            else:
                decision.scope = ", ".join(self.remember(request.always, decision.remember, decision))
        return decision

    def remember(self, texts: tuple[str, ...], remember: Remember, decision: ApprovalDecision) -> list[str]:
        """Add "always" rules for the session, or write them for the project; the rules' texts."""
        added: list[str] = []
        for text in texts:
            rule = parse_rule(text)
            if remember is Remember.PROJECT:
                try:
                    rule = self.rule_file.add(text)
                except (OSError, ValueError) as exc:
                    decision.reason = f"not saved for the project ({describe(exc)}); allowed for this session"
            self.rules.allow.append(rule)
            added.append(rule.text)
        return added

    def remove_rule(self, rule: Rule, *, deny: bool = False) -> None:
        """Forget a rule (the palette's "Permission rules…"); a rule from a config file is removed there too."""
        kept = self.rules.deny if deny else self.rules.allow
        if rule.source.scope != "session":
            self.rule_file.remove(rule, deny=deny)
        kept.remove(rule)

    def reviews(self, tool: Tool) -> bool:
        """Whether the loop must call :meth:`review`: side effects, or a read a deny rule may refuse."""
        return tool.side_effects or (tool_kind(tool) is ToolKind.READ and bool(self.rules.of(ToolKind.READ, deny=True)))

    def request_for(self, tool: Tool, args: dict[str, Any], ctx: ToolContext, tool_call_id: str) -> ApprovalRequest:
        kind = tool_kind(tool)
        always, no_always = suggest_rules(kind, subject_of(kind, args), ctx.workspace)
        return ApprovalRequest(tool_call_id=tool_call_id, name=tool.name, arguments=args,
                               preview=_preview(tool, args, ctx), tool_kind=kind, always=always, no_always=no_always)

    async def review(
        self, tool: Tool, args: dict[str, Any], ctx: ToolContext, *, tool_call_id: str, emit: Callable[[ev.Event], Any]
    ) -> str | None:
        """Decide on one call, announced as events: None when allowed, else the message for the model.
        A call the tool says cannot run (:class:`Prechecks`) is refused before anyone is asked."""
        refusal = tool.refusal(args, ctx) if isinstance(tool, Prechecks) else None
        if refusal is not None:
            _announce(ApprovalDecision("deny", reason=refusal, automatic=True), tool_call_id, tool.name, emit)
            return refusal
        if not tool.side_effects:
            return self._check_read(tool, args, ctx, tool_call_id=tool_call_id, emit=emit)
        request = self.request_for(tool, args, ctx, tool_call_id)
        decision = self.automatic(request, ctx.workspace)
        if decision is None:
            emit(ev.ApprovalRequested(tool_call_id=tool_call_id, name=tool.name, arguments=args, preview=request.preview))
            try:
                decision = await self.ask(request)
            except asyncio.CancelledError:  # interrupted while the user was being asked
                emit(ev.ApprovalResolved(tool_call_id=tool_call_id, name=tool.name, decision="deny",
                                         reason="interrupted before an answer"))
                raise
        _announce(decision, tool_call_id, tool.name, emit)
        if decision.allowed:
            return None
        if decision.by_rule:
            return decision.reason
        return "The user denied this tool call." + (f" Reason: {decision.reason}" if decision.reason else "")

    def _check_read(self, tool: Tool, args: dict[str, Any], ctx: ToolContext, *, tool_call_id: str,
                    emit: Callable[[ev.Event], Any]) -> str | None:
        """A call without side effects runs unasked, unless a deny rule refuses it."""
        kind = tool_kind(tool)
        if kind is not ToolKind.READ:
            return None
        decision = _decision(decide(self.mode, self.rules, kind, subject_of(kind, args), ctx.workspace))
        if decision is None or decision.allowed:
            return None
        _announce(decision, tool_call_id, tool.name, emit)
        return decision.reason


def _decision(verdict: Verdict) -> ApprovalDecision | None:
    if verdict.action is Action.ASK:
        return None
    return ApprovalDecision(verdict.action.value, reason=verdict.reason, scope=verdict.rule, automatic=True,
                            by_rule=bool(verdict.rule))


def _announce(decision: ApprovalDecision, tool_call_id: str, name: str, emit: Callable[[ev.Event], Any]) -> None:
    emit(ev.ApprovalResolved(tool_call_id=tool_call_id, name=name, decision=decision.decision, reason=decision.reason,
                             scope=decision.scope, automatic=decision.automatic))


def _preview(tool: Tool, args: dict[str, Any], ctx: ToolContext) -> str:
    if not isinstance(tool, Previews):
        return ""
    try:
        return tool.preview(args, ctx)
    except Exception as exc:
        return f"(no preview: {describe(exc)})"
