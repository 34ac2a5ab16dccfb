"""``cache_control`` breakpoints, for the providers that cache only where they are told to.

Anthropic (and Claude on Bedrock and Vertex) caches the prompt up to each block marked
``cache_control: {"type": "ephemeral"}``, at most :data:`MAX_BREAKPOINTS` per request; litellm
passes a marker on the last tool definition, and on a message (system, user or tool result),
into the provider's format. Cockpit marks, in this order: the last tool (tools and system are
the fixed prefix), the system message, the last message of the request (what the next call
reads back) and the last message before the newest reply, which is where the previous call put
its own last marker, so its cache entry is read even when more than the provider's look-back
window of blocks was added since. The markers move; the content they mark does not change,
so the prefix stays byte-identical between calls.
"""

from __future__ import annotations

from typing import Any

MAX_BREAKPOINTS = 4  # Anthropic's limit per request
EPHEMERAL = {"type": "ephemeral"}
MARKABLE_ROLES = frozenset({"system", "user", "tool"})  # litellm moves a message-level marker onto these


def supports_cache_control(model: str) -> bool:
    """Does the provider behind this litellm model name cache only at ``cache_control`` breakpoints?"""
    provider, _, rest = model.partition("/")
    if provider == "anthropic":
        return True
    if provider in ("bedrock", "vertex_ai"):
        return "claude" in rest or "anthropic" in rest  # Claude served by Bedrock / Vertex
    return False


def place_breakpoints(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Copies of ``messages`` and ``tools`` with the breakpoints placed, and how many there are."""
    marked_tools = list(tools)
    count = 0
    if marked_tools:
        marked_tools[-1] = {**marked_tools[-1], "cache_control": EPHEMERAL}
        count += 1
    targets = _message_targets(messages, MAX_BREAKPOINTS - count)
    marked = [_marked(m) if i in targets else m for i, m in enumerate(messages)]
    return marked, marked_tools, count + len(targets)


def _marked(message: dict[str, Any]) -> dict[str, Any]:
    """The message with a breakpoint: on the message for text content (litellm moves it onto the
    block), on its last part for a list of parts (litellm reads markers there only)."""
    content = message.get("content")
    if isinstance(content, list) and content and isinstance(content[-1], dict):
        return {**message, "content": [*content[:-1], {**content[-1], "cache_control": EPHEMERAL}]}
    return {**message, "cache_control": EPHEMERAL}


def _message_targets(messages: list[dict[str, Any]], room: int) -> set[int]:
    """Indexes to mark: the system message, the last message, the last one before the newest reply."""
    wanted: list[int] = []
    if messages and messages[0].get("role") == "system":
        wanted.append(0)
    last = len(messages) - 1
    wanted.append(last)
    replies = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    if replies:
        wanted.append(replies[-1] - 1)
    targets: set[int] = set()
    for index in wanted:
        if len(targets) < room and index >= 0 and _markable(messages[index]):
            targets.add(index)
    return targets


def _markable(message: dict[str, Any]) -> bool:
    return message.get("role") in MARKABLE_ROLES and bool(message.get("content"))
