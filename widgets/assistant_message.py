"""The two kinds of conversation entries: what the user asked, what the model answered."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream


class UserMessage(Static):
    """The user's task; ``queued`` while it waits for the running turn to end."""

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 1 0;
        padding: 0 1;
        border-left: outer $primary;
        background: $primary 10%;
        color: $text;
        &.-queued { border-left: outer $panel-lighten-2; background: $panel; color: $text-muted; }
    }
    """

    def __init__(self, text: str, *, queued: bool = False) -> None:
        self.text = text
        super().__init__(self._content(queued))
        self.set_class(queued, "-queued")
        self.queued = queued

    def _content(self, queued: bool) -> Content:
        label = "queued — sent when the agent finishes" if queued else "you"
        return Content("\n").join([Content.styled(label, "dim"), Content(self.text)])

    def mark_sent(self) -> None:
        self.queued = False
        self.remove_class("-queued")
        self.update(self._content(False))


class AssistantMessage(Markdown):
    """One model call's answer, streamed through ``Markdown.get_stream``."""

    DEFAULT_CSS = """
    AssistantMessage {
        margin: 0;
        padding: 0 1;
        background: transparent;
        &.-failed { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, markdown: str = "", *, call_id: str = "") -> None:
        super().__init__(markdown)
        self.call_id = call_id
        self.text = markdown
        self._stream: MarkdownStream | None = None

    async def write(self, fragment: str) -> None:
        """Append streamed text (fragments arriving faster than rendering are merged)."""
        if not fragment:
            return
        self.text += fragment
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        await self._stream.write(fragment)

    async def end(self, *, failed: bool = False) -> None:
        """The call is over: flush what is pending and stop the stream."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
        self.set_class(failed, "-failed")
