"""Prompt caching as the Context budget and Retries panes show it, folded from events.

:class:`CacheState` folds ``model_call_finished`` (the provider's reads and prompt tokens: the
hit rate per call, per session and per model), ``cache_usage`` (dollars saved against the
uncached price, the cost of cache writes, the fixed part of the prompt priced) and
``cache_missed`` (why the cache missed and what it cost). Dollar sums are :class:`CostTally`:
a call without a cache price adds "unpriced", never $0. A call whose provider sent no cache field
(llama.cpp's server, many OpenAI-compatible ones) has no hit rate: it counts in none (the last
call's reads "—", not 0%), and its saving is unknown (priced as uncached input, it adds nothing).

The fixed part (system prompt, environment, instructions, tool definitions: the budget's
``fixed``, Cockpit's own count, so an estimate) is priced per call at the call's rates: before
caching all at the prompt rate; after caching its first tokens at the read rate as far as the
call read from the cache, then at the write rate as far as it wrote, the rest at the prompt rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.agent.events.budget import ContextMeasured
from app.agent.events.cache import CacheMissed, CacheUsage
from app.agent.events.core import SIDE_ROLES, USAGE_PROVIDER, CallStatus, Event, ModelCallFinished
from app.agent.events.format import CostTally

RECENT_MISSES = 5
PER_MTOK = 1_000_000


@dataclass
class HitRate:
    """Cache reads over prompt tokens, as the provider counted them."""

    read: int = 0
    prompt: int = 0

    @property
    def rate(self) -> float | None:
        return self.read / self.prompt if self.prompt > 0 else None


@dataclass
class CacheState:
    session: HitRate = field(default_factory=HitRate)
    per_model: dict[str, HitRate] = field(default_factory=dict)
    last: HitRate | None = None  # the last call's
    written: int = 0  # tokens written to the cache in the session
    breakpoints: int = 0  # the last call's cache_control breakpoints
    saved: CostTally = field(default_factory=CostTally)
    writes: CostTally = field(default_factory=CostTally)
    fixed_tokens: int = 0  # the last measurement's fixed part (Cockpit's count)
    fixed_last_uncached: float | None = None  # the last call's fixed part, priced without / with caching
    fixed_last_cached: float | None = None
    fixed_uncached: CostTally = field(default_factory=CostTally)  # the same, summed over the session's calls
    fixed_cached: CostTally = field(default_factory=CostTally)
    misses: list[CacheMissed] = field(default_factory=list)  # newest last
    miss_count: int = 0
    miss_cost: CostTally = field(default_factory=CostTally)

    @property
    def active(self) -> bool:
        """Anything cached, written or marked for caching in this session (else the panes say nothing)."""
        return bool(self.session.read or self.written or self.breakpoints or self.miss_count)

    @property
    def last_miss(self) -> CacheMissed | None:
        return self.misses[-1] if self.misses else None

    def apply(self, event: Event) -> None:
        if isinstance(event, ContextMeasured):
            self.fixed_tokens = event.fixed
        elif isinstance(event, ModelCallFinished) and event.status is CallStatus.OK:
            usage = event.usage or {}
            if usage.get("source") == USAGE_PROVIDER and int(usage.get("prompt_tokens") or 0) > 0:
                self._count_hits(event.model, usage)
        elif isinstance(event, CacheUsage):
            self.breakpoints = event.breakpoints
            self.saved.add(event.saved_usd, ok=event.read_tokens is not None)  # reads unknown: saving unknown
            self.writes.add(event.write_usd, ok=event.write_tokens is not None)
            if event.role not in SIDE_ROLES:
                self._price_fixed(event)
        elif isinstance(event, CacheMissed):
            self.misses = [*self.misses, event][-RECENT_MISSES:]
            self.miss_count += 1
            self.miss_cost.add(event.cost_usd, ok=True)

    def _count_hits(self, model: str, usage: dict[str, Any]) -> None:
        rates = self.per_model.setdefault(model, HitRate())
        read = usage.get("cached_tokens")
        if read is None:  # no cache field: not a 0% hit, an unknown one
            self.last = HitRate()
            return
        call = HitRate(int(read), int(usage["prompt_tokens"]))
        for rate in (self.session, rates):
            rate.read += call.read
            rate.prompt += call.prompt
        self.last = call
        self.written += int(usage.get("cache_write_tokens") or 0)

    def _price_fixed(self, event: CacheUsage) -> None:
        fixed = max(0, self.fixed_tokens)
        if not fixed or event.input_per_mtok is None or event.read_per_mtok is None or event.write_per_mtok is None:
            uncached = cached = None
        else:
            uncached = fixed * event.input_per_mtok / PER_MTOK
            cached = None  # the provider reported no cache reads: the price after caching is not known
            if event.read_tokens is not None:
                read = min(fixed, event.read_tokens)
                written = min(fixed - read, event.write_tokens or 0)
                cached = (read * event.read_per_mtok + written * event.write_per_mtok
                          + (fixed - read - written) * event.input_per_mtok) / PER_MTOK
        self.fixed_last_uncached, self.fixed_last_cached = uncached, cached
        if fixed:
            self.fixed_uncached.add(uncached, ok=True)
            self.fixed_cached.add(cached, ok=event.read_tokens is not None)  # reads unknown: not "unpriced"
