"""Every model call of the agent, whatever it is for: the conversation's next reply
(role ``main``, or ``fallback`` when it goes to the fallback model) or a compaction
summary (role ``summary``).

:class:`ModelCalls` sends each :class:`ModelRequest` through the one retry layer
(the resilience facade's ``call_model``); each attempt is announced by
:func:`stream_announced`: ModelCallStarted, the text as it streams (not for a
summary: it is not an answer), then ModelCallFinished (ok, error or cancelled, with
the text shown so far), all with the call's role; an answer an interrupt cut short is
kept for the conversation (:func:`interrupted_answer`). Whether a failed attempt is
retried is the retry engine's decision; a failed attempt whose prompt went out is charged to the retry tax here,
with the best count of that prompt there is (:class:`_Resent`): the provider's, when
a retry of the same prompt on the same model reports its usage; else the budget's
calibrated estimate; else the local one. The charge says whose count it is.
A successful attempt is followed by its cache figures, and by why the cache missed when it did
(:class:`~app.agent.caching.tracker.CacheTracker`). A reply whose provider sent no usage gets
Cockpit's estimate (:mod:`app.agent.usage_estimate`) before it is announced: the prompt is the
budget's count of the conversation when there is one, and everything is counted with the
budget's tokenizer.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from app.agent.budget.layouts import SystemLayouts
from app.agent.budget.tokenizer import Tokenizer, tokenizer_for
from app.agent.caching.tracker import CacheTracker, CallSeen
from app.agent.collaborators import Budget, Emit, ResilienceLayer
from app.agent.errors import describe
from app.agent.events import core as ev
from app.agent.events.resilience import TAX_CALIBRATED, TAX_LOCAL, TAX_PROVIDER
from app.agent.model import Model, ModelReply
from app.agent.resilience.classify import classify_model_error
from app.agent.usage_estimate import completion_estimate, estimated_usage, prompt_estimate

EstimateUsage = Callable[[ModelReply], ev.Usage]
INTERRUPTED_MARK = "\n\n[Interrupted by the user: this answer was cut short.]"  # what the model sees after it


def interrupted_answer(text: str) -> dict[str, Any]:
    """The assistant message of an answer an interrupt cut short: the text seen so far, marked."""
    return {"role": "assistant", "content": text + INTERRUPTED_MARK}


@dataclass(frozen=True)
class ModelRequest:
    model: Model
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    role: str = ev.ROLE_MAIN  # main | summary (fallback: set for the attempts that go to ``fallback``)
    turn: int = 0
    step: int = 0
    estimate: int | None = None  # the estimated prompt tokens (the budget's, for the conversation)
    fallback: Model | None = None  # used while ``model``'s breaker is open

    @property
    def for_the_conversation(self) -> bool:
        """The reply continues the conversation (not a summary made on the side): its text streams,
        its prompt calibrates the budget, and the retry tax may charge it when it is thrown away."""
        return self.role not in ev.SIDE_ROLES  # a summary, a routing, a verification: on the side


@dataclass(frozen=True)
class _Resent:
    """A failed attempt whose prompt went out; charged once its best count is known."""

    call_id: str
    model: str
    attempt: int
    estimate: int  # the raw local count of the prompt


class ModelCalls:
    """The agent's one path to a model: retried, announced, calibrated."""

    def __init__(self, *, resilience: ResilienceLayer, budget: Budget, emit: Emit,
                 cache: CacheTracker | None = None) -> None:
        self.resilience, self.budget, self.emit = resilience, budget, emit
        layouts = getattr(budget, "layouts", None)  # the context budget's: the system message's sections
        self.cache = cache if cache is not None else CacheTracker(layouts if isinstance(layouts, SystemLayouts) else None)
        self.last: tuple[str, str, dict[str, Any]] | None = None  # (attempt id, model, usage) of the last reply
        self.cut_short = ""  # the text the last attempt streamed before it was cancelled ("" if it was not)

    async def call(self, request: ModelRequest) -> ModelReply:
        """One logical call: attempts until one succeeds or the retry layer gives up (it raises)."""
        logical_id = f"mc_{uuid.uuid4().hex[:12]}"
        resent: list[_Resent] = []  # failed attempts of this call not charged yet

        def route(attempted: ModelRequest, tag: str) -> Callable[[int], Awaitable[ModelReply]]:
            return lambda n: self._attempt(attempted, n, f"{logical_id}.{tag}{n}", resent)

        backup = request.fallback
        fallback = replace(request, model=backup, role=ev.ROLE_FALLBACK) if backup is not None else None
        try:
            return await self.resilience.call_model(
                request.model.name, route(request, ""), emit=self.emit, call_id=logical_id,
                fallback=route(fallback, "f") if fallback is not None else None,
                fallback_target=backup.name if backup is not None else None,
            )
        finally:  # no retry of the same prompt on the same model reported a count: estimates
            for failed in resent:
                self._charge_estimate(failed)

    async def _attempt(self, request: ModelRequest, attempt: int, call_id: str, resent: list[_Resent]) -> ModelReply:
        model, estimate = request.model, request.estimate
        started = self.cache.clock()
        self.cut_short, streamed = "", list[str]()
        try:
            reply = await stream_announced(model, request.messages, request.tools, emit=self.emit, call_id=call_id,
                                           turn=request.turn, step=request.step, attempt=attempt, estimate=estimate,
                                           role=request.role, stream_text=request.for_the_conversation,
                                           estimate_usage=self._estimator(request), streamed=streamed)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                self.cut_short = "".join(streamed)
            if estimate and not isinstance(exc, asyncio.CancelledError) and classify_model_error(exc).request_sent:
                # The prompt went out and was paid for nothing (as far as we can tell).
                resent.append(_Resent(call_id=call_id, model=model.name, attempt=attempt, estimate=estimate))
            raise
        usage = reply.usage
        for event in self.cache.events(CallSeen(
                call_id=call_id, model=model.name, role=request.role, messages=request.messages, tools=request.tools,
                usage=usage, cost_usd=reply.cost_usd, breakpoints=reply.cache_breakpoints, price=reply.cache_price,
                started=started)):
            self.emit(event)
        if usage.reported and usage.prompt_tokens > 0:
            # The same prompt, on the same model: the provider's count of what the failed attempts sent.
            for failed in [r for r in resent if r.model == model.name]:
                resent.remove(failed)
                self._charge(failed, usage.prompt_tokens, TAX_PROVIDER)
        if request.for_the_conversation:
            self.last = (call_id, model.name, ev.plain(usage))
            if estimate is not None and usage.reported:
                self.budget.record_usage(model.name, estimate, usage.prompt_tokens, usage.cached_tokens or 0,
                                         usage.cache_write_tokens or 0, emit=self.emit, call_id=call_id)
        return reply

    def _estimator(self, request: ModelRequest) -> EstimateUsage:
        """Cockpit's count of a reply's usage, for a provider that sends none."""
        tokenizer = getattr(self.budget, "tokenizer", None)  # the budget's: loaded already
        count = (tokenizer if isinstance(tokenizer, Tokenizer) else tokenizer_for(request.model.name)).count
        budgeted = request.estimate if request.for_the_conversation else None  # the budget's count of this prompt

        def estimate(reply: ModelReply) -> ev.Usage:
            prompt = budgeted if budgeted is not None else prompt_estimate(count, request.messages, request.tools)
            calls = [(call.name, call.arguments) for call in reply.tool_calls]
            return estimated_usage(prompt, completion_estimate(count, reply.text, calls))

        return estimate

    def _charge_estimate(self, failed: _Resent) -> None:
        calibrated = self.budget.calibrated_prompt_tokens(failed.model, failed.estimate)
        if calibrated is None:
            self._charge(failed, failed.estimate, TAX_LOCAL)
        else:
            self._charge(failed, calibrated, TAX_CALIBRATED)

    def _charge(self, failed: _Resent, tokens: int, source: str) -> None:
        self.resilience.charge_resent(call_id=failed.call_id, model=failed.model, prompt_tokens=tokens,
                                      emit=self.emit, attempt=failed.attempt, source=source)

    def take_cut_short(self) -> str:
        """The text of the answer an interrupt cut short (once; "" if none was streaming)."""
        text, self.cut_short = self.cut_short, ""
        return text

    def charge_last(self, reason: str) -> None:
        """The retry tax: the last reply's tokens were thrown away."""
        if self.last is not None:
            call_id, model, usage = self.last
            self.resilience.charge_discarded(call_id=call_id, model=model, usage=usage, reason=reason, emit=self.emit)


async def stream_announced(
    model: Model,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    *,
    emit: Callable[[ev.Event], Any],
    call_id: str,
    turn: int,
    step: int,
    attempt: int,
    estimate: int | None,
    role: str = ev.ROLE_MAIN,
    stream_text: bool = True,  # announce the text as it streams (TextDelta)
    estimate_usage: EstimateUsage | None = None,  # the usage of a reply whose provider sent none
    streamed: list[str] | None = None,  # gets the text as it streams (what a failed or cancelled attempt showed)
) -> ModelReply:
    common: dict[str, Any] = dict(call_id=call_id, turn=turn, step=step, attempt=attempt, model=model.name, role=role)
    emit(ev.ModelCallStarted(**common, message_count=len(messages), estimated_prompt_tokens=estimate))
    started = time.perf_counter()
    shown = streamed if streamed is not None else []

    def on_text(text: str) -> None:
        if stream_text:
            shown.append(text)
            emit(ev.TextDelta(call_id=call_id, text=text))

    try:
        reply = await model.stream(messages, tools, on_text)
    except BaseException as exc:
        cancelled = isinstance(exc, asyncio.CancelledError)
        error = None if cancelled else classify_model_error(exc)
        emit(
            ev.ModelCallFinished(
                **common,
                status=ev.CallStatus.CANCELLED if cancelled else ev.CallStatus.ERROR,
                text="".join(shown),  # what was shown before it stopped: stored, so resume and replay show it too
                latency_ms=(time.perf_counter() - started) * 1000,
                error_class=None if error is None else error.name,
                error_message=None if cancelled else describe(exc)[:4000],
                estimated_prompt_tokens=estimate,
                upstream_retries=None if error is None else error.upstream_retries,
            )
        )
        raise
    if reply.usage_missing and estimate_usage is not None:
        reply = model.estimated(reply, estimate_usage(reply))
    emit(
        ev.ModelCallFinished(
            **common,
            status=ev.CallStatus.OK,
            text=reply.text,
            tool_calls=[c.as_message_part() for c in reply.tool_calls],
            finish_reason=reply.finish_reason,
            usage=ev.plain(reply.usage),
            cost_usd=reply.cost_usd,
            cost_source=reply.cost_source,
            latency_ms=reply.latency_ms,
            estimated_prompt_tokens=estimate,
            upstream_retries=reply.upstream_retries,
            proxy_key_spend_usd=reply.proxy_key_spend_usd,
        )
    )
    return reply
