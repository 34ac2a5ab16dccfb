"""Reading workspace files without hanging or filling memory.

Only regular files are opened: a FIFO blocks ``open`` until a writer comes, a
device reads forever, so they are refused from ``stat`` alone, before any open
(and checked again on the opened descriptor, in case the path was swapped in
between). Lines are streamed, and a line longer than :data:`LINE_MAX_CHARS` is
cut there: the rest of it is skipped in chunks, never held in memory.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from app.agent.tools.base import ToolError
from app.agent.tools.output import SNIFF_BYTES, looks_binary
from app.agent.tools.stop import Stop

LINE_MAX_CHARS = 100_000  # longer lines are cut here by read_file and grep
_SKIP_CHUNK = 64 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True)
class Line:
    number: int
    text: str  # without the line break, at most LINE_MAX_CHARS characters
    length: int  # of the whole line, in characters

    @property
    def cut(self) -> bool:
        return self.length > len(self.text)


def special_kind(mode: int) -> str | None:
    """What a non-regular, non-directory file is ("a FIFO (named pipe)"), or None."""
    return next((name for test, name in _KINDS if test(mode)), None)


def refuse_special(path: Path, shown: str) -> None:
    """Raise for a FIFO, device or socket at ``path``, without opening it; missing paths pass."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    _refuse(mode, shown)


def open_text(path: Path, shown: str) -> IO[str]:
    """``path`` opened for reading text (undecodable bytes replaced); only regular files."""
    return open(_open_regular(path, shown), encoding="utf-8", errors="replace", closefd=True)


def open_bytes(path: Path, shown: str) -> IO[bytes]:
    return open(_open_regular(path, shown), "rb", closefd=True)


def sniff(path: Path, shown: str) -> bytes:
    """The first bytes of ``path``, enough for :func:`looks_binary`."""
    with open_bytes(path, shown) as f:
        return f.read(SNIFF_BYTES + 1)


def is_binary(path: Path, shown: str) -> bool:
    return looks_binary(sniff(path, shown))


def capped_lines(f: IO[str], stop: Stop, max_chars: int = LINE_MAX_CHARS) -> Iterator[Line]:
    """The lines of ``f``, each cut to ``max_chars``; memory stays bounded however long a line is."""
    number = 0
    while chunk := f.readline(max_chars + 1):
        stop.check()
        number += 1
        text = chunk[:-1] if chunk.endswith("\n") else chunk
        length = len(text)
        if length > max_chars:
            text = text[:max_chars]
            length += _skip_rest_of_line(f, stop)
        yield Line(number, text, length)


def _skip_rest_of_line(f: IO[str], stop: Stop) -> int:
    skipped = 0
    while chunk := f.readline(_SKIP_CHUNK):
        stop.check()
        if chunk.endswith("\n"):
            return skipped + len(chunk) - 1
        skipped += len(chunk)
    return skipped


def _open_regular(path: Path, shown: str) -> int:
    refuse_special(path, shown)
    # O_NONBLOCK: should a FIFO be swapped in after the stat, opening it still returns at once.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        _refuse(os.fstat(fd).st_mode, shown)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refuse(mode: int, shown: str) -> None:
    kind = special_kind(mode)
    if kind is not None:
        raise ToolError(f"{shown} is {kind}, not a regular file; only regular files can be read or written")
