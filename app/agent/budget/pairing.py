"""The OpenAI rule compaction must never break: tool calls and results come in pairs.

Every ``tool`` message must answer a tool call of the nearest preceding
assistant message, and every tool call of an assistant message must be answered
by a ``tool`` message before the next non-tool message.
"""

from __future__ import annotations

from typing import Any


def pairing_problems(messages: list[dict[str, Any]]) -> list[str]:
    """Readable descriptions of every broken pair (empty when the list is valid)."""
    problems: list[str] = []
    open_calls: dict[str, int] = {}  # tool_call_id -> index of its assistant message
    answered: set[str] = set()
    in_block = False  # inside an assistant message's run of tool results
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not in_block or call_id not in open_calls:
                problems.append(f"message {index}: tool result {call_id!r} answers no preceding tool call")
            elif call_id in answered:
                problems.append(f"message {index}: tool call {call_id!r} answered twice")
            else:
                answered.add(call_id)
            continue
        problems.extend(_unanswered(open_calls, answered))
        open_calls, answered = {}, set()
        in_block = role == "assistant"
        if in_block:
            open_calls = {str(c.get("id")): index for c in message.get("tool_calls") or []}
    problems.extend(_unanswered(open_calls, answered))
    return problems


def _unanswered(open_calls: dict[str, int], answered: set[str]) -> list[str]:
    return [
        f"message {index}: tool call {call_id!r} has no result"
        for call_id, index in open_calls.items()
        if call_id not in answered
    ]


def safe_cut(messages: list[dict[str, Any]], index: int) -> bool:
    """True when ``messages[:index]`` and ``messages[index:]`` split no tool pair."""
    return 0 <= index <= len(messages) and (index == len(messages) or messages[index].get("role") != "tool")
