"""One tool call, from the model's request to its announced end.

    requested → validated → breaker closed? → approved? → run once → finished

Every path ends with exactly one ToolCallFinished: a validation error, an open
breaker, a denial, a timeout, a crash and a cancellation are results for the
model, never a crash of the loop. A cancellation (the user, or the ``--max-time``
deadline) is announced as ``cancelled`` and then propagates.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.agent.approvals import ApprovalPolicy
from app.agent.checkpoints.recorder import Checkpointer, NoCheckpoints
from app.agent.collaborators import Emit, ResilienceLayer, ToolInvoker
from app.agent.config import AgentConfig
from app.agent.errors import describe
from app.agent.events import core as ev
from app.agent.hooks.hooks import Hooks, no_hooks
from app.agent.limits import TurnLimits
from app.agent.tool_ids import FINISHED, REQUESTED, OpenCall
from app.agent.tools.base import ToolContext, ToolError, ToolOutput, finished_event
from app.agent.tools.live_output import OutputDeltas
from app.agent.tools.registry import InvalidCall, ToolRegistry, server_of
from app.agent.tools.sandbox import Sandbox
from app.agent.tools.sandbox_escalation import ApprovalEscalation
from app.agent.tools.scrub import Scrubber


@dataclass
class ToolPipeline:
    tools: ToolRegistry
    approvals: ApprovalPolicy
    resilience: ResilienceLayer
    invoker: ToolInvoker
    emit: Emit
    workspace: Path
    scrubber: Scrubber
    sandbox: Sandbox
    checkpoints: Checkpointer = field(default_factory=NoCheckpoints)  # the session's, set by ``Session``
    hooks: Hooks = field(default_factory=no_hooks)  # the user's PreToolUse / PostToolUse hooks (``app.agent.hooks``)

    async def run(self, call: OpenCall, config: AgentConfig, limits: TurnLimits) -> ev.ToolCallFinished:
        base: dict[str, Any] = dict(tool_call_id=call.id, name=call.name, arguments_raw=call.arguments,
                                    turn=call.turn, step=call.step)
        self.emit(ev.ToolCallRequested(**base, id_from_model=call.reused_id, started_by=call.started_by))
        call.announced = REQUESTED
        try:
            finished = await self._execute(call, base, config, limits)
        except asyncio.CancelledError:  # announced as cancelled before it propagates
            call.announced = FINISHED
            raise
        call.announced = FINISHED
        return finished

    async def _execute(self, call: OpenCall, base: dict[str, Any], config: AgentConfig,
                       limits: TurnLimits) -> ev.ToolCallFinished:
        try:
            tool, args = self.tools.resolve(call.name, call.arguments)
        except InvalidCall as exc:
            return self._finish({**base, "arguments": exc.arguments}, ev.ToolStatus.VALIDATION_ERROR, str(exc))
        base = {**base, "arguments": args, "server": server_of(tool)}
        self.emit(ev.ToolCallValidated(tool_call_id=call.id, name=call.name, arguments=args))
        ctx = ToolContext(workspace=self.workspace, timeout_s=config.tool_timeout_s,
                          output_cap_chars=config.output_cap_chars, scrubber=self.scrubber, sandbox=self.sandbox,
                          escalation=ApprovalEscalation(self.approvals.human, call.id, self.emit),
                          live_output=OutputDeltas(self.emit, call.id), tool_call_id=call.id)
        reason = self.resilience.tool_breaker_open(self.tools.breaker_name(call.name), emit=self.emit)
        if reason:
            return self._finish(base, ev.ToolStatus.TOOL_ERROR, f"{call.name} is temporarily disabled: {reason}")
        try:  # the user's PreToolUse hooks, before the approval is asked (as in Claude Code)
            blocked = await self.hooks.pre_tool_use(call.name, args, call.id, call.turn)
        except asyncio.CancelledError:
            self._finish(base, ev.ToolStatus.CANCELLED, limits.reason("interrupted while a PreToolUse hook ran"))
            raise
        if blocked is not None:
            return self._finish(base, ev.ToolStatus.DENIED, blocked)
        if self.approvals.reviews(tool):
            try:
                denied = await self.approvals.review(tool, args, ctx, tool_call_id=call.id, emit=self.emit)
            except asyncio.CancelledError:  # interrupted while the user was being asked
                self._finish(base, ev.ToolStatus.CANCELLED, limits.reason("interrupted while waiting for approval"))
                raise
            if denied is not None:
                return self._finish(base, ev.ToolStatus.DENIED, denied)
        self.emit(ev.ToolCallStarted(tool_call_id=call.id, name=call.name))
        started = time.perf_counter()
        try:
            async with self.checkpoints.watch(tool, args, ctx):  # the files it changes, kept first
                output = await self.invoker.invoke(tool, args, ctx, call.id)
        except asyncio.CancelledError:
            self._finish(base, ev.ToolStatus.CANCELLED, limits.reason("cancelled by the user"), started=started)
            raise
        except ToolError as exc:
            return self._finish(base, ev.ToolStatus.TOOL_ERROR, str(exc), started=started)
        except asyncio.TimeoutError:
            message = f"{call.name} timed out after {ctx.timeout_s:.0f} s"
            return self._finish(base, ev.ToolStatus.TIMEOUT, message, started=started)
        except Exception as exc:  # a tool crash is a result for the model, never a crash of the loop
            message = f"{call.name} crashed: {describe(exc)}"
            return self._finish(base, ev.ToolStatus.TOOL_ERROR, message, started=started, crashed=True)
        status = ev.ToolStatus.TOOL_ERROR if output.is_error else ev.ToolStatus.OK
        status = ev.ToolStatus.TIMEOUT if output.timed_out else status
        finished = finished_event(base, status, output.text, output=output, started=started)
        if status is not ev.ToolStatus.OK:  # PostToolUse hooks follow calls that succeeded, as in Claude Code
            return self._announce(finished, output)
        response = {"output": finished.result, "exit_code": finished.exit_code}
        try:
            told = await self.hooks.post_tool_use(call.name, args, call.id, call.turn, response)
        except asyncio.CancelledError:  # the call ran: its result stands
            self._announce(finished, output)
            raise
        return self._announce(replace(finished, result=f"{finished.result}\n\n{told}") if told else finished, output)

    def _finish(self, base: dict[str, Any], status: ev.ToolStatus, text: str, *, output: ToolOutput | None = None,
                started: float | None = None, crashed: bool = False) -> ev.ToolCallFinished:
        return self._announce(finished_event(base, status, text, output=output, started=started, crashed=crashed),
                              output)

    def _announce(self, event: ev.ToolCallFinished, output: ToolOutput | None) -> ev.ToolCallFinished:
        self.emit(event)
        for announced in output.announce if output is not None else ():  # e.g. todo_write's list
            self.emit(announced)
        return event
