"""A readable notice in the transcript: errors, limits, interrupts. Never a traceback."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

ICONS = {"error": "✗", "warning": "■", "info": "•"}


class NoticeBlock(Static):
    DEFAULT_CSS = """
    NoticeBlock {
        margin: 0 0 1 2;
        padding: 0 1;
        color: $text;
        &.-error { border-left: outer $error; background: $error 10%; }
        &.-warning { border-left: outer $warning; background: $warning 10%; }
        &.-info { border-left: outer $primary; color: $text-muted; }
    }
    """

    def __init__(self, message: str, *, level: str = "info", detail: str = "") -> None:
        self.level = level if level in ICONS else "info"
        self.message = message
        self.detail = detail
        content = Content.from_markup("[b]$icon $message[/b]", icon=ICONS[self.level], message=message)
        if detail:
            content = Content("\n").join([content, Content.styled(detail, "$text-muted")])
        super().__init__(content, classes=f"-{self.level}")
