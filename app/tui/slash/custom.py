"""Custom commands: Markdown files whose text is sent to the model as the user's message.

Where they are found, first wins for a name (:func:`folders`):
``<workspace>/.cockpit/commands/``, ``<workspace>/.claude/commands/`` (project), then
``<config folder>/commands/`` and ``~/.claude/commands/`` (user). A builtin command of
the same name wins over all of them (``registry.py``).

* The file name is the command: ``review.md`` → ``/review``. In a subfolder, as Claude
  Code does, the short name still works and the folder shows with the source
  (``frontend/component.md`` → ``/component``, "project:frontend"); ``/frontend:component``
  names it too, for when two folders hold the same file name.
* An optional frontmatter (``---`` lines) gives ``description:`` and ``argument-hint:``;
  without a description, the first line of text is.
* ``$ARGUMENTS`` is what follows the name, ``$1`` … ``$9`` its words (shell quoting);
  arguments given to a file that uses neither are added at the end (``ARGUMENTS: …``).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.tui.slash.registry import NAME

if TYPE_CHECKING:
    from app.tui.app import CockpitApp

SUFFIX = ".md"
DESCRIPTION_MAX = 80
POSITIONAL = re.compile(r"\$([1-9])")
NAMED = re.compile(NAME)  # a file or folder whose name could not be typed as a command is left out


@dataclass(frozen=True)
class Folder:
    path: Path
    source: str  # "project", "user", …: shown in /help and the popup


@dataclass(frozen=True)
class CustomCommand:
    name: str
    description: str
    argument_hint: str
    body: str
    path: Path
    source: str
    aliases: tuple[str, ...] = ()

    def expand(self, args: str) -> str:
        """The text sent to the model for ``/name args``."""
        if "$ARGUMENTS" not in self.body and not POSITIONAL.search(self.body):
            return f"{self.body}\n\nARGUMENTS: {args}" if args else self.body
        try:
            words = shlex.split(args)
        except ValueError:  # an unclosed quote: plain words
            words = args.split()
        text = self.body.replace("$ARGUMENTS", args)
        return POSITIONAL.sub(lambda m: words[int(m.group(1)) - 1] if int(m.group(1)) <= len(words) else "", text)


def folders(workspace: Path) -> list[Folder]:
    from app import paths

    return [
        Folder(workspace / ".cockpit" / "commands", "project"),
        Folder(workspace / ".claude" / "commands", "project .claude"),
        Folder(paths.config_path().parent / "commands", "user"),
        Folder(Path.home() / ".claude" / "commands", "user ~/.claude"),
    ]


def parse(text: str) -> tuple[dict[str, str], str]:
    """The frontmatter's ``key: value`` lines and the body after it."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text.strip()
    meta: dict[str, str] = {}
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return meta, "\n".join(lines[i + 1:]).strip()
        key, colon, value = line.partition(":")
        if colon:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return {}, text.strip()  # no closing line: it was not a frontmatter


def first_line(body: str) -> str:
    for line in body.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= DESCRIPTION_MAX else line[: DESCRIPTION_MAX - 1] + "…"
    return ""


@dataclass
class CustomCommands:
    """The commands of ``folders()`` as they are on disk now. Each call looks again (a
    directory walk and a stat per file); a file is read again only when it changed.
    Called on the UI thread and on the popup's worker thread: at worst a file is read twice."""

    folders: Callable[[], list[Folder]]  # asked each time: the workspace is the open session's
    _read: dict[Path, tuple[tuple[int, int], CustomCommand]] = field(default_factory=dict)

    def __call__(self) -> list[CustomCommand]:
        found: dict[str, CustomCommand] = {}
        for folder in self.folders():
            for path in _markdown_files(folder.path):
                command = self._command(path, folder)
                if command is None:
                    continue
                if command.name in found and command.aliases:  # that file name in another subfolder
                    command = replace(command, name=command.aliases[0], aliases=())
                found.setdefault(command.name, command)
        return list(found.values())

    def _command(self, path: Path, folder: Folder) -> CustomCommand | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._read.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        meta, body = parse(text)
        sub = path.parent.relative_to(folder.path).parts
        command = CustomCommand(
            name=path.stem,
            description=meta.get("description") or first_line(body),
            argument_hint=meta.get("argument-hint", ""),
            body=body,
            path=path,
            source=":".join((folder.source, *sub)),
            aliases=(":".join((*sub, path.stem)),) if sub else (),
        )
        self._read[path] = (key, command)
        return command


def _markdown_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if NAMED.fullmatch(d))
        found += [Path(folder) / f for f in sorted(files) if f.endswith(SUFFIX) and NAMED.fullmatch(f[: -len(SUFFIX)])]
    return found


async def send_custom(app: CockpitApp, command: CustomCommand, args: str) -> None:
    """Send the expanded text as the user's message; the transcript shows ``/name args``
    with what was sent below it."""
    await app.tasks.submit(command.expand(args), shown=f"/{command.name} {args}".rstrip())
