"""The agent loop. Read it top to bottom:

    task → model call → tool calls (validated, approved, run) → results → next call

until the model answers without tool calls, a limit is hit, or the user
interrupts. Every step is announced as an event; the loop knows no sink.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.agent.events import core as ev
from app.agent.approvals import ApprovalPolicy
from app.agent.events.approvals import ApprovalRequest
from app.agent.config import AgentConfig
from app.agent.errors import AgentStop, LimitExceeded, LoopHalted, ModelFailed
from app.agent.model import Model, ModelReply, RawToolCall
from app.agent.tools.base import ToolContext, ToolError, ToolOutput
from app.agent.tools.registry import ToolRegistry, default_tools
from app.agent.tools.validation import ArgumentError, parse_arguments, validate

Emit = Callable[[ev.Event], Any]


@dataclass
class TurnResult:
    outcome: str  # completed | interrupted | failed | limit
    answer: str = ""
    steps: int = 0
    message: str = ""


class Agent:
    def __init__(
        self,
        *,
        model: Model,
        emit: Emit,
        workspace: Path,
        approvals: ApprovalPolicy,
        tools: ToolRegistry | None = None,
        config: AgentConfig | None = None,
        messages: list[dict[str, Any]] | None = None,
        budget: Any | None = None,  # app.agent.budget.ContextBudget
        resilience: Any | None = None,  # app.agent.resilience.Resilience
        loop_detector: Any | None = None,  # app.agent.resilience.LoopDetector
        summarizer: Any | None = None,  # async (messages) -> str, for compaction
        fallback_model: Model | None = None,
        ledger: Any | None = None,  # app.agent.resilience.idempotency.IdempotencyLedger
        session_id: str = "",
    ) -> None:
        self.model = model
        self.tools = tools if tools is not None else default_tools()
        self.emit = emit
        self.workspace = workspace
        self.approvals = approvals
        self.config = config or AgentConfig()
        self.messages: list[dict[str, Any]] = list(messages or [])
        self.budget = budget
        self.resilience = resilience
        self.loop_detector = loop_detector
        self.summarizer = summarizer
        self.fallback_model = fallback_model
        self.ledger = ledger
        self.session_id = session_id
        self._last_call: tuple[str, str, dict[str, Any]] | None = None  # (row id, model, usage) of the last reply
        self.turn = sum(1 for m in self.messages if m.get("role") == "user")
        self.total_cost_usd = 0.0
        self.step = 0

    # --- one task ------------------------------------------------------------

    async def run_turn(self, user_text: str) -> TurnResult:
        self.turn += 1
        started = time.monotonic()
        self.emit(ev.TurnStarted(turn=self.turn, user_text=user_text))
        self._close_open_tool_calls("Cockpit stopped before this call ran")  # e.g. a resumed crash
        self.append_message({"role": "user", "content": user_text})
        if self.loop_detector is not None:
            self.loop_detector.start_turn()
        result = TurnResult(outcome="completed")
        try:
            while True:
                self._check_limits(result.steps, started)
                result.steps += 1
                self.step += 1
                reply = await self._call_model(result.steps)
                self.append_message(reply.as_message())
                self._observe_reply(reply)
                if not reply.tool_calls:
                    result.answer = reply.text
                    break
                for call in reply.tool_calls:
                    await self._run_tool(call, result.steps)
        except asyncio.CancelledError:
            result.outcome = "interrupted"
            self._close_open_tool_calls("interrupted by the user")
            self.emit(ev.Interrupted(turn=self.turn))
        except LimitExceeded as stop:
            if isinstance(stop, LoopHalted):
                self._charge_last("loop_killed")
            result.outcome, result.message = stop.outcome, str(stop)
            self._close_open_tool_calls(str(stop))
            self.emit(ev.LimitReached(kind=stop.kind, limit=stop.limit, value=stop.value, message=str(stop)))
        except AgentStop as stop:
            result.outcome, result.message = stop.outcome, str(stop)
            self._close_open_tool_calls(str(stop))
            self.emit(ev.Notice(level="error", message=str(stop)))
        self.emit(
            ev.TurnFinished(turn=self.turn, outcome=result.outcome, steps=result.steps, answer=result.answer)
        )
        return result

    def _check_limits(self, steps: int, started: float) -> None:
        cfg = self.config
        if cfg.max_steps and steps >= cfg.max_steps:
            raise LimitExceeded("steps", cfg.max_steps, steps, f"step limit reached ({cfg.max_steps} model calls)")
        if cfg.max_cost_usd and self.total_cost_usd >= cfg.max_cost_usd:
            raise LimitExceeded(
                "cost",
                cfg.max_cost_usd,
                self.total_cost_usd,
                f"cost limit reached (${self.total_cost_usd:.4f} of ${cfg.max_cost_usd:.2f})",
            )
        elapsed = time.monotonic() - started
        if cfg.max_wall_s and elapsed >= cfg.max_wall_s:
            raise LimitExceeded("time", cfg.max_wall_s, elapsed, f"time limit reached ({cfg.max_wall_s:.0f} s)")

    # --- the model -------------------------------------------------------------

    async def _call_model(self, step: int) -> ModelReply:
        await self._prepare_context(force=False, reason="threshold")
        logical_id = f"mc_{uuid.uuid4().hex[:12]}"

        def attempt_with(model: Model, tag: str) -> Callable[[int], Any]:
            return lambda n: self._attempt(model, step, n, f"{logical_id}.{tag}{n}")

        if self.resilience is None:
            return await self._single_attempt(step, f"{logical_id}.1")
        from app.agent.resilience import ContextWindowExceeded, ResilienceError, RetryBudgetExhausted

        fallback = attempt_with(self.fallback_model, "f") if self.fallback_model else None
        for context_retry in range(2):
            try:
                return await self.resilience.call_model(
                    self.model.name,
                    attempt_with(self.model, ""),
                    emit=self.emit,
                    fallback=fallback,
                    fallback_target=self.fallback_model.name if self.fallback_model else None,
                    call_id=logical_id,
                )
            except ContextWindowExceeded as exc:
                # Never a blind retry: compact, then try once more.
                if context_retry == 1 or not await self._prepare_context(force=True, reason="context_exceeded"):
                    raise ModelFailed(f"the conversation no longer fits the model's window: {exc}") from exc
            except RetryBudgetExhausted as exc:
                bucket = self.resilience.bucket
                raise LimitExceeded("retry_budget", bucket.capacity, bucket.level, str(exc)) from exc
            except ResilienceError as exc:
                raise ModelFailed(str(exc)) from exc
        raise AssertionError("unreachable")

    async def _single_attempt(self, step: int, call_id: str) -> ModelReply:
        try:
            return await self._attempt(self.model, step, 1, call_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise ModelFailed(f"model call failed: {_describe(exc)}") from exc

    async def _attempt(self, model: Model, step: int, attempt: int, call_id: str) -> ModelReply:
        estimate = self._estimate()
        common = dict(call_id=call_id, turn=self.turn, step=step, attempt=attempt, model=model.name)
        self.emit(ev.ModelCallStarted(**common, message_count=len(self.messages), estimated_prompt_tokens=estimate))
        started = time.perf_counter()

        def on_text(text: str) -> None:
            self.emit(ev.TextDelta(call_id=call_id, text=text))

        try:
            reply = await model.stream(self.messages, self.tools.schemas(), on_text)
        except BaseException as exc:
            cancelled = isinstance(exc, asyncio.CancelledError)
            self.emit(
                ev.ModelCallFinished(
                    **common,
                    status=ev.CallStatus.CANCELLED if cancelled else ev.CallStatus.ERROR,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    error_class=None if cancelled else _error_class(exc),
                    error_message=None if cancelled else _describe(exc)[:4000],
                    estimated_prompt_tokens=estimate,
                )
            )
            if not cancelled and self.resilience is not None and estimate:
                # The prompt went out and was paid for nothing (as far as we can tell).
                self.resilience.charge_resent(call_id=call_id, model=model.name, prompt_tokens=estimate, emit=self.emit)
            raise
        self.total_cost_usd += reply.cost_usd
        self.emit(
            ev.ModelCallFinished(
                **common,
                status=ev.CallStatus.OK,
                text=reply.text,
                tool_calls=[c.as_message_part() for c in reply.tool_calls],
                finish_reason=reply.finish_reason,
                usage=ev.plain(reply.usage),
                cost_usd=reply.cost_usd,
                latency_ms=reply.latency_ms,
                estimated_prompt_tokens=estimate,
            )
        )
        self._last_call = (call_id, model.name, ev.plain(reply.usage))
        if self.budget is not None and estimate is not None and reply.usage.reported:
            self.budget.record_usage(
                model.name,
                estimate,
                reply.usage.prompt_tokens,
                reply.usage.cached_tokens,
                reply.usage.cache_write_tokens,
                emit=self.emit,
                call_id=call_id,
            )
        return reply

    def _charge_last(self, reason: str) -> None:
        """The retry tax: the last reply's tokens were thrown away."""
        if self.resilience is None or self._last_call is None:
            return
        call_id, model, usage = self._last_call
        self.resilience.charge_discarded(call_id=call_id, model=model, usage=usage, reason=reason, emit=self.emit)

    def _estimate(self) -> int | None:
        if self.budget is None:
            return None
        snapshot = self.budget.measure(self.messages, self.tools.schemas(), max_output_tokens=self.config.max_output_tokens)
        return int(snapshot.estimated_prompt_tokens)

    async def compact(self, *, reason: str = "manual") -> bool:
        """Run the compaction ladder now (the "compact now" command); True if anything changed."""
        return await self._prepare_context(force=True, reason=reason)

    async def _prepare_context(self, *, force: bool, reason: str) -> bool:
        """Let the budget measure the window and compact it when needed."""
        if self.budget is None:
            return False
        replaced = await self.budget.prepare(
            self.messages,
            self.tools.schemas(),
            emit=self.emit,
            summarize=self.summarizer,
            force=force,
            reason=reason,
            max_output_tokens=self.config.max_output_tokens,
            turn=self.turn,
        )
        if replaced is None:
            return False
        self.replace_messages(replaced, reason=reason)
        return True

    def _observe_reply(self, reply: ModelReply) -> None:
        if self.loop_detector is None:
            return
        verdict = self.loop_detector.observe_model_response(reply.text, [c.as_message_part() for c in reply.tool_calls])
        self._act_on(verdict)

    # --- tools -------------------------------------------------------------------

    async def _run_tool(self, call: RawToolCall, step: int) -> None:
        self.emit(
            ev.ToolCallRequested(
                tool_call_id=call.id, name=call.name, arguments_raw=call.arguments, turn=self.turn, step=step
            )
        )
        finished = await self._execute_tool(call, step)
        self.append_message({"role": "tool", "tool_call_id": call.id, "content": finished.result})
        if self.resilience is not None:
            crashed = finished.status is ev.ToolStatus.TOOL_ERROR and " crashed: " in (finished.error or "")
            self.resilience.record_tool_outcome(
                call.name, finished.status.value, exit_code=finished.exit_code, crashed=crashed, emit=self.emit
            )
            if finished.status is ev.ToolStatus.VALIDATION_ERROR and finished.arguments is None:
                self._charge_last("malformed_tool_call")
        if self.loop_detector is not None:
            verdict = self.loop_detector.observe_tool(
                call.name, finished.arguments or {"_raw": call.arguments}, finished.status.value, finished.result, finished.error
            )
            self._act_on(verdict)

    async def _execute_tool(self, call: RawToolCall, step: int) -> ev.ToolCallFinished:
        base = dict(tool_call_id=call.id, name=call.name, arguments_raw=call.arguments, turn=self.turn, step=step)
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(self.tools.names())
            return self._finish(base, ev.ToolStatus.VALIDATION_ERROR, f"unknown tool {call.name!r}; available tools: {known}")
        try:
            args = parse_arguments(call.arguments)
        except ArgumentError as exc:
            return self._finish(base, ev.ToolStatus.VALIDATION_ERROR, f"invalid arguments for {call.name}: {exc}")
        base["arguments"] = args
        problems = validate(tool.parameters, args)
        if problems:
            return self._finish(
                base, ev.ToolStatus.VALIDATION_ERROR, f"invalid arguments for {call.name}: " + "; ".join(problems)
            )
        self.emit(ev.ToolCallValidated(tool_call_id=call.id, name=call.name, arguments=args))
        ctx = ToolContext(
            workspace=self.workspace, timeout_s=self.config.tool_timeout_s, output_cap_chars=self.config.output_cap_chars
        )
        if self.resilience is not None:
            reason = self.resilience.tool_breaker_open(call.name, emit=self.emit)
            if reason:
                return self._finish(base, ev.ToolStatus.TOOL_ERROR, f"{call.name} is temporarily disabled: {reason}")
        if tool.side_effects:
            try:
                denied = await self._approve(call, tool, args, ctx)
            except asyncio.CancelledError:  # interrupted while the user was being asked
                self.emit(ev.ApprovalResolved(tool_call_id=call.id, name=call.name, decision="deny",
                                              reason="interrupted before an answer"))
                self._finish(base, ev.ToolStatus.CANCELLED, "interrupted while waiting for approval")
                raise
            if denied is not None:
                return self._finish(base, ev.ToolStatus.DENIED, denied)

        self.emit(ev.ToolCallStarted(tool_call_id=call.id, name=call.name))
        started = time.perf_counter()
        try:
            output = await self._invoke(tool, args, ctx, call.id)
        except asyncio.CancelledError:
            self._finish(base, ev.ToolStatus.CANCELLED, "cancelled by the user", started=started)
            raise
        except ToolError as exc:
            return self._finish(base, ev.ToolStatus.TOOL_ERROR, str(exc), started=started)
        except asyncio.TimeoutError:
            return self._finish(base, ev.ToolStatus.TIMEOUT, f"{call.name} timed out after {ctx.timeout_s:.0f} s", started=started)
        except Exception as exc:  # a tool crash is a result for the model, never a crash of the loop
            return self._finish(base, ev.ToolStatus.TOOL_ERROR, f"{call.name} crashed: {_describe(exc)}", started=started)
        status = (
            ev.ToolStatus.TIMEOUT if output.timed_out else ev.ToolStatus.TOOL_ERROR if output.is_error else ev.ToolStatus.OK
        )
        return self._finish(base, status, output.text, output=output, started=started)

    async def _invoke(self, tool: Any, args: dict[str, Any], ctx: ToolContext, tool_call_id: str) -> ToolOutput:
        if tool.side_effects and self.ledger is not None:
            return await self._invoke_once(tool, args, ctx, tool_call_id)
        return await self._run_with_timeout(tool, args, ctx)

    async def _run_with_timeout(self, tool: Any, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        if tool.name == "bash":  # bash enforces its own timeout and kills its process group
            return await tool.run(args, ctx)
        return await asyncio.wait_for(tool.run(args, ctx), timeout=ctx.timeout_s)

    async def _invoke_once(self, tool: Any, args: dict[str, Any], ctx: ToolContext, tool_call_id: str) -> ToolOutput:
        """Side effects go through the idempotency ledger: the same call never applies twice."""
        from app.agent.resilience.idempotency import IdempotencyGuard, file_precondition, idempotency_key

        precondition = tool_call_id
        if "path" in args:
            from app.agent.tools.workspace import resolve_in_workspace

            precondition += "|" + file_precondition(resolve_in_workspace(ctx.workspace, str(args["path"])))
        key = idempotency_key(self.session_id, tool.name, args, precondition)

        async def effect() -> dict[str, Any]:
            out = await self._run_with_timeout(tool, args, ctx)
            return {"text": out.text, "is_error": out.is_error, "exit_code": out.exit_code,
                    "timed_out": out.timed_out, "full_output": out.full_output}

        try:
            outcome = await IdempotencyGuard(self.ledger).run_once(
                key, session_id=self.session_id, tool=tool.name, arguments=args, effect=effect
            )
        except Exception as exc:
            from app.agent.resilience import IdempotencyConflict, IdempotencyPending

            if isinstance(exc, (IdempotencyConflict, IdempotencyPending)):
                raise ToolError(str(exc)) from exc
            raise
        r = outcome.result
        text = r["text"] if not outcome.replayed else f"[already applied; recorded result]\n{r['text']}"
        return ToolOutput(text=text, is_error=r["is_error"], exit_code=r["exit_code"], timed_out=r["timed_out"],
                          full_output=r.get("full_output"))

    async def _approve(self, call: RawToolCall, tool: Any, args: dict[str, Any], ctx: ToolContext) -> str | None:
        """None when allowed; otherwise the message for the model."""
        preview = ""
        preview_fn = getattr(tool, "preview", None)
        if preview_fn is not None:
            try:
                preview = preview_fn(args, ctx)
            except Exception as exc:
                preview = f"(no preview: {_describe(exc)})"
        request = ApprovalRequest(tool_call_id=call.id, name=call.name, arguments=args, preview=preview)
        decision = self.approvals.automatic(request)
        if decision is None:
            self.emit(ev.ApprovalRequested(tool_call_id=call.id, name=call.name, arguments=args, preview=preview))
            decision = await self.approvals.ask(request)
        self.emit(
            ev.ApprovalResolved(
                tool_call_id=call.id,
                name=call.name,
                decision=decision.decision,
                reason=decision.reason,
                scope=decision.scope,
                automatic=decision.automatic,
            )
        )
        if decision.allowed:
            return None
        message = "The user denied this tool call."
        if decision.reason:
            message += f" Reason: {decision.reason}"
        return message

    def _finish(
        self,
        base: dict[str, Any],
        status: ev.ToolStatus,
        text: str,
        *,
        output: ToolOutput | None = None,
        started: float | None = None,
    ) -> ev.ToolCallFinished:
        """Announce the outcome. Without ``output`` the harness refused or failed the
        call itself, and ``text`` is the error the model will read."""
        failed = status is not ev.ToolStatus.OK
        event = ev.ToolCallFinished(
            **base,
            status=status,
            result=text if output is not None else f"Error: {text}",
            full_output=output.full_output if output else None,
            truncated=bool(output and output.truncated),
            error=(text if output is None else text[-500:]) if failed else None,
            exit_code=output.exit_code if output else None,
            duration_ms=(time.perf_counter() - started) * 1000 if started is not None else 0.0,
        )
        self.emit(event)
        return event

    # --- loop detection ------------------------------------------------------------

    def _act_on(self, verdict: Any) -> None:
        if verdict is None:
            return
        self.emit(verdict.event() if hasattr(verdict, "event") else ev.Notice(level="warning", message=verdict.message))
        if verdict.action == "halt":
            raise LoopHalted("loop", 0, 0, f"stopped a loop: {verdict.message}")
        self.append_message({"role": "user", "content": f"[Cockpit harness] {verdict.message}"})

    # --- the conversation ------------------------------------------------------------

    def append_message(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self.emit(ev.MessageAppended(index=len(self.messages) - 1, message=message, turn=self.turn))

    def replace_messages(self, messages: list[dict[str, Any]], *, reason: str) -> None:
        self.messages = list(messages)
        # The event gets its own list: the conversation keeps growing after this.
        self.emit(ev.MessagesReplaced(messages=list(self.messages), reason=reason))

    def _close_open_tool_calls(self, why: str) -> None:
        """Give every unanswered tool call a result so the conversation stays valid."""
        answered = {m.get("tool_call_id") for m in self.messages if m.get("role") == "tool"}
        for message in reversed(self.messages):
            if message.get("role") != "assistant":
                continue
            for call in message.get("tool_calls") or []:
                if call["id"] not in answered:
                    self.append_message({"role": "tool", "tool_call_id": call["id"], "content": f"Not run: {why}."})
            break


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if type(exc).__name__ in text else f"{type(exc).__name__}: {text}"


def _error_class(exc: BaseException) -> str:
    from app.agent.resilience.classify import classify_model_error

    return classify_model_error(exc).name
