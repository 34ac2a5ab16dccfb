"""The prompt: a multi-line input where Enter sends.

Keys: Enter sends; Shift+Enter or Ctrl+J inserts a newline; Up on the first
line and Down on the last line walk the history. While the agent works, what
you send is queued by the app (the placeholder says so).
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

IDLE_PLACEHOLDER = "Ask Cockpit to do something…  (Enter sends · Shift+Enter or Ctrl+J: new line · ↑↓ history)"
BUSY_PLACEHOLDER = "The agent is working — Enter queues your message for when it finishes · Esc interrupts"
NEWLINE_KEYS = ("shift+enter", "ctrl+j")


class History:
    """Sent prompts, newest last; ``previous``/``following`` walk it and keep the draft."""

    def __init__(self, entries: list[str] | None = None, limit: int = 500) -> None:
        self.entries = list(entries or [])[-limit:]
        self.limit = limit
        self._index: int | None = None
        self._draft = ""

    def add(self, text: str) -> None:
        if text and (not self.entries or self.entries[-1] != text):
            self.entries.append(text)
            del self.entries[: -self.limit]
        self.reset()

    def reset(self) -> None:
        self._index, self._draft = None, ""

    def previous(self, current: str) -> str | None:
        if not self.entries:
            return None
        if self._index is None:
            self._draft, self._index = current, len(self.entries)
        if self._index == 0:
            return None
        self._index -= 1
        return self.entries[self._index]

    def following(self) -> str | None:
        if self._index is None:
            return None
        self._index += 1
        if self._index >= len(self.entries):
            draft = self._draft
            self.reset()
            return draft
        return self.entries[self._index]


class PromptInput(TextArea):
    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: tall $primary 40%;
        &:focus { border: tall $primary; }
        &.-busy { border: tall $warning 50%; }
    }
    """

    # Enter sends; while the agent works it queues, and the footer says which (one binding
    # shows at a time, see ``check_action``). Remapping ``prompt.send`` moves both.
    BINDINGS = [
        Binding("enter", "send", "Send", id="prompt.send", tooltip="Send the task"),
        Binding("enter", "queue", "Queue", id="prompt.queue",
                tooltip="The agent is working: the task waits and is sent when the turn ends"),
        Binding("shift+enter,ctrl+j", "newline", "New line", id="prompt.newline", tooltip="Insert a line break"),
    ]

    class Submitted(Message):
        def __init__(self, prompt: "PromptInput", text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def __init__(self, *, id: str | None = None, sent_history: History | None = None) -> None:
        super().__init__(
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            highlight_cursor_line=False,
            placeholder=IDLE_PLACEHOLDER,
        )
        self.sent_history = sent_history or History()
        self.busy = False

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.placeholder = BUSY_PLACEHOLDER if busy else IDLE_PLACEHOLDER
        self.set_class(busy, "-busy")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return not self.busy
        if action == "queue":
            return self.busy
        return True

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_send()
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        await super()._on_key(event)

    def action_send(self) -> None:
        text = self.text.strip()
        if not text:
            return
        self.sent_history.add(text)
        self.clear()
        self.post_message(self.Submitted(self, text))

    def action_queue(self) -> None:
        self.action_send()  # the app queues what arrives while it is busy

    def action_newline(self) -> None:
        self.insert("\n")

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.cursor_location[0] == 0:
            entry = self.sent_history.previous(self.text)
            if entry is not None:
                self._show(entry, at_end=False)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        if not select and self.cursor_location[0] == self.document.line_count - 1:
            entry = self.sent_history.following()
            if entry is not None:
                self._show(entry, at_end=True)
            return
        super().action_cursor_down(select)

    def _show(self, text: str, *, at_end: bool) -> None:
        self.text = text
        self.move_cursor(self.document.end if at_end else (0, len(self.document.get_line(0))))
