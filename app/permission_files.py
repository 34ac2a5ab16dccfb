"""Permission rules in config files: the ``[permissions]`` table, read with file and line, written back.

User rules live in the configuration file (``$COCKPIT_HOME/config.toml``),
project rules in ``<workspace>/.cockpit/config.toml``; both hold::

    [permissions]
    allow = ["bash(git diff *)", "bash(pytest *)", "edit(src/**)", "read(**)"]
    deny = ["bash(git push *)", "read(.env)"]

A bad rule is a :class:`~app.settings.ConfigError` naming the file and the
line. The project file's allow rules apply only once the user trusts the file
(:mod:`app.project_trust`; its deny rules always apply): until then they are
:attr:`RuleSet.untrusted`. :class:`ConfigRuleFile` writes "always for this
project" rules into the project file (trusted: Cockpit wrote them), removes
rules from either file and trusts the project file; it rewrites the
``[permissions]`` table only (comments inside that table are not kept) and
leaves the rest of the file as it was.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.project_trust import ProjectTrust, permissions_digest
from app.settings import ConfigError

if TYPE_CHECKING:
    from app.agent.events.core import Notice
    from app.agent.permissions.decide import RuleSet
    from app.agent.permissions.rules import Rule, RuleSource

PROJECT_CONFIG = Path(".cockpit") / "config.toml"
KEYS = ("allow", "deny")
_HEADER = re.compile(r"\s*\[\s*permissions\s*\]\s*(#.*)?")
_ANY_HEADER = re.compile(r"\s*\[")


def project_config(workspace: Path) -> Path:
    return workspace / PROJECT_CONFIG


def check_table(table: Any, path: Path, text: str) -> None:
    """Raise a :class:`ConfigError` (file and line) for a ``[permissions]`` table with a bad rule."""
    from app.agent.permissions.rules import RuleSource

    rules_from_table(table, path, text, RuleSource("user", str(path)))


def rules_from_table(table: Any, path: Path, text: str, source: RuleSource) -> RuleSet:
    from app.agent.permissions.decide import RuleSet
    from app.agent.permissions.rules import RuleError, parse_rule

    if not isinstance(table, dict):
        raise ConfigError(f"{path}:{_line_of(text, '[permissions')}: [permissions] must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}:{_line_of(text, unknown[0])}: [permissions] {', '.join(unknown)}: "
                          "unknown; the table holds allow = [...] and deny = [...]")
    rules = RuleSet()
    for key in KEYS:
        texts = table.get(key, [])
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ConfigError(f"{path}:{_line_of(text, key)}: [permissions] {key} must be a list of strings, "
                              'e.g. ["bash(git diff *)", "edit(src/**)"]')
        for rule_text in texts:
            try:
                rule = parse_rule(rule_text, source)
            except RuleError as exc:
                raise ConfigError(f"{path}:{_line_of(text, rule_text)}: [permissions] {key}: {exc}") from None
            (rules.deny if key == "deny" else rules.allow).append(rule)
    return rules


def load_rules(user_table: dict[str, Any], user_path: Path | None, workspace: Path, *,
               trust: ProjectTrust | None = None, trust_all: bool = False) -> RuleSet:
    """The user's rules (already checked when the settings were read), then the project's.

    The project's allow rules are untrusted unless the user trusted this very
    table, Cockpit wrote them, or ``trust_all`` (``cockpit run --trust-project``).
    """
    from app.agent.permissions.rules import RuleSource

    user = user_path or Path("config.toml")
    rules = rules_from_table(user_table, user, "", RuleSource("user", str(user)))
    table, found = _project_rules(project_config(workspace))
    trust = trust or ProjectTrust(workspace)
    if trust_all or trust.trusts(permissions_digest(table)):
        rules.allow += found.allow
    else:
        approved = trust.approved()
        rules.allow += [r for r in found.allow if r.text in approved]
        rules.untrusted += [r for r in found.allow if r.text not in approved]
    rules.deny += found.deny
    return rules


def untrusted_summary(rules: RuleSet) -> str:
    """"<path> has N allow rules that are not trusted" ("" when every rule is trusted)."""
    if not rules.untrusted:
        return ""
    count = len(rules.untrusted)
    return f"{rules.untrusted[0].source.path} has {count} allow rule{'s' if count > 1 else ''} that " \
           f"{'are' if count > 1 else 'is'} not trusted"


def trust_notices(rules: RuleSet) -> tuple[Notice, ...]:
    """What a session in the TUI says at start about untrusted project rules (nothing when all are trusted)."""
    summary = untrusted_summary(rules)
    if not summary:
        return ()
    from app.agent.events.core import Notice

    return (Notice(level="warning", message=f"{summary}: Ctrl+P › Trust project rules",
                   detail=f"Until you trust them they allow nothing (the file's deny rules apply): "
                          f"{', '.join(r.text for r in rules.untrusted)}. Trust again after the file changes."),)


class ConfigRuleFile:
    """Writes "always for this project" rules to the project file; removes rules from the file they came from."""

    def __init__(self, workspace: Path, trust: ProjectTrust | None = None) -> None:
        self.path = project_config(workspace)
        self.trust = trust or ProjectTrust(workspace)

    def add(self, text: str, *, deny: bool = False) -> Rule:
        from app.agent.permissions.rules import RuleSource, parse_rule

        rule = parse_rule(text, RuleSource("project", str(self.path)))
        lists = self._lists(self.path)
        before = permissions_digest(lists)
        key = "deny" if deny else "allow"
        if rule.text not in lists[key]:
            lists[key].append(rule.text)
            _write_table(self.path, lists)
        self.trust.wrote(before, permissions_digest(lists), added="" if deny else rule.text)
        return rule

    def remove(self, rule: Rule, *, deny: bool = False) -> None:
        path = Path(rule.source.path)
        lists = self._lists(path)
        before = permissions_digest(lists)
        key = "deny" if deny else "allow"
        kept = [t for t in lists[key] if not _same_rule(t, rule)]
        if len(kept) == len(lists[key]):
            raise ValueError(f"{rule.text} is no longer in {path}")
        lists[key] = kept
        _write_table(path, lists)
        if path == self.path:
            self.trust.wrote(before, permissions_digest(lists), removed="" if deny else rule.text)

    def trust_rules(self, rules: RuleSet) -> list[Rule]:
        """Trust the project file: its untrusted allow rules join the session's; the rules now trusted.

        ValueError when the file no longer holds what the session shows (it changed since it was read):
        the user trusts what they were shown, nothing else.
        """
        table, found = _project_rules(self.path)
        approved = self.trust.approved()
        waiting = sorted({r.text for r in found.allow if r.text not in approved})
        if waiting != sorted({r.text for r in rules.untrusted}):
            raise ValueError(f"{self.path} changed since this session read it; start a new session to see its rules")
        self.trust.trust(permissions_digest(table))
        trusted, rules.untrusted = rules.untrusted, []
        rules.allow += trusted
        return trusted

    def _lists(self, path: Path) -> dict[str, list[str]]:
        """The file's allow and deny lists; ValueError for a file Cockpit must not rewrite."""
        from app.agent.permissions.rules import RuleSource

        try:
            data, text = read_toml(path)
            table = data.get("permissions", {})
            rules_from_table(table, path, text, RuleSource("project", str(path)))
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if "permissions" in data and not any(_HEADER.fullmatch(line) for line in text.splitlines()):
            raise ValueError(f"{path}: write the rules as a [permissions] table so Cockpit can change them")
        return {key: list(table.get(key, [])) for key in KEYS}


def _project_rules(project: Path) -> tuple[dict[str, Any], RuleSet]:
    """The project file's ``[permissions]`` table and its rules; a ConfigError when the file holds anything else."""
    from app.agent.permissions.rules import RuleSource

    data, text = read_toml(project)
    other = sorted(set(data) - {"permissions", "tools"})  # [tools] disabled: app/project_tools.py
    if other:
        raise ConfigError(f"{project}: a project configuration holds only [permissions] and [tools] "
                          f"(found {', '.join(other)}); put other settings in the user configuration file")
    table = data.get("permissions", {})
    return table, rules_from_table(table, project, text, RuleSource("project", str(project)))


def _same_rule(text: str, rule: Rule) -> bool:
    from app.agent.permissions.rules import RuleError, parse_rule

    try:
        return parse_rule(text).text == rule.text
    except RuleError:
        return False


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """A TOML file's data and text (nothing for a missing file); a ConfigError for one that cannot be read."""
    if not path.exists():
        return {}, ""
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}. Fix the file or move it away.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc})") from None


def _write_table(path: Path, lists: dict[str, list[str]]) -> None:
    table = ["[permissions]"]
    for key in KEYS:
        if not lists[key]:
            table.append(f"{key} = []")
            continue
        table.append(f"{key} = [")
        table += [f"    {json.dumps(t, ensure_ascii=False)}," for t in lists[key]]
        table.append("]")
    write_table(path, _HEADER, table)


def write_table(path: Path, header: re.Pattern[str], table: list[str]) -> None:
    """Put ``table`` (its header line first) in place of the table whose header matches ``header``, or
    after the file's end; the rest of the file stays as it was."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    start = next((i for i, line in enumerate(lines) if header.fullmatch(line)), None)
    if start is None:
        lines += ([""] if lines else []) + table
    else:
        end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])), len(lines))
        lines[start:end] = table + ([""] if end < len(lines) else [])
    from app.agent.tools.atomic import write_atomically
    from app.agent.tools.stop import Stop

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, "\n".join(lines) + "\n", Stop())


def _line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears (quoted, for a rule), or 1."""
    lines = text.splitlines()
    for candidate in (json.dumps(needle), f"'{needle}'", needle):
        for number, line in enumerate(lines, 1):
            if candidate in line:
                return number
    return 1
