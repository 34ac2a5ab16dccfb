"""What the model answered: one Markdown widget per model call, streamed.

Importing this module loads the Markdown parser; the transcript imports it on
the first answer, so the first frame does not wait for it.
"""

from __future__ import annotations

from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream


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
