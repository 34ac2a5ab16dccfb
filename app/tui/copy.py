"""Copy the last answer, or one of its code blocks, to the clipboard.

Ctrl+C quits and a terminal's own selection picks up the side column, so the
app copies for you with Textual's ``App.copy_to_clipboard`` (OSC 52: the
terminal puts the text on the system clipboard; a terminal without OSC 52
support, or tmux without ``set-clipboard on``, silently receives nothing, and
the notification says so). The answer is taken from the transcript fold
(``app/agent/events/transcript_view.py``), the same entries the screen shows,
never scraped from widgets: the last answer is the last assistant entry that
has text and did not fail. Its fenced code blocks are found by the Markdown
parser the transcript renders with (markdown-it), so ``~~~`` fences, longer
fences and indented fences count as the reader sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the transcript fold (and the events with it) loads after the first frame
    from app.agent.events.transcript_view import Entry

NO_OSC52 = "Terminals without OSC 52 clipboard support do not receive it."


@dataclass(frozen=True)
class CodeBlock:
    language: str  # the fence's info word, "" when none
    code: str  # the block's text without the fences, ending without a newline
    line: int  # the fence's line in the answer, from 1


def last_answer(entries: Sequence[Entry]) -> str | None:
    """The text of the last answer the model gave, or None."""
    from app.agent.events.transcript_view import ANSWER

    for entry in reversed(entries):
        if entry.kind == ANSWER and not entry.failed and entry.text.strip():
            return entry.text
    return None


def code_blocks(markdown: str) -> list[CodeBlock]:
    """The fenced code blocks of ``markdown``, in order."""
    from markdown_it import MarkdownIt

    blocks = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "fence":
            language = token.info.split()[0] if token.info.strip() else ""
            line = token.map[0] + 1 if token.map else 0
            blocks.append(CodeBlock(language, token.content.rstrip("\n"), line))
    return blocks


def size(text: str) -> str:
    """``"3 lines, 82 characters"``."""
    lines = len(text.splitlines()) or 1
    return f"{lines} line{'s' if lines != 1 else ''}, {len(text)} character{'s' if len(text) != 1 else ''}"


def block_label(number: int, block: CodeBlock) -> str:
    first = next((line.strip() for line in block.code.splitlines() if line.strip()), "")
    first = first if len(first) <= 50 else first[:49] + "…"
    return f"Block {number}{f' ({block.language})' if block.language else ''}: {first or '(empty)'}"


class CopyHost(Protocol):
    """What copying needs of the app."""

    def copy_to_clipboard(self, text: str) -> None: ...

    def notify(self, message: str, *, title: str = ..., severity: str = ..., timeout: float | None = ...) -> None: ...

    def search_commands(self, commands: Sequence[tuple[str, Callable[[], object], str]], placeholder: str = ...) -> object: ...


class Copier:
    """The palette entries and the key: copy the last answer or one of its code blocks."""

    def __init__(self, app: CopyHost, entries: Callable[[], Sequence[Entry]]) -> None:
        self.app = app
        self.entries = entries

    def _answer(self) -> str | None:
        answer = last_answer(self.entries())
        if answer is None:
            self.app.notify("There is no answer to copy yet.", severity="warning")
        return answer

    def copy_last_answer(self) -> None:
        answer = self._answer()
        if answer is not None:
            self._copy(answer, "the last answer")

    def choose_code_block(self) -> None:
        """One block: copied at once; several: the palette asks which."""
        answer = self._answer()
        if answer is None:
            return
        blocks = code_blocks(answer)
        if not blocks:
            self.app.notify("The last answer has no code block.", severity="warning")
        elif len(blocks) == 1:
            self.copy_block(1, blocks[0])
        else:
            self.app.search_commands(
                [(block_label(n, block), partial(self.copy_block, n, block), size(block.code))
                 for n, block in enumerate(blocks, 1)],
                placeholder="Copy which code block of the last answer?",
            )

    def copy_block(self, number: int, block: CodeBlock) -> None:
        self._copy(block.code, f"code block {number}{f' ({block.language})' if block.language else ''}")

    def _copy(self, text: str, what: str) -> None:
        self.app.copy_to_clipboard(text)
        self.app.notify(f"Copied {what}: {size(text)}. {NO_OSC52}", title="Copied", timeout=6)
