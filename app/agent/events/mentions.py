"""The prompt's own inputs in the conversation: files attached by ``@path`` mentions, and the
record of a ``!command`` the user ran (its marker; the command's events are tool calls).

A task that mentions ``@path`` gets the file (or a folder's listing) as a message of
its own after the task; :class:`FileAttached` says so, with the tokens the Context
budget counts for that message, or why the file was refused. The transcript fold
shows one line per mention under the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from app.agent.events.core import Event

KIND_FILE = "file"
KIND_FOLDER = "folder"
MENTION = "mention"  # the Context budget's kind of an attachment's message

# An attachment's message opens with this, then ``file] @path`` or ``folder] @path/``.
ATTACHMENT_MARKER = "[cockpit: attached "


# A ``!command``'s record in the conversation opens with this (``app.agent.user_command``).
COMMAND_MARKER = "[cockpit: the user ran a shell command]"
# The verifier's findings sent back to the model (``app.agent.roles``) open with this.
VERIFIER_MARKER = "[cockpit: the verifier's findings]"


def is_task(message: dict[str, Any]) -> bool:
    """A user message that starts a turn: neither an attachment, a ``!command``'s record nor the verifier's findings."""
    content = message.get("content")
    return message.get("role") == "user" and attachment_label(content) is None and not (
        isinstance(content, str) and content.startswith((COMMAND_MARKER, VERIFIER_MARKER)))


def attachment_label(content: Any) -> str | None:
    """``@path`` when ``content`` is an attachment's message (see ``app.agent.mentions``), else None."""
    if not isinstance(content, str) or not content.startswith(ATTACHMENT_MARKER):
        return None
    head = content[len(ATTACHMENT_MARKER):].split("\n", 1)[0]
    return head.split("] ", 1)[1] if "] " in head else None


@dataclass(kw_only=True)
class FileAttached(Event):
    """One ``@path`` of a task: attached (``attached``), or refused with ``note`` saying why."""

    type: ClassVar[str] = "file_attached"
    turn: int = 0
    path: str = ""  # as the workspace names it, "/"-separated; a folder ends with "/"
    kind: str = KIND_FILE  # file | folder
    attached: bool = True  # False: refused (binary, outside the workspace, unreadable)
    tokens: int | None = None  # the Context budget's count of its message; None: no budget measured it
    approximate: bool = False  # ``tokens`` is an estimate (no tokenizer for the model: characters / 4)
    item_id: str = ""  # the Context budget item (the message) it is
    chars: int = 0  # characters attached
    truncated: bool = False  # cut to the attachment limit (``note`` says how much)
    note: str = ""  # why it was refused, or how it was cut
