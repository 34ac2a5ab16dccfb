"""File tools: ``read_file``, ``write_file``, ``edit_file`` and ``list_dir``.

All paths go through :func:`resolve_in_workspace`. The two writing tools have
``side_effects = True`` and a ``preview`` that computes the unified diff a call
would produce without touching the disk, for approval prompts.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.agent.events.approvals import ToolKind
from app.agent.tools.atomic import write_atomically
from app.agent.tools.base import ToolContext, ToolError, ToolOutput
from app.agent.tools.output import run_checked
from app.agent.tools.stop import Stop
from app.agent.tools.textfile import LINE_MAX_CHARS, capped_lines, is_binary, open_bytes, open_text
from app.agent.tools.validation import require_valid
from app.agent.tools.workspace import display_path, resolve_in_workspace

LIST_MAX_ENTRIES = 1000


# --- read_file -----------------------------------------------------------------


class ReadFile:
    name = "read_file"
    description = (
        "Read a text file from the workspace. Lines are numbered (number, tab, text). "
        "Use start_line/end_line (1-based, inclusive) to read part of a large file. "
        f"Lines longer than {LINE_MAX_CHARS} characters are cut."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path, relative to the workspace."},
            "start_line": {"type": "integer", "minimum": 1, "description": "First line to show (default 1)."},
            "end_line": {"type": "integer", "minimum": 1, "description": "Last line to show (default: end)."},
        },
        "required": ["path"],
        "additionalProperties": False,
    }
    side_effects = False
    permission_kind = ToolKind.READ
    enforces_own_timeout = False

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        return await run_checked(self.parameters, args, lambda stop: self._read(args, ctx, stop))

    def _read(self, args: dict[str, Any], ctx: ToolContext, stop: Stop) -> ToolOutput:
        path = resolve_in_workspace(ctx.workspace, args["path"])
        shown = display_path(ctx.workspace, path)
        _require_text_file(path, shown)
        start, end = args.get("start_line", 1), args.get("end_line")
        if end is not None and end < start:
            raise ToolError(f"end_line ({end}) is before start_line ({start})")

        lines: list[str] = []
        used, total, cut_at = 0, 0, None
        with open_text(path, shown) as f:
            for line in capped_lines(f, stop):
                number = total = line.number
                if number < start or (end is not None and number > end) or cut_at:
                    continue
                prefix, text = f"{number:>6}\t", line.text
                if used + len(prefix) + len(text) > ctx.output_cap_chars:
                    if lines:
                        cut_at = number
                        continue
                    text = text[: max(ctx.output_cap_chars - len(prefix), 0)]
                numbered = prefix + text
                if len(text) < line.length:
                    numbered += f" [line cut at {len(text)} of {line.length} characters]"
                lines.append(numbered)
                used += len(numbered) + 1

        if total == 0:
            return ToolOutput(f"({shown} is empty)", data={"path": shown, "total_lines": 0})
        if start > total:
            raise ToolError(f"start_line {start} is past the end of {shown}, which has {total} lines")
        last = start + len(lines) - 1
        text = "\n".join(lines)
        if cut_at:
            text += (
                f"\n[showing lines {start}-{last} of {total}: the rest does not fit in one result; "
                f"read on with start_line={cut_at}]"
            )
        data = {"path": shown, "start_line": start, "end_line": last, "total_lines": total}
        return ToolOutput(ctx.scrubber.scrub_text(text), data=data)


def _require_text_file(path: Path, shown: str) -> None:
    if path.is_dir():
        raise ToolError(f"{shown} is a directory; use list_dir to see what is in it")
    if not path.exists():
        raise ToolError(f"{shown} does not exist; use glob or list_dir to find the right path")
    if is_binary(path, shown):
        size = path.stat().st_size
        raise ToolError(f"{shown} looks like a binary file ({size} bytes); only text files can be read")


def _paths_written(tool: object, args: dict[str, Any], ctx: ToolContext) -> list[Path]:
    """The file a write or an edit changes: its checkpoint keeps the content before the call."""
    return [resolve_in_workspace(ctx.workspace, args["path"])]


# --- write_file ------------------------------------------------------------------


class WriteFile:
    name = "write_file"
    description = (
        "Create a file or replace its whole content. Parent directories are created. "
        "To change part of an existing file, prefer edit_file."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path, relative to the workspace."},
            "content": {"type": "string", "description": "The complete new content of the file."},
        },
        "required": ["path", "content"],
        "additionalProperties": False,
    }
    side_effects = True
    permission_kind = ToolKind.EDIT
    enforces_own_timeout = False
    paths_written = _paths_written

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        return await run_checked(self.parameters, args, lambda stop: self._write(args, ctx, stop))

    def preview(self, args: dict[str, Any], ctx: ToolContext) -> str:
        """The unified diff this call would produce, without writing anything."""
        return _preview(lambda: self._plan(args, ctx)[2], self.parameters, args)

    def _plan(self, args: dict[str, Any], ctx: ToolContext) -> tuple[Path, str, str, bool]:
        path = resolve_in_workspace(ctx.workspace, args["path"])
        shown = display_path(ctx.workspace, path)
        if path.is_dir():
            raise ToolError(f"{shown} is a directory; give the path of a file")
        created = not path.exists()
        if created:
            diff = unified_diff(None, args["content"], shown)
        elif is_binary(path, shown):
            diff = f"Binary file {shown} replaced by text ({_count_lines(args['content'])} lines)\n"
        else:
            diff = unified_diff(_read_bytes(path, shown).decode("utf-8", errors="replace"), args["content"], shown)
        return path, shown, diff, created

    def _write(self, args: dict[str, Any], ctx: ToolContext, stop: Stop) -> ToolOutput:
        path, shown, diff, created = self._plan(args, ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, args["content"], stop)
        lines = _count_lines(args["content"])
        if created:
            text = f"created {shown} ({lines} lines)"
        elif not diff:
            text = f"{shown} already had this content; nothing changed"
        else:
            text = f"wrote {shown} ({lines} lines, {_diff_stat(diff)})"
        return ToolOutput(text, data={"path": shown, "diff": diff, "created": created})


# --- edit_file -------------------------------------------------------------------


class EditFile:
    name = "edit_file"
    description = (
        "Replace an exact piece of text in a file. old_string must match the file exactly "
        "(whitespace and indentation included) and occur once, unless replace_all is true. "
        "Include enough surrounding lines to make it unique."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path, relative to the workspace."},
            "old_string": {"type": "string", "description": "The exact text to replace."},
            "new_string": {"type": "string", "description": "The text to put in its place."},
            "replace_all": {"type": "boolean", "description": "Replace every occurrence (default false)."},
        },
        "required": ["path", "old_string", "new_string"],
        "additionalProperties": False,
    }
    side_effects = True
    permission_kind = ToolKind.EDIT
    enforces_own_timeout = False
    paths_written = _paths_written

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        return await run_checked(self.parameters, args, lambda stop: self._edit(args, ctx, stop))

    def preview(self, args: dict[str, Any], ctx: ToolContext) -> str:
        """The unified diff this call would produce, without writing anything."""
        return _preview(lambda: self._plan(args, ctx)[3], self.parameters, args)

    def _plan(self, args: dict[str, Any], ctx: ToolContext) -> tuple[Path, str, str, str, int]:
        old, new = args["old_string"], args["new_string"]
        if old == "":
            raise ToolError("old_string is empty; to create a file or replace all of it, use write_file")
        if old == new:
            raise ToolError("old_string and new_string are identical; there is nothing to change")
        path = resolve_in_workspace(ctx.workspace, args["path"])
        shown = display_path(ctx.workspace, path)
        if path.is_dir():
            raise ToolError(f"{shown} is a directory; give the path of a file")
        if not path.exists():
            raise ToolError(f"{shown} does not exist; use write_file to create it")
        try:
            text = _read_bytes(path, shown).decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{shown} is not UTF-8 text; edit_file only edits UTF-8 files") from None

        count = text.count(old)
        if count == 0 and "\r\n" in text and "\r\n" not in old:  # the model writes \n, the file has \r\n
            old, new = old.replace("\n", "\r\n"), new.replace("\n", "\r\n")
            count = text.count(old)
        if count == 0:
            hint = (
                " A match exists if whitespace is ignored: check indentation and line breaks."
                if " ".join(old.split()) in " ".join(text.split())
                else " Read the file again and copy the exact text."
            )
            raise ToolError(f"old_string was not found in {shown}.{hint}")
        if count > 1 and not args.get("replace_all", False):
            raise ToolError(
                f"old_string occurs {count} times in {shown}; include more surrounding lines "
                "to make it unique, or set replace_all to true to replace every occurrence"
            )
        updated = text.replace(old, new) if args.get("replace_all", False) else text.replace(old, new, 1)
        return path, shown, updated, unified_diff(text, updated, shown), count

    def _edit(self, args: dict[str, Any], ctx: ToolContext, stop: Stop) -> ToolOutput:
        path, shown, updated, diff, count = self._plan(args, ctx)
        write_atomically(path, updated, stop)
        noun = "occurrence" if count == 1 else "occurrences"
        text = f"edited {shown}: replaced {count} {noun} ({_diff_stat(diff)})"
        return ToolOutput(text, data={"path": shown, "diff": diff, "replacements": count})


# --- list_dir ----------------------------------------------------------------------


class ListDir:
    name = "list_dir"
    description = "List a directory of the workspace, sorted by name; directories end with '/'."
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Directory, relative to the workspace (default '.')."},
        },
        "additionalProperties": False,
    }
    side_effects = False
    permission_kind = ToolKind.READ
    enforces_own_timeout = False

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        return await run_checked(self.parameters, args, lambda stop: self._list(args, ctx))

    def _list(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        path = resolve_in_workspace(ctx.workspace, args.get("path", "."))
        shown = display_path(ctx.workspace, path)
        if not path.exists():
            raise ToolError(f"{shown} does not exist")
        if not path.is_dir():
            raise ToolError(f"{shown} is a file, not a directory; use read_file to read it")
        with os.scandir(path) as it:
            entries = sorted(
                (e.name + ("/" if e.is_dir() else "") for e in it if e.name != ".git"),
            )
        shown_entries = entries[:LIST_MAX_ENTRIES]
        text = "\n".join(shown_entries) if entries else f"({shown} is empty)"
        if len(entries) > LIST_MAX_ENTRIES:
            text += f"\n[... {len(entries) - LIST_MAX_ENTRIES} more entries not shown; use glob to narrow down]"
        return ToolOutput(text, data={"path": shown, "count": len(entries)})


# --- helpers -------------------------------------------------------------------------


def unified_diff(old: str | None, new: str, path: str) -> str:
    """A git-style unified diff of ``old`` → ``new``; ``old=None`` means the file is new."""
    fromfile = "/dev/null" if old is None else f"a/{path}"
    lines = difflib.unified_diff(
        _diff_lines(old or ""), _diff_lines(new), fromfile=fromfile, tofile=f"b/{path}"
    )
    return "".join(lines)


def _diff_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _diff_stat(diff: str) -> str:
    added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return f"+{added} -{removed} lines"


def _count_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _read_bytes(path: Path, shown: str) -> bytes:
    with open_bytes(path, shown) as f:
        return f.read()


def _preview(diff_of: Callable[[], str], schema: dict[str, Any], args: dict[str, Any]) -> str:
    try:
        require_valid(schema, args)
        return diff_of() or "(no changes)"
    except (ToolError, OSError) as exc:
        return f"error: {exc}"
