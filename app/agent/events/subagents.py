"""Sub-agents: the vocabulary of a delegated task (the ``task`` tool).

A delegation is a child session run under a typed, versioned envelope
(``app/agent/subagents/contract.py``). Its status follows :data:`TRANSITIONS`:

    submitted → working → input_required | completed | failed | canceled | rejected

and every move is a :class:`SubagentStatusChanged` on the parent's stream: the transcript
folds them into one delegation block, the panes add the child's usage once it is final.
A retried delegation whose idempotency key was seen before is a :class:`SubagentReplayed`
(the recorded result came back; nothing ran again).

:data:`CONTRACT_VERSION` is the version of this contract and of the event vocabulary it is
part of: every stored event carries it (a column of ``events``), and so does every JSON/JSONL
export. Raise it when an event or the envelope changes meaning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from app.agent.events.core import Event
from app.agent.events.format import cost_total, count_of, tokens

CONTRACT_VERSION = 1
ROLE_SUBAGENT = "subagent"  # the role of a child's model calls (``model_calls.role``, the panes by role)


class SubagentStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    WORKING = "working"
    INPUT_REQUIRED = "input_required"  # its answer did not match the schema: it is asked again
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    REJECTED = "rejected"  # refused before it ran (tools, budget or schema not acceptable)


S = SubagentStatus
TRANSITIONS: dict[SubagentStatus, frozenset[SubagentStatus]] = {
    S.SUBMITTED: frozenset({S.WORKING, S.REJECTED, S.CANCELED}),
    S.WORKING: frozenset({S.INPUT_REQUIRED, S.COMPLETED, S.FAILED, S.CANCELED}),
    S.INPUT_REQUIRED: frozenset({S.WORKING, S.FAILED, S.CANCELED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
}
TERMINAL = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)


@dataclass(kw_only=True)
class SubagentUsage:
    """What a child spent: its model calls (all roles), tokens, cost and retries; rolled up into the parent's."""

    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # None: no call of the child had a price (never 0 for unknown)
    unpriced_calls: int = 0
    retries: int = 0  # attempts that failed and were tried again
    steps: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(kw_only=True)
class SubagentStatusChanged(Event):
    """One move of a delegation's state machine, on the parent's stream."""

    type: ClassVar[str] = "subagent_status"
    task_id: str = ""
    parent_call_id: str = ""  # the ``task`` tool call of the parent
    child_session_id: str = ""  # "" until the child session exists
    trace_id: str = ""
    idempotency_key: str = ""
    description: str = ""
    status: SubagentStatus = SubagentStatus.SUBMITTED
    previous: SubagentStatus | None = None
    reason: str = ""
    partial: bool = False  # the result is what the child had when it stopped, not a completed one
    output: Any = None  # terminal: the result (the parsed JSON when a schema was given, else the text)
    usage: dict[str, Any] = field(default_factory=dict)  # terminal: SubagentUsage as a dict
    envelope: dict[str, Any] = field(default_factory=dict)  # submitted: the whole envelope
    contract_version: int = CONTRACT_VERSION

    def __post_init__(self) -> None:  # read back from a stored payload: the enum again
        self.status = SubagentStatus(self.status)
        self.previous = None if self.previous is None else SubagentStatus(self.previous)

    @property
    def final(self) -> bool:
        return self.status in TERMINAL


@dataclass(kw_only=True)
class SubagentReplayed(Event):
    """A delegation retried with a key the ledger knows: the recorded result was returned, nothing ran."""

    type: ClassVar[str] = "subagent_replayed"
    task_id: str = ""  # the task that ran and recorded the result
    parent_call_id: str = ""  # the call that asked again
    child_session_id: str = ""
    idempotency_key: str = ""
    description: str = ""
    status: SubagentStatus = SubagentStatus.COMPLETED
    partial: bool = False
    contract_version: int = CONTRACT_VERSION

    def __post_init__(self) -> None:
        self.status = SubagentStatus(self.status)


SUBAGENT_EVENTS: tuple[type[Event], ...] = (SubagentStatusChanged, SubagentReplayed)


# --- the delegation block (the transcript fold's DELEGATION entry) -------------------------------


@dataclass(frozen=True)
class Delegation:
    """A delegation as its block shows it, after the last status event folded."""

    task_id: str
    description: str
    status: SubagentStatus = SubagentStatus.SUBMITTED
    child_session_id: str = ""  # what the block opens ("" until the child session exists)
    partial: bool = False
    reason: str = ""
    usage: SubagentUsage | None = None  # once it is final

    @property
    def final(self) -> bool:
        return self.status in TERMINAL


def delegation_after(d: Delegation | None, e: SubagentStatusChanged) -> Delegation:
    """``d`` (None: not seen yet) once ``e`` happened."""
    d = d or Delegation(task_id=e.task_id, description=e.description)
    usage = SubagentUsage(**e.usage) if e.usage else d.usage
    return replace(d, status=e.status, child_session_id=e.child_session_id or d.child_session_id,
                   partial=e.partial, reason=e.reason, usage=usage)


STATUS_MARKS = {S.SUBMITTED: "…", S.WORKING: "▶", S.INPUT_REQUIRED: "?", S.COMPLETED: "✓", S.FAILED: "✗",
                S.CANCELED: "■", S.REJECTED: "⊘"}


def delegation_line(d: Delegation) -> tuple[str, str]:
    """The block's two lines: ``✓ task · count the files · completed · child 1a2b3c4d`` and what it
    spent (``2 calls · 1.2k tok · $0.0031 · 1 retry``) or why it is where it is."""
    status = d.status.value.replace("_", " ") + (" (partial result)" if d.partial else "")
    title = f"{STATUS_MARKS[d.status]} task · {d.description} · {status}"
    if d.child_session_id:
        title += f" · child {d.child_session_id[:8]}"
    parts = []
    if d.usage is not None:
        u = d.usage
        parts = [count_of(u.model_calls, "call"), f"{tokens(u.tokens)} tok",
                 cost_total(u.cost_usd, unpriced=u.unpriced_calls)]
        if u.retries:
            parts.append(count_of(u.retries, "retry", "retries"))
    if d.reason and (d.final or d.status is S.INPUT_REQUIRED):
        parts.append(d.reason)
    return title, " · ".join(parts)


def replayed_line(e: SubagentReplayed) -> str:
    status = e.status.value + (" (partial result)" if e.partial else "")
    return f"task · {e.description}: the recorded result ({status}) of {e.task_id} returned again (same idempotency key); nothing ran"
