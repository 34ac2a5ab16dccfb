"""The agent loop. Read it top to bottom:

    task → model call → tool calls (validated, approved, run) → results → next call

until the model answers without tool calls, a limit is hit, or the user
interrupts. Every step is announced as an event; the loop knows no sink.
Collaborators (``app.agent.collaborators``) are Protocols; one not configured is
a null object that does nothing, so the loop never asks whether it is there.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.agent.approvals import ApprovalPolicy
from app.agent.collaborators import Budget, Emit, LoopDetection, Messages, NoBudget, NoLoopDetector, NoResilience
from app.agent.collaborators import ResilienceLayer, Summarizer, ToolInvoker, Verdict
from app.agent.config import AgentConfig
from app.agent.errors import AgentStop, LimitExceeded, LoopHalted, ModelFailed, describe
from app.agent.events import core as ev
from app.agent.limits import TurnLimits
from app.agent.model import Model, ModelReply, RawToolCall
from app.agent.model_call import stream_announced
from app.agent.resilience.classify import classify_model_error
from app.agent.resilience.errors import ContextWindowExceeded, ResilienceError, RetryBudgetExhausted
from app.agent.resilience.idempotency import DirectInvoker, IdempotencyLedger, OnceOnlyInvoker
from app.agent.resilience.unanswered_calls import close_unanswered
from app.agent.tool_ids import ToolCallIds
from app.agent.tools.base import ToolContext, ToolError, ToolOutput, finished_event
from app.agent.tools.sandbox import Sandbox, default_sandbox
from app.agent.tools.sandbox_escalation import ApprovalEscalation
from app.agent.tools.scrub import NO_SCRUBBER, Scrubber
from app.agent.tools.registry import InvalidCall, ToolRegistry, default_tools


MAX_CONTINUATIONS = 2  # an answer cut off at the output limit is continued at most this often
CONTINUE = "[Cockpit harness] Your answer was cut off at the output-token limit. Continue exactly where it stopped."


@dataclass
class TurnResult:
    outcome: str  # completed | interrupted | failed | limit
    answer: str = ""
    steps: int = 0
    message: str = ""
    cut_offs: int = 0  # answers that stopped at the output-token limit


class Agent:
    def __init__(
        self,
        *,
        model: Model, emit: Emit, workspace: Path, approvals: ApprovalPolicy,
        tools: ToolRegistry | None = None,  # None: the built-in tools
        config: AgentConfig | None = None,
        messages: Messages | None = None,  # a resumed conversation
        budget: Budget | None = None, resilience: ResilienceLayer | None = None,
        loop_detector: LoopDetection | None = None,
        summarizer: Summarizer | None = None,  # for compaction; None: the budget's fallback summary
        fallback_model: Model | None = None,
        ledger: IdempotencyLedger | None = None,  # side effects apply at most once
        session_id: str = "",
        scrubber: Scrubber = NO_SCRUBBER,  # secrets out of tool output before it is capped
        sandbox: Sandbox | None = None,  # where commands run; None: the default configuration's
    ) -> None:
        self.model = model
        self.tools = tools if tools is not None else default_tools()
        self.emit = emit
        self.workspace = workspace
        self.approvals = approvals
        self.config = config or AgentConfig()
        self.messages: Messages = list(messages or [])
        self.has_budget = budget is not None  # the panes tell the user when a session has none
        self.budget: Budget = budget if budget is not None else NoBudget()
        self.resilience: ResilienceLayer = resilience if resilience is not None else NoResilience()
        self.loop_detector: LoopDetection = loop_detector if loop_detector is not None else NoLoopDetector()
        self.summarizer = summarizer
        self.fallback_model = fallback_model
        self.scrubber = scrubber
        self.sandbox = sandbox if sandbox is not None else default_sandbox()
        self.invoker: ToolInvoker = OnceOnlyInvoker(ledger, session_id) if ledger is not None else DirectInvoker()
        self._last_call: tuple[str, str, dict[str, Any]] | None = None  # (row id, model, usage) of the last reply
        self.turn = sum(1 for m in self.messages if m.get("role") == "user")
        self.tool_ids = ToolCallIds(self.messages)  # one per call, even when the model reuses an id
        self.total_cost_usd = 0.0
        self.step = 0

    # --- one task ------------------------------------------------------------

    async def run_turn(self, user_text: str) -> TurnResult:
        self.turn += 1
        self.limits = TurnLimits(self.config)  # --max-time cancels whatever runs when it expires
        self.emit(ev.TurnStarted(turn=self.turn, user_text=user_text))
        self._close_open_tool_calls("Cockpit stopped before the turn finished")  # a resumed crash
        self.append_message({"role": "user", "content": user_text})
        self.loop_detector.start_turn()
        result = TurnResult(outcome="completed")
        try:
            async with self.limits:
                while True:
                    self.limits.check(result.steps, self.total_cost_usd)
                    result.steps += 1
                    self.step += 1
                    reply = await self._call_model(result.steps)
                    self.append_message(reply.as_message())
                    self._observe_reply(reply)
                    if not reply.tool_calls:
                        result.answer += reply.text
                        if not reply.cut_off:
                            break
                        self._continue_cut_off(result)
                        continue
                    if reply.cut_off:
                        self._notice("The answer was cut off at the output-token limit; "
                                     "its tool calls may be incomplete.")
                    for call in reply.tool_calls:
                        await self._run_tool(call, result.steps)
        except asyncio.CancelledError:
            result.outcome = "interrupted"
            self._close_open_tool_calls("interrupted by the user")
            self.emit(ev.Interrupted(turn=self.turn))
        except AgentStop as stop:  # a limit, a halted loop, a failed model call
            if isinstance(stop, LoopHalted):
                self._charge_last("loop_killed")
            result.outcome, result.message = stop.outcome, str(stop)
            self._close_open_tool_calls(str(stop))
            self.emit(stop.event())
        self.emit(ev.TurnFinished(turn=self.turn, outcome=result.outcome, steps=result.steps, answer=result.answer))
        return result

    def _continue_cut_off(self, result: TurnResult) -> None:
        """An answer stopped at the output-token limit: ask for the rest, at most MAX_CONTINUATIONS times."""
        result.cut_offs += 1
        if result.cut_offs > MAX_CONTINUATIONS:
            raise LimitExceeded("output_tokens", MAX_CONTINUATIONS, result.cut_offs,
                                f"the answer was still cut off at the output-token limit after {MAX_CONTINUATIONS} "
                                "continuations; raise [agent] max_output_tokens or ask for a shorter answer")
        self._notice(f"The answer was cut off at the output-token limit; asking the model to continue "
                     f"({result.cut_offs} of {MAX_CONTINUATIONS}).")
        self.append_message({"role": "user", "content": CONTINUE})

    def _notice(self, message: str) -> None:
        self.emit(ev.Notice(level="warning", message=message))

    # --- the model -------------------------------------------------------------

    async def _call_model(self, step: int) -> ModelReply:
        await self._prepare_context(force=False, reason="threshold")
        logical_id = f"mc_{uuid.uuid4().hex[:12]}"

        def attempt_with(model: Model, tag: str) -> Callable[[int], Awaitable[ModelReply]]:
            return lambda n: self._attempt(model, step, n, f"{logical_id}.{tag}{n}")

        backup = self.fallback_model
        for context_retry in range(2):
            try:
                return await self.resilience.call_model(
                    self.model.name, attempt_with(self.model, ""), emit=self.emit, call_id=logical_id,
                    fallback=attempt_with(backup, "f") if backup else None,
                    fallback_target=backup.name if backup else None,
                )
            except ContextWindowExceeded as exc:
                # Never a blind retry: compact, then try once more.
                if context_retry == 1 or not await self._prepare_context(force=True, reason="context_exceeded"):
                    raise ModelFailed(f"the conversation no longer fits the model's window: {exc}") from exc
            except RetryBudgetExhausted as exc:
                raise LimitExceeded("retry_budget", exc.capacity, exc.level, str(exc)) from exc
            except ResilienceError as exc:
                raise ModelFailed(str(exc)) from exc
        raise AssertionError("unreachable")

    async def _attempt(self, model: Model, step: int, attempt: int, call_id: str) -> ModelReply:
        estimate = self._estimate()
        try:
            reply = await stream_announced(model, self.messages, self.tools.schemas(), emit=self.emit, call_id=call_id,
                                           turn=self.turn, step=step, attempt=attempt, estimate=estimate)
        except BaseException as exc:
            if estimate and not isinstance(exc, asyncio.CancelledError) and classify_model_error(exc).request_sent:
                # The prompt went out and was paid for nothing (as far as we can tell).
                self.resilience.charge_resent(call_id=call_id, model=model.name, prompt_tokens=estimate, emit=self.emit)
            raise
        self.total_cost_usd += reply.cost_usd
        self._last_call = (call_id, model.name, ev.plain(reply.usage))
        usage = reply.usage
        if estimate is not None and usage.reported:
            self.budget.record_usage(model.name, estimate, usage.prompt_tokens, usage.cached_tokens,
                                     usage.cache_write_tokens, emit=self.emit, call_id=call_id)
        return reply

    def _charge_last(self, reason: str) -> None:
        """The retry tax: the last reply's tokens were thrown away."""
        if self._last_call is not None:
            call_id, model, usage = self._last_call
            self.resilience.charge_discarded(call_id=call_id, model=model, usage=usage, reason=reason, emit=self.emit)

    def _estimate(self) -> int | None:
        tools, max_output = self.tools.schemas(), self.config.max_output_tokens
        snapshot = self.budget.measure(self.messages, tools, max_output_tokens=max_output)
        return None if snapshot is None else int(snapshot.estimated_prompt_tokens)

    async def compact(self, *, reason: str = "manual") -> bool:
        """Run the compaction ladder now (the "compact now" command); True if anything changed."""
        return await self._prepare_context(force=True, reason=reason)

    async def _prepare_context(self, *, force: bool, reason: str) -> bool:
        """Let the budget measure the window and compact it when needed."""
        tools, max_output = self.tools.schemas(), self.config.max_output_tokens
        replaced = await self.budget.prepare(self.messages, tools, emit=self.emit, summarize=self.summarizer,
                                             force=force, reason=reason, max_output_tokens=max_output, turn=self.turn)
        if replaced is None:
            return False
        self.replace_messages(replaced, reason=reason)
        return True

    def _observe_reply(self, reply: ModelReply) -> None:
        tool_calls = [c.as_message_part() for c in reply.tool_calls]
        self._act_on(self.loop_detector.observe_model_response(reply.text, tool_calls))

    # --- tools -------------------------------------------------------------------

    async def _run_tool(self, sent: RawToolCall, step: int) -> None:
        call = replace(sent, id=self.tool_ids.claim(sent.id))  # the conversation keeps the model's id
        base: dict[str, Any] = dict(tool_call_id=call.id, name=call.name, arguments_raw=call.arguments, turn=self.turn,
                                    step=step)
        self.emit(ev.ToolCallRequested(**base, id_from_model=sent.id if call.id != sent.id else None))
        finished = await self._execute_tool(call, base)
        self.append_message({"role": "tool", "tool_call_id": sent.id, "content": finished.result})
        status = finished.status.value
        self.resilience.record_tool_outcome(call.name, status, exit_code=finished.exit_code, crashed=finished.crashed,
                                            emit=self.emit)
        if finished.status is ev.ToolStatus.VALIDATION_ERROR and finished.arguments is None:
            self._charge_last("malformed_tool_call")
        arguments = finished.arguments or {"_raw": call.arguments}
        self._act_on(self.loop_detector.observe_tool(call.name, arguments, status, finished.result, finished.error))

    async def _execute_tool(self, call: RawToolCall, base: dict[str, Any]) -> ev.ToolCallFinished:
        try:
            tool, args = self.tools.resolve(call.name, call.arguments)
        except InvalidCall as exc:
            return self._finish({**base, "arguments": exc.arguments}, ev.ToolStatus.VALIDATION_ERROR, str(exc))
        base = {**base, "arguments": args}
        self.emit(ev.ToolCallValidated(tool_call_id=call.id, name=call.name, arguments=args))
        cfg = self.config
        ctx = ToolContext(workspace=self.workspace, timeout_s=cfg.tool_timeout_s, output_cap_chars=cfg.output_cap_chars,
                          scrubber=self.scrubber, sandbox=self.sandbox,
                          escalation=ApprovalEscalation(self.approvals.human, call.id, self.emit))
        reason = self.resilience.tool_breaker_open(call.name, emit=self.emit)
        if reason:
            return self._finish(base, ev.ToolStatus.TOOL_ERROR, f"{call.name} is temporarily disabled: {reason}")
        if self.approvals.reviews(tool):
            try:
                denied = await self.approvals.review(tool, args, ctx, tool_call_id=call.id, emit=self.emit)
            except asyncio.CancelledError:  # interrupted while the user was being asked
                why = self.limits.reason("interrupted while waiting for approval")
                self._finish(base, ev.ToolStatus.CANCELLED, why)
                raise
            if denied is not None:
                return self._finish(base, ev.ToolStatus.DENIED, denied)
        self.emit(ev.ToolCallStarted(tool_call_id=call.id, name=call.name))
        started = time.perf_counter()
        try:
            output = await self.invoker.invoke(tool, args, ctx, call.id)
        except asyncio.CancelledError:
            self._finish(base, ev.ToolStatus.CANCELLED, self.limits.reason("cancelled by the user"), started=started)
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
        return self._finish(base, status, output.text, output=output, started=started)

    def _finish(self, base: dict[str, Any], status: ev.ToolStatus, text: str, *, output: ToolOutput | None = None,
                started: float | None = None, crashed: bool = False) -> ev.ToolCallFinished:
        event = finished_event(base, status, text, output=output, started=started, crashed=crashed)
        self.emit(event)
        return event

    def _act_on(self, verdict: Verdict | None) -> None:
        """The loop detector's verdict: warn the model, or halt the turn."""
        if verdict is None:
            return
        self.emit(verdict.event())
        if verdict.action == "halt":
            raise LoopHalted("loop", 0, 0, f"stopped a loop: {verdict.message}")
        self.append_message({"role": "user", "content": f"[Cockpit harness] {verdict.message}"})

    # --- the conversation ------------------------------------------------------------

    def append_message(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self.emit(ev.MessageAppended(index=len(self.messages) - 1, message=message, turn=self.turn))

    def drop_item(self, item_id: str) -> bool:
        """The Context pane's "drop": one tool result becomes a short note. True if anything changed."""
        return self._change(self.budget.drop_item(self.messages, item_id, emit=self.emit), reason="manual drop")

    def truncate_item(self, item_id: str) -> bool:
        """The Context pane's "truncate": one tool result is cut to the cap. True if anything changed."""
        cap = self.budget.config.tool_result_cap_chars
        truncated = self.budget.truncate_item(self.messages, item_id, cap, emit=self.emit)
        return self._change(truncated, reason="manual truncate")

    def _change(self, messages: Messages, *, reason: str) -> bool:
        if messages == self.messages:
            return False
        self.replace_messages(messages, reason=reason)
        return True

    def replace_messages(self, messages: Messages, *, reason: str) -> None:
        self.messages = list(messages)
        # The event gets its own list: the conversation keeps growing after this.
        self.emit(ev.MessagesReplaced(messages=list(self.messages), reason=reason))

    def _close_open_tool_calls(self, why: str) -> None:
        """Give every unanswered tool call a result, honest about what it may have done (``unanswered_calls``)."""
        for closing in close_unanswered(self.messages, why, self.invoker.recorded_effect):
            self.append_message({"role": "tool", "tool_call_id": closing.tool_call_id, "content": closing.text})
            for notice in closing.notices:
                self.emit(notice)
