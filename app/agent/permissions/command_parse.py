"""A shell line, read by a real parser (bashlex) into simple commands and unsafe constructs.

:func:`parse_command` returns every simple command of the line: the ones that
run at top level, in pipelines, chains (``&&`` ``||`` ``;``) and subshells, and
also the ones only a deny rule cares about: inside command substitutions, in
the string of ``sh -c``/``eval``, after a wrapper (``xargs rm``, ``find -exec
rm``). Beside them it lists what no allow rule may vouch for: substitutions,
backgrounding, several lines, compound commands, wrappers, ``&>``, and anything
the parser cannot read. The bash tool runs lines with ``/bin/sh``; where dash and
bash differ (``&>``, ``$'…'``) the construct is listed as unsafe.

bashlex misses a command substitution inside ``${x:-$(…)}`` and misreads
``$'…'``; a textual check of the whole line backs the parser up (it also flags
a ``$(`` in single quotes: asking once too often is the safe mistake).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.agent.permissions.command_kinds import SHELLS, WRAPPERS

MAX_DEPTH = 4  # sh -c "sh -c '…'" nesting looked into
MAX_WRAPPED_SUFFIXES = 32  # after a wrapper, each suffix of its words may be the command it runs
_TEXTUAL = (("$(", "command substitution"), ("`", "command substitution"), ("<(", "process substitution"),
            (">(", "process substitution"), ("$'", "ANSI-C quoting $'…'"))
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_./+@%-]+")
_OUTPUT_REDIRECTS = frozenset({">", ">>", ">|", "<>", ">&"})
_FIND_RUNS = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


@dataclass(frozen=True)
class SimpleCommand:
    words: tuple[str, ...]  # the command name and its arguments, quotes removed; none: a bare assignment,
    # or the redirections of a subshell or group
    assignments: tuple[str, ...] = ()  # NAME=value before the name (or alone), as written
    writes: tuple[str, ...] = ()  # targets of output redirections, as written

    @property
    def name(self) -> str:
        return self.words[0] if self.words else ""


@dataclass(frozen=True)
class ParsedCommand:
    commands: tuple[SimpleCommand, ...]  # every simple command found, also nested ones
    unsafe: tuple[str, ...]  # why no allow rule may vouch for the line; empty: the commands are the whole line
    parsed: bool = True  # False: the parser could not read the line, ``commands`` is empty


def parse_command(line: str) -> ParsedCommand:
    walk = _Walk(0)
    walk.line(line)
    return walk.result()


@dataclass
class _Walk:
    depth: int
    commands: list[SimpleCommand] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    parsed: bool = True

    def result(self) -> ParsedCommand:
        return ParsedCommand(tuple(self.commands), tuple(dict.fromkeys(self.unsafe)), self.parsed)

    def flag(self, why: str) -> None:
        self.unsafe.append(why)

    def line(self, line: str) -> None:
        import bashlex  # type: ignore[import-untyped]  # no stubs; imported when a command is checked

        if not line.strip():
            self.flag("an empty command")
            return
        for needle, why in _TEXTUAL:
            if needle in line:
                self.flag(why)
        try:
            parts = bashlex.parse(line)
        except Exception as exc:  # ParsingError, NotImplementedError (case, [[ ]], $((…))), and its own bugs
            self.parsed = False
            self.flag(f"the shell parser cannot read it ({type(exc).__name__}: {exc})")
            return
        if len(parts) > 1:
            self.flag("several commands on separate lines")
        for part in parts:
            self.node(part)

    def nested(self, line: str) -> None:
        """A line run by a wrapper (``sh -c LINE``, ``eval``): its commands count for deny rules."""
        if self.depth >= MAX_DEPTH:
            self.flag("commands nested too deeply to check")
            return
        inner = _Walk(self.depth + 1)
        inner.line(line)
        self.commands += inner.commands
        self.unsafe += inner.unsafe

    def node(self, node: Any) -> None:
        kind = node.kind
        if kind in ("list", "pipeline"):
            for part in node.parts:
                self.node(part)
        elif kind == "operator":
            if node.op == "&":
                self.flag("runs in the background (&)")
            elif node.op == "\n":
                self.flag("several commands on separate lines")
        elif kind == "command":
            self.command(node)
        elif kind == "compound":
            first = node.list[0]
            if not (first.kind == "reservedword" and first.word in ("(", "{")):
                self.flag(f"a compound command ({first.kind})")
            for part in node.list:
                self.node(part)
            writes: list[str] = []
            for redirect in getattr(node, "redirects", None) or ():
                self.redirect(redirect, writes)
            if writes:  # "(…) > file": a command without words that only writes
                self.commands.append(SimpleCommand((), (), tuple(writes)))
        elif kind in ("if", "for", "while", "until", "function"):
            self.flag(f"a compound command ({kind})")
            for part in node.parts:
                self.node(part)
        elif kind == "word":
            self.word(node)
        elif kind not in ("reservedword", "pipe"):
            self.flag(f"a shell construct the checker does not know ({kind})")

    def word(self, node: Any) -> None:
        for part in getattr(node, "parts", None) or ():
            if part.kind == "commandsubstitution":
                self.flag("command substitution")
                self.node(part.command)
            elif part.kind == "processsubstitution":
                self.flag("process substitution")
                self.node(part.command)
            elif part.kind not in ("parameter", "tilde"):
                self.node(part)

    def command(self, node: Any) -> None:
        words: list[str] = []
        assignments: list[str] = []
        writes: list[str] = []
        for part in node.parts:
            if part.kind == "redirect":
                self.redirect(part, writes)
                continue
            self.word(part)
            if part.kind == "assignment" and not words:
                assignments.append(part.word)
            else:
                words.append(part.word)
        command = SimpleCommand(tuple(words), tuple(assignments), tuple(writes))
        self.commands.append(command)
        if words:
            self.check_name(command)

    def check_name(self, command: SimpleCommand) -> None:
        name, words = command.name, command.words
        if not _PLAIN_NAME.fullmatch(name):
            self.flag(f"the command name {name!r} is not a plain word")
        if name in WRAPPERS:
            self.flag(f"{name} runs another command")
            self.wrapped(words)
        elif name == "find" and _FIND_RUNS & set(words):
            self.flag("find -exec runs another command")
            self.wrapped(words)

    def wrapped(self, words: tuple[str, ...]) -> None:
        """What a wrapper runs is not parsed here: each suffix of its words may be it (or a line for a shell)."""
        for start in range(min(len(words), MAX_WRAPPED_SUFFIXES)):
            suffix = words[start:]
            if start:
                self.commands.append(SimpleCommand(suffix))
            if suffix[0] in SHELLS and "-c" in suffix[1:-1]:
                self.nested(suffix[suffix.index("-c") + 1])
            elif suffix[0] == "eval" and len(suffix) > 1:
                self.nested(" ".join(suffix[1:]))  # what eval does with its arguments

    def redirect(self, node: Any, writes: list[str]) -> None:
        kind = node.type
        if kind in ("&>", "&>>"):
            self.flag(f"{kind} puts the command in the background under /bin/sh")
        target = node.output
        if isinstance(target, int) or target is None:
            return
        self.word(target)
        if kind in _OUTPUT_REDIRECTS or kind.startswith("&>"):
            writes.append(target.word)
