"""The retry tax: tokens and dollars spent for nothing.

Two kinds of waste are counted:

* **discarded output** — the provider-reported usage of an attempt whose output
  was thrown away (a failed or dropped stream, malformed tool calls, a turn the
  loop detector killed): its prompt and completion tokens;
* **re-sent input** — the prompt a retry sends again.

Prices come from litellm's cost map (imported lazily); a model litellm does not
know costs 0, and so do Cockpit's offline ``scripted/`` and ``replay/`` models.
:class:`RetryTax` keeps the session's total and announces every charge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.agent.events.core import Event
from app.agent.events.resilience import RetryTaxAccrued
from app.agent.offline import load_litellm  # litellm itself loads lazily, off the network

Emit = Callable[[Event], None]

_FREE_PREFIXES = ("scripted/", "replay/")


@dataclass(frozen=True)
class Waste:
    tokens: int = 0
    usd: float = 0.0

    def __add__(self, other: Waste) -> Waste:
        return Waste(self.tokens + other.tokens, self.usd + other.usd)


def price(model: str, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> float:
    """Dollars for these tokens on ``model`` (0 when litellm has no price for it)."""
    if not model or model.startswith(_FREE_PREFIXES) or (prompt_tokens <= 0 and completion_tokens <= 0):
        return 0.0
    litellm = load_litellm()
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=max(0, prompt_tokens), completion_tokens=max(0, completion_tokens)
        )
    except Exception:  # litellm raises for models missing from its cost map
        return 0.0
    return float(prompt_cost) + float(completion_cost)


def discarded_output(model: str, usage: dict[str, Any] | None) -> Waste:
    """Waste of an attempt whose output was thrown away, from its reported usage."""
    usage = usage or {}
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    return Waste(prompt + completion, price(model, prompt_tokens=prompt, completion_tokens=completion))


def resent_input(model: str, prompt_tokens: int) -> Waste:
    """Waste of the prompt a retry sends again."""
    prompt = max(0, int(prompt_tokens))
    return Waste(prompt, price(model, prompt_tokens=prompt))


class RetryTax:
    """The session's waste so far; every charge is announced as a :class:`RetryTaxAccrued`."""

    def __init__(self, *, emit: Emit | None = None) -> None:
        self.wasted_tokens = 0
        self.wasted_usd = 0.0
        self._emit = emit

    def charge_waste(
        self,
        *,
        call_id: str,
        tokens: int,
        usd: float,
        reason: str,
        emit: Emit | None = None,
        attempt: int = 0,
        model: str = "",
    ) -> None:
        """Account tokens and dollars spent for nothing, and announce them."""
        if tokens <= 0 and usd <= 0:
            return
        self.wasted_tokens += tokens
        self.wasted_usd += usd
        sink = emit or self._emit
        if sink is not None:
            sink(RetryTaxAccrued(call_id=call_id, attempt=attempt, model=model, tokens=tokens, usd=usd, reason=reason))

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
        """Charge the reported usage of an attempt whose output was thrown away."""
        waste = discarded_output(model, usage)
        self.charge_waste(call_id=call_id, tokens=waste.tokens, usd=waste.usd, reason=reason,
                          emit=emit, attempt=attempt, model=model)

    def charge_resent(
        self, *, call_id: str, model: str, prompt_tokens: int, emit: Emit | None = None, attempt: int = 0
    ) -> None:
        """Charge the prompt a retry sent again."""
        waste = resent_input(model, prompt_tokens)
        self.charge_waste(call_id=call_id, tokens=waste.tokens, usd=waste.usd, reason="resent_input",
                          emit=emit, attempt=attempt, model=model)
