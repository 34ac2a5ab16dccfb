"""Cockpit's own count of a call's usage, for a provider that sent none.

litellm's token counter is off (it would load its cl100k tokenizer at the first
call, for litellm's own logging); when the provider reports no usage, the call's
usage is this estimate, ``estimated``, never the provider's:

* prompt: the context budget's estimate of the request (conversation and tools,
  :class:`~app.agent.budget.counter.MessageCounter`'s formula) when the caller has
  one, else the same formula applied to what was sent;
* completion: the answer's text plus every tool call's name and arguments.

Both are counted with the budget's tokenizer (the one already loaded: tiktoken
``o200k_base`` for OpenAI-style models), so no other encoding is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.agent.budget.counter import MessageCounter
from app.agent.events.core import USAGE_ESTIMATED, Usage

CountText = Callable[[str], int]


def prompt_estimate(count: CountText, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    """The budget's formula for a prompt of ``messages`` and ``tools``, counted afresh."""
    counter = MessageCounter(count)
    counter.update(messages)
    counter.update_tools(tools)
    return counter.messages_total + counter.tools_total


def completion_estimate(count: CountText, text: str, calls: Sequence[tuple[str, str]]) -> int:
    """The answer's tokens: its text and each tool call's name and arguments (``(name, arguments)``,
    the arguments as the model sent them)."""
    return count(text) + sum(count(name) + count(arguments) for name, arguments in calls)


def estimated_usage(prompt_tokens: int, completion_tokens: int) -> Usage:
    """Cockpit's estimate as a usage: no cache figures (nobody sent any), not reported."""
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, reported=False,
                 source=USAGE_ESTIMATED)
