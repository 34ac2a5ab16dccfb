"""The ``[hooks]`` table: which command runs at which moment, for which tools.

::

    [[hooks.PreToolUse]]
    matcher = "bash|write_file"   # a regular expression over the whole tool name; "" or "*": every tool
    command = "./scripts/check-call.sh"
    timeout = 10                  # seconds (default 60)

``matcher`` applies to ``PreToolUse`` and ``PostToolUse`` (the tool's name) and to
``SessionStart`` (``startup`` or ``resume``); ``UserPromptSubmit`` and ``Stop`` take none.
Claude Code's nested form is read too: ``matcher`` and ``hooks = [{type = "command",
command = "...", timeout = 10}]`` in one entry.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.agent.events.hooks import HOOK_EVENTS, USER_PROMPT_SUBMIT, STOP

DEFAULT_TIMEOUT_S = 60.0
KEYS = {"matcher", "command", "timeout"}
UNMATCHED = (USER_PROMPT_SUBMIT, STOP)  # moments without a subject to match


@dataclass(frozen=True)
class HookSpec:
    event: str
    command: str
    matcher: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S

    def matches(self, subject: str) -> bool:
        if self.matcher in ("", "*"):
            return True
        return re.fullmatch(self.matcher, subject) is not None


@dataclass(frozen=True)
class HooksConfig:
    specs: tuple[HookSpec, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HooksConfig:
        """Read the table; ValueError saying what is wrong and where (``PreToolUse[1]: ...``)."""
        unknown = sorted(set(data) - set(HOOK_EVENTS))
        if unknown:
            raise ValueError(f"unknown hook event(s) {', '.join(unknown)}; {_hint(unknown)}")
        specs = []
        for event in HOOK_EVENTS:
            entries = data.get(event, [])
            if not isinstance(entries, list):
                raise ValueError(f"{event} must be a list of tables ([[hooks.{event}]])")
            for i, entry in enumerate(entries, start=1):
                specs += _specs(event, f"{event}[{i}]", entry)
        return cls(tuple(specs))

    def matching(self, event: str, subject: str = "") -> list[HookSpec]:
        return [spec for spec in self.specs if spec.event == event and spec.matches(subject)]


def _hint(unknown: list[str]) -> str:
    """``did you mean PreToolUse?`` for each misspelt event that is close to one (case aside), else the list."""
    by_lower = {event.lower(): event for event in HOOK_EVENTS}
    close = [difflib.get_close_matches(name.lower(), sorted(by_lower), n=1) for name in unknown]
    meant = [by_lower[match[0]] for match in close if match]
    known = f"known: {', '.join(HOOK_EVENTS)}"
    return f"did you mean {', '.join(meant)}? ({known})" if meant else known


def _specs(event: str, where: str, entry: Any) -> list[HookSpec]:
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a table with command (and matcher, timeout)")
    if "hooks" not in entry:
        return [_spec(event, where, entry)]
    if set(entry) - {"matcher", "hooks"} or not isinstance(entry["hooks"], list):
        raise ValueError(f"{where}: with hooks = [...] (Claude Code's form) an entry holds only matcher and hooks")
    matcher = entry.get("matcher", "")
    for i, inner in enumerate(entry["hooks"], start=1):
        if not isinstance(inner, dict) or inner.get("type", "command") != "command":
            raise ValueError(f"{where}.hooks[{i}]: only command hooks run here (type = \"command\")")
    return [_spec(event, f"{where}.hooks[{i}]", {**{k: v for k, v in inner.items() if k != "type"}, "matcher": matcher})
            for i, inner in enumerate(entry["hooks"], start=1)]


def _spec(event: str, where: str, entry: dict[str, Any]) -> HookSpec:
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    command, matcher, timeout = entry.get("command"), entry.get("matcher", ""), entry.get("timeout", DEFAULT_TIMEOUT_S)
    if not isinstance(command, str) or not command.strip():
        raise ValueError(f"{where}: command must be a non-empty string (a shell command line)")
    if not isinstance(matcher, str):
        raise ValueError(f"{where}: matcher must be a string (a regular expression over the tool name)")
    if matcher and event in UNMATCHED:
        raise ValueError(f"{where}: {event} hooks take no matcher")
    if matcher not in ("", "*"):
        try:
            re.compile(matcher)
        except re.error as exc:
            raise ValueError(f"{where}: matcher {matcher!r} is not a regular expression ({exc})") from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"{where}: timeout must be a positive number of seconds (got {timeout!r})")
    return HookSpec(event, command, matcher, float(timeout))
