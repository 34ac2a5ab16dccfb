"""The model's todo list: a checklist block in the transcript and a pane in the side column.

Both draw a tuple of :class:`~app.agent.events.todo.TodoItem` the same way (``☑`` done,
dimmed; ``▶`` in progress, bold; ``☐`` pending). The transcript's block shows the list
as one ``todo_write`` call left it; the pane shows the current list, folded by
:class:`~app.agent.events.todo.TodoList` from the session's events (live, on resume
and in replay), and hides itself while the session has no todos.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.content import Content
from textual.widgets import Static

from app.agent.events.core import Event
from app.agent.events.todo import TodoItem, TodoList, TodoStatus, checklist_line, progress

ITEM_STYLES = {TodoStatus.DONE: "$text-muted", TodoStatus.IN_PROGRESS: "bold $text-accent", TodoStatus.PENDING: ""}


def checklist_lines(items: Sequence[TodoItem], *, title: str = "") -> list[Content]:
    """``title 1/3 done`` (when a title is given), then one line per item."""
    lines = [Content.styled(f"{title} {progress(items)}", "bold")] if title else []
    lines += [Content.styled(checklist_line(item), ITEM_STYLES[item.status]) for item in items]
    if not items:
        lines.append(Content.styled("(empty list)", "$text-muted italic"))
    return lines


def checklist(items: Sequence[TodoItem], *, title: str = "") -> Content:
    """:func:`checklist_lines` as one block."""
    return Content("\n").join(checklist_lines(items, title=title))


class TodoChecklist(Static):
    """The list as one update left it, in the transcript."""

    DEFAULT_CSS = "TodoChecklist { height: auto; margin: 0 0 1 2; padding: 0 1; border-left: outer $accent 50%; }"

    def __init__(self, items: Sequence[TodoItem]) -> None:
        super().__init__(checklist(items, title="Todo"))
        self.items = tuple(items)


class TodoPane(Static):
    """The current list, in the side column; not displayed while there is none.

    ``FRAMED``: it draws its own border and title (the slot's frame would stay on screen
    while the pane is hidden)."""

    FRAMED = True
    DEFAULT_CSS = """
    TodoPane {
        height: auto;
        max-height: 12;
        overflow-y: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-accent;
        padding: 0 1;
        margin: 0 0 1 0;
    }
    """

    def __init__(self, items: Iterable[TodoItem] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.todos = TodoList(tuple(items))
        self.border_title = "Todo"
        self._draw()

    def apply(self, event: Event) -> None:
        if self.todos.apply(event):
            self._draw()

    def update_state(self, todos: TodoList) -> None:
        """Show ``todos`` (replay: the list at its position)."""
        self.todos = TodoList(todos.items)
        self._draw()

    def _draw(self) -> None:
        items = self.todos.items
        self.display = bool(items)
        self.border_subtitle = progress(items) if items else ""
        self.update(checklist(items))
