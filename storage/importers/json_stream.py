"""Read one big JSON object (or array) a piece at a time, with memory bounded by its largest piece.

Some agents write a session as one JSON document (Gemini CLI's ``session-*.json``:
a few header fields and a ``messages`` array). :func:`object_fields` yields the
top-level fields of the file's object one by one, and the items of one array
field one by one, each parsed with the standard library's ``raw_decode`` from a
buffer that holds little more than the piece being read. A syntax error names
the line it is on (an :class:`ImportFormatError`).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from storage.importers.common import ImportFormatError

CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


class _Buffer:
    """Text read from the file on demand, with the line number of its start."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self.handle = handle
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.line = 1  # the line of text[0]
        self.eof = False

    def more(self) -> bool:
        """Read another chunk (dropping what was consumed); False at the end of the file."""
        if self.eof:
            return False
        self.line += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos:]
        self.pos = 0
        data = self.handle.read(CHUNK)
        try:
            self.text += self.decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise self.error("not UTF-8 text") from None
        self.eof = not data
        return True

    def error(self, reason: str, at: int | None = None) -> ImportFormatError:
        at = self.pos if at is None else at
        return ImportFormatError(self.path, self.line + self.text.count("\n", 0, at), reason)

    def peek(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos:self.pos + 1]

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            found = f"{char!r}" if char else "the end of the file"
            raise self.error(f"not valid JSON (expected {what}, found {found}); the file may be truncated")
        self.pos += 1
        return char

    def value(self) -> Any:
        """The next JSON value, read whole."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.more():  # the value may go on past the buffer
                    continue
                raise self.error(f"not valid JSON ({exc.msg}); the file may be truncated", exc.pos) from None
            cut = end == len(self.text) and not self.eof and not isinstance(value, (dict, list, str))
            if cut and self.more():  # a number or literal cut by the chunk's end
                continue
            self.pos = end
            return value


def read_document(path: Path) -> Any:
    """A small JSON document read whole; JSON errors name the line they were found on."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ImportFormatError(path, 1, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ImportFormatError(path, exc.lineno, f"not valid JSON ({exc.msg}); the file may be truncated") from None


@contextmanager
def _buffer(path: Path) -> Iterator[_Buffer]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None
    with handle:
        yield _Buffer(path, handle)


def object_fields(path: Path, array: str) -> Iterator[tuple[str, Any, int]]:
    """``(key, value, line)`` for each field of the file's top-level object in order; the field named
    ``array``, when it is a list, comes item by item as ``(array, item, line)``."""
    with _buffer(path) as buf:
        buf.expect("{", "a JSON object")
        if buf.peek() == "}":
            return
        while True:
            line = buf.line + buf.text.count("\n", 0, buf.pos)
            key = buf.value()
            if not isinstance(key, str):
                raise buf.error("not valid JSON (expected a key)")
            buf.expect(":", "':'")
            if key == array and buf.peek() == "[":
                yield from _items(buf, key)
            else:
                yield key, buf.value(), line
            if buf.expect(",}", "',' or '}'") == "}":
                break
        if buf.peek():
            raise buf.error("not valid JSON (text after the end of the object)")


def _items(buf: _Buffer, key: str) -> Iterator[tuple[str, Any, int]]:
    buf.expect("[", "'['")
    if buf.peek() == "]":
        buf.pos += 1
        return
    while True:
        buf.peek()
        line = buf.line + buf.text.count("\n", 0, buf.pos)
        yield key, buf.value(), line
        if buf.expect(",]", "',' or ']'") == "]":
            return


def array_items(path: Path) -> Iterator[tuple[Any, int]]:
    """``(item, line)`` for each item of the file's top-level array, one at a time."""
    with _buffer(path) as buf:
        for _, item, line in _items(buf, ""):
            yield item, line
        if buf.peek():
            raise buf.error("not valid JSON (text after the end of the array)")
