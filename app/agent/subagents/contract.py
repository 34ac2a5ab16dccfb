"""The hand-off of a delegated task: a typed, versioned envelope, the child's state machine and
its result.

The parent builds one :class:`TaskEnvelope` per ``task`` call: ids (task, parent session, parent
call, the one trace id of every hop), the idempotency key, the deadline, the budget, the tools the
child may use, the instructions and the schema a completed output must match. The child's status
moves through :class:`TaskState` (illegal moves raise :class:`IllegalTransition`), and it ends as a
:class:`TaskResult`: ``completed`` only with an output that matched the schema; whatever a child
had when it stopped early is ``partial`` and keeps its failed/canceled status.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.agent.events.subagents import (CONTRACT_VERSION, TERMINAL, TRANSITIONS, SubagentStatus,
                                        SubagentStatusChanged, SubagentUsage)
from app.agent.tools.validation import validate

__all__ = ["CONTRACT_VERSION", "IllegalTransition", "TaskBudget", "TaskEnvelope", "TaskResult", "TaskState",
           "check_output"]


class IllegalTransition(ValueError):
    """A status move the state machine does not allow (e.g. completed → working)."""


@dataclass(frozen=True)
class TaskBudget:
    """What a child may spend: model calls (steps), tokens (prompt + completion, all its calls), dollars."""

    steps: int
    tokens: int | None = None  # None: no token limit
    dollars: float | None = None  # None: no dollar limit of its own (the parent's still holds)


@dataclass(frozen=True)
class TaskEnvelope:
    task_id: str
    parent_session_id: str
    parent_call_id: str
    trace_id: str
    idempotency_key: str
    deadline: float  # wall-clock time (``time.time()``) when the child is canceled
    budget: TaskBudget
    allowed_tools: tuple[str, ...]
    description: str
    instructions: str
    output_schema: dict[str, Any] | None = None
    version: int = CONTRACT_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["allowed_tools"] = list(self.allowed_tools)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskEnvelope:
        data = dict(data)
        data["budget"] = TaskBudget(**data["budget"])
        data["allowed_tools"] = tuple(data["allowed_tools"])
        return cls(**data)

    def seconds_left(self, now: Callable[[], float] = time.time) -> float:
        return self.deadline - now()


@dataclass(frozen=True)
class TaskResult:
    """What the parent gets back (and what the idempotency ledger records)."""

    task_id: str
    status: SubagentStatus
    child_session_id: str = ""
    output: Any = None
    partial: bool = False
    reason: str = ""
    usage: SubagentUsage = field(default_factory=SubagentUsage)
    version: int = CONTRACT_VERSION

    def __post_init__(self) -> None:
        if self.status is SubagentStatus.COMPLETED and self.partial:
            raise ValueError("a completed result is never partial")

    @property
    def ok(self) -> bool:
        return self.status is SubagentStatus.COMPLETED

    def to_dict(self) -> dict[str, Any]:
        return {"contract_version": self.version, "task_id": self.task_id, "status": self.status.value,
                "partial": self.partial, "child_session_id": self.child_session_id, "output": self.output,
                "reason": self.reason, "usage": asdict(self.usage)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskResult:
        return cls(task_id=data["task_id"], status=SubagentStatus(data["status"]), partial=data["partial"],
                   child_session_id=data["child_session_id"], output=data["output"], reason=data["reason"],
                   usage=SubagentUsage(**data["usage"]), version=data["contract_version"])


class TaskState:
    """The child's status; each legal move is announced as a :class:`SubagentStatusChanged`."""

    def __init__(self, envelope: TaskEnvelope, emit: Callable[[SubagentStatusChanged], Any]) -> None:
        self.envelope = envelope
        self.emit = emit
        self.status = SubagentStatus.SUBMITTED
        self.child_session_id = ""
        emit(self._event(SubagentStatus.SUBMITTED, None, envelope=envelope.to_dict()))

    @property
    def final(self) -> bool:
        return self.status in TERMINAL

    def move(self, to: SubagentStatus, reason: str = "", **terminal: Any) -> None:
        """``terminal``: ``partial``, ``output``, ``usage`` for the last move."""
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(f"task {self.envelope.task_id}: {self.status.value} → {to.value} is not allowed")
        previous, self.status = self.status, to
        self.emit(self._event(to, previous, reason=reason, **terminal))

    def _event(self, status: SubagentStatus, previous: SubagentStatus | None, **fields: Any) -> SubagentStatusChanged:
        e = self.envelope
        return SubagentStatusChanged(task_id=e.task_id, parent_call_id=e.parent_call_id, trace_id=e.trace_id,
                                     child_session_id=self.child_session_id, idempotency_key=e.idempotency_key,
                                     description=e.description, status=status, previous=previous, **fields)


_FENCED = re.compile(r"^```[a-zA-Z]*\n(.*)\n```$", re.DOTALL)


def check_output(schema: dict[str, Any] | None, text: str) -> tuple[Any, list[str]]:
    """The child's answer as the parent gets it, and what is wrong with it (empty: it matches).

    Without a schema the text is the output. With one the answer must be JSON (a fenced block is
    accepted) whose value matches the schema."""
    if schema is None:
        return text, []
    stripped = text.strip()
    fenced = _FENCED.match(stripped)
    try:
        value = json.loads(fenced.group(1) if fenced else stripped)
    except ValueError as exc:
        return text, [f"the answer is not JSON ({exc})"]
    return value, validate(schema, value)
