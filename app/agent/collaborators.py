"""What the loop needs from its collaborators, and what it gets when one is not configured.

Each collaborator is a small Protocol the real implementation satisfies as it is:
:class:`Budget` (``app.agent.budget.budget.ContextBudget``), :class:`ResilienceLayer`
(``app.agent.resilience.Resilience``), :class:`LoopDetection`
(``app.agent.resilience.LoopDetector``), :class:`ToolInvoker`
(``app.agent.resilience.idempotency``) and :class:`Summarizer` (an async function).
The null objects (:class:`NoBudget`, :class:`NoResilience`, :class:`NoLoopDetector`)
do nothing and decide nothing, so the loop never asks whether one is there. They
subclass their Protocol, whose method bodies are that "nothing"; an implementation
that only matches a Protocol structurally inherits none of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from app.agent.budget.config import BudgetConfig
from app.agent.errors import ModelFailed, describe
from app.agent.events.core import Event
from app.agent.events.resilience import TAX_PROVIDER
from app.agent.model import ModelReply
from app.agent.resilience.idempotency import LedgerEntry
from app.agent.tools.base import Tool, ToolContext, ToolOutput

Messages = list[dict[str, Any]]
Emit = Callable[[Event], Any]
Attempt = Callable[[int], Awaitable[ModelReply]]


class Summarizer(Protocol):
    """Summarizes old messages for compaction."""

    async def __call__(self, messages: Messages) -> str: ...


class Measurement(Protocol):
    @property
    def estimated_prompt_tokens(self) -> int: ...


class Budget(Protocol):
    """The context budget: measures the window before a call, compacts it when full."""

    config: BudgetConfig

    def measure(
        self, messages: Messages, tools: list[dict[str, Any]], *, max_output_tokens: int | None = None
    ) -> Measurement | None:
        return None

    async def prepare(
        self,
        messages: Messages,
        tools: list[dict[str, Any]],
        *,
        emit: Emit,
        summarize: Summarizer | None,
        force: bool = False,
        reason: str = "threshold",
        max_output_tokens: int | None = None,
        turn: int = 0,
    ) -> Messages | None:
        """The compacted conversation, or None when nothing changed."""
        return None

    def prepared_estimate(self) -> int | None:
        """The estimated prompt tokens of the conversation ``prepare`` last settled on; None: not measured."""
        return None

    def record_usage(
        self,
        model: str,
        estimated_prompt_tokens: int,
        provider_prompt_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        *,
        emit: Emit,
        call_id: str = "",
    ) -> None:
        return None

    def calibrated_prompt_tokens(self, model: str, estimated: int) -> int | None:
        """The provider's count the calibration predicts for a prompt estimated locally at
        ``estimated``; None while the model has no calibration sample."""
        return None

    def item_text(self, messages: Messages, item_id: str) -> str | None:
        """The text behind one Context-budget item (a section of the system message, a message); None if gone."""
        return None

    def drop_item(self, messages: Messages, tool_call_id: str, *, emit: Emit | None = None) -> Messages:
        return messages

    def truncate_item(
        self, messages: Messages, tool_call_id: str, max_chars: int, *, emit: Emit | None = None
    ) -> Messages:
        return messages


class ResilienceLayer(Protocol):
    """Retries of model calls, circuit breakers for tools, and the retry tax."""

    async def call_model(
        self,
        target: str,
        attempt: Attempt,
        *,
        emit: Emit,
        fallback: Attempt | None = None,
        fallback_target: str | None = None,
        call_id: str = "",
    ) -> ModelReply: ...

    def record_tool_outcome(
        self, name: str, status: str, *, exit_code: int | None = None, crashed: bool = False, emit: Emit | None = None
    ) -> None:
        return None

    def tool_breaker_open(self, name: str, *, emit: Emit | None = None) -> str | None:
        """Why the tool must not run now, or None when it may."""
        return None

    def charge_discarded(
        self, *, call_id: str, model: str, usage: dict[str, Any] | None, reason: str, emit: Emit | None = None
    ) -> None:
        return None

    def charge_resent(
        self, *, call_id: str, model: str, prompt_tokens: int, emit: Emit | None = None, attempt: int = 0,
        source: str = TAX_PROVIDER,
    ) -> None:
        return None


class Verdict(Protocol):
    """The loop detector's finding: warn the model, or halt the turn."""

    @property
    def action(self) -> str: ...  # warn | halt

    @property
    def message(self) -> str: ...

    def event(self, *, turn: int | None = None) -> Event: ...


class LoopDetection(Protocol):
    def start_turn(self) -> None:
        return None

    def observe_model_response(self, text: str, tool_calls: list[Any]) -> Verdict | None:
        return None

    def observe_tool(
        self, name: str, arguments: dict[str, Any] | None, status: str, result: str, error: str | None,
        *, poll: bool = False,
    ) -> Verdict | None:
        return None


class ToolInvoker(Protocol):
    """Runs one validated, approved tool call."""

    async def invoke(self, tool: Tool, args: dict[str, Any], ctx: ToolContext, tool_call_id: str) -> ToolOutput: ...

    def recorded_effect(self, tool_call_id: str) -> LedgerEntry | None:
        """What the idempotency ledger knows of the call's effect (None: it never started)."""
        ...


class NoBudget(Budget):
    """No context budget: nothing is measured, nothing is ever compacted."""

    def __init__(self) -> None:
        self.config = BudgetConfig()


class NoResilience(ResilienceLayer):
    """No retry layer: one attempt per call, any error ends the turn; no breakers, no tax."""

    async def call_model(
        self,
        target: str,
        attempt: Attempt,
        *,
        emit: Emit,
        fallback: Attempt | None = None,
        fallback_target: str | None = None,
        call_id: str = "",
    ) -> ModelReply:
        try:
            return await attempt(1)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise ModelFailed(f"model call failed: {describe(exc)}") from exc


class NoLoopDetector(LoopDetection):
    """No loop detection: every reply and tool result passes."""
