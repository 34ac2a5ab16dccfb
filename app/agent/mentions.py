"""``@path`` mentions in a task: the files they name, attached to the message the model gets.

:func:`mentioned` finds the mentions: ``@src/app.py``, ``@"notes/a b.txt"`` for a path with
spaces; an ``@`` inside a word (``me@example.com``) is no mention, and punctuation after a
path (``see @app.py.``) is not part of it. :func:`attachments` turns each mention that
names something that exists into an :class:`Attachment`: a text file's content (cut at
:data:`MAX_ATTACH_CHARS`, with a note), a folder's listing (``.gitignore`` respected), or a
refusal with a note (binary, outside the workspace, not a regular file). A mention of
nothing that exists is left as text.

Each attached file is a user message of its own, after the task, opened by
:data:`~app.agent.events.mentions.ATTACHMENT_MARKER` and delimited with its path, so the
Context budget counts it as an item (``@path``) and the model sees where it ends.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.agent.events.mentions import ATTACHMENT_MARKER, KIND_FILE, KIND_FOLDER, FileAttached
from app.agent.tools.base import ToolError
from app.agent.tools.scrub import NO_SCRUBBER, Scrubber
from app.agent.tools.textfile import is_binary, open_text
from app.agent.tools.workspace import display_path, resolve_in_workspace

MAX_ATTACH_CHARS = 50_000  # of one file (about 12k tokens); the rest is left to read_file
MAX_LISTING = 500  # entries of a folder's listing
TRAILING = ".,;:!?)]}>'"  # punctuation after a mention, not part of its path

# "@" not inside a word or an e-mail address; a quoted path, or one without spaces.
_MENTION = re.compile(r'(?<![\w@./\\-])@(?:"([^"\n]+)"|([^\s"@][^\s"]*))')


@dataclass(frozen=True)
class Attachment:
    """One mention's file: the message that carries it, or why it was refused (``message`` None)."""

    path: str  # relative to the workspace; a folder ends with "/"
    kind: str  # file | folder
    message: dict[str, Any] | None
    chars: int = 0
    truncated: bool = False
    note: str = ""

    @property
    def attached(self) -> bool:
        return self.message is not None

    def event(self, *, turn: int, item_id: str = "", tokens: int | None = None,
              approximate: bool = False) -> FileAttached:
        return FileAttached(turn=turn, path=self.path, kind=self.kind, attached=self.attached, tokens=tokens,
                            approximate=approximate, item_id=item_id, chars=self.chars, truncated=self.truncated,
                            note=self.note)


def message_item(measured: object, index: int | None) -> dict[str, Any]:
    """The Context budget item of message ``index`` in ``measured`` (a budget's measurement):
    its id and tokens (and whether they are an estimate), ``tokens`` None when nothing measured it;
    nothing for no message."""
    from app.agent.budget.snapshot import BudgetSnapshot

    if index is None:
        return {}
    if isinstance(measured, BudgetSnapshot) and index < len(measured.records):
        record = measured.records[index]
        return {"item_id": record.item_id, "tokens": record.tokens, "approximate": measured.approximate}
    return {"item_id": f"m{index}", "tokens": None}


def mentioned(text: str) -> list[str]:
    """The paths ``text`` mentions, in order, each once (as written: not yet checked)."""
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        found[match.group(1) or match.group(2)] = None
    return list(found)


def attachments(text: str, workspace: Path, *, scrubber: Scrubber = NO_SCRUBBER) -> list[Attachment]:
    """What ``text``'s mentions attach (see the module docstring), each path once."""
    out: list[Attachment] = []
    seen: set[str] = set()
    for written in mentioned(text):
        attachment = attach(written, workspace, scrubber=scrubber)
        if attachment is not None and attachment.path not in seen:
            seen.add(attachment.path)
            out.append(attachment)
    return out


def attach(written: str, workspace: Path, *, scrubber: Scrubber = NO_SCRUBBER) -> Attachment | None:
    """The attachment of one mention, or None when it names nothing that exists."""
    path = _existing(written, workspace)
    if path is None:
        return None
    try:
        resolved = resolve_in_workspace(workspace, path)
    except ToolError as exc:
        return Attachment(path=path, kind=KIND_FILE, message=None, note=str(exc))
    shown = display_path(workspace, resolved)
    if resolved.is_dir():
        return _folder(workspace, "" if shown == "." else shown.rstrip("/") + "/")
    return _file(resolved, shown, scrubber)


def _existing(written: str, workspace: Path) -> str | None:
    """The mention as a path that exists (trailing punctuation dropped if needed, ``~`` expanded), or None."""
    candidates = [written, written.rstrip(TRAILING)]
    for candidate in dict.fromkeys(os.path.expanduser(c) for c in candidates if c):
        path = Path(candidate)
        if os.path.lexists(path if path.is_absolute() else workspace / path):
            return candidate
    return None


def _file(path: Path, shown: str, scrubber: Scrubber) -> Attachment:
    try:
        if is_binary(path, shown):
            return Attachment(path=shown, kind=KIND_FILE, message=None,
                              note=f"a binary file ({path.stat().st_size:,} bytes); only text is attached")
        with open_text(path, shown) as handle:
            text = handle.read(MAX_ATTACH_CHARS + 1)
        size = path.stat().st_size
    except (ToolError, OSError) as exc:
        return Attachment(path=shown, kind=KIND_FILE, message=None, note=str(exc))
    truncated = len(text) > MAX_ATTACH_CHARS
    note = ""
    if truncated:
        text = text[:MAX_ATTACH_CHARS]
        lines = text.count("\n") + 1
        note = (f"cut: the first {MAX_ATTACH_CHARS:,} characters (lines 1-{lines}) of {size:,} bytes; "
                f"read_file reads on from start_line={lines}")
    text = scrubber.scrub_text(text)
    end = "" if text.endswith("\n") or not text else "\n"
    body = f'{ATTACHMENT_MARKER}file] @{shown}\n<file path="{shown}">\n{text}{end}</file>'
    if note:
        body += f"\n[{note}]"
    return Attachment(path=shown, kind=KIND_FILE, message={"role": "user", "content": body}, chars=len(text),
                      truncated=truncated, note=note)


def _folder(workspace: Path, shown: str) -> Attachment:
    """The listing of folder ``shown`` ("" for the workspace): the workspace's list (every
    ``.gitignore`` above it applies too), the part under it."""
    from app.agent.workspace_files import folders_of, list_workspace

    try:
        listed, _ = list_workspace(workspace)
    except OSError as exc:
        return Attachment(path=shown or "./", kind=KIND_FOLDER, message=None, note=str(exc))
    files = [p[len(shown):] for p in listed if p.startswith(shown)]
    entries = sorted([*folders_of(files), *files])
    listing = entries[:MAX_LISTING]
    note = f"listing cut: the first {MAX_LISTING:,} of {len(entries):,} entries" if len(entries) > MAX_LISTING else ""
    label = shown or "./"
    body = (f'{ATTACHMENT_MARKER}folder] @{label}\n<folder path="{label}" entries="{len(entries)}">\n'
            + "\n".join(listing) + "\n</folder>")
    if note:
        body += f"\n[{note}]"
    return Attachment(path=label, kind=KIND_FOLDER, message={"role": "user", "content": body},
                      chars=len(body), truncated=bool(note), note=note)
