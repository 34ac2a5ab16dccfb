"""Pure helpers that turn a tool call into what the transcript shows.

No widgets here: one-line argument summaries, the code or diff a call carries,
the lexer to highlight a result with, line truncation and status labels.
"""

from __future__ import annotations

import difflib
import json
from pathlib import PurePosixPath
from typing import Any

from app.agent.events.format import duration

PREVIEW_LINES = 24  # result lines shown before "show all"

_LEXERS = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "typescript",
    ".tsx": "tsx", ".jsx": "jsx", ".json": "json", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml",
    ".md": "markdown", ".rs": "rust", ".go": "go", ".c": "c", ".h": "c", ".cpp": "cpp", ".hpp": "cpp",
    ".java": "java", ".rb": "ruby", ".sh": "bash", ".bash": "bash", ".html": "html", ".css": "css",
    ".sql": "sql", ".ini": "ini", ".cfg": "ini", ".diff": "diff", ".patch": "diff", ".xml": "xml",
}

# status value → (icon, word, style class suffix)
STATUS_LABELS = {
    "requested": ("…", "pending", "pending"),
    "awaiting": ("?", "awaiting approval", "awaiting"),
    "running": ("", "running", "running"),
    "ok": ("✓", "ok", "ok"),
    "tool_error": ("✗", "error", "error"),
    "validation_error": ("✗", "invalid arguments", "error"),
    "denied": ("⊘", "denied", "denied"),
    "timeout": ("⏱", "timeout", "error"),
    "cancelled": ("■", "cancelled", "denied"),
    "unknown": ("?", "outcome unknown", "error"),
}


# Statuses whose note already says the status: the transcript fold writes a denied call's note as
# "denied" or "denied: <reason>", so the title shows that note instead of the word ("denied · denied").
NOTE_SAYS_STATUS = frozenset({"denied"})


def status_text(status: str, note: str = "", duration_ms: float | None = None, exit_code: int | None = None) -> str:
    """A tool call title's status part: ``ok · 12ms``, ``error · exit 2``, ``denied: use src/``."""
    word = STATUS_LABELS.get(status, ("", status, ""))[1]
    parts = [] if note and status in NOTE_SAYS_STATUS else [word]
    if duration_ms:
        parts.append(format_duration(duration_ms))
    if exit_code not in (None, 0):
        parts.append(f"exit {exit_code}")
    if note:
        parts.append(one_line(note, 50))
    return " · ".join(parts)


def lexer_for_path(path: str | None) -> str:
    if not path:
        return "text"
    return _LEXERS.get(PurePosixPath(path).suffix.lower(), "text")


def one_line(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def short_args(name: str, arguments: dict[str, Any] | None, raw: str = "", width: int = 60) -> str:
    """The arguments in one line: the command, the path, the pattern — or compact JSON."""
    if arguments is None:
        return one_line(raw, width)
    if name == "bash":
        return one_line(str(arguments.get("command", "")), width)
    path = arguments.get("path")
    if name == "read_file" and path:
        start, end = arguments.get("start_line"), arguments.get("end_line")
        span = f":{start or 1}-{end or ''}" if start or end else ""
        return one_line(f"{path}{span}", width)
    if name in ("write_file", "edit_file", "list_dir") and path is not None:
        return one_line(str(path), width)
    if name in ("grep", "glob") and arguments.get("pattern"):
        where = f" in {path}" if path else ""
        return one_line(f"{arguments['pattern']}{where}", width)
    if name == "todo_write" and isinstance(arguments.get("todos"), list):
        return one_line(_todo_summary(arguments["todos"]), width)
    if name == "web_fetch" and arguments.get("url"):
        return one_line(str(arguments["url"]), width)
    return one_line(json.dumps(arguments, ensure_ascii=False), width)


def _todo_summary(todos: list[Any]) -> str:
    """``3 items · 1 done · 1 in progress`` (the checklist itself is shown under the call)."""
    statuses = [str(t.get("status", "")) if isinstance(t, dict) else "" for t in todos]
    done = sum(s in ("done", "completed") for s in statuses)
    running = statuses.count("in_progress")
    parts = [f"{len(todos)} item{'s' if len(todos) != 1 else ''}", f"{done} done"]
    if running:
        parts.append(f"{running} in progress")
    return " · ".join(parts)


def call_body(name: str, arguments: dict[str, Any] | None, preview: str = "") -> tuple[str, str] | None:
    """What the call will do, as (code, lexer): the command, the diff, the new content."""
    if preview and name in ("write_file", "edit_file"):
        return preview.rstrip("\n"), "diff"
    if arguments is None:
        return None
    if name == "bash":
        return str(arguments.get("command", "")), "bash"
    if name == "edit_file":
        path = str(arguments.get("path", ""))
        old = str(arguments.get("old_string", "")).splitlines(keepends=True)
        new = str(arguments.get("new_string", "")).splitlines(keepends=True)
        diff = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=2))
        return diff.rstrip("\n"), "diff"
    if name == "write_file":
        return str(arguments.get("content", "")).rstrip("\n"), lexer_for_path(arguments.get("path"))
    return None


def result_lexer(name: str, arguments: dict[str, Any] | None, text: str) -> str:
    """How to highlight a result: by the file read, as a diff, or not at all."""
    stripped = text.lstrip()
    if stripped.startswith(("--- ", "diff --git", "@@ ")):
        return "diff"
    if name == "read_file" and arguments:
        return lexer_for_path(arguments.get("path"))
    return "text"


def truncate_lines(text: str, max_lines: int = PREVIEW_LINES) -> tuple[str, int]:
    """The first ``max_lines`` lines and how many more there are."""
    lines = text.splitlines()
    if len(lines) <= max_lines:
        return text, 0
    return "\n".join(lines[:max_lines]), len(lines) - max_lines


def format_duration(ms: float | None) -> str:
    """A tool call's time, ``""`` when it was not measured."""
    if ms is None or ms <= 0:
        return ""
    return duration(ms / 1000)
