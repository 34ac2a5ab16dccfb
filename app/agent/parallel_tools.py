"""The tool calls of one reply: reads side by side, everything else one at a time.

A reply's calls run in the model's order, except that consecutive valid, distinct calls of tools
that may run concurrently (:func:`runs_concurrently`: no side effects, e.g. read_file, grep,
glob, list_dir) form a batch that runs at once, at most ``AgentConfig.parallel_tools`` at a time.
Each call still goes through the whole pipeline (``tool_pipeline``: validated, its breaker,
the deny rules, its own requested/started/finished events); a batch is settled (``Settle``:
answered in the conversation, then weighed by the breakers and the loop detector) in the
model's order once all its calls have finished, so the model reads the results in the order
it asked for them, whichever finished first. A call with side effects runs alone and is
settled before the next call starts: approvals are asked one by one, and a denial, an open
breaker or a halted loop weighs on what follows exactly as before. Within a batch every
call sees the breakers as they were when the batch started.

Cancelling (Esc, ``--max-time``) cancels every call of the batch, and each one that started
ends as ``cancelled``; one still waiting for its turn never started, and the loop closes it
as not run. All of it runs on the agent's event loop: the events keep one order, and the
bus numbers them as they come.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from app.agent.config import AgentConfig
from app.agent.events.core import ToolCallFinished
from app.agent.limits import TurnLimits
from app.agent.resilience.loop_detector import canonical_arguments
from app.agent.tool_ids import OpenCall
from app.agent.tool_pipeline import ToolPipeline
from app.agent.tools.base import Tool
from app.agent.tools.registry import InvalidCall, ToolRegistry

Settle = Callable[[Sequence[tuple[OpenCall, ToolCallFinished]]], None]


@runtime_checkable
class DeclaresParallel(Protocol):
    """A tool that says itself whether two of its calls may run at once (a read-only tool that
    is not, e.g. one behind a single connection, says ``parallel_safe = False``)."""

    parallel_safe: bool


def runs_concurrently(tool: Tool | None) -> bool:
    """Whether a call of ``tool`` may run beside others: it has no side effects and does not
    say otherwise. An unknown tool (None) runs alone; its call fails validation at once."""
    if tool is None or tool.side_effects:
        return False
    return tool.parallel_safe if isinstance(tool, DeclaresParallel) else True


def batches(calls: Sequence[OpenCall], tools: ToolRegistry) -> list[list[OpenCall]]:
    """The calls in the model's order, consecutive concurrent ones grouped, every other call alone.

    A call the harness refuses (unknown tool, bad arguments) and a repeat of a call already in
    the batch run alone too: they cost nothing, and the loop detector weighs them as before
    (three malformed calls, or the same call again and again, stop the turn before the rest runs)."""
    grouped: list[list[OpenCall]] = []
    batch: set[str] | None = None  # the keys of the calls in the last group, when it may grow
    for call in calls:
        key = concurrent_key(call, tools)
        if key is not None and batch is not None and key not in batch:
            grouped[-1].append(call)
            batch.add(key)
        else:
            grouped.append([call])
            batch = None if key is None else {key}
    return grouped


def concurrent_key(call: OpenCall, tools: ToolRegistry) -> str | None:
    """The call's tool and canonical arguments when it may join a batch, else None."""
    if not runs_concurrently(tools.get(call.name)):
        return None
    try:
        _, arguments = tools.resolve(call.name, call.arguments)
    except InvalidCall:
        return None
    return f"{call.name}\0{canonical_arguments(arguments)}"


async def run_calls(pipeline: ToolPipeline, calls: Sequence[OpenCall], config: AgentConfig, limits: TurnLimits,
                    settle: Settle) -> None:
    """Run a reply's calls (see the module docstring); ``settle`` gets each batch's results in order."""
    for batch in batches(calls, pipeline.tools):
        if len(batch) == 1:
            settle([(batch[0], await pipeline.run(batch[0], config, limits))])
        else:
            finished = await _run_batch(pipeline, batch, config, limits)
            settle(list(zip(batch, finished)))


async def _run_batch(pipeline: ToolPipeline, batch: Sequence[OpenCall], config: AgentConfig,
                     limits: TurnLimits) -> list[ToolCallFinished]:
    """Every call of ``batch`` at once (at most ``config.parallel_tools`` running); their results in order."""
    slots = asyncio.Semaphore(config.parallel_tools)

    async def one(call: OpenCall) -> ToolCallFinished:
        async with slots:
            return await pipeline.run(call, config, limits)

    try:
        async with asyncio.TaskGroup() as group:  # cancelled, it cancels every call and waits for their ends
            tasks = [group.create_task(one(call)) for call in batch]
    except BaseExceptionGroup as failed:  # a harness bug in one call: raised as it would be alone
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]
