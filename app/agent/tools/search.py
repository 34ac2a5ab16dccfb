"""Search tools: ``glob`` (find paths by pattern) and ``grep`` (find lines by regex).

Python and RE2, so they behave the same everywhere. Both walk the tree below a
directory of the workspace in sorted order, skip :data:`SKIP_DIRS`, do not
descend into symlinked directories and ignore symlinks that lead outside the
workspace. The blocking walk runs in a thread that stops when the call is
cancelled. Patterns are matched by RE2 (:mod:`app.agent.tools.regex`), in time
linear in the text; grep reads files line by line, skips FIFOs, devices and
sockets, and searches only the first :data:`LINE_MAX_CHARS` characters of a line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.agent.events.approvals import ToolKind
from app.agent.tools.base import ToolContext, ToolError, ToolOutput
from app.agent.tools.output import cap_output, run_checked
from app.agent.tools.regex import Pattern, compile_glob, compile_linear
from app.agent.tools.stop import Stop
from app.agent.tools.textfile import LINE_MAX_CHARS, Line, Lines, is_binary, line_runs, open_text, refuse_special
from app.agent.tools.workspace import display_path, is_within, resolve_in_workspace, safe_resolve

SKIP_DIRS = frozenset({".git", ".venv", "node_modules", "__pycache__"})
GLOB_MAX_RESULTS = 500
GREP_MAX_MATCHES = 300
GREP_MAX_LINE_CHARS = 400  # of a matching line, shown


# --- glob ------------------------------------------------------------------------


class Glob:
    name = "glob"
    description = (
        "Find files and directories by glob pattern, relative to path. '*' and '?' stay within "
        "one directory, '**/' spans any number of directories, '{a,b}' gives alternatives: "
        "'**/*.py' finds Python files at any depth, '*.py' only directly in path. "
        "Skips .git, .venv, node_modules and __pycache__. Directories end with '/'."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "minLength": 1, "description": "Glob pattern, e.g. 'src/**/*.ts'."},
            "path": {"type": "string", "description": "Directory to search from (default '.')."},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    }
    side_effects = False
    permission_kind = ToolKind.READ
    enforces_own_timeout = False

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        return await run_checked(self.parameters, args, lambda stop: self._glob(args, ctx, stop))

    def _glob(self, args: dict[str, Any], ctx: ToolContext, stop: Stop) -> ToolOutput:
        pattern = args["pattern"]
        if pattern.startswith("/") or ".." in pattern.split("/"):
            raise ToolError("pattern must be relative and must not contain '..'; choose the directory with path")
        base, root = _search_root(ctx, args.get("path", "."), want_dir=True)
        matcher = glob_regex(pattern)
        matches = [
            p.relative_to(root).as_posix() + ("/" if is_dir else "")
            for p, is_dir in walk(base, root, stop)
            if matcher.match(p.relative_to(base).as_posix())
        ]
        matches.sort()
        shown = display_path(ctx.workspace, base)
        if not matches:
            return ToolOutput(f"no paths match {pattern!r} under {shown}", data={"count": 0})
        text = "\n".join(matches[:GLOB_MAX_RESULTS])
        if len(matches) > GLOB_MAX_RESULTS:
            text += f"\n[... {len(matches) - GLOB_MAX_RESULTS} more paths not shown; narrow the pattern or path]"
        return ToolOutput(text, data={"count": len(matches)})


# --- grep ------------------------------------------------------------------------


class Grep:
    name = "grep"
    description = (
        "Search file contents with a regular expression in Python syntax, run by RE2: no "
        "backreferences or lookaround; \\d, \\w and \\b are ASCII-only (\\p{L} matches any letter). "
        "Prints 'path:line:text' for each matching line, files in sorted order. Optional glob filters "
        "files ('*.py' matches by file name at any depth; a pattern with '/' matches the path below "
        "path). Skips binary files, .git, .venv, node_modules and __pycache__. Only the first "
        f"{LINE_MAX_CHARS} characters of each line are searched."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "minLength": 1, "description": "Regular expression (RE2)."},
            "path": {"type": "string", "description": "File or directory to search (default '.')."},
            "glob": {"type": "string", "description": "Only search files matching this glob, e.g. '*.py'."},
            "case_insensitive": {"type": "boolean", "description": "Ignore case (default false)."},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    }
    side_effects = False
    permission_kind = ToolKind.READ
    enforces_own_timeout = False

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        return await run_checked(self.parameters, args, lambda stop: self._grep(args, ctx, stop))

    def _grep(self, args: dict[str, Any], ctx: ToolContext, stop: Stop) -> ToolOutput:
        regex = compile_linear(args["pattern"], args.get("case_insensitive", False))
        base, root = _search_root(ctx, args.get("path", "."), want_dir=False)
        files = [base] if base.is_file() else _filtered_files(base, root, args.get("glob"), stop)

        hits: list[str] = []
        total, files_with_hits, long_lines = 0, 0, 0
        for path in files:
            found = 0
            for run in _line_runs(path, stop):
                long_lines += len(run.cut)
                if not regex.may_match_any(run.texts):
                    continue
                for line in run:
                    if regex.matches(line.text):
                        found += 1
                        if total + found <= GREP_MAX_MATCHES:
                            hits.append(f"{path.relative_to(root).as_posix()}:{line.number}:{_clip(line)}")
            total += found
            files_with_hits += found > 0

        shown = display_path(ctx.workspace, base)
        data = {"matches": total, "files": files_with_hits}
        note = (
            f"\n[{long_lines} of the lines searched had more than {LINE_MAX_CHARS} characters; "
            f"only their first {LINE_MAX_CHARS} were searched]"
            if long_lines
            else ""
        )
        if total == 0:
            return ToolOutput(f"no matches for {args['pattern']!r} under {shown}{note}", data=data)
        text = "\n".join(hits)
        if total > GREP_MAX_MATCHES:
            text += (
                f"\n[... {total - GREP_MAX_MATCHES} more matches omitted ({total} in {files_with_hits} files); "
                "narrow the pattern, path or glob]"
            )
        text += note
        text = ctx.scrubber.scrub_text(text)  # secrets out before the cut
        capped, truncated = cap_output(text, ctx.output_cap_chars)
        return ToolOutput(capped, full_output=text if truncated else None, data=data)


def _filtered_files(base: Path, root: Path, file_glob: str | None, stop: Stop) -> list[Path]:
    matcher = glob_regex(file_glob) if file_glob else None
    by_name = file_glob is not None and "/" not in file_glob
    files = []
    for path, is_dir in walk(base, root, stop):
        if is_dir:
            continue
        subject = path.name if by_name else path.relative_to(base).as_posix()
        if matcher is None or matcher.match(subject):
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(base).as_posix())


def _line_runs(path: Path, stop: Stop) -> Iterator[Lines]:
    """The lines of a text file; nothing for binary or unreadable files, FIFOs, devices and sockets."""
    try:
        if is_binary(path, path.name):
            return
        with open_text(path, path.name) as f:
            yield from line_runs(f, stop)
    except (OSError, ToolError):
        return


def _clip(line: Line) -> str:
    if line.length <= GREP_MAX_LINE_CHARS:
        return line.text
    return line.text[:GREP_MAX_LINE_CHARS] + f" [... line cut, {line.length} characters]"


# --- shared: the walk and glob patterns --------------------------------------------


def _search_root(ctx: ToolContext, path: str, want_dir: bool) -> tuple[Path, Path]:
    base = resolve_in_workspace(ctx.workspace, path)
    shown = display_path(ctx.workspace, base)
    if not base.exists():
        raise ToolError(f"{shown} does not exist")
    if want_dir and not base.is_dir():
        raise ToolError(f"{shown} is a file; give a directory as path")
    refuse_special(base, shown)
    return base, ctx.workspace.resolve()


def walk(base: Path, root: Path, stop: Stop) -> Iterator[tuple[Path, bool]]:
    """Every path below ``base`` as ``(path, is_dir)``, skipping :data:`SKIP_DIRS`.

    Symlinked directories are listed but not entered; symlinks whose target is
    outside ``root`` are left out.
    """
    for dirpath, dirnames, filenames in os.walk(base):
        stop.check()
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        here = Path(dirpath)
        entries = [(here / d, True) for d in dirnames] + [(here / f, False) for f in filenames]
        for path, is_dir in entries:
            if path.is_symlink() and not is_within(safe_resolve(path), root):
                continue
            yield path, is_dir


def glob_regex(pattern: str) -> Pattern:
    """A compiled regex matching whole forward-slash paths against a glob ``pattern``."""
    return compile_glob(rf"(?s:{_translate(pattern)})\z", pattern)


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end
        elif c == "{" and (end := pattern.find("}", i)) != -1:
            choices = pattern[i + 1 : end].split(",")
            out.append("(?:" + "|".join(_translate(choice) for choice in choices) + ")")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)
