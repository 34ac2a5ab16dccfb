"""Idempotency for side-effecting tools (write_file, edit_file, bash).

An effect carries a key built from the session, the tool, its canonical
arguments and a precondition (for file tools: the target file's hash before the
change). A ledger records the key as ``pending`` before the effect and ``done``
with the result after it. Running the same key again replays the recorded
result instead of applying the effect twice; the same key with different
arguments is an :class:`IdempotencyConflict`; a key left ``pending`` (the effect
started, its outcome is unknown) is an :class:`IdempotencyPending`, never a
silent re-run. Bash commands are never retried automatically.

The ledger itself is storage: :class:`MemoryLedger` here, ``SqliteLedger`` in
``storage/resilience.py``. Both satisfy :class:`IdempotencyLedger`; the rules
above live once, in :class:`IdempotencyGuard`. The loop runs every tool call
through an invoker: :class:`OnceOnlyInvoker` sends side effects through a
ledger, :class:`DirectInvoker` (no ledger configured) runs every call as is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.agent.resilience.errors import IdempotencyConflict, IdempotencyPending
from app.agent.resilience.loop_detector import canonical_arguments
from app.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, run_with_timeout
from app.agent.tools.workspace import resolve_in_workspace

PENDING = "pending"
DONE = "done"

SIDE_EFFECT_TOOLS = frozenset({"write_file", "edit_file", "bash"})
NEVER_RETRIED_TOOLS = frozenset({"bash"})


def may_retry_tool(name: str) -> bool:
    """Whether the harness may repeat a tool call on its own (bash: never)."""
    return name not in NEVER_RETRIED_TOOLS


def arguments_digest(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_arguments(arguments).encode()).hexdigest()


def idempotency_key(session_id: str, tool: str, arguments: dict[str, Any], precondition: str = "") -> str:
    """The key of one effect: session, tool, canonical arguments and precondition."""
    material = "\0".join((session_id, tool, canonical_arguments(arguments), precondition))
    return hashlib.sha256(material.encode()).hexdigest()


def file_precondition(path: str | Path) -> str:
    """The state an edit starts from: the file's sha256, or ``absent``."""
    if Path(path).exists() and not Path(path).is_file():  # never open a FIFO: that blocks the event loop
        return "not-a-regular-file"
    try:
        return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return "absent"


class LedgerEntry(Protocol):
    key: str
    session_id: str
    tool: str
    args_digest: str
    status: str  # pending | done
    result: dict[str, Any] | None


class IdempotencyLedger(Protocol):
    """Plain storage of keys; it enforces nothing (see :class:`IdempotencyGuard`)."""

    def reserve(
        self, key: str, *, session_id: str, tool: str, args_digest: str, tool_call_id: str = ""
    ) -> LedgerEntry | None:
        """Record ``key`` as pending (reserved by ``tool_call_id``) and return None; if the key
        exists, return its entry unchanged."""
        ...

    def complete(self, key: str, result: dict[str, Any]) -> None:
        """Mark ``key`` done with the effect's result (a JSON-friendly dict)."""
        ...

    def get(self, key: str) -> LedgerEntry | None: ...

    def for_call(self, session_id: str, tool_call_id: str) -> LedgerEntry | None:
        """The entry the tool call reserved (its latest), or None: the call never started its effect."""
        ...


@dataclass
class MemoryEntry:
    key: str
    session_id: str
    tool: str
    args_digest: str
    status: str = PENDING
    result: dict[str, Any] | None = None
    tool_call_id: str = ""


class MemoryLedger:
    """An in-memory ledger, for tests and runs without a database."""

    def __init__(self) -> None:
        self._entries: dict[str, MemoryEntry] = {}

    def reserve(
        self, key: str, *, session_id: str, tool: str, args_digest: str, tool_call_id: str = ""
    ) -> MemoryEntry | None:
        existing = self._entries.get(key)
        if existing is not None:
            return existing
        self._entries[key] = MemoryEntry(key=key, session_id=session_id, tool=tool, args_digest=args_digest,
                                         tool_call_id=tool_call_id)
        return None

    def complete(self, key: str, result: dict[str, Any]) -> None:
        entry = self._entries[key]
        entry.status = DONE
        entry.result = dict(result)

    def get(self, key: str) -> MemoryEntry | None:
        return self._entries.get(key)

    def for_call(self, session_id: str, tool_call_id: str) -> MemoryEntry | None:
        found = [e for e in self._entries.values() if (e.session_id, e.tool_call_id) == (session_id, tool_call_id)]
        return found[-1] if found else None


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    replayed: bool  # True: the recorded result of an earlier run, the effect was not applied


class IdempotencyGuard:
    """Applies an effect at most once per key."""

    def __init__(self, ledger: IdempotencyLedger) -> None:
        self.ledger = ledger

    async def run_once(
        self,
        key: str,
        *,
        session_id: str,
        tool: str,
        arguments: dict[str, Any],
        effect: Callable[[], Awaitable[dict[str, Any]]],
        tool_call_id: str = "",
    ) -> Outcome:
        digest = arguments_digest(arguments)
        existing = self.ledger.reserve(key, session_id=session_id, tool=tool, args_digest=digest,
                                       tool_call_id=tool_call_id)
        if existing is not None:
            return Outcome(result=self._replay(existing, tool=tool, digest=digest), replayed=True)
        result = await effect()
        self.ledger.complete(key, result)
        return Outcome(result=result, replayed=False)

    def _replay(self, entry: LedgerEntry, *, tool: str, digest: str) -> dict[str, Any]:
        if entry.tool != tool or entry.args_digest != digest:
            raise IdempotencyConflict(
                f"Idempotency key {entry.key[:12]}… was already used by `{entry.tool}` with different "
                "arguments; refusing to apply this effect."
            )
        if entry.status != DONE or entry.result is None:
            raise IdempotencyPending(
                f"`{tool}` with these arguments was started before and its outcome is unknown; "
                "not applying it again. Check the workspace and decide."
            )
        return dict(entry.result)


class DirectInvoker:
    """Runs every tool call as is: there is no ledger to remember effects."""

    async def invoke(self, tool: Tool, args: dict[str, Any], ctx: ToolContext, tool_call_id: str) -> ToolOutput:
        return await run_with_timeout(tool, args, ctx)

    def recorded_effect(self, tool_call_id: str) -> LedgerEntry | None:
        """Nothing is remembered without a ledger."""
        return None


class OnceOnlyInvoker:
    """Side effects go through the idempotency ledger: the same call never applies twice."""

    def __init__(self, ledger: IdempotencyLedger, session_id: str) -> None:
        self.guard = IdempotencyGuard(ledger)
        self.session_id = session_id

    async def invoke(self, tool: Tool, args: dict[str, Any], ctx: ToolContext, tool_call_id: str) -> ToolOutput:
        if not tool.side_effects:
            return await run_with_timeout(tool, args, ctx)
        precondition = tool_call_id
        if "path" in args:
            precondition += "|" + file_precondition(resolve_in_workspace(ctx.workspace, str(args["path"])))
        key = idempotency_key(self.session_id, tool.name, args, precondition)

        async def effect() -> dict[str, Any]:
            out = await run_with_timeout(tool, args, ctx)
            return {"text": out.text, "is_error": out.is_error, "exit_code": out.exit_code,
                    "timed_out": out.timed_out, "full_output": out.full_output, "tool_call_id": tool_call_id}

        try:
            outcome = await self.guard.run_once(
                key, session_id=self.session_id, tool=tool.name, arguments=args, effect=effect,
                tool_call_id=tool_call_id,
            )
        except (IdempotencyConflict, IdempotencyPending) as exc:
            raise ToolError(str(exc)) from exc
        r = outcome.result
        text = r["text"] if not outcome.replayed else f"[already applied; recorded result]\n{r['text']}"
        return ToolOutput(text=text, is_error=r["is_error"], exit_code=r["exit_code"], timed_out=r["timed_out"],
                          full_output=r.get("full_output"))

    def recorded_effect(self, tool_call_id: str) -> LedgerEntry | None:
        """What the ledger knows of this call's effect: None (never started), pending or done."""
        return self.guard.ledger.for_call(self.session_id, tool_call_id)
