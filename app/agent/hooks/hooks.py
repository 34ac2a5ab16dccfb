"""What the core calls at each moment a hook may run, and what a hook's answer does.

* ``PreToolUse`` (after the call is validated, before its approval is asked): exit 2
  blocks the call; stderr is the reason the model reads.
* ``PostToolUse`` (after a call that succeeded): exit 2 adds stderr to the result the model reads.
* ``UserPromptSubmit`` (before a task reaches the model): exit 2 drops the task; the
  user sees stderr.
* ``Stop`` (the model answered without tool calls): exit 2 sends the agent on with stderr
  as the next message, at most ``STOP_NUDGES_PER_TURN`` times a turn.
* ``SessionStart`` (before the session's first task, ``startup`` or ``resume``).

A sub-agent's calls go through the same PreToolUse and PostToolUse hooks (:meth:`Hooks.for_child`).

Any other non-zero exit, a command that cannot start and a timeout are reported (a
``hook_ran`` event the transcript shows) and block nothing. The hooks of one moment run
side by side; their events are announced in the configured order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.agent.events import hooks as hk
from app.agent.events.core import Event
from app.agent.hooks.config import HooksConfig
from app.agent.hooks.run import HookResult, run_hook

STOP_NUDGES_PER_TURN = 3
TOOL_EVENTS = (hk.PRE_TOOL_USE, hk.POST_TOOL_USE)
NO_REASON = "(the hook gave no reason on stderr)"


class Hooks:
    def __init__(self, config: HooksConfig, *, emit: Callable[[Event], Any], workspace: Path,
                 session_id: str = "") -> None:
        self.config = config
        self.emit = emit
        self.workspace = workspace
        self.session_id = session_id
        self.started = False  # SessionStart ran
        self.nudges = (0, 0)  # (turn, how often a Stop hook sent the agent on in it)

    def for_child(self, emit: Callable[[Event], Any], session_id: str) -> Hooks:
        """A sub-agent's hooks: the same PreToolUse and PostToolUse hooks (a guard holds for every call), announced
        in the child's session; no UserPromptSubmit (its task is the parent model's), Stop or SessionStart."""
        tool_hooks = tuple(spec for spec in self.config.specs if spec.event in TOOL_EVENTS)
        return Hooks(HooksConfig(tool_hooks), emit=emit, workspace=self.workspace, session_id=session_id)

    async def pre_tool_use(self, name: str, arguments: dict[str, Any], tool_call_id: str, turn: int) -> str | None:
        """Why a hook blocks this call (for the model), or None."""
        reason = await self._tool_hook(hk.PRE_TOOL_USE, name, arguments, tool_call_id, turn)
        return None if reason is None else f"Blocked by a PreToolUse hook: {reason}"

    async def post_tool_use(self, name: str, arguments: dict[str, Any], tool_call_id: str, turn: int,
                            response: dict[str, Any]) -> str | None:
        """What a hook that exits 2 tells the model about this call's result, or None."""
        reason = await self._tool_hook(hk.POST_TOOL_USE, name, arguments, tool_call_id, turn, tool_response=response)
        return None if reason is None else f"[PostToolUse hook] {reason}"

    async def _tool_hook(self, event: str, name: str, arguments: dict[str, Any], tool_call_id: str, turn: int,
                         **more: Any) -> str | None:
        fields = {"tool_name": name, "tool_input": arguments, "tool_use_id": tool_call_id, **more}
        return _reason(await self._run(event, name, fields, turn=turn, tool_name=name, tool_call_id=tool_call_id))

    async def user_prompt_submit(self, prompt: str, turn: int) -> str | None:
        """Why a hook refuses this task (for the user), or None."""
        return _reason(await self._run(hk.USER_PROMPT_SUBMIT, "", {"prompt": prompt}, turn=turn))

    async def stop(self, turn: int) -> str | None:
        """The message that sends the agent on when a Stop hook exits 2, or None; after STOP_NUDGES_PER_TURN
        of them in a turn, the turn ends whatever the hooks say."""
        nudges = self.nudges[1] if self.nudges[0] == turn else 0
        if nudges >= STOP_NUDGES_PER_TURN or not self.config.matching(hk.STOP):
            return None
        reason = _reason(await self._run(hk.STOP, "", {"stop_hook_active": nudges > 0}, turn=turn))
        if reason is None:
            return None
        self.nudges = (turn, nudges + 1)
        return f"[Stop hook] {reason}"

    async def session_start(self, source: str) -> None:
        """Once per session, before its first task (``source``: startup or resume)."""
        if self.started:
            return
        self.started = True
        await self._run(hk.SESSION_START, source, {"source": source}, turn=0)

    async def _run(self, event: str, subject: str, fields: dict[str, Any], *, turn: int, tool_name: str = "",
                   tool_call_id: str = "") -> list[hk.HookRan]:
        specs = self.config.matching(event, subject)
        if not specs:
            return []
        payload = {"session_id": self.session_id, "cwd": str(self.workspace), "hook_event_name": event, **fields}
        stdin = json.dumps(payload, default=str).encode("utf-8")
        results = await asyncio.gather(*(run_hook(spec, stdin, self.workspace) for spec in specs))
        ran = []
        for spec, result in zip(specs, results):
            stdout, cut_out = hk.capped(result.stdout)
            stderr, cut_err = hk.capped(result.stderr)
            event_ran = hk.HookRan(hook_event=event, command=spec.command, outcome=_outcome(result),
                                   exit_code=result.exit_code, duration_ms=result.duration_ms,
                                   timeout_s=spec.timeout_s, turn=turn, tool_name=tool_name,
                                   tool_call_id=tool_call_id, stdout=stdout, stderr=stderr,
                                   truncated=cut_out or cut_err, error=result.error)
            self.emit(event_ran)
            ran.append(event_ran)
        return ran


def no_hooks() -> Hooks:
    """Hooks with none configured: every moment passes, nothing runs, nothing is announced."""
    return Hooks(HooksConfig(), emit=lambda event: None, workspace=Path("."))


def _outcome(result: HookResult) -> hk.HookOutcome:
    if result.timed_out:
        return hk.HookOutcome.TIMED_OUT
    if result.exit_code == 0:
        return hk.HookOutcome.OK
    return hk.HookOutcome.BLOCKED if result.exit_code == 2 else hk.HookOutcome.FAILED


def _reason(ran: list[hk.HookRan]) -> str | None:
    """The blocking hooks' stderr, joined; None when none blocked."""
    reasons = [(e.stderr.strip() or NO_REASON) for e in ran if e.blocked]
    return "\n".join(reasons) if reasons else None
