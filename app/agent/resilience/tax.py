"""The retry tax: tokens and dollars spent for nothing.

Two kinds of waste are counted:

* **discarded output** — the provider-reported usage of an attempt whose output
  was thrown away (a failed or dropped stream, malformed tool calls, a turn the
  loop detector killed): its prompt and completion tokens;
* **re-sent input** — the prompt a retry sends again. A failed attempt rarely
  reports usage, so the figure is the best one available, and says whose it is
  (``RetryTaxAccrued.source``): the provider's count of that same prompt when
  the retry reports one, else the budget's calibrated estimate, else the local
  count (see :mod:`app.agent.model_call`).

Prices come from :mod:`app.agent.pricing` (litellm's cost map, imported lazily,
or the configured rates). Waste on a model nobody has a price for (one litellm
does not know, Cockpit's offline ``scripted/`` and ``replay/`` models) is tokens
only: its ``usd`` is None, never 0. :class:`RetryTax` keeps the session's total
(the priced part in dollars, all of it in tokens) and announces every charge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.agent.events.core import USAGE_ESTIMATED, Event, usage_source
from app.agent.events.resilience import TAX_LOCAL, TAX_PROVIDER, RetryTaxAccrued
from app.agent.pricing import LITELLM_PRICING, Pricing

Emit = Callable[[Event], None]


@dataclass(frozen=True)
class Waste:
    tokens: int = 0
    usd: float | None = None  # None: unpriced (tokens only)

    def __add__(self, other: Waste) -> Waste:
        if self.usd is None and other.usd is None:
            return Waste(self.tokens + other.tokens)
        return Waste(self.tokens + other.tokens, (self.usd or 0.0) + (other.usd or 0.0))


def price(model: str, *, prompt_tokens: int = 0, completion_tokens: int = 0,
          pricing: Pricing = LITELLM_PRICING) -> float | None:
    """Dollars for these tokens on ``model``; None when nobody has a price for it."""
    return pricing.price(model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens).usd


def discarded_output(model: str, usage: dict[str, Any] | None, *, pricing: Pricing = LITELLM_PRICING) -> Waste:
    """Waste of an attempt whose output was thrown away, from its reported usage."""
    usage = usage or {}
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    if prompt + completion <= 0:
        return Waste()
    return Waste(prompt + completion, price(model, prompt_tokens=prompt, completion_tokens=completion,
                                            pricing=pricing))


def resent_input(model: str, prompt_tokens: int, *, pricing: Pricing = LITELLM_PRICING) -> Waste:
    """Waste of the prompt a retry sends again."""
    prompt = max(0, int(prompt_tokens))
    if prompt <= 0:
        return Waste()
    return Waste(prompt, price(model, prompt_tokens=prompt, pricing=pricing))


class RetryTax:
    """The session's waste so far; every charge is announced as a :class:`RetryTaxAccrued`."""

    def __init__(self, *, emit: Emit | None = None, pricing: Pricing = LITELLM_PRICING) -> None:
        self.wasted_tokens = 0
        self.wasted_usd = 0.0  # the priced part
        self.unpriced_tokens = 0  # waste nobody has a price for
        self.pricing = pricing
        self._emit = emit

    def charge_waste(
        self,
        *,
        call_id: str,
        tokens: int,
        usd: float | None,
        reason: str,
        emit: Emit | None = None,
        attempt: int = 0,
        model: str = "",
        source: str = TAX_PROVIDER,
    ) -> None:
        """Account tokens and dollars spent for nothing (``usd`` None: unpriced), and announce them
        with whose count ``tokens`` is (``source``: one of TAX_SOURCES)."""
        if tokens <= 0 and not usd:
            return
        self.wasted_tokens += tokens
        if usd is None:
            self.unpriced_tokens += tokens
        else:
            self.wasted_usd += usd
        sink = emit or self._emit
        if sink is not None:
            sink(RetryTaxAccrued(call_id=call_id, attempt=attempt, model=model, tokens=tokens, usd=usd, reason=reason,
                                 source=source))

    def charge_discarded(
        self,
        *,
        call_id: str,
        model: str,
        usage: dict[str, Any] | None,
        reason: str,
        emit: Emit | None = None,
        attempt: int = 0,
    ) -> None:
        """Charge the reported usage of an attempt whose output was thrown away (usage the provider
        never sent, Cockpit's own count, is charged as a local estimate)."""
        waste = discarded_output(model, usage, pricing=self.pricing)
        estimated = usage is not None and usage_source(usage) == USAGE_ESTIMATED
        self.charge_waste(call_id=call_id, tokens=waste.tokens, usd=waste.usd, reason=reason,
                          emit=emit, attempt=attempt, model=model, source=TAX_LOCAL if estimated else TAX_PROVIDER)

    def charge_resent(
        self, *, call_id: str, model: str, prompt_tokens: int, emit: Emit | None = None, attempt: int = 0,
        source: str = TAX_PROVIDER,
    ) -> None:
        """Charge the prompt a retry sent again; ``source`` says whose count ``prompt_tokens`` is."""
        waste = resent_input(model, prompt_tokens, pricing=self.pricing)
        self.charge_waste(call_id=call_id, tokens=waste.tokens, usd=waste.usd, reason="resent_input",
                          emit=emit, attempt=attempt, model=model, source=source)
