"""The harness's own id for each tool call, and the calls of a reply still open.

A model may send one id twice in a reply, or reuse an id from an earlier step.
The conversation keeps the model's id (the provider matches results to calls by
it); events, the store, approvals and the idempotency ledger need one id per call,
so a reused id gets a suffix: ``call_1``, then ``call_1#2``, ``call_1#3``.

Every call of a reply gets its id when the reply arrives (:meth:`ToolCallIds.open`),
in order, and keeps it until it is answered, also when it is never run. A resumed
conversation claims the ids of its answered calls in the same order, so the calls
a crash left open (:meth:`ToolCallIds.unanswered`) get the ids they had live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.agent.events.core import STARTED_BY_MODEL
from app.agent.model import RawToolCall

# What the events already said of an open call.
UNANNOUNCED = 0  # nothing yet
REQUESTED = 1  # ToolCallRequested (or a crashed run may have said it)
FINISHED = 2  # ToolCallFinished: only the conversation's result is missing


@dataclass(eq=False)
class OpenCall:
    """A tool call of the last reply without a result in the conversation yet."""

    model_id: str  # the conversation's id
    id: str  # the harness's
    name: str
    arguments: str = ""  # raw JSON text, as sent
    turn: int = 0
    step: int = 0
    announced: int = UNANNOUNCED
    started_by: str = STARTED_BY_MODEL  # or STARTED_BY_USER: a ``!command`` typed in the prompt

    @property
    def reused_id(self) -> str | None:
        """The model's id when it was not unique (``id`` is then the harness's own), else None."""
        return self.model_id if self.id != self.model_id else None


class ToolCallIds:
    def __init__(self, messages: Iterable[dict[str, Any]] = ()) -> None:
        self._issued: set[str] = set()
        for message in messages:  # a resumed conversation: each tool result answered one call, in order
            if message.get("role") == "tool":
                self.claim(str(message.get("tool_call_id")))

    def claim(self, model_id: str) -> str:
        """An id no earlier call got, for the next call the model sent as ``model_id``."""
        n, candidate = 1, model_id
        while candidate in self._issued:
            n += 1
            candidate = f"{model_id}#{n}"
        self._issued.add(candidate)
        return candidate

    def open(self, calls: Iterable[RawToolCall], *, turn: int, step: int) -> list[OpenCall]:
        """The calls of a reply, each with its harness id."""
        return [OpenCall(c.id, self.claim(c.id), c.name, c.arguments, turn, step) for c in calls]

    def unanswered(self, messages: list[dict[str, Any]], *, turn: int) -> list[OpenCall]:
        """The calls of the last assistant message that no tool result after it answers (a crash
        left them open), each with the harness id it had live. Results answer calls in order,
        so a model id sent twice is answered twice."""
        last = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "assistant"), None)
        if last is None:
            return []
        answers = Counter(m.get("tool_call_id") for m in messages[last + 1:] if m.get("role") == "tool")
        open_calls = []
        for part in messages[last].get("tool_calls") or []:
            model_id, function = str(part.get("id")), part.get("function") or {}
            if answers[model_id] > 0:
                answers[model_id] -= 1
                continue
            open_calls.append(OpenCall(model_id, self.claim(model_id), str(function.get("name") or ""),
                                       str(function.get("arguments") or ""), turn, announced=REQUESTED))
        return open_calls
