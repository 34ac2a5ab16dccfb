"""The prompt: a multi-line input where Enter sends.

Keys: Enter sends; Shift+Enter or Ctrl+J inserts a newline; Up on the first
line and Down on the last line walk the history, Ctrl+R searches it (a modal,
``widgets/history_search.py``). While the agent works, what
you send is queued by the app (the placeholder says so).

Completion (``attach_completion``): as you type, a :class:`Completer` is asked on a
worker thread what may replace the token at the cursor (``/com`` → ``/compact``); its
answer opens the :class:`CompletionMenu` if the text has not changed meanwhile. While
the menu is open, Up/Down move in it, Tab accepts, Enter accepts (or sends, when the
highlighted candidate is already typed out), Esc closes it (and interrupts nothing);
Tab and Esc are the bindings ``prompt.complete`` and ``prompt.close_completion``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.cells import cell_len
from textual import events, on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea
from textual.worker import get_current_worker

from widgets.completion_menu import Completer, Completion, CompletionMenu

IDLE_PLACEHOLDER = "Ask Cockpit to do something…  (Enter sends · Shift+Enter or Ctrl+J: new line · ↑↓ history)"
IDLE_PLACEHOLDERS = (  # the longest that fits the input's width is shown
    IDLE_PLACEHOLDER,
    "Ask Cockpit to do something…  (Enter sends · Ctrl+J: new line · ↑↓ history)",
    "Ask Cockpit…  (Enter sends · Ctrl+J: new line)",
)
BUSY_PLACEHOLDER = "The agent is working — Enter queues your message for when it finishes · Esc interrupts"
BUSY_PLACEHOLDERS = (BUSY_PLACEHOLDER, "The agent is working — Enter queues your message · Esc interrupts")
APPROVAL_PLACEHOLDERS = (  # a call (the model's or a !command) waits for the user's answer above
    "Waiting for your approval (above) — Enter queues your message · Esc denies and interrupts",
    "Waiting for your approval (above) · Esc denies and interrupts",
    "Waiting for your approval (above)",
)
NEWLINE_KEYS = ("shift+enter", "ctrl+j")


def _nothing(_key: events.Key) -> None:
    pass


class History:
    """Sent prompts, newest last; ``previous``/``following`` walk it and keep the draft."""

    def __init__(self, entries: list[str] | None = None, limit: int = 500) -> None:
        self.entries = list(entries or [])[-limit:]
        self.limit = limit
        self._index: int | None = None
        self._draft = ""
        self.sink: Callable[[str], None] | None = None  # told of each prompt added (it keeps them on disk)

    def add(self, text: str) -> None:
        if text and (not self.entries or self.entries[-1] != text):
            self.entries.append(text)
            del self.entries[: -self.limit]
            if self.sink is not None:
                self.sink(text)
        self.reset()

    def prepend(self, older: list[str]) -> None:
        """Prompts sent before this run (a stored history), oldest first, go before these."""
        self.entries = [*older, *self.entries][-self.limit:]
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
        Binding("shift+enter,ctrl+j", "newline", "Newline", id="prompt.newline", tooltip="Insert a line break"),
        Binding("ctrl+r", "history_search", "History", id="prompt.history_search", show=False,
                tooltip="Search the prompts sent in this workspace (newest first); Enter puts one here"),
        # While the completion menu is open (only then: see ``check_action``).
        Binding("tab", "complete", "Complete", id="prompt.complete", tooltip="Put the highlighted completion in the prompt"),
        Binding("escape", "close_completion", "Close menu", id="prompt.close_completion",
                tooltip="Close the completion menu (the agent is not interrupted)"),
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
        self.awaiting_approval = False
        self.completer: Completer | None = None
        self.menu: CompletionMenu | None = None
        self._dismissed: str | None = None  # the text Esc closed the menu on (or recalled): closed until it changes
        self.key_taken: Callable[[events.Key], None] = _nothing  # told of each key once it is handled (the app's KeysFirst)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.placeholder = self._placeholder()
        self.set_class(busy, "-busy")
        self.refresh_bindings()

    def set_awaiting_approval(self, waiting: bool) -> None:
        """An approval prompt waits for the user: the placeholder says so, not that the agent works."""
        self.awaiting_approval = waiting
        self.placeholder = self._placeholder()

    def _placeholder(self) -> str:
        """The placeholder for the state and the width: the longest variant that fits."""
        variants = APPROVAL_PLACEHOLDERS if self.awaiting_approval else BUSY_PLACEHOLDERS if self.busy else IDLE_PLACEHOLDERS
        room = self.content_size.width
        return next((v for v in variants if cell_len(v) <= room), variants[-1]) if room else variants[0]

    def on_resize(self) -> None:
        self.placeholder = self._placeholder()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return not self.busy
        if action == "queue":
            return self.busy
        if action in ("complete", "close_completion"):
            return self.menu is not None and self.menu.is_open
        return True

    async def _on_key(self, event: events.Key) -> None:
        try:
            await self._take_key(event)
        finally:
            self.key_taken(event)

    async def _take_key(self, event: events.Key) -> None:
        if self._completion_key(event.key):
            event.stop()
            event.prevent_default()
            return
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
        self._close_completion()
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
        self._dismissed = text  # a prompt recalled from the history opens no completion menu
        self.text = text
        self.move_cursor(self.document.end if at_end else (0, len(self.document.get_line(0))))

    # --- history search (Ctrl+R) ------------------------------------------------------

    def action_history_search(self) -> None:
        from widgets.history_search import HistorySearch

        self.app.push_screen(HistorySearch(self.sent_history.entries), self._history_chosen)

    def _history_chosen(self, text: str | None) -> None:
        if text is not None:
            self.sent_history.reset()
            self._show(text, at_end=True)
        self.focus()

    # --- completion -------------------------------------------------------------------

    def attach_completion(self, menu: CompletionMenu, completer: Completer) -> None:
        self.menu, self.completer = menu, completer

    def _completion_key(self, key: str) -> bool:
        """A key the open menu takes (True), or one for the prompt (False)."""
        menu = self.menu
        if menu is None or not menu.is_open:
            return False
        if key in ("up", "down"):
            menu.move(-1 if key == "up" else 1)
            return True
        if key == "enter":
            return self._accept_completion()
        return False  # Tab and Esc are bindings (prompt.complete, prompt.close_completion)

    def action_complete(self) -> None:
        if self.menu is not None and self.menu.is_open:
            self._accept_completion()

    def action_close_completion(self) -> None:
        self._dismissed = self.text
        self._close_completion()

    def _accept_completion(self) -> bool:
        """Replace the token by the highlighted candidate; False when it is already typed out
        (the menu closes and Enter sends)."""
        assert self.menu is not None and self.menu.completion is not None
        completion, candidate = self.menu.completion, self.menu.highlighted
        if candidate is None:
            return False
        self._close_completion()
        if self.text[completion.start: completion.end] == candidate.insert.rstrip():
            return False
        self.replace(candidate.insert, self._location(completion.start), self._location(completion.end))
        return True

    def _close_completion(self) -> None:
        if self.menu is not None and self.menu.is_open:
            self.menu.close()
            self.refresh_bindings()

    @on(TextArea.Changed)
    def _completion_text_changed(self) -> None:
        self._ask_completion()

    @on(events.Blur)
    def _completion_focus_lost(self) -> None:
        self._close_completion()

    @on(TextArea.SelectionChanged)
    def _completion_cursor_moved(self) -> None:
        if self.menu is not None and self.menu.is_open:
            self._ask_completion()

    def _ask_completion(self) -> None:
        if self.completer is None or self.menu is None:
            return
        text = self.text
        if text == self._dismissed:
            self._close_completion()
            return
        self._dismissed = None
        cursor = self._cursor_index()
        self.run_worker(partial(self._look_up, self.completer, text, cursor), thread=True, exclusive=True,
                        group="completion", description="completion", exit_on_error=False)

    def _look_up(self, completer: Completer, text: str, cursor: int) -> None:
        """On a worker thread: ask, then show the answer on the UI thread."""
        completion = completer.complete(text, cursor)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_completion, text, cursor, completion)

    def _show_completion(self, text: str, cursor: int, completion: Completion | None) -> None:
        if self.menu is None or text != self.text or cursor != self._cursor_index():
            return  # typed on meanwhile: a newer answer is coming
        if completion is None:
            self._close_completion()
        else:
            opening = not self.menu.is_open
            self.menu.show(completion)
            if opening:
                self.refresh_bindings()  # the footer shows Tab and Esc for the menu

    def _cursor_index(self) -> int:
        """The cursor as an index into ``self.text``."""
        return len(self.get_text_range((0, 0), self.cursor_location))

    def _location(self, index: int) -> tuple[int, int]:
        """An index into ``self.text`` as a (row, column) location."""
        newline, before = self.document.newline, self.text[:index]
        row = before.count(newline)
        return row, len(before) - (before.rfind(newline) + len(newline) if row else 0)
