"""Syntax-highlighted code and diffs as Textual ``Content`` (theme-aware colours).

The highlighter (pygments) is imported on first use, not at start-up.
"""

from __future__ import annotations

from textual.content import Content

_DIFF_STYLES = (
    ("+++", "bold $text-success"),
    ("---", "bold $text-error"),
    ("@@", "$text-primary"),
    ("+", "$text-success"),
    ("-", "$text-error"),
)


def code_content(code: str, lexer: str) -> Content:
    """``code`` highlighted with the named lexer (``text`` means plain, ``diff`` a unified diff)."""
    if lexer == "diff":
        return diff_content(code)
    if lexer in ("text", ""):
        return Content(code)
    from textual.highlight import highlight

    try:
        return highlight(code, language=lexer)
    except Exception:  # an unknown lexer is not worth an error on screen
        return Content(code)


def diff_content(diff: str) -> Content:
    lines = []
    for line in diff.splitlines():
        style = next((s for prefix, s in _DIFF_STYLES if line.startswith(prefix)), "")
        lines.append(Content.styled(line, style) if style else Content(line))
    return Content("\n").join(lines)
