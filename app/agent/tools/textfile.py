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
from typing import IO, NamedTuple

from app.agent.tools.base import ToolError
from app.agent.tools.output import SNIFF_BYTES, looks_binary
from app.agent.tools.stop import Stop

LINE_MAX_CHARS = 100_000  # longer lines are cut here by read_file and grep
_BLOCK_CHARS = 64 * 1024  # read at a time

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class Line(NamedTuple):
    number: int
    text: str  # without the line break, at most LINE_MAX_CHARS characters
    length: int  # of the whole line, in characters

    @property
    def cut(self) -> bool:
        return self.length > len(self.text)


@dataclass
class Lines:
    """Consecutive lines of a file: ``texts[i]`` is line ``first + i``, cut to LINE_MAX_CHARS."""

    first: int
    texts: list[str]
    cut: dict[int, int]  # the whole length of the lines that were cut, by index in texts

    def __iter__(self) -> Iterator[Line]:
        for i, text in enumerate(self.texts):
            yield Line(self.first + i, text, self.cut.get(i, len(text)))


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


def capped_lines(f: IO[str], stop: Stop) -> Iterator[Line]:
    """The lines of ``f``, each cut to :data:`LINE_MAX_CHARS`."""
    for run in line_runs(f, stop):
        yield from run


def line_runs(f: IO[str], stop: Stop) -> Iterator[Lines]:
    """The lines of ``f`` in runs of about :data:`_BLOCK_CHARS` characters; memory stays bounded
    however long a line is, since a line is kept only up to :data:`LINE_MAX_CHARS`."""
    max_chars = LINE_MAX_CHARS
    block_chars = min(_BLOCK_CHARS, max_chars)
    number, head, length = 1, "", 0  # the line still open after a block: its start, its length so far
    while block := f.read(block_chars):
        stop.check()
        pieces = block.split("\n")  # none is longer than max_chars: only the open line may need cutting
        rest = pieces.pop()
        cut: dict[int, int] = {}
        if pieces and length:
            whole = length + len(pieces[0])
            pieces[0] = (head + pieces[0])[:max_chars]
            if whole > max_chars:
                cut[0] = whole
            head, length = "", 0
        if pieces:
            yield Lines(number, pieces, cut)
            number += len(pieces)
        if rest:
            if len(head) < max_chars:
                head = (head + rest)[:max_chars]
            length += len(rest)
    if length:
        yield Lines(number, [head], {0: length} if length > max_chars else {})


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
