"""The Tool protocol and what a tool gets and gives back.

A tool is an object with a name, a description, a JSON schema for its
arguments and an async ``run``. It never raises for bad input: it returns a
:class:`ToolOutput` with ``is_error=True`` and a message the model can act on.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from app.agent.events.core import Event, ToolCallFinished, ToolStatus
from app.agent.tools.live_output import OutputSink, no_live_output
from app.agent.tools.sandbox import NO_ESCALATION, Escalation, Sandbox, default_sandbox
from app.agent.tools.scrub import NO_SCRUBBER, Scrubber


class ToolError(Exception):
    """Raised inside a tool for an expected failure; becomes an error result."""


@dataclass
class ToolContext:
    workspace: Path
    timeout_s: float = 120.0
    output_cap_chars: int = 30_000
    scrubber: Scrubber = NO_SCRUBBER  # secrets out of the output, before it is capped
    sandbox: Sandbox = field(default_factory=default_sandbox)  # where commands run (tools/sandbox.py)
    escalation: Escalation = NO_ESCALATION  # asks whether a command the sandbox blocked may run outside it
    live_output: OutputSink = no_live_output  # a running command's output, as it comes (tools/live_output.py)
    tool_call_id: str = ""  # the call being run (the task tool names its delegation's parent call by it)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolOutput:
    text: str
    is_error: bool = False
    exit_code: int | None = None
    timed_out: bool = False
    full_output: str | None = None  # set when ``text`` is a capped view of a larger output
    data: dict[str, Any] = field(default_factory=dict)  # e.g. {"path": ..., "diff": ...}
    announce: list[Event] = field(default_factory=list)  # emitted right after the call's ToolCallFinished
    poll: bool = False  # the call only read a running process's progress: the loop detector does not count repeats

    @property
    def truncated(self) -> bool:
        return self.full_output is not None


def finished_event(
    base: dict[str, Any],
    status: ToolStatus,
    text: str,
    *,
    output: ToolOutput | None = None,
    started: float | None = None,
    crashed: bool = False,
) -> ToolCallFinished:
    """The outcome of a call (``base``: its id, name, arguments, turn, step) that ran
    from ``started`` (a ``time.perf_counter()`` reading) until now. Without ``output``
    the harness refused or failed the call itself, and ``text`` is the error the model
    will read."""
    failed = status is not ToolStatus.OK
    return ToolCallFinished(
        **base,
        status=status,
        result=text if output is not None else f"Error: {text}",
        full_output=output.full_output if output else None,
        truncated=bool(output and output.truncated),
        error=(text if output is None else text[-500:]) if failed else None,
        exit_code=output.exit_code if output else None,
        duration_ms=(time.perf_counter() - started) * 1000 if started is not None else 0.0,
        crashed=crashed,
        poll=bool(output and output.poll),
    )


@runtime_checkable
class Tool(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema (type: object)
    side_effects: bool  # writes or executes: needs approval
    enforces_own_timeout: bool  # True: ``run`` stops itself after ``ctx.timeout_s`` (and cleans up)

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput: ...


@runtime_checkable
class Previews(Protocol):
    """A tool that can show what a call would do (e.g. the diff of an edit) before approval."""

    def preview(self, args: dict[str, Any], ctx: ToolContext) -> str: ...


async def run_with_timeout(tool: Tool, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
    """Run ``tool``, cancelled after ``ctx.timeout_s`` unless it enforces its own timeout."""
    if tool.enforces_own_timeout:
        return await tool.run(args, ctx)
    return await asyncio.wait_for(tool.run(args, ctx), timeout=ctx.timeout_s)


def openai_schema(tool: Tool) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }
