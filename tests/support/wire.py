"""What a provider receives of a conversation's user messages, derived from the history the session keeps.

The wire joins consecutive text user messages into one (``app/agent/wire.py``): the
history keeps a task and each file it attached apart (each its own budget item); the
server sees one message per user turn, roles alternating.
"""

from __future__ import annotations

from typing import Any


def user_parts(history: list[dict[str, Any]]) -> list[list[str]]:
    """The history's user messages, grouped as the wire sends them (consecutive ones together)."""
    groups: list[list[str]] = []
    previous_user = False
    for message in history:
        is_user = message.get("role") == "user"
        if is_user and previous_user:
            groups[-1].append(message["content"])
        elif is_user:
            groups.append([message["content"]])
        previous_user = is_user
    return groups


def assert_sent_as_joined(sent: list[dict[str, Any]], history: list[dict[str, Any]]) -> list[str]:
    """The server got each group joined by a blank line, roles alternating; returns the history's user texts."""
    roles = [m["role"] for m in sent]
    assert all(not (a == b == "user") for a, b in zip(roles, roles[1:])), roles
    groups = user_parts(history)
    assert [m["content"] for m in sent if m["role"] == "user"] == ["\n\n".join(g) for g in groups]
    return [text for group in groups for text in group]
