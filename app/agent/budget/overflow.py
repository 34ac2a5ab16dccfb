"""A context-window-exceeded error means: compact, then retry once. Never a blind retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from app.agent.budget.budget import ContextBudget, Emit, Summarize

T = TypeVar("T")

_MESSAGES = (
    "context_length_exceeded",
    "context length",
    "maximum context",
    "context window",
    "prompt is too long",
    "input is too long",
    "too many input tokens",
)


def is_context_exceeded(error: BaseException) -> bool:
    """True for litellm's ContextWindowExceededError and provider messages that mean the same."""
    if any(cls.__name__ == "ContextWindowExceededError" for cls in type(error).__mro__):
        return True
    text = str(error).lower()
    return any(marker in text for marker in _MESSAGES)


async def call_with_compaction_retry(
    call: Callable[[list[dict[str, Any]]], Awaitable[T]],
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    *,
    budget: ContextBudget,
    emit: Emit,
    summarize: Summarize | None,
    turn: int = 0,
) -> tuple[T, list[dict[str, Any]]]:
    """``call(messages)``; if the provider says the context is exceeded, compact and call once more.

    Returns the result and the message list it was obtained with. When
    compaction cannot shrink anything, the original error is raised; a second
    context error after compaction propagates too.
    """
    try:
        result = await call(messages)
    except Exception as error:
        if not is_context_exceeded(error):
            raise
        compacted = await budget.prepare(
            messages, tools, emit=emit, summarize=summarize, force=True, reason="context_exceeded", turn=turn
        )
        if compacted is None:
            raise
    else:
        return result, messages
    return await call(compacted), compacted
