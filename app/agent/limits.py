"""The limits of one task: steps and cost, checked between model calls, and the
wall-clock deadline (``--max-time``, ``AgentConfig.max_wall_s``), which is a real one.

The cost limit counts priced calls only: a model nobody has a price for cannot be
held to it, and :func:`cost_limit_notice` says so once, as the session starts.

Used as ``async with limits:`` around the turn, the deadline cancels whatever is
running when it expires -- a model call waiting on a hung provider, a tool (bash
kills its process group when cancelled) -- and the turn ends with
:class:`~app.agent.errors.LimitExceeded` (``time``), like any other limit.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

from app.agent.config import AgentConfig
from app.agent.errors import LimitExceeded
from app.agent.events.core import Notice
from app.agent.events.format import money
from app.agent.model import Model
from app.agent.pricing import is_offline


def cost_limit_notice(config: AgentConfig, model: Model) -> Notice | None:
    """A warning when ``--max-cost`` is set but ``model``'s calls have no price to count."""
    if not config.max_cost_usd or model.priced_by() is not None or is_offline(model.name):
        return None  # Cockpit's offline models cost nothing: no limit goes unenforced
    return Notice(level="warning", message=(
        f"The cost limit cannot be enforced: {model.name} has no price in litellm's cost map; "
        f'set [pricing."{model.name}"] input_per_mtok / output_per_mtok in the config or use --max-steps.'))


class TurnLimits:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.started = time.monotonic()
        self._timeout: asyncio.Timeout | None = None

    def check(self, steps: int, cost: float) -> None:
        """Between model calls: the step and cost limits, and the deadline in case a
        cancelled call swallowed its cancellation."""
        cfg = self.config
        if cfg.max_steps and steps >= cfg.max_steps:
            raise LimitExceeded("steps", cfg.max_steps, steps, f"step limit reached ({cfg.max_steps} model calls)")
        if cfg.max_cost_usd and cost >= cfg.max_cost_usd:
            message = f"cost limit reached ({money(cost)} of {money(cfg.max_cost_usd)})"
            raise LimitExceeded("cost", cfg.max_cost_usd, cost, message)
        if cfg.max_wall_s and self.elapsed() >= cfg.max_wall_s:
            raise self._time_limit()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def expired(self) -> bool:
        """Has the deadline cancelled what was running?"""
        return self._timeout is not None and self._timeout.expired()

    def reason(self, otherwise: str) -> str:
        """Why a cancelled call stopped: the time limit, or ``otherwise`` (the user interrupted)."""
        return self._time_limit().args[0] if self.expired else otherwise

    def _time_limit(self) -> LimitExceeded:
        limit = self.config.max_wall_s or 0.0
        return LimitExceeded("time", limit, self.elapsed(), f"time limit reached ({limit:.0f} s)")

    async def __aenter__(self) -> TurnLimits:
        limit = self.config.max_wall_s
        self._timeout = asyncio.timeout(limit - self.elapsed() if limit else None)
        await self._timeout.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._timeout is not None
        try:
            await self._timeout.__aexit__(kind, exc, tb)  # never swallows an exception
        except TimeoutError:  # raised only when the deadline cancelled the turn
            raise self._time_limit() from None
