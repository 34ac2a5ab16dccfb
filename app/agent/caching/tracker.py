"""Each call's cache figures, and why the cache missed.

After every model call whose usage the provider reported, :class:`CacheTracker` says what it
read from and wrote to the cache and what that was worth (:class:`~app.agent.events.cache.CacheUsage`).
For the conversation's calls it also keeps the prompt's prefix, item by item with a fingerprint
each (:mod:`app.agent.caching.prefix`), per model: when a call reads less than the previous
call on that model read plus wrote, the cache missed, and :class:`~app.agent.events.cache.CacheMissed`
names the first prefix item that changed -- or, when none did, the idle time since the previous
call (longer than the cache's life: expired; shorter: the provider evicted it). A miss is looked for
only between two calls that both reported their cache reads: a provider that sends no cache field
(llama.cpp's server, many OpenAI-compatible ones) never "misses", its figures are unknown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.agent.caching.prefix import PrefixHasher, PrefixItem, SectionsOf, first_change
from app.agent.events.cache import CAUSE_TTL, CAUSE_UNKNOWN, CacheMissed, CacheUsage
from app.agent.events.core import SIDE_ROLES, Event, Usage
from app.agent.pricing import CachePrice

CACHE_TTL_S = 300.0  # Anthropic's default ephemeral cache lives five minutes (refreshed on each read)
PER_MTOK = 1_000_000


@dataclass(frozen=True)
class _Seen:
    items: list[PrefixItem]
    read: int | None  # None: not reported
    write: int  # unreported writes count as none
    ended: float


@dataclass(frozen=True)
class CallSeen:
    """One finished call, as far as the cache is concerned."""

    call_id: str
    model: str
    role: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    usage: Usage
    cost_usd: float | None
    breakpoints: int
    price: CachePrice
    started: float  # on the tracker's clock, when the attempt began


class CacheTracker:
    def __init__(self, layouts: SectionsOf | None = None, *, clock: Callable[[], float] = time.monotonic,
                 ttl_s: float = CACHE_TTL_S) -> None:
        self.layouts, self.clock, self.ttl_s = layouts, clock, ttl_s
        self.prefix = PrefixHasher(layouts)  # the conversation's prefix, hashed as it grows
        self._previous: dict[str, _Seen] = {}  # model -> the conversation's last call on it

    def events(self, call: CallSeen) -> list[Event]:
        """The events that follow ``call``'s ModelCallFinished (none when its usage is not the provider's)."""
        usage = call.usage
        if not usage.reported:
            return []
        found: list[Event] = [_usage_event(call)]
        if call.role in SIDE_ROLES:  # a summary's (a router's, ...) prompt is not the conversation's prefix
            return found
        items = self.prefix.items(call.messages, call.tools)
        before = self._previous.get(call.model)
        read = usage.cached_tokens
        self._previous[call.model] = _Seen(items, read, usage.cache_write_tokens or 0, self.clock())
        if before is None or before.read is None or read is None:
            return found  # nothing to compare: the first call on the model, or cache figures not reported
        if read < before.read + before.write:
            found.append(self._missed(call, before, items, read, before.read + before.write))
        return found

    def _missed(self, call: CallSeen, before: _Seen, items: list[PrefixItem], read: int, expected: int) -> CacheMissed:
        usage = call.usage
        missed = expected - read
        idle = max(0.0, call.started - before.ended)
        change = first_change(before.items, items)
        if change is not None:
            cause, item = change.cause, change.item
        else:
            cause, item = (CAUSE_TTL if idle > self.ttl_s else CAUSE_UNKNOWN), ""
        return CacheMissed(call_id=call.call_id, model=call.model, cause=cause, item=item, expected_tokens=expected,
                           read_tokens=read, missed_tokens=missed, idle_s=round(idle, 3),
                           cost_usd=call.price.miss_cost(missed, usage.cache_write_tokens or 0))


def _usage_event(call: CallSeen) -> CacheUsage:
    usage, price = call.usage, call.price

    def per_mtok(rate: float | None) -> float | None:
        return None if rate is None else rate * PER_MTOK

    return CacheUsage(
        call_id=call.call_id, model=call.model, role=call.role, prompt_tokens=usage.prompt_tokens,
        read_tokens=usage.cached_tokens, write_tokens=usage.cache_write_tokens, breakpoints=call.breakpoints,
        cost_usd=call.cost_usd, uncached_usd=price.uncached_usd, saved_usd=price.saved_usd, write_usd=price.write_usd,
        input_per_mtok=per_mtok(price.input_rate), read_per_mtok=per_mtok(price.read_rate),
        write_per_mtok=per_mtok(price.write_rate),
    )
