"""Resilience: the one object the loop talks to for retries, tool breakers and the retry tax.

A thin facade over three parts, each in a file named for it: the retry engine
(``retry.py``, with the retry budget of ``retry_budget.py``), the tool breakers
(``tool_breakers.py``) and the retry tax (``tax.py``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from app.agent.events.core import Event
from app.agent.resilience.config import ResilienceConfig
from app.agent.resilience.restore import restore_retry_engine, restore_tool_breakers
from app.agent.resilience.retry import RetryEngine
from app.agent.resilience.tax import RetryTax
from app.agent.resilience.tool_breakers import ToolBreakers

Emit = Callable[[Event], None]


class Resilience:
    def __init__(
        self,
        config: ResilienceConfig | None = None,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        emit: Emit | None = None,
    ) -> None:
        self.config = config or ResilienceConfig()
        self.retry = RetryEngine(self.config, sleep=sleep, clock=clock, rng=rng)
        self.tools = ToolBreakers(self.config, clock=clock, emit=emit)
        self.tax = RetryTax(emit=emit)
        # What the loop calls, each answered by the part it belongs to.
        self.call_model = self.retry.call_model
        self.record_tool_outcome = self.tools.record_outcome
        self.tool_breaker_open = self.tools.open_reason
        self.charge_discarded = self.tax.charge_discarded
        self.charge_resent = self.tax.charge_resent

    def restore(self, events: Iterable[Event], *, wall_now: float | None = None) -> None:
        """Carry on from a resumed session's stored events (``restore.py``): the retry bucket, the
        counts and every breaker as the session left them. ``wall_now`` defaults to ``time.time()``."""
        stored = list(events)
        now = time.time() if wall_now is None else wall_now
        restore_retry_engine(self.retry, stored, wall_now=now)
        restore_tool_breakers(self.tools, stored, wall_now=now)
