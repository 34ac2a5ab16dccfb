"""The approval vocabulary: what the core asks and what a person (or a rule) answers.

The core's :class:`~app.agent.approvals.ApprovalPolicy` builds requests and
applies decisions; the TUI's approval widget shows a request and returns a
decision. Both speak these types, so neither needs the other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

EDIT_TOOLS = frozenset({"write_file", "edit_file"})


class PermissionMode(str, enum.Enum):
    ASK = "ask"
    ACCEPT_EDITS = "accept_edits"
    YOLO = "yolo"


@dataclass
class ApprovalRequest:
    tool_call_id: str
    name: str
    arguments: dict[str, Any]
    preview: str = ""
    kind: str = "tool"  # tool | sandbox_escalation: run a command the sandbox blocked once outside it


@dataclass
class ApprovalDecision:
    decision: str  # allow | allow_always | deny
    reason: str = ""
    scope: str = ""  # allow_always: the tool name, or "bash:<prefix>"
    automatic: bool = False

    @property
    def allowed(self) -> bool:
        return self.decision in ("allow", "allow_always")


def command_prefix(command: str) -> str:
    """The first word of a shell command (``git status`` → ``git``)."""
    words = command.strip().split()
    return words[0] if words else ""
