"""The rungs of the compaction ladder, as pure functions over message lists.

Each returns a new list (changed messages are new dicts; the input is never
mutated) and a record per changed item, or None when it has nothing to do.
Tool results are shortened in place of their content, never removed, so the
pairing of tool calls and results always stays valid; the summarising rung
only cuts where no pair is split (see :mod:`app.agent.budget.pairing`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.agent.budget.counter import SUMMARY_MARKER, call_label
from app.agent.budget.pairing import safe_cut
from app.agent.events.mentions import is_task

NOTE_PREFIX = "[cockpit: "
PLACEHOLDER_PREFIX = NOTE_PREFIX + "the output of "

Count = Callable[[str], int]


@dataclass
class Change:
    messages: list[dict[str, Any]]
    items: list[dict[str, Any]] = field(default_factory=list)
    originals: dict[str, str] = field(default_factory=dict)  # tool_call_id -> text before the change


def reread_hint(tool_call_id: str, recall_tool: str | None) -> str:
    """How the model can get the full output back."""
    if recall_tool:
        return (
            f'The full output is kept: call {recall_tool}(tool_call_id="{tool_call_id}", offset=<character>) '
            "to read it, or re-run the tool on a narrower range."
        )
    return "The full output is kept in the session log; re-run the tool on a narrower range if you need it."


def cap_results(
    messages: list[dict[str, Any]], *, cap_chars: int, head_fraction: float, recall_tool: str | None, count: Count
) -> Change | None:
    """Rung 1: cut every tool result longer than ``cap_chars`` to its head and tail."""
    labels = call_labels(messages)
    change = Change(messages=list(messages))
    for index, message in enumerate(messages):
        content = message.get("content")
        if message.get("role") != "tool" or not isinstance(content, str) or len(content) <= cap_chars:
            continue
        call_id = str(message.get("tool_call_id"))
        new = capped_text(content, cap_chars, head_fraction, reread_hint(call_id, recall_tool))
        _replace(change, index, message, new, "capped", labels.get(call_id, "tool result"), count)
    return change if change.items else None


def placeholder_old_results(
    messages: list[dict[str, Any]], *, keep_last: int, recall_tool: str | None, count: Count
) -> Change | None:
    """Rung 2: replace every tool result but the last ``keep_last`` with a short placeholder."""
    labels = call_labels(messages)
    results = [i for i, m in enumerate(messages) if m.get("role") == "tool"]
    old = results[: max(0, len(results) - keep_last)]
    change = Change(messages=list(messages))
    for index in old:
        message = messages[index]
        content = message.get("content")
        if not isinstance(content, str) or content.startswith(PLACEHOLDER_PREFIX):
            continue
        call_id = str(message.get("tool_call_id"))
        label = labels.get(call_id, "a tool call")
        new = placeholder_text(label, len(content), reread_hint(call_id, recall_tool))
        if len(new) < len(content):
            _replace(change, index, message, new, "placeholder", label, count)
    return change if change.items else None


def replace_result(
    messages: list[dict[str, Any]], tool_call_id: str, new_content: str, action: str, count: Count
) -> Change:
    """Put ``new_content`` in place of one tool result (the manual drop / truncate)."""
    for index, message in enumerate(messages):
        if message.get("role") == "tool" and message.get("tool_call_id") == tool_call_id:
            change = Change(messages=list(messages))
            label = call_labels(messages).get(tool_call_id, "tool result")
            _replace(change, index, message, new_content, action, label, count)
            return change
    raise KeyError(f"no tool result with tool_call_id {tool_call_id!r}")


@dataclass(frozen=True)
class SummaryPlan:
    head_end: int  # messages[:head_end] are kept: system prompt(s) and the first task
    turn_cut: int | None  # keep the last turns from here
    step_cut: int | None  # keep only the last steps from here (for one long turn)


def plan_summary(messages: list[dict[str, Any]], *, keep_last_turns: int, keep_last_steps: int) -> SummaryPlan:
    """Where the summarising rung may cut: after the head, before the kept tail."""
    head_end = 0
    while head_end < len(messages) and messages[head_end].get("role") == "system":
        head_end += 1
    turns = [  # a task starts a turn; a summary, a task's @mention attachments and a !command do not
        i
        for i, m in enumerate(messages)
        if i >= head_end and is_task(m) and not str(m.get("content") or "").startswith(SUMMARY_MARKER)
    ]
    if turns and turns[0] == head_end:
        head_end += 1  # the first task is always kept (its turn still counts as a turn)
    steps = [i for i, m in enumerate(messages) if i >= head_end and m.get("role") == "assistant"]
    turn_cut = _cut(turns, keep_last_turns, len(messages))
    step_cut = _cut(steps, keep_last_steps, len(messages))
    valid = [c if c is not None and c > head_end and safe_cut(messages, c) else None for c in (turn_cut, step_cut)]
    return SummaryPlan(head_end=head_end, turn_cut=valid[0], step_cut=valid[1])


def _cut(starts: list[int], keep: int, end: int) -> int | None:
    """Index of the ``keep``-th last start (``end`` to keep none), None if there are not enough."""
    if keep <= 0:
        return end
    return starts[-keep] if len(starts) >= keep else None


def apply_summary(
    messages: list[dict[str, Any]], head_end: int, cut: int, summary_message: dict[str, Any], count: Count
) -> Change:
    """Rung 3: ``messages[head_end:cut]`` become one summary message."""
    dropped = messages[head_end:cut]
    labels = call_labels(messages)
    items = []
    for offset, message in enumerate(dropped):
        text = _content_text(message)
        label = (
            labels.get(str(message.get("tool_call_id")), "tool result")
            if message.get("role") == "tool"
            else str(message.get("role"))
        )
        items.append(
            {
                "id": str(message.get("tool_call_id") or f"m{head_end + offset}"),
                "kind": str(message.get("role")),
                "label": label,
                "action": "summarized",
                "chars_before": len(text),
                "chars_after": 0,
                "tokens_before": count(text),
                "tokens_after": 0,
            }
        )
    return Change(messages=[*messages[:head_end], summary_message, *messages[cut:]], items=items)


def capped_text(text: str, cap_chars: int, head_fraction: float, hint: str) -> str:
    """Head and tail of ``text`` around a note, ``cap_chars`` long at most (note included)."""
    room = max(0, cap_chars - 160 - len(hint))
    head = int(room * head_fraction)
    tail = room - head
    omitted = len(text) - head - tail
    note = f"\n\n{NOTE_PREFIX}{omitted:,} of {len(text):,} characters omitted here to save context. {hint}]\n\n"
    return text[:head] + note + (text[-tail:] if tail else "")


def placeholder_text(label: str, chars: int, hint: str) -> str:
    return f"{PLACEHOLDER_PREFIX}{label} ({chars:,} characters) was removed to save context. {hint}]"


def call_labels(messages: list[dict[str, Any]]) -> dict[str, str]:
    """tool_call_id -> ``name(first argument)`` for every tool call in the conversation."""
    return {
        str(call.get("id")): call_label(call.get("function") or {})
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or []
    }


def _replace(
    change: Change, index: int, message: dict[str, Any], new: str, action: str, label: str, count: Count
) -> None:
    old = str(message.get("content") or "")
    call_id = str(message.get("tool_call_id"))
    change.messages[index] = {**message, "content": new}
    change.originals[call_id] = old
    change.items.append(
        {
            "id": call_id,
            "kind": "tool_result",
            "label": label,
            "action": action,
            "chars_before": len(old),
            "chars_after": len(new),
            "tokens_before": count(old),
            "tokens_after": count(new),
        }
    )


def _content_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    text = "" if content is None else str(content)
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        text += f" {function.get('name')}({function.get('arguments')})"
    return text
