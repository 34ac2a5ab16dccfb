"""``@path`` imports in an instruction file, the way Claude Code reads them.

An import is ``@`` at the start of a line or after whitespace, followed by a
path (``\\ `` escapes a space): relative to the importing file, ``~/`` for the
home folder, or absolute. Text inside Markdown code spans and fenced code
blocks is not read for imports. A ``#fragment`` is ignored. Something that does
not look like a path (``@@x``, ``@#``) is not an import.
"""

from __future__ import annotations

import re

_IMPORT = re.compile(r"(?:^|(?<=\s))@((?:[^\s\\]|\\ )+)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SPAN = re.compile(r"(`+)(.+?)\1")  # within a line
_PATH_START = re.compile(r"[A-Za-z0-9._~/-]")
TRAILING_PUNCTUATION = ".,;:!?)"  # a sentence that ends with an import: tried without it when missing


def import_paths(text: str) -> list[str]:
    """The paths ``text`` imports, in order, as written (escapes and fragments removed)."""
    paths: list[str] = []
    for match in _IMPORT.finditer(_without_code(text)):
        path = match.group(1).replace("\\ ", " ").split("#", 1)[0]
        if path and _PATH_START.match(path) and path != "/":
            paths.append(path)
    return paths


def _without_code(text: str) -> str:
    """``text`` with fenced code blocks and code spans blanked out (same length, lines kept)."""
    lines = []
    fence = ""
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = ""
            lines.append("")
        elif opening:
            fence = opening.group(1)
            lines.append("")
        else:
            lines.append(line)
    return _SPAN.sub(lambda m: " " * len(m.group(0)), "\n".join(lines))
