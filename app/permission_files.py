"""Permission rules in config files: the ``[permissions]`` table, read with file and line, written back.

User rules live in the configuration file (``$COCKPIT_HOME/config.toml``),
project rules in ``<workspace>/.cockpit/config.toml``; both hold::

    [permissions]
    allow = ["bash(git diff *)", "bash(pytest *)", "edit(src/**)", "read(**)"]
    deny = ["bash(git push *)", "read(.env)"]

A bad rule is a :class:`~app.settings.ConfigError` naming the file and the
line. :class:`ConfigRuleFile` writes "always for this project" rules into the
project file and removes rules from either file; it rewrites the
``[permissions]`` table only (comments inside that table are not kept) and
leaves the rest of the file as it was.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import ConfigError

if TYPE_CHECKING:
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


def load_rules(user_table: dict[str, Any], user_path: Path | None, workspace: Path) -> RuleSet:
    """The user's rules (already checked when the settings were read), then the project's."""
    from app.agent.permissions.rules import RuleSource

    user = user_path or Path("config.toml")
    rules = rules_from_table(user_table, user, "", RuleSource("user", str(user)))
    project = project_config(workspace)
    data, text = _read(project)
    other = sorted(set(data) - {"permissions"})
    if other:
        raise ConfigError(f"{project}: a project configuration holds only [permissions] (found {', '.join(other)}); "
                          "put other settings in the user configuration file")
    found = rules_from_table(data.get("permissions", {}), project, text, RuleSource("project", str(project)))
    rules.allow += found.allow
    rules.deny += found.deny
    return rules


class ConfigRuleFile:
    """Writes "always for this project" rules to the project file; removes rules from the file they came from."""

    def __init__(self, workspace: Path) -> None:
        self.path = project_config(workspace)

    def add(self, text: str, *, deny: bool = False) -> Rule:
        from app.agent.permissions.rules import RuleSource, parse_rule

        rule = parse_rule(text, RuleSource("project", str(self.path)))
        lists = self._lists(self.path)
        key = "deny" if deny else "allow"
        if rule.text not in lists[key]:
            lists[key].append(rule.text)
            _write_table(self.path, lists)
        return rule

    def remove(self, rule: Rule, *, deny: bool = False) -> None:
        path = Path(rule.source.path)
        lists = self._lists(path)
        key = "deny" if deny else "allow"
        kept = [t for t in lists[key] if not _same_rule(t, rule)]
        if len(kept) == len(lists[key]):
            raise ValueError(f"{rule.text} is no longer in {path}")
        lists[key] = kept
        _write_table(path, lists)

    def _lists(self, path: Path) -> dict[str, list[str]]:
        """The file's allow and deny lists; ValueError for a file Cockpit must not rewrite."""
        from app.agent.permissions.rules import RuleSource

        try:
            data, text = _read(path)
            table = data.get("permissions", {})
            rules_from_table(table, path, text, RuleSource("project", str(path)))
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if "permissions" in data and not any(_HEADER.fullmatch(line) for line in text.splitlines()):
            raise ValueError(f"{path}: write the rules as a [permissions] table so Cockpit can change them")
        return {key: list(table.get(key, [])) for key in KEYS}


def _same_rule(text: str, rule: Rule) -> bool:
    from app.agent.permissions.rules import RuleError, parse_rule

    try:
        return parse_rule(text).text == rule.text
    except RuleError:
        return False


def _read(path: Path) -> tuple[dict[str, Any], str]:
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
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    table = ["[permissions]"]
    for key in KEYS:
        if not lists[key]:
            table.append(f"{key} = []")
            continue
        table.append(f"{key} = [")
        table += [f"    {json.dumps(t, ensure_ascii=False)}," for t in lists[key]]
        table.append("]")
    start = next((i for i, line in enumerate(lines) if _HEADER.fullmatch(line)), None)
    if start is None:
        lines += ([""] if lines else []) + table
    else:
        end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])), len(lines))
        lines[start:end] = table + ([""] if end < len(lines) else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".config.", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears (quoted, for a rule), or 1."""
    lines = text.splitlines()
    for candidate in (json.dumps(needle), f"'{needle}'", needle):
        for number, line in enumerate(lines, 1):
            if candidate in line:
                return number
    return 1
