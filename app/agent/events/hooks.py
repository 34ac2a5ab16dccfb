"""The ``hook_ran`` event: one run of a user's hook command, and its transcript line.

Hooks (``app.agent.hooks``) are shell commands the user configured for moments of a
session (``PreToolUse``, ``PostToolUse``, ``UserPromptSubmit``, ``Stop``,
``SessionStart``). Every run is announced as :class:`HookRan`, stored like every
event and folded into the transcript by ``transcript_view`` (:func:`hook_line`): a
hook that blocked, failed or timed out is a line; one that ran quietly is not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from app.agent.events.core import Event
from app.agent.events.format import duration

PRE_TOOL_USE = "PreToolUse"
POST_TOOL_USE = "PostToolUse"
USER_PROMPT_SUBMIT = "UserPromptSubmit"
STOP = "Stop"
SESSION_START = "SessionStart"
HOOK_EVENTS = (PRE_TOOL_USE, POST_TOOL_USE, USER_PROMPT_SUBMIT, STOP, SESSION_START)

OUTPUT_CAP_CHARS = 2_000  # of a hook's stdout and stderr kept in the event


class HookOutcome(str, enum.Enum):
    OK = "ok"  # exit code 0
    BLOCKED = "blocked"  # exit code 2: the moment's action is blocked (stderr says why)
    FAILED = "failed"  # another exit code, or the command could not start: reported, never blocks
    TIMED_OUT = "timed_out"  # killed (with its process group) after its timeout: reported, never blocks


@dataclass(kw_only=True)
class HookRan(Event):
    type: ClassVar[str] = "hook_ran"
    hook_event: str  # one of HOOK_EVENTS
    command: str
    outcome: HookOutcome = HookOutcome.OK
    exit_code: int | None = None  # None: it timed out or never started
    duration_ms: float = 0.0
    timeout_s: float = 0.0
    turn: int = 0
    tool_name: str = ""  # PreToolUse / PostToolUse: the call's tool
    tool_call_id: str = ""
    stdout: str = ""  # at most OUTPUT_CAP_CHARS (the end of it)
    stderr: str = ""  # at most OUTPUT_CAP_CHARS (the end of it): the reason of a block
    truncated: bool = False  # stdout or stderr was longer
    error: str = ""  # why it could not start, when it did not

    def __post_init__(self) -> None:
        self.outcome = HookOutcome(self.outcome)  # a stored row gives the value

    @property
    def blocked(self) -> bool:
        return self.outcome is HookOutcome.BLOCKED


def capped(text: str) -> tuple[str, bool]:
    """The end of a hook's output, at most OUTPUT_CAP_CHARS, and whether it was cut."""
    if len(text) <= OUTPUT_CAP_CHARS:
        return text, False
    return "…" + text[-(OUTPUT_CAP_CHARS - 1):], True


def hook_line(e: HookRan) -> tuple[str, str, str] | None:
    """The transcript's line for a run (text, detail, level), or None for one that ran quietly:
    ``PreToolUse hook blocked bash · exit 2 · 0.01s`` over the hook's reason."""
    if e.outcome is HookOutcome.OK:
        return None
    what = f"{e.hook_event} hook"
    target = f" {e.tool_name}" if e.tool_name else ""
    if e.outcome is HookOutcome.BLOCKED:
        head = {STOP: f"{what} sent the agent on", SESSION_START: f"{what} exited 2 (a session start cannot be blocked)",
                POST_TOOL_USE: f"{what} added a note to {e.tool_name or 'the tool'}'s result (the call ran)",
                }.get(e.hook_event, f"{what} blocked{target}")
    elif e.outcome is HookOutcome.TIMED_OUT:
        head = f"{what} timed out after {duration(e.timeout_s)} (not blocking)"
    else:
        head = f"{what} failed (not blocking)"
    facts = [f"exit {e.exit_code}" if e.exit_code is not None else "", duration(e.duration_ms / 1000)]
    text = " · ".join([head, *(f for f in facts if f)])
    detail = (e.error or e.stderr or e.stdout).strip()
    return text, f"{e.command}: {detail}" if detail else e.command, "warning"
