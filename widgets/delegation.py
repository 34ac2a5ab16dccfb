"""A delegation in the transcript: the task handed to a child agent, its status, what it spent.

Drawn from the transcript fold's DELEGATION entry (``app/agent/events/transcript_view.py``, the
line from ``delegation_line`` in ``app/agent/events/subagents.py``), redrawn at each status move.
Enter (or a click) on the block asks the app to open the child session (:class:`OpenChild`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from app.agent.events.subagents import Delegation, SubagentStatus, delegation_line

if TYPE_CHECKING:
    from app.agent.events.transcript_view import Entry

OPEN_HINT = "enter: open the child session"
LEVELS = {SubagentStatus.COMPLETED: "-ok", SubagentStatus.FAILED: "-error", SubagentStatus.REJECTED: "-error",
          SubagentStatus.CANCELED: "-warning", SubagentStatus.INPUT_REQUIRED: "-warning"}


class DelegationBlock(Static, can_focus=True):
    DEFAULT_CSS = """
    DelegationBlock {
        margin: 0 0 1 2;
        padding: 0 1;
        border-left: outer $secondary;
        &.-ok { border-left: outer $success; }
        &.-error { border-left: outer $error; }
        &.-warning { border-left: outer $warning; }
        &:focus { background: $boost; }
    }
    """

    BINDINGS = [
        Binding("enter", "open_child", "Open child", id="delegation.open",
                tooltip="Open the child session of this delegated task (replay)"),
    ]

    class OpenChild(Message):
        """Open ``session_id``, the child session of a delegated task."""

        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.delegation: Delegation | None = None
        self.show(entry)

    def show(self, entry: Entry) -> None:
        delegation = entry.delegation
        if delegation is None:
            return
        self.delegation = delegation
        title, detail = delegation_line(delegation)
        lines = [Content.styled(title, "bold")]
        if detail:
            lines.append(Content.styled(detail, "$text-muted"))
        if delegation.child_session_id and delegation.final:
            lines.append(Content.styled(OPEN_HINT, "$text-muted italic"))
        self.update(Content("\n").join(lines))
        self.set_classes(LEVELS.get(delegation.status, ""))

    def on_click(self) -> None:
        self.action_open_child()

    def action_open_child(self) -> None:
        if self.delegation is not None and self.delegation.child_session_id:
            self.post_message(self.OpenChild(self.delegation.child_session_id))
