"""``todo_write``: the model's todo list for the task at hand.

The model sends the whole list each time; nothing is written anywhere and nothing
needs approval (``side_effects = False``, so plan mode allows it too). The list is
announced as a ``todo_updated`` event (stored; the transcript, the side column
and replay fold it) and the model is told, briefly, that it was saved.

As in Claude Code's TodoWrite, one item in progress at a time is the advice, not a
rule: a list with several is saved, and the result says so.
"""

from __future__ import annotations

from typing import Any

from app.agent.events.todo import TodoItem, TodoStatus, TodoUpdated, progress, todo_status
from app.agent.tools.base import ToolContext, ToolError, ToolOutput
from app.agent.tools.validation import require_valid

MAX_ITEMS = 100
MAX_CONTENT_CHARS = 500
STATUSES = [*(s.value for s in TodoStatus), "completed"]


class TodoWrite:
    name = "todo_write"
    description = (
        "Keep a todo list for a task of several steps; the user sees it. Send the whole list each "
        "time (it replaces the last one). Mark one item in_progress before you start it and done as "
        "soon as it is finished. Skip it for simple one-step tasks."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "todos": {
                "type": "array",
                "description": "The whole list, in order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "A short stable id (default: the position)."},
                        "content": {"type": "string", "minLength": 1, "description": "What to do."},
                        "status": {"type": "string", "enum": STATUSES},
                        "priority": {"type": "string", "enum": ["high", "medium", "low"]},
                    },
                    "required": ["content", "status"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["todos"],
        "additionalProperties": False,
    }
    side_effects = False
    parallel_safe = False  # two lists in one reply: the last one the model wrote wins, in its order
    enforces_own_timeout = False

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        try:
            require_valid(self.parameters, args)
            items = todo_items(args["todos"])
        except ToolError as exc:
            return ToolOutput(str(exc), is_error=True)
        updated = TodoUpdated(items=[item.to_dict() for item in items])
        return ToolOutput(saved_text(items), data={"todos": updated.items}, announce=[updated])


def todo_items(raw: list[dict[str, Any]]) -> tuple[TodoItem, ...]:
    """The list the model sent, checked: ids unique (an item without one gets its position), no blank item."""
    if len(raw) > MAX_ITEMS:
        raise ToolError(f"the list has {len(raw)} items; keep it to {MAX_ITEMS} at most")
    items: list[TodoItem] = []
    seen: set[str] = set()
    for position, entry in enumerate(raw, start=1):
        content = " ".join(str(entry["content"]).split())
        if not content:
            raise ToolError(f"item {position} has no content")
        item_id = str(entry.get("id") or position)
        if item_id in seen:
            raise ToolError(f"two items have the id {item_id!r}; give each item its own id")
        seen.add(item_id)
        items.append(TodoItem(id=item_id, content=content[:MAX_CONTENT_CHARS], status=todo_status(entry["status"]),
                              priority=str(entry.get("priority") or "")))
    return tuple(items)


def saved_text(items: tuple[TodoItem, ...]) -> str:
    """``Todo list saved (1/3 done).``, with a note when several items are in progress."""
    if not items:
        return "Todo list cleared."
    text = f"Todo list saved ({progress(items)})."
    running = sum(item.status is TodoStatus.IN_PROGRESS for item in items)
    if running > 1:
        text += f" Note: {running} items are in progress; keep one in progress at a time."
    return text
