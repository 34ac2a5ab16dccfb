"""The harness's own id for each tool call.

A model may send one id twice in a reply, or reuse an id from an earlier step.
The conversation keeps the model's id (the provider matches results to calls by
it); events, the store and approvals need one id per call, so a reused id gets
a suffix: ``call_1``, then ``call_1#2``, ``call_1#3``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


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
