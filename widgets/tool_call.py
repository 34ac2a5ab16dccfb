"""One tool call in the transcript: a collapsible block that follows the call's life.

The title line shows status icon (a spinner while running), name, short
arguments, status word and duration. Inside: what the call does (the command,
the diff, the new file, syntax-highlighted) and the result, cut to
``PREVIEW_LINES`` lines with a button to show all of it. While a command runs,
the last ``LIVE_LINES`` lines of its output show under the title, collapsed or
not (the entry's ``live``, from ``tool_output_delta`` events); its result
takes their place when it ends.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.widgets import Button, Collapsible, Static

from widgets.code_view import code_content
from widgets.tool_format import (
    PREVIEW_LINES,
    STATUS_LABELS,
    call_body,
    result_lexer,
    short_args,
    status_text,
    truncate_lines,
)

if TYPE_CHECKING:
    from app.agent.events.transcript_view import Entry

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
LIVE_LINES = 4  # of a running command's output, shown under the title
ARGS_WIDTH = 60  # the arguments' summary in the title, at most
MIN_ARGS = 8  # … and at least (a very narrow block cuts the title's end instead)
TITLE_CHROME = 7  # the title's cells around its text: border, padding, the ▶ toggle
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")  # colours, cursor moves
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_STYLES = {
    "pending": "$text-muted",
    "awaiting": "$text-warning",
    "running": "$text-accent",
    "ok": "$text-success",
    "error": "$text-error",
    "denied": "$text-warning",
}


class ToolCallBlock(Collapsible):
    DEFAULT_CSS = """
    ToolCallBlock {
        margin: 0 0 0 2;
        padding: 0;
        border: none;
        background: transparent;
        &.-error { border-left: outer $error 50%; }
        &.-denied { border-left: outer $warning 50%; }
        Contents { padding: 0 0 0 2; }
        .tool-body { color: $text; background: $boost; padding: 0 1; margin: 0 0 1 0; }
        .tool-result { color: $text-muted; padding: 0 1; }
        .tool-result.-error { color: $text-error; }
        .tool-more { margin: 0 1; min-width: 10; height: 1; border: none; }
        .tool-note { color: $text-warning; padding: 0 1; }
        .tool-live { color: $text-muted; padding: 0 1 0 4; text-wrap: nowrap; text-overflow: ellipsis; }
    }
    """

    def __init__(self, tool_call_id: str, name: str, arguments_raw: str = "") -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = name
        self.arguments_raw = arguments_raw
        self.arguments: dict[str, Any] | None = None
        self.preview = ""
        self.status = "requested"
        self.note = ""
        self.duration_ms: float | None = None
        self.exit_code: int | None = None
        self.finished = False
        self.by_user = False  # a ``!command``: the user's line above shows the command, the title says who ran it
        self.result_text = ""
        self.live = ""
        self._frame = 0
        self._spinner: Any = None
        self._body = Static("", classes="tool-body")
        self._note = Static("", classes="tool-note")
        self._result = Static("", classes="tool-result")
        self._more = Button("Show all", classes="tool-more", compact=True)
        self._live = Static("", classes="tool-live")
        self._body.display = self._note.display = self._result.display = self._more.display = False
        self._live.display = False
        super().__init__(self._body, self._note, self._result, self._more, title="", collapsed=True)
        self.title = self._title_content()  # type: ignore[assignment]

    # --- updates from the transcript's entries ----------------------------------------

    def show(self, entry: Entry) -> None:
        """Follow the call's entry (see ``app/agent/events/transcript_view.py``): only what changed."""
        self.by_user = entry.by_user
        if entry.parsed is not None and self.arguments is None:
            self.set_arguments(entry.parsed)
        if entry.preview and entry.preview != self.preview:
            self.set_preview(entry.preview)
        if entry.live != self.live:
            self.set_live(entry.live)
        if entry.done:
            if not self.finished:
                self.finish(entry.status, entry.result, full_output=entry.full_output, duration_ms=entry.duration_ms,
                            exit_code=entry.exit_code)
            if entry.note != self.note:
                self.set_status(self.status, note=entry.note)
        elif (entry.status, entry.note) != (self.status, self.note):
            self.set_status(entry.status, note=entry.note)


    def set_arguments(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments
        self._show_body()
        self._refresh_title()

    def set_preview(self, preview: str) -> None:
        self.preview = preview
        self._show_body()

    def set_live(self, output: str) -> None:
        """The latest output of the running call; its last lines show under the title."""
        self.live = output
        tail = live_tail(output)
        self._live.update(Content(tail))
        self._live.display = bool(tail) and not self.finished

    def set_status(self, status: str, note: str = "") -> None:
        self.status = status
        if note:
            self.note = note
            self._note.update(Content(note))
            self._note.display = not self.by_user  # the title says it already
        self._set_spinner(status == "running")
        self._set_classes()
        self._refresh_title()

    def finish(
        self,
        status: str,
        result: str,
        *,
        full_output: str | None = None,
        duration_ms: float | None = None,
        exit_code: int | None = None,
    ) -> None:
        self.finished = True
        self._live.display = False
        self.duration_ms = duration_ms
        self.exit_code = exit_code
        self.result_text = full_output or result
        self.set_status(status)
        shown, hidden = truncate_lines(self.result_text, PREVIEW_LINES)
        lexer = "text" if self._kind() == "error" else result_lexer(self.tool_name, self.arguments, shown)
        self._result.update(code_content(shown, lexer))
        self._result.set_class(self._kind() == "error", "-error")
        self._result.display = True
        if hidden:
            self._more.label = f"Show all ({hidden} more lines)"
            self._more.display = True

    # --- the pieces -----------------------------------------------------------------

    def _kind(self) -> str:
        return STATUS_LABELS.get(self.status, ("", self.status, "pending"))[2]

    def _title_content(self) -> Content:
        icon, _, kind = STATUS_LABELS.get(self.status, ("•", self.status, "pending"))
        if self.status == "running":
            icon = SPINNER[self._frame % len(SPINNER)]
        status = status_text(self.status, self.note, self.duration_ms, self.exit_code)
        # Laid out by priority: the status (its numbers) whole, the arguments in what is left.
        room = (self.size.width or ARGS_WIDTH + TITLE_CHROME) - TITLE_CHROME - len(self.tool_name) - len(status) - 4
        args = "" if self.by_user else short_args(self.tool_name, self.arguments, self.arguments_raw,
                                                   width=max(MIN_ARGS, min(ARGS_WIDTH, room)))
        return Content.from_markup(
            f"[{_STYLES[kind]}]$icon[/] [b]$name[/b]{' [dim]$args[/dim]' if args else ''}  [{_STYLES[kind]}]$status[/]",
            icon=icon,
            name=self.tool_name,
            args=args,
            status=status,
        )

    def _refresh_title(self) -> None:
        self.title = self._title_content()  # type: ignore[assignment]

    def _set_classes(self) -> None:
        kind = self._kind()
        self.set_class(kind == "error", "-error")
        self.set_class(kind == "denied", "-denied")

    def _show_body(self) -> None:
        if self.by_user:  # the command is the user's line above
            return
        body = call_body(self.tool_name, self.arguments, self.preview)
        if body is None or not body[0].strip():
            return
        code, lexer = body
        shown, hidden = truncate_lines(code, PREVIEW_LINES * 2)
        if hidden:
            shown += f"\n… {hidden} more lines"
        self._body.update(code_content(shown, lexer))
        self._body.display = True

    def _set_spinner(self, on: bool) -> None:
        if on and self._spinner is None and self.is_mounted:
            self._spinner = self.set_interval(0.1, self._spin)
        elif not on and self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def _spin(self) -> None:
        self._frame += 1
        self._refresh_title()

    def compose(self) -> Any:
        yield from super().compose()
        yield self._live  # outside the contents: shown collapsed too

    def on_mount(self) -> None:
        self._set_spinner(self.status == "running")

    def on_resize(self) -> None:
        self._refresh_title()  # the arguments take the room the status leaves

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button is self._more:
            event.stop()
            lexer = "text" if self._kind() == "error" else result_lexer(self.tool_name, self.arguments, self.result_text)
            self._result.update(code_content(self.result_text, lexer))
            self._more.display = False


def live_tail(output: str, lines: int = LIVE_LINES) -> str:
    """The last ``lines`` lines of a command's output as a terminal leaves them: escape
    sequences and control characters out, a line redrawn after ``\\r`` in its last version."""
    kept = _ESCAPES.sub("", output).rstrip("\n").split("\n")[-lines:]
    return "\n".join(_CONTROLS.sub("", line.rstrip("\r").rsplit("\r", 1)[-1]) for line in kept).strip("\n")
