"""The todo list the model keeps: the ``todo_updated`` event and its fold.

The model sends its whole list with each ``todo_write`` call; the tool announces it as
:class:`TodoUpdated` (stored like every event). :class:`TodoList` folds those events
into the current list: the side column's pane live, on resume and in replay, and
the transcript's checklist at each update (``transcript_view``), so every view
shows the same list at the same position.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.agent.events.core import Event


class TodoStatus(str, enum.Enum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"


STATUS_ALIASES = {"completed": TodoStatus.DONE}  # Claude Code's word for done
MARKS = {TodoStatus.PENDING: "☐", TodoStatus.IN_PROGRESS: "▶", TodoStatus.DONE: "☑"}


def todo_status(value: str) -> TodoStatus:
    """The status a model wrote (``completed`` is read as done); ValueError for anything else."""
    return STATUS_ALIASES.get(value) or TodoStatus(value)


@dataclass(frozen=True)
class TodoItem:
    id: str
    content: str
    status: TodoStatus = TodoStatus.PENDING
    priority: str = ""  # high | medium | low, when the model gave one

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TodoItem:
        return cls(id=str(data.get("id", "")), content=str(data.get("content", "")),
                   status=todo_status(str(data.get("status", TodoStatus.PENDING.value))),
                   priority=str(data.get("priority") or ""))

    def to_dict(self) -> dict[str, str]:
        data = {"id": self.id, "content": self.content, "status": self.status.value}
        return {**data, "priority": self.priority} if self.priority else data

    @property
    def mark(self) -> str:
        return MARKS[self.status]


@dataclass(kw_only=True)
class TodoUpdated(Event):
    """The model's todo list, whole, as a ``todo_write`` call left it."""

    type: ClassVar[str] = "todo_updated"
    items: list[dict[str, Any]] = field(default_factory=list)  # TodoItem.to_dict() each

    def todos(self) -> tuple[TodoItem, ...]:
        return tuple(TodoItem.from_dict(item) for item in self.items)


@dataclass
class TodoList:
    """The current list, folded from ``todo_updated`` events (the last one wins)."""

    items: tuple[TodoItem, ...] = ()

    @classmethod
    def of(cls, events: Iterable[Event]) -> TodoList:
        todos = cls()
        for event in events:
            todos.apply(event)
        return todos

    def apply(self, event: Event) -> bool:
        """Fold one event; True when the list changed."""
        if not isinstance(event, TodoUpdated):
            return False
        items = event.todos()
        changed = items != self.items
        self.items = items
        return changed


def progress(items: Iterable[TodoItem]) -> str:
    """``2/5 done``."""
    items = tuple(items)
    done = sum(item.status is TodoStatus.DONE for item in items)
    return f"{done}/{len(items)} done"


def checklist_line(item: TodoItem) -> str:
    """``☑ write the test`` (``▶`` in progress, ``☐`` pending)."""
    return f"{item.mark} {item.content}"
