"""``recall_output``: lets the model read back a tool result that compaction shortened.

Register it with ``RecallOutputTool(budget.original_output)`` and create the
budget with ``recall_tool="recall_output"`` so that compaction notes mention it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.agent.tools.base import ToolContext, ToolOutput

DEFAULT_LIMIT = 6_000


class RecallOutputTool:
    name = "recall_output"
    description = (
        "Read part of a tool result that was shortened or removed to save context. "
        "Give the tool_call_id named in the note, and a character offset (and optionally a limit)."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "tool_call_id": {"type": "string", "description": "id from the compaction note"},
            "offset": {"type": "integer", "minimum": 0, "description": "first character to return"},
            "limit": {"type": "integer", "minimum": 1, "description": f"characters to return (default {DEFAULT_LIMIT})"},
        },
        "required": ["tool_call_id"],
    }
    side_effects = False
    enforces_own_timeout = False
    kept_because = "compaction's notes tell the model to call it"  # never suggested for disabling

    def __init__(self, lookup: Callable[[str], str | None]) -> None:
        self._lookup = lookup

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        call_id = str(args.get("tool_call_id") or "")
        text = self._lookup(call_id)
        if text is None:
            return ToolOutput(text=f"No shortened output is kept for tool call {call_id!r}.", is_error=True)
        offset = max(0, int(args.get("offset") or 0))
        limit = max(1, int(args.get("limit") or DEFAULT_LIMIT))
        part = text[offset : offset + limit]
        end = offset + len(part)
        more = f" {len(text) - end:,} more characters follow; continue with offset={end}." if end < len(text) else ""
        return ToolOutput(text=f"[characters {offset:,}–{end:,} of {len(text):,}.{more}]\n{part}")
