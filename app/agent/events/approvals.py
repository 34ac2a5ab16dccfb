"""The approval vocabulary: what the core asks and what a person (or a rule) answers.

The core's :class:`~app.agent.approvals.ApprovalPolicy` builds requests and
applies decisions; the TUI's approval widget shows a request and returns a
decision. Both speak these types, so neither needs the other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class PermissionMode(str, enum.Enum):
    ASK = "ask"
    ACCEPT_EDITS = "accept_edits"
    PLAN = "plan"  # read-only: reads and read-only commands run, everything else is refused
    YOLO = "yolo"


# Shift+Tab's order (as in Claude Code); from YOLO it goes back to ASK.
MODE_CYCLE = (PermissionMode.ASK, PermissionMode.ACCEPT_EDITS, PermissionMode.PLAN)


def next_mode(mode: PermissionMode) -> PermissionMode:
    if mode not in MODE_CYCLE:
        return PermissionMode.ASK
    return MODE_CYCLE[(MODE_CYCLE.index(mode) + 1) % len(MODE_CYCLE)]


SANDBOX_ESCALATION = "sandbox_escalation"  # an ApprovalRequest's kind: run a command the sandbox blocked outside it


class ToolKind(str, enum.Enum):
    """What a tool does, for the permission rules (``bash(…)``, ``edit(…)``, ``read(…)``, ``web_fetch(…)``)."""

    COMMAND = "bash"  # runs a shell command: the subject is the command line
    EDIT = "edit"  # writes a file: the subject is its path
    READ = "read"  # reads: the subject is a path
    FETCH = "web_fetch"  # reaches the network: the subject is the URL's host (web_fetch(domain:…))
    OTHER = "other"  # no rule applies; it always asks (and plan mode refuses it)


class Remember(str, enum.Enum):
    """How long an "always" answer lasts."""

    NO = ""
    SESSION = "session"
    PROJECT = "project"  # written to <workspace>/.cockpit/config.toml


@dataclass
class ApprovalRequest:
    tool_call_id: str
    name: str
    arguments: dict[str, Any]
    preview: str = ""
    kind: str = "tool"  # tool | sandbox_escalation: run a command the sandbox blocked once outside it
    tool_kind: ToolKind = ToolKind.OTHER  # for the permission rules
    always: tuple[str, ...] = ()  # the rules an "always" answer adds, e.g. ("bash(git diff *)",)
    no_always: str = ""  # why no rule can be offered (e.g. "command substitution"), when ``always`` is empty


@dataclass
class ApprovalDecision:
    decision: str  # allow | allow_always | deny
    reason: str = ""
    scope: str = ""  # allow_always: the rules added; automatic: the rule (or mode) that decided
    automatic: bool = False
    remember: Remember = Remember.NO  # allow_always: this session, or written for the project
    by_rule: bool = False  # automatic, made by a permission rule or plan mode: ``reason`` is for the model too

    @property
    def allowed(self) -> bool:
        return self.decision in ("allow", "allow_always")
