"""One attempt at a model call, announced: ModelCallStarted, the text as it streams,
then ModelCallFinished (ok, error or cancelled).

Whether a failed attempt is retried is the retry engine's decision; what a reply
costs and what it teaches the budget is the loop's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from app.agent.errors import describe
from app.agent.events import core as ev
from app.agent.model import Model, ModelReply
from app.agent.resilience.classify import classify_model_error


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
) -> ModelReply:
    common: dict[str, Any] = dict(call_id=call_id, turn=turn, step=step, attempt=attempt, model=model.name)
    emit(ev.ModelCallStarted(**common, message_count=len(messages), estimated_prompt_tokens=estimate))
    started = time.perf_counter()

    def on_text(text: str) -> None:
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
                latency_ms=(time.perf_counter() - started) * 1000,
                error_class=None if error is None else error.name,
                error_message=None if cancelled else describe(exc)[:4000],
                estimated_prompt_tokens=estimate,
                upstream_retries=None if error is None else error.upstream_retries,
            )
        )
        raise
    emit(
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
            upstream_retries=reply.upstream_retries,
        )
    )
    return reply
