"""Events of prompt caching: what each call read from and wrote to the provider's cache, and
why the cache missed.

:class:`CacheUsage` follows every model call that reported usage (``ModelCallFinished`` first):
the cache reads and writes as the provider counted them, the breakpoints Cockpit placed, and
the call's price with and without caching (None: nobody has a price, never $0).
:class:`CacheMissed` follows it when the call read less from the cache than the previous call
of the conversation on the same model left there: the first item of the prompt prefix that
changed (or the idle time, when nothing did) and the dollars the miss cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from app.agent.events.core import ROLE_MAIN, Event

# Why the cache missed: the first item of the prompt's prefix that changed since the previous call.
CAUSE_TOOLS = "tools_changed"  # the tool definitions (added, removed, reordered, edited)
CAUSE_SYSTEM = "system_changed"  # the system prompt itself
CAUSE_ENVIRONMENT = "environment_changed"  # the environment preamble
CAUSE_INSTRUCTIONS = "instructions_changed"  # an instruction file (AGENTS.md, CLAUDE.md, ...) was edited
CAUSE_COMPACTION = "compaction"  # earlier messages were rewritten (Cockpit rewrites history only to compact it)
CAUSE_HISTORY = "history_changed"  # the previous call's last message changed (merged with a new one)
CAUSE_TTL = "ttl_expired"  # nothing changed, the session was idle longer than the cache lives
CAUSE_UNKNOWN = "unknown"  # nothing changed and no idle time: the provider dropped it
CAUSE_LABELS = {
    CAUSE_TOOLS: "tool list changed",
    CAUSE_SYSTEM: "system prompt changed",
    CAUSE_ENVIRONMENT: "environment changed",
    CAUSE_INSTRUCTIONS: "instruction file edited",
    CAUSE_COMPACTION: "compaction",
    CAUSE_HISTORY: "history changed",
    CAUSE_TTL: "cache expired (idle)",
    CAUSE_UNKNOWN: "evicted by the provider",
}


@dataclass(kw_only=True)
class CacheUsage(Event):
    """One call's cache figures. Tokens are the provider's; ``hit_rate`` is reads over the prompt.

    ``cost_usd`` is the call's price, ``uncached_usd`` the same tokens priced as if nothing
    were cached, ``saved_usd`` their difference (negative when the writes cost more than the
    reads saved; None when the provider reported no cache reads) and ``write_usd`` what the cache
    writes cost. The ``*_per_mtok`` rates (dollars per million prompt tokens, at the base tier)
    price the fixed part of the prompt in the Context budget. Every dollar figure is None when
    the model has no cache prices.
    """

    type: ClassVar[str] = "cache_usage"
    call_id: str = ""
    model: str = ""
    role: str = ROLE_MAIN
    prompt_tokens: int = 0  # cache reads and writes included
    read_tokens: int | None = None  # None: the provider reported no cache reads (not 0)
    write_tokens: int | None = None  # None: no cache writes reported
    breakpoints: int = 0  # cache_control breakpoints Cockpit placed in the request (0: none, or automatic caching)
    cost_usd: float | None = None
    uncached_usd: float | None = None
    saved_usd: float | None = None
    write_usd: float | None = None
    input_per_mtok: float | None = None
    read_per_mtok: float | None = None
    write_per_mtok: float | None = None

    @property
    def hit_rate(self) -> float | None:
        return self.read_tokens / self.prompt_tokens if self.prompt_tokens > 0 and self.read_tokens is not None else None


@dataclass(kw_only=True)
class CacheMissed(Event):
    """The call read fewer cached tokens than the previous one left in the cache.

    ``expected_tokens`` is what the previous call read plus what it wrote; ``item`` names
    the first prefix item that changed when its name says more than the cause
    (``instructions: AGENTS.md``, ``system message``, ``message 7``), empty otherwise. ``cost_usd``: what this call paid above the price it
    would have had with those tokens read from the cache (None: unpriced).
    """

    type: ClassVar[str] = "cache_missed"
    call_id: str = ""
    model: str = ""
    cause: str = CAUSE_UNKNOWN
    item: str = ""
    expected_tokens: int = 0
    read_tokens: int = 0
    missed_tokens: int = 0
    idle_s: float = 0.0  # time since the previous call finished
    cost_usd: float | None = None

    @property
    def cause_label(self) -> str:
        return CAUSE_LABELS.get(self.cause, self.cause)
