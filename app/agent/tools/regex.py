"""Regular expressions that cannot freeze Cockpit: RE2, whose matching time is linear in the text.

Python's ``re`` backtracks: ``(a+)+b`` on a line of 40 ``a`` runs for hours
inside C code that holds the GIL, so no timeout, Esc or signal gets through.
RE2 (the ``google-re2`` package) never backtracks. It reads Python's syntax
but has no backreferences, lookaround, atomic groups, possessive quantifiers
or conditionals; for those :func:`compile_linear` explains what to do instead,
and never falls back to a backtracking engine.
"""

from __future__ import annotations

import re
from typing import Protocol

from app.agent.tools.base import ToolError

UNSUPPORTED = (
    "backreferences (\\1, (?P=name)), lookahead and lookbehind ((?=...), (?!...), (?<=...), (?<!...)), "
    "atomic groups (?>...), possessive quantifiers (a++), conditionals (?(1)...) and repetition "
    "counts above 1000"
)


class Pattern(Protocol):
    """What grep and glob use of a compiled RE2 pattern."""

    def search(self, text: str) -> object | None: ...

    def match(self, text: str) -> object | None: ...


class LineMatcher:
    """A grep pattern, matched against one line at a time.

    ``may_match_any`` tests many lines at once, joined by newlines, with the
    pattern in multi-line mode: one RE2 call instead of one per line. It can
    say yes when no single line matches (a match across a line break), never
    no when one does; patterns whose meaning changes in a joined text
    (``\\A``, a scoped ``-m`` flag) skip it.
    """

    def __init__(self, line: Pattern, lines: Pattern | None) -> None:
        self._line, self._lines = line, lines

    def matches(self, line: str) -> bool:
        return self._line.search(line) is not None

    def may_match_any(self, lines: list[str]) -> bool:
        return self._lines is None or self._lines.search("\n".join(lines)) is not None


# Conservative: also true for an escaped backslash before an A, which only costs speed.
_JOINED_TEXT_DIFFERS = re.compile(r"\\A|\(\?[a-zA-Z]*-")


def compile_linear(pattern: str, ignore_case: bool = False) -> LineMatcher:
    """A grep ``pattern`` compiled by RE2; a :class:`ToolError` the model can act on if it cannot be."""
    _check_python_syntax(pattern, ignore_case)
    try:
        line = _re2(pattern, ignore_case)
    except _RE2Error as exc:
        raise ToolError(
            f"grep cannot use {pattern!r} ({exc.reason}): patterns run on RE2, a linear-time engine that "
            f"cannot hang on any input, and it has no {UNSUPPORTED}. Rewrite the pattern without them: "
            "match the surrounding text itself (foo(?=bar) becomes foobar), or grep a broader pattern "
            "and check the hits with read_file. Each line is matched alone: for its end use $, not \\Z."
        ) from None
    try:
        lines = None if _JOINED_TEXT_DIFFERS.search(pattern) else _re2("(?m)" + pattern, ignore_case)
    except _RE2Error:
        lines = None
    return LineMatcher(line, lines)


def compile_glob(regex: str, glob: str) -> Pattern:
    """The RE2 form of a translated ``glob``; a :class:`ToolError` if the glob makes no sense."""
    try:
        return _re2(regex, False)
    except _RE2Error as exc:
        raise ToolError(f"invalid glob pattern {glob!r}: {exc.reason}") from None


class _RE2Error(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _re2(pattern: str, ignore_case: bool) -> Pattern:
    import re2  # type: ignore[import-untyped]  # no stubs; imported on first use

    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr, over the TUI
    options.case_sensitive = not ignore_case
    try:
        compiled: Pattern = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not supported"
        raise _RE2Error(reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)) from None
    return compiled


def _check_python_syntax(pattern: str, ignore_case: bool) -> None:
    """Syntax errors in Python's words, with a position; compiling never runs the pattern."""
    try:
        re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ToolError(
            f"invalid regular expression {pattern!r}: {exc.msg} at position {exc.pos}; "
            "patterns use Python's syntax, so escape special characters like ( [ . * with a backslash"
        ) from None
    except RecursionError:
        raise ToolError(f"regular expression {pattern[:80]!r}... nests too deeply") from None
