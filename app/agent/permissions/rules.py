"""Permission rules: ``bash(git diff *)``, ``edit(src/**)``, ``read(**)``, ``web_fetch(domain:go.dev)``; parsed,
shown, matched.

A rule is a kind and a pattern. ``bash(PATTERN)`` matches one simple command
word by word: each word of the pattern is a glob for one word of the command
(quotes are removed first, so ``git "diff"`` is ``git diff``), and a final ``*``
matches any remaining words, none included: ``bash(git diff *)`` matches
``git diff`` and ``git diff --stat HEAD``; ``bash(git status)`` only that line.
Claude Code's ``git diff:*`` is read as ``git diff *``. ``edit(GLOB)`` and
``read(GLOB)`` match a path relative to the workspace: ``*`` stays inside one
folder, ``**`` crosses folders (``src/**`` is everything under ``src``). A bare
kind (``bash``, ``edit``) matches everything of that kind. ``web_fetch(domain:HOST)`` (Claude
Code's ``WebFetch(domain:…)``) matches a fetch of a URL on that host; HOST is a glob
(``domain:*.python.org``: its subdomains).

Whether a whole line may run is :mod:`app.agent.permissions.decide`'s business.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlsplit

from app.agent.events.approvals import ToolKind
from app.agent.permissions.command_parse import SimpleCommand

RULE_KINDS = {"bash": ToolKind.COMMAND, "edit": ToolKind.EDIT, "read": ToolKind.READ, "web_fetch": ToolKind.FETCH}
_RULE = re.compile(r"\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*", re.DOTALL)
DOMAIN = "domain:"


class RuleError(ValueError):
    """A rule that cannot be read; the message says what is wrong and how to write it."""


@dataclass(frozen=True)
class RuleSource:
    """Where a rule comes from: this session only, or a config file (user or project)."""

    scope: str = "session"  # session | user | project
    path: str = ""

    def __str__(self) -> str:
        if self.scope == "session":
            return "this session"
        return f"{self.scope} config {self.path}"


SESSION = RuleSource()


@dataclass(frozen=True)
class Rule:
    kind: ToolKind
    pattern: str = ""  # inside the parentheses, as written; "" matches everything of the kind
    source: RuleSource = SESSION

    @property
    def text(self) -> str:
        name = next(k for k, v in RULE_KINDS.items() if v is self.kind)
        return f"{name}({self.pattern})" if self.pattern else name

    def described(self) -> str:
        return f"{self.text} ({self.source})"

    def matches_command(self, command: SimpleCommand) -> bool:
        if self.kind is not ToolKind.COMMAND or not command.words:
            return False
        return not self.pattern or _words_match(_pattern_words(self.pattern), command.words)

    def matches(self, subject: str, workspace: Path) -> bool:
        """A path rule against a path, a fetch rule against a host (a command rule: :meth:`matches_command`)."""
        if self.kind is ToolKind.FETCH:
            return not self.pattern or fnmatchcase(subject.lower(), self.pattern[len(DOMAIN):].lower())
        return self.matches_path(subject, workspace)

    def matches_path(self, path: str, workspace: Path) -> bool:
        if not self.pattern:
            return True
        where = workspace_relative(path, workspace)
        if self.pattern.startswith("/"):
            where = os.path.normpath(workspace / path) if not os.path.isabs(path) else os.path.normpath(path)
        return where is not None and _glob_regex(self.pattern).fullmatch(where) is not None


def parse_rule(text: str, source: RuleSource = SESSION) -> Rule:
    match = _RULE.fullmatch(text)
    if not match or match.group(1).lower() not in RULE_KINDS:
        raise RuleError(
            f"{text!r} is not a rule; write bash(COMMAND PATTERN), edit(PATH GLOB), read(PATH GLOB) or "
            'web_fetch(domain:HOST), e.g. "bash(git diff *)", "edit(src/**)", "read(**)", "web_fetch(domain:go.dev)"'
        )
    kind = RULE_KINDS[match.group(1).lower()]
    pattern = (match.group(2) or "").strip()
    if match.group(2) is not None and not pattern:
        raise RuleError(f"{text!r} has an empty pattern; write {match.group(1).lower()} alone to match everything")
    if kind is ToolKind.COMMAND and pattern:
        try:
            _pattern_words(pattern)
        except ValueError as exc:
            raise RuleError(f"{text!r}: the command pattern cannot be split into words ({exc})") from None
    elif kind is ToolKind.FETCH and pattern and not (pattern.startswith(DOMAIN) and pattern[len(DOMAIN):].strip()):
        raise RuleError(f"{text!r}: write web_fetch(domain:HOST), e.g. web_fetch(domain:docs.python.org)")
    elif pattern.startswith("./"):
        pattern = pattern[2:]
    return Rule(kind, pattern, source)


def _pattern_words(pattern: str) -> tuple[str, ...]:
    if pattern.endswith(":*"):  # Claude Code's legacy prefix syntax
        pattern = pattern[:-2] + " *"
    return tuple(shlex.split(pattern))


def _words_match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if pattern and pattern[-1] == "*":
        fixed = pattern[:-1]
        return len(words) >= len(fixed) and all(fnmatchcase(w, p) for w, p in zip(words, fixed))
    return len(words) == len(pattern) and all(fnmatchcase(w, p) for w, p in zip(words, pattern))


def workspace_relative(path: str, workspace: Path) -> str | None:
    """``path`` (as a tool got it) relative to the workspace, posix-style; None when outside."""
    root = os.path.normpath(workspace.resolve())
    full = os.path.normpath(path if os.path.isabs(path) else os.path.join(root, path))
    try:
        full = os.path.realpath(full)
    except OSError:
        pass
    if full == root:
        return "."
    if not full.startswith(root + os.sep):
        return None
    return Path(os.path.relpath(full, root)).as_posix()


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def url_host(url: str) -> str:
    """The host a ``web_fetch(domain:…)`` rule is matched against, lower case; "" when there is none."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""
