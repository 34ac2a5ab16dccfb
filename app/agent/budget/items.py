"""What a Context-budget item stands for, and the drop of an ``@path`` attachment.

The pane's items are ``tool_call_id``\\ s (tool results), ``m<index>`` (any other
message, an attachment among them), the sections of a system message Cockpit
built (the prompt, the environment, each instruction file; see ``layouts``) and
the tool definitions (``tool:<name>``, or ``server:<name>`` for a server's tools).
:func:`item_text` is the text behind one, for the pane's "open" of an item the
transcript has no block for. :func:`drop_attachment` is the pane's "drop" of an
attachment: its message stays (an attachment is a message of its own after the task,
and the turn's shape must not change) but its file gives way to a one-line note.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from app.agent.budget.compaction import Change, Count
from app.agent.budget.layouts import SystemLayouts
from app.agent.events.mentions import MENTION, attachment_label

TOOL_ITEM, SERVER_ITEM = "tool:", "server:"  # the ids of tool definition items: ``tool:<name>``, ``server:<name>``
DROPPED = "was dropped by the user; attach it again or read it if you need it]"  # ends a dropped attachment


def message_index(messages: list[dict[str, Any]], item_id: str) -> int | None:
    """The index of the message of an ``m<index>`` item, if it is one of ``messages``."""
    digits = item_id[1:]
    if not item_id.startswith("m") or not digits.isdigit() or int(digits) >= len(messages):
        return None
    return int(digits)


def item_text(messages: list[dict[str, Any]], layouts: SystemLayouts, item_id: str) -> str | None:
    """The text an item stands for (a section's, a message's, a tool result's); None if it is gone."""
    for message in messages:
        content = message.get("content")
        if message.get("role") == "system" and isinstance(content, str):
            for section in layouts.sections(content) or ():
                if section.item_id == item_id:
                    return section.text.rstrip("\n")
        if message.get("role") == "tool" and message.get("tool_call_id") == item_id:
            return _text(content)
    index = message_index(messages, item_id)
    return None if index is None else _text(messages[index].get("content"))


def drop_attachment(messages: list[dict[str, Any]], item_id: str, count: Count) -> Change | None:
    """The attachment ``item_id`` with its file left out (no items: it was dropped already); None if it is
    no attachment."""
    index = message_index(messages, item_id)
    message = messages[index] if index is not None else {}
    old = message.get("content")
    label = attachment_label(old)
    if index is None or label is None or not isinstance(old, str):
        return None
    if old.endswith(DROPPED):
        return Change(messages=messages)
    new = f"{old.split(chr(10), 1)[0]}\n[{label} ({len(old):,} characters) {DROPPED}"
    change = Change(messages=list(messages))
    change.messages[index] = {**message, "content": new}
    change.items.append({"id": item_id, "kind": MENTION, "label": label, "action": "dropped",
                         "chars_before": len(old), "chars_after": len(new),
                         "tokens_before": count(old), "tokens_after": count(new)})
    return change


def no_server(name: str) -> str | None:
    """A tool of Cockpit's own: no server."""
    return None


def tool_item_text(tools: list[dict[str, Any]], item_id: str, server_of: Callable[[str], str | None]) -> str | None:
    """The definitions (as sent, JSON) behind a ``tool:<name>`` or ``server:<name>`` item; None for any other."""
    def name(tool: dict[str, Any]) -> str:
        function = tool.get("function")
        return str((function if isinstance(function, dict) else tool).get("name") or "")

    if item_id.startswith(TOOL_ITEM):
        chosen = [t for t in tools if name(t) == item_id[len(TOOL_ITEM):]]
    elif item_id.startswith(SERVER_ITEM):
        chosen = [t for t in tools if server_of(name(t)) == item_id[len(SERVER_ITEM):]]
    else:
        return None
    return "\n\n".join(json.dumps(t, indent=2, ensure_ascii=False) for t in chosen) or None


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)

