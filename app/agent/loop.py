"""The agent loop. Read it top to bottom:

    task → model call → tool calls (validated, approved, run) → results → next call

until the model answers without tool calls, a limit is hit, or the user
interrupts. Every step is announced as an event; the loop knows no sink.
Collaborators (``app.agent.collaborators``) are Protocols; one not configured is
a null object that does nothing, so the loop never asks whether it is there.
Each job of its own lives beside this file: every model call goes through
``model_call`` (retried, announced, with its role), a reply's tool calls through
``parallel_tools`` (reads side by side) and each one through ``tool_pipeline``, a
cut-off answer's continuation is ``continuation``'s policy, and the tool calls a stopped
turn left open are answered by ``unanswered_calls``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.agent.approvals import ApprovalPolicy
from app.agent.budget.summary import summary_request
from app.agent.collaborators import Budget, Emit, LoopDetection, Messages, NoBudget, NoLoopDetector, NoResilience
from app.agent.collaborators import ResilienceLayer, Summarizer, ToolInvoker, Verdict
from app.agent.config import AgentConfig
from app.agent.continuation import CONTINUE, CUT_OFF_TOOL_CALLS, continuation_notice
from app.agent.errors import AgentStop, LimitExceeded, LoopHalted, ModelFailed
from app.agent.events import core as ev
from app.agent.events.mentions import is_task
from app.agent.hooks.hooks import Hooks, no_hooks
from app.agent.limits import TurnLimits
from app.agent.mentions import Attachment, message_item
from app.agent.model import Model, ModelReply
from app.agent.model_call import ModelCalls, ModelRequest, interrupted_answer
from app.agent.parallel_tools import run_calls
from app.agent.providers.script_file import approx_tokens
from app.agent.resilience.errors import ContextWindowExceeded, ResilienceError, RetryBudgetExhausted
from app.agent.resilience.idempotency import DirectInvoker, IdempotencyLedger, OnceOnlyInvoker
from app.agent.resilience.unanswered_calls import close_unanswered
from app.agent.roles.base import NO_ROLES, TurnRoles
from app.agent.tool_ids import OpenCall, ToolCallIds
from app.agent.tool_pipeline import ToolPipeline
from app.agent.tools.sandbox import Sandbox, default_sandbox
from app.agent.tools.scrub import NO_SCRUBBER, Scrubber
from app.agent.tools.registry import ToolRegistry, default_tools


@dataclass
class TurnResult:
    outcome: str  # completed | unverified (the verifier's last round failed) | interrupted | failed | limit
    answer: str = ""
    steps: int = 0
    message: str = ""
    cut_offs: int = 0  # answers that stopped at the output-token limit


class Agent:
    roles: TurnRoles = NO_ROLES  # router, verifier, escalation (``app.agent.roles``), set by ``app.runtime``
    def __init__(
        self,
        *,
        model: Model, emit: Emit, workspace: Path, approvals: ApprovalPolicy,
        tools: ToolRegistry | None = None,  # None: the built-in tools
        config: AgentConfig | None = None,
        messages: Messages | None = None,  # a resumed conversation
        budget: Budget | None = None, resilience: ResilienceLayer | None = None,
        loop_detector: LoopDetection | None = None,
        summary_model: Model | None = None,  # writes compaction summaries; None: the budget's mechanical digest
        fallback_model: Model | None = None,
        ledger: IdempotencyLedger | None = None,  # side effects apply at most once
        session_id: str = "",
        scrubber: Scrubber = NO_SCRUBBER,  # secrets out of tool output before it is capped
        sandbox: Sandbox | None = None,  # where commands run; None: the default configuration's
        hooks: Hooks | None = None,  # the user's hook commands (``app.agent.hooks``); None: none
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
        self.summary_model = summary_model or model
        self.summarizer: Summarizer | None = self._summarize if summary_model is not None else None
        self.fallback_model = fallback_model
        self.scrubber = scrubber
        self.sandbox = sandbox if sandbox is not None else default_sandbox()
        self.hooks = hooks if hooks is not None else no_hooks()
        self.invoker: ToolInvoker = OnceOnlyInvoker(ledger, session_id) if ledger is not None else DirectInvoker()
        self.calls = ModelCalls(resilience=self.resilience, budget=self.budget, emit=emit)
        self.pipeline = ToolPipeline(self.tools, approvals, self.resilience, self.invoker, emit, workspace, scrubber,
                                     self.sandbox, hooks=self.hooks)
        self.turn = sum(1 for m in self.messages if is_task(m))
        self.tool_ids = ToolCallIds(self.messages)  # one per call, even when the model reuses an id
        self.open_calls: list[OpenCall] = self.tool_ids.unanswered(self.messages, turn=self.turn)  # a crash's
        self.total_cost_usd = 0.0  # every model call's: the conversation's, summaries, the fallback's
        self.step = 0  # the current turn's model call (a summary made before it shares its step)

    # --- one task ------------------------------------------------------------

    async def run_turn(self, user_text: str, attachments: Sequence[Attachment] = ()) -> TurnResult:
        self.turn += 1
        self.limits = TurnLimits(self.config)  # --max-time cancels whatever runs when it expires
        self.emit(ev.TurnStarted(turn=self.turn, user_text=user_text))
        self._close_open_tool_calls("Cockpit stopped before the turn finished")  # a resumed crash
        self.append_message({"role": "user", "content": user_text})
        self._attach(attachments)
        self.loop_detector.start_turn()
        result = TurnResult(outcome="completed")
        try:
            async with self.limits:
                await self.roles.start_turn(self, user_text)  # the router: this turn's model and limits
                while True:
                    self.limits.check(result.steps, self.total_cost_usd)
                    result.steps += 1
                    self.step = result.steps
                    reply = await self._call_model(result.steps)
                    self.append_message(reply.as_message())
                    self._observe_reply(reply)
                    if not reply.tool_calls:
                        result.answer += reply.text
                        if not reply.cut_off and not await self.roles.accept(self, result):
                            continue  # the verifier sent its findings back
                        if not reply.cut_off:
                            if (nudge := await self.hooks.stop(self.turn)) is None:  # a Stop hook exiting 2 goes on
                                break
                            self.append_message({"role": "user", "content": nudge})
                            continue
                        result.cut_offs += 1
                        self._notice(continuation_notice(result.cut_offs))  # or the output_tokens limit
                        self.append_message({"role": "user", "content": CONTINUE})
                        continue
                    if reply.cut_off:
                        self._notice(CUT_OFF_TOOL_CALLS)
                    self.open_calls = self.tool_ids.open(reply.tool_calls, turn=self.turn, step=result.steps)
                    await run_calls(self.pipeline, list(self.open_calls), self.config, self.limits, self._settle)
        except asyncio.CancelledError:
            result.outcome = "interrupted"
            self._close_open_tool_calls("interrupted by the user")
            if cut_short := self.calls.take_cut_short():  # the answer as far as it was seen, marked
                self.append_message(interrupted_answer(cut_short))
            self.emit(ev.Interrupted(turn=self.turn))
        except AgentStop as stop:  # a limit, a halted loop, a failed model call
            if isinstance(stop, LoopHalted):
                self.calls.charge_last("loop_killed")
            result.outcome, result.message = stop.outcome, str(stop)
            self._close_open_tool_calls(str(stop))
            self.emit(stop.event())
        self.emit(ev.TurnFinished(turn=self.turn, outcome=result.outcome, steps=result.steps, answer=result.answer))
        return result

    def _attach(self, attachments: Sequence[Attachment]) -> None:
        """The task's ``@path`` mentions (``mentions``): each file a message after the task, announced
        with its Context budget item and the tokens the budget counts for it (None without one)."""
        if not attachments:
            return
        indexes = []
        for attachment in attachments:
            if attachment.message is not None:
                self.append_message(attachment.message)
            indexes.append(len(self.messages) - 1 if attachment.attached else None)
        measured = self.budget.measure(self.messages, self.tools.schemas(),
                                       max_output_tokens=self.config.max_output_tokens)
        for attachment, index in zip(attachments, indexes):
            self.emit(attachment.event(turn=self.turn, **message_item(measured, index)))

    def _notice(self, message: str) -> None:
        self.emit(ev.Notice(level="warning", message=message))

    # --- the model -------------------------------------------------------------

    async def _call_model(self, step: int) -> ModelReply:
        tools = self.tools.schemas()  # once a step: each is a deep copy
        if await self._prepare_context(tools, force=False, reason="threshold"):
            self.limits.check(step - 1, self.total_cost_usd)  # again: a summary costs too
        for context_retry in range(2):
            request = ModelRequest(self.model, self.messages, tools, turn=self.turn, step=step,
                                   estimate=self.budget.prepared_estimate(), fallback=self.fallback_model)
            try:
                return await self.ask(request)
            except ContextWindowExceeded as exc:
                # Never a blind retry: compact, then try once more.
                if context_retry == 1 or not await self._prepare_context(tools, force=True, reason="context_exceeded"):
                    raise ModelFailed(f"the conversation no longer fits the model's window: {exc}") from exc
            except RetryBudgetExhausted as exc:
                raise LimitExceeded("retry_budget", exc.capacity, exc.level, str(exc)) from exc
            except ResilienceError as exc:
                raise ModelFailed(str(exc)) from exc
        raise AssertionError("unreachable")

    async def ask(self, request: ModelRequest) -> ModelReply:
        """Every model call, whatever its role: through the retry layer, and paid for."""
        reply = await self.calls.call(request)
        self.total_cost_usd += reply.cost_usd or 0.0
        return reply

    async def _summarize(self, messages: Messages) -> str:
        """The compaction summary: a model call of its own (role ``summary``); when it fails for
        good, the budget falls back to its mechanical digest."""
        prompt = summary_request(messages, self.budget.config.summary_input_chars)
        request = ModelRequest(self.summary_model, prompt, role=ev.ROLE_SUMMARY, turn=self.turn, step=self.step,
                               estimate=approx_tokens(prompt))
        return (await self.ask(request)).text.strip()

    async def compact(self, *, reason: str = "manual") -> bool:
        """Run the compaction ladder now (the "compact now" command); True if anything changed."""
        return await self._prepare_context(self.tools.schemas(), force=True, reason=reason)

    async def _prepare_context(self, tools: list[dict[str, Any]], *, force: bool, reason: str) -> bool:
        """Let the budget measure the window and compact it when needed."""
        replaced = await self.budget.prepare(self.messages, tools, emit=self.emit, summarize=self.summarizer, force=force,
                                             reason=reason, max_output_tokens=self.config.max_output_tokens, turn=self.turn)
        if replaced is None:
            return False
        self.replace_messages(replaced, reason=reason)
        return True

    def _observe_reply(self, reply: ModelReply) -> None:
        tool_calls = [c.as_message_part() for c in reply.tool_calls]
        self._act_on(self.loop_detector.observe_model_response(reply.text, tool_calls))

    # --- tools -------------------------------------------------------------------

    def _settle(self, ran: Sequence[tuple[OpenCall, ev.ToolCallFinished]]) -> None:
        """Calls that ran (one, or a batch of reads: ``parallel_tools``): answered in the model's order, then weighed."""
        for call, finished in ran:
            self._answer(call, finished.result)
        for call, finished in ran:
            status = finished.status.value
            self.resilience.record_tool_outcome(self.tools.breaker_name(call.name), status, exit_code=finished.exit_code,
                                                crashed=finished.crashed, emit=self.emit)
            if finished.status is ev.ToolStatus.VALIDATION_ERROR and finished.arguments is None:
                self.calls.charge_last("malformed_tool_call")
            arguments = finished.arguments or {"_raw": call.arguments}
            self._act_on(self.loop_detector.observe_tool(call.name, arguments, status, finished.result, finished.error,
                                                         poll=finished.poll))

    def _act_on(self, verdict: Verdict | None) -> None:
        """The loop detector's verdict: warn the model, or halt the turn."""
        if verdict is None:
            return
        self.emit(verdict.event())
        if verdict.action == "halt":
            raise LoopHalted("loop", 0, 0, f"stopped a loop: {verdict.message}")
        self.append_message({"role": "user", "content": f"[Cockpit harness] {verdict.message}"})
        self.roles.loop_warned(self)  # escalation, when configured

    def _close_open_tool_calls(self, why: str) -> None:
        """Every call left open gets a result and a finished row, honest about what it may have
        done (``unanswered_calls``): the rest of a halted reply, an interrupted call, a crash's."""
        for closing in close_unanswered(self.open_calls, why, self.invoker.recorded_effect):
            for event in closing.events():
                self.emit(event)
            self._answer(closing.call, closing.text)
            for notice in closing.notices:
                self.emit(notice)

    def _answer(self, call: OpenCall, text: str) -> None:
        self.open_calls.remove(call)
        self.append_message({"role": "tool", "tool_call_id": call.model_id, "content": text})

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
