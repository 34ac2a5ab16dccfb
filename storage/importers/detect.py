"""Which agent wrote a file, decided by its content (never by its name alone).

:func:`read_head` reads the start of a file once (at most :data:`HEAD_BYTES`, plus
its first line when that line is longer, up to :data:`FIRST_LINE_BYTES`) into a
:class:`Head`: the first JSON Lines record when the file starts with one, the keys
of a JSON document's top-level object (or of the first object of a top-level
array) as far as the head reaches, and the text itself. Each format module has a
``sniff(head) -> bool``; the first that says yes imports the file. When none
does, :meth:`Head.recognised` says what the file looked like, for the
"unknown format" error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.importers.common import ImportFormatError

HEAD_BYTES = 65_536
FIRST_LINE_BYTES = 8_000_000  # a first JSON Lines record can be long (a pasted file); longer ones are not parsed


@dataclass(frozen=True)
class Head:
    """The start of a file, as the format sniffers see it."""

    path: Path
    text: str  # the first bytes, decoded (undecodable bytes replaced)
    first_line: int = 0  # the number of the first non-blank line (0: none)
    record: dict[str, Any] | None = None  # that line as a JSON object, when it is one (kind jsonl or object)
    kind: str = "empty"  # jsonl | object | array | text | empty
    keys: tuple[str, ...] = field(default=())  # the first record's keys, or a JSON document's top-level keys

    def recognised(self) -> str:
        """What the file looked like, in a few words: ``a JSON object with keys a, b, c``."""
        shown = ", ".join(self.keys[:8]) + (", …" if len(self.keys) > 8 else "")
        if self.kind == "jsonl":
            return f"JSON Lines whose first record has keys {shown or '(none)'}"
        if self.kind == "object":
            return f"a JSON object with keys {shown}" if shown else "a JSON object"
        if self.kind == "array":
            return f"a JSON array whose first item has keys {shown}" if shown else "a JSON array"
        if self.kind == "text":
            line = self.text.splitlines()[self.first_line - 1].strip() if self.first_line else ""
            return f"text that is not JSON (line {self.first_line}: {line[:60]!r})"
        return "an empty file"


def read_head(path: Path) -> Head:
    """The file's :class:`Head`; an unreadable file is an :class:`ImportFormatError`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(HEAD_BYTES)
            first, number, complete = _first_line(data)
            rest = data.split(b"\n", number)[-1] if complete else b""  # what follows the first line
            if first is not None and not complete and len(data) == HEAD_BYTES:
                first += handle.readline(FIRST_LINE_BYTES)  # the first line goes on past the head
                rest = handle.read(4096)
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None
    text = data.decode("utf-8", errors="replace")
    if first is None:
        return Head(path, text)
    record = _json_object(first)
    if record is not None:  # one object on one line: a JSON document, unless more lines follow
        return Head(path, text, number, record, "jsonl" if rest.strip() else "object", tuple(record))
    start = text.lstrip()[:1]
    if start in ("{", "["):
        return Head(path, text, number, None, "object" if start == "{" else "array", tuple(_first_object_keys(text)))
    return Head(path, text, number, None, "text")


def _first_line(data: bytes) -> tuple[bytes | None, int, bool]:
    """The first non-blank line of ``data``, its number, and whether it ends (with a newline) in ``data``."""
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if line.strip():
            return line, number, number < len(lines)
    return None, 0, True


def _json_object(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _first_object_keys(text: str) -> list[str]:
    """The keys of the outermost object (or of a top-level array's first object) found in ``text``,
    which may stop anywhere: a JSON document's head."""
    keys: list[str] = []
    depth, target = 0, 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            if end < 0:
                break
            if depth == target and text[end + 1:end + 40].lstrip().startswith(":"):
                try:
                    keys.append(json.loads(text[i:end + 1]))
                except ValueError:
                    pass
            i = end + 1
            continue
        if char in "{[":
            depth += 1
            if not target:
                target = depth if char == "{" else depth + 1  # an array's items are one level deeper
        elif char in "}]":
            depth -= 1
            if depth < target:
                break
        i += 1
    return keys


def _string_end(text: str, start: int) -> int:
    """The index of the quote closing the string opened at ``start``; -1 when the text ends first."""
    i = start + 1
    while True:
        i = text.find('"', i)
        if i < 0:
            return -1
        backslashes = 0
        while text[i - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return i
        i += 1
