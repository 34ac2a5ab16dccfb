"""One verdict for one tool call: allow, ask or deny, and what made it.

In this order:

1. a deny rule that matches refuses the call, in every mode (for a command line,
   any simple command in it, also inside ``$(…)``, ``sh -c``, ``xargs``; a
   redirection into a denied path counts as an edit of it);
2. a line a deny rule cannot be checked against (unparseable, or with a
   construct that hides commands) asks, even in YOLO, when there are bash deny rules;
3. plan mode allows reads and read-only commands and refuses everything else;
4. YOLO allows;
5. an edit of ``.cockpit/`` or ``.git/`` (these rules, git hooks) asks; otherwise
   accept-edits allows edits;
6. allow rules allow a call they cover: an edit whose path matches, a command
   line only when it is checkable (no substitution, backgrounding, several
   lines, wrapper, compound command, unknown variable prefix, redirection
   outside the workspace or into ``.cockpit/``/``.git/``, or a write after
   ``cd``) and EVERY simple command in it matches an allow rule;
7. anything else asks.

Reads never ask; only deny rules stop them.
"""

from __future__ import annotations

import enum
import posixpath
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from app.agent.events.approvals import PermissionMode, ToolKind
from app.agent.permissions.command_kinds import INTERPRETERS, SAFE_ENV, SUBCOMMAND_TOOLS, read_only_problem
from app.agent.permissions.command_parse import ParsedCommand, SimpleCommand, parse_command
from app.agent.permissions.rules import Rule, workspace_relative

HARMLESS_WRITES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr"})
# Writing here changes what runs or what is allowed later (git hooks, these very rules): never automatic.
PROTECTED_FOLDERS = (".cockpit", ".git")
DIRECTORY_CHANGES = frozenset({"cd", "pushd", "popd"})


class Action(str, enum.Enum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str = ""  # for the transcript, and for the model when refused
    rule: str = ""  # the rule(s) or mode that decided, as shown


ASK = Verdict(Action.ASK)


@dataclass
class RuleSet:
    """Allow and deny rules from every source, in the order they were read.

    ``untrusted`` holds the project file's allow rules the user has not trusted
    yet (:mod:`app.project_trust`): they are shown, and allow nothing.
    """

    allow: list[Rule] = field(default_factory=list)
    deny: list[Rule] = field(default_factory=list)
    untrusted: list[Rule] = field(default_factory=list)

    def all(self) -> list[tuple[str, Rule]]:
        return [("allow", r) for r in self.allow] + [("deny", r) for r in self.deny]

    def of(self, kind: ToolKind, *, deny: bool) -> list[Rule]:
        return [r for r in (self.deny if deny else self.allow) if r.kind is kind]


def decide(mode: PermissionMode, rules: RuleSet, kind: ToolKind, subject: str, workspace: Path) -> Verdict:
    parsed = parse_command(subject) if kind is ToolKind.COMMAND else None
    denied = _denied(rules, kind, subject, parsed, workspace)
    if denied is not None:
        return denied
    if kind is ToolKind.READ:
        return Verdict(Action.ALLOW)
    if kind is ToolKind.FETCH and mode is not PermissionMode.YOLO:  # plan mode asks too: a fetch writes nothing
        rule = next((r for r in rules.of(kind, deny=False) if r.matches(subject, workspace)), None)
        return _allowed_by([rule]) if rule else ASK
    if parsed is not None and parsed.unsafe and rules.of(ToolKind.COMMAND, deny=True) and mode is not PermissionMode.PLAN:
        return Verdict(Action.ASK, f"the deny rules cannot be checked against this line: {parsed.unsafe[0]}")
    if mode is PermissionMode.PLAN:
        return _plan(kind, subject, parsed, workspace)
    if mode is PermissionMode.YOLO:
        return Verdict(Action.ALLOW, "permission mode: yolo")
    if kind is ToolKind.EDIT and _protected(subject, workspace):
        return Verdict(Action.ASK, f"{subject} is Cockpit's or git's own: an edit there always asks")
    if mode is PermissionMode.ACCEPT_EDITS and kind is ToolKind.EDIT:
        return Verdict(Action.ALLOW, "permission mode: accept edits")
    if kind is ToolKind.EDIT:
        rule = next((r for r in rules.of(kind, deny=False) if r.matches_path(subject, workspace)), None)
        return _allowed_by([rule]) if rule else ASK
    if parsed is not None and not line_problems(parsed, workspace):
        commands = [c for c in parsed.commands if c.words]  # the others only assign or redirect: checked above
        covering = [next((r for r in rules.of(kind, deny=False) if r.matches_command(c)), None) for c in commands]
        if covering and all(covering):
            return _allowed_by([r for r in covering if r is not None])
    return ASK


def line_problems(parsed: ParsedCommand, workspace: Path) -> list[str]:
    """Why no allow rule may vouch for this line (empty: it is checkable, command by command)."""
    problems = list(parsed.unsafe)
    for command in parsed.commands:
        for assignment in command.assignments:
            name = assignment.split("=", 1)[0]
            if name not in SAFE_ENV:
                problems.append(f"it sets {name}, which can change what a command runs")
        for target in command.writes:
            if not _write_inside(target, workspace):
                problems.append(f"it writes outside the workspace ({target})")
            elif _protected(target, workspace):
                problems.append(f"it writes into Cockpit's or git's own files ({target})")
    if any(c.name in DIRECTORY_CHANGES for c in parsed.commands) and any(c.writes for c in parsed.commands):
        problems.append("it changes directory, so where it writes cannot be checked")
    return list(dict.fromkeys(problems))


def _denied(rules: RuleSet, kind: ToolKind, subject: str, parsed: ParsedCommand | None,
            workspace: Path) -> Verdict | None:
    if parsed is None:
        rule = next((r for r in rules.of(kind, deny=True) if r.matches(subject, workspace)), None)
        return _refused_by(rule, f"{kind.value} {subject}") if rule else None
    for command in parsed.commands:
        rule = next((r for r in rules.of(ToolKind.COMMAND, deny=True) if _deny_matches(r, command)), None)
        if rule is not None:
            return _refused_by(rule, " ".join(command.words))
        for target in command.writes:
            rule = next((r for r in rules.of(ToolKind.EDIT, deny=True) if r.matches_path(target, workspace)), None)
            if rule is not None:
                return _refused_by(rule, f"a write to {target}")
    return None


def _deny_matches(rule: Rule, command: SimpleCommand) -> bool:
    """A deny rule for ``rm`` also refuses ``/bin/rm`` (an allow rule for ``ls`` never allows ``./ls``)."""
    if rule.matches_command(command):
        return True
    base = posixpath.basename(command.name)
    return base != command.name and rule.matches_command(SimpleCommand((base, *command.words[1:])))


def _plan(kind: ToolKind, subject: str, parsed: ParsedCommand | None, workspace: Path) -> Verdict:
    why = plan_problem(kind, parsed, workspace)
    if why is None:
        return Verdict(Action.ALLOW, "plan mode: read-only command", rule="plan mode")
    return Verdict(
        Action.DENY,
        f"Plan mode is on: only reads and read-only commands run, and this was not run ({why}). "
        "Keep planning: read what you need, then describe the change you propose; the user leaves plan "
        "mode to let you make it.",
        rule="plan mode",
    )


def plan_problem(kind: ToolKind, parsed: ParsedCommand | None, workspace: Path) -> str | None:
    """Why plan mode refuses the call, or None when it only reads."""
    if kind is ToolKind.EDIT:
        return "it edits a file"
    if parsed is None:
        return "it is not a read"
    problems = line_problems(parsed, workspace)
    if problems:
        return problems[0]
    for command in parsed.commands:
        if any(target not in HARMLESS_WRITES for target in command.writes):
            return f"it writes {command.writes[0]}"
        problem = read_only_problem(command.words) if command.words else "it is not a command"
        if problem:
            return problem
    return None


def _protected(path: str, workspace: Path) -> bool:
    where = workspace_relative(path, workspace)
    return where is not None and where.split("/", 1)[0] in PROTECTED_FOLDERS


def _write_inside(target: str, workspace: Path) -> bool:
    if target in HARMLESS_WRITES:
        return True
    if "$" in target or target.startswith("~"):
        return False
    return workspace_relative(target, workspace) not in (None, ".")


def _allowed_by(rules: list[Rule]) -> Verdict:
    shown = ", ".join(dict.fromkeys(r.described() for r in rules))
    return Verdict(Action.ALLOW, f"allowed by {shown}", rule=", ".join(dict.fromkeys(r.text for r in rules)))


def _refused_by(rule: Rule, what: str) -> Verdict:
    return Verdict(
        Action.DENY,
        f"Refused by the permission rule deny {rule.described()}: {what} matches it. "
        "Do not try another way to do the same; tell the user if the task needs it.",
        rule=f"deny {rule.text}",
    )


def suggest_rules(kind: ToolKind, subject: str, workspace: Path) -> tuple[tuple[str, ...], str]:
    """The rules an "always" answer adds, or none and why: ``(("bash(git diff *)",), "")``."""
    if kind is ToolKind.EDIT:
        where = workspace_relative(subject, workspace)
        if where is None:
            return (), "the path is outside the workspace"
        folder = posixpath.dirname(where)
        return (f"edit({_glob_escape(folder)}/**)" if folder else "edit(*)",), ""
    if kind is ToolKind.FETCH:
        return ((f"web_fetch(domain:{subject})",), "") if subject else ((), "the URL has no host")
    if kind is not ToolKind.COMMAND:
        return (), "no rule applies to this tool"
    parsed = parse_command(subject)
    problems = line_problems(parsed, workspace)
    if problems:
        return (), problems[0]
    return tuple(dict.fromkeys(f"bash({_command_pattern(c)})" for c in parsed.commands)), ""


def _command_pattern(command: SimpleCommand) -> str:
    """The command name and ``*``; with the subcommand of git, npm…; the whole command for an interpreter."""
    words = [shlex.quote(_glob_escape(w)) for w in command.words]
    if command.name in INTERPRETERS:
        return " ".join(words)
    if command.name in SUBCOMMAND_TOOLS and len(words) > 1 and not command.words[1].startswith("-"):
        return f"{words[0]} {words[1]} *"
    return f"{words[0]} *"


def _glob_escape(word: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in word)
