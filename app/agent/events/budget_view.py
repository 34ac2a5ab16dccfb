"""The context budget as the pane shows it, folded from events.

Live and replay use the same reducer: ``BudgetState.apply`` takes every event of
a session (core ones and the budget's own) and keeps what the pane draws. It
holds no logic the engine already has: numbers come from the events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from app.agent.events.budget import CalibrationUpdated, CompactionPerformed, ContextMeasured
from app.agent.events.cache import CacheMissed, CacheUsage
from app.agent.events.cache_view import CacheState
from app.agent.events.core import SIDE_ROLES, USAGE_ESTIMATED, CallStatus, Event, ModelCallFinished, SessionStarted
from app.agent.events.core import COCKPIT_SOURCE, TurnStarted

NO_PROVIDER_COUNTS = "no provider counts"  # the server never reported usage: nothing to calibrate against

RECENT_COMPACTIONS = 5
UNATTRIBUTED = "unattributed"


def apportion(values: list[float], total: int) -> list[int]:
    """Integers proportional to ``values`` that add up to exactly ``total`` (largest remainder).

    Deterministic (ties go to the earlier value) and fine with negative values,
    as long as the values do not sum to zero or less.
    """
    whole = sum(values)
    if whole <= 0 or total <= 0:
        return [0] * len(values)
    exact = [v * total / whole for v in values]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


@dataclass
class Segment:
    """One stretch of the window bar (or one legend entry: ``pct`` of the legend's basis)."""

    key: str
    label: str
    tokens: int
    pct: int = 0


@dataclass(frozen=True)
class Legend:
    """The window, entry by entry; the percentages are of ``basis`` tokens and add up to 100.

    ``basis`` is the sum of the entries: the advertised window, unless the
    prompt, the reserve and the buffer together ask for more (``over_window``).
    A negative ``unattributed`` entry is listed (with its negative share), so
    that the fixed entries add up to the headline's ``fixed``.
    """

    entries: list[Segment]
    basis: int
    over_window: bool


def _uncounted(usage: dict[str, Any]) -> bool:
    """The provider did not count this call: Cockpit estimated it, or there are no counts."""
    return usage.get("source") == USAGE_ESTIMATED or not usage.get("prompt_tokens")


@dataclass
class BudgetState:
    """What the Context budget pane renders."""

    model: str = ""
    turn: int = 0
    measured: ContextMeasured | None = None
    badge: str = ""
    last_unattributed: int | None = None  # provider - local, for the last call
    per_turn: dict[int, int] = field(default_factory=dict)  # turn -> prompt tokens
    compactions: list[CompactionPerformed] = field(default_factory=list)
    provider_prompt_tokens: int | None = None  # the last call's reported prompt (imports have nothing else)
    per_turn_basis: str = ""  # local (Cockpit's own count) | provider (imported sessions): never mixed
    provider_counted_calls: int = 0  # calls whose response carried usage
    uncounted_calls: int = 0  # calls answered without usage (estimated or none)
    cache: CacheState = field(default_factory=CacheState)  # prompt caching: hit rates, savings, misses
    imported: bool = False  # another agent's session (SessionStarted.source): it recorded no breakdown
    version: int = 0  # bumped by every event that changes what is shown

    def apply(self, event: Event) -> None:
        self.cache.apply(event)
        if isinstance(event, (CacheUsage, CacheMissed)):
            self.version += 1
        elif isinstance(event, SessionStarted):
            self.model = event.model or self.model
            self.imported = event.source != COCKPIT_SOURCE
            self.version += 1
        elif isinstance(event, TurnStarted):
            self.turn = event.turn
        elif isinstance(event, ContextMeasured):
            self.measured = event
            self.model = event.model or self.model
            self._set_badge(str(event.calibration.get("badge") or self.badge))
            if self.per_turn_basis != "local":
                self.per_turn, self.per_turn_basis = {}, "local"
            # Local counts: unchanged messages keep their count, so growth is the prompt's own growth.
            self.per_turn[event.turn or self.turn] = event.local_total
            self.version += 1
        elif isinstance(event, CalibrationUpdated):
            self._set_badge(event.badge)
            self.last_unattributed = event.unattributed
            self.version += 1
        elif isinstance(event, CompactionPerformed):
            self.compactions = [*self.compactions, event][-RECENT_COMPACTIONS:]
            self.version += 1
        elif isinstance(event, ModelCallFinished) and event.role in SIDE_ROLES:
            pass  # a summary's (a router's, a verifier's) prompt is not the conversation's
        elif isinstance(event, ModelCallFinished) and event.status is CallStatus.OK and _uncounted(event.usage or {}):
            self.uncounted_calls += 1
            self._set_badge(self.badge)
            self.version += 1
        elif isinstance(event, ModelCallFinished) and (event.usage or {}).get("prompt_tokens"):
            # Sessions without local measurements (imported from other agents) still show
            # what the provider counted, turn by turn.
            self.provider_counted_calls += 1
            self.provider_prompt_tokens = int(event.usage["prompt_tokens"])
            if self.per_turn_basis != "local":
                self.per_turn_basis = "provider"
                self.per_turn[event.turn or self.turn] = self.provider_prompt_tokens
            self.version += 1

    def _set_badge(self, badge: str) -> None:
        """The calibration's badge, unless the server never reported usage: then say so."""
        if not self.provider_counted_calls and self.uncounted_calls:
            n = self.uncounted_calls
            badge = f"{NO_PROVIDER_COUNTS} ({n} call{'' if n == 1 else 's'})"
        self.badge = badge

    # --- read by the pane ---------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return self.measured is None

    @property
    def level(self) -> str:
        return self.measured.level if self.measured else "calm"

    @property
    def unattributed(self) -> int:
        """Calibrated total minus local total (negative: the local count is above the provider's)."""
        m = self.measured
        if m is None:
            return 0
        return sum(int(c["tokens"]) for c in m.categories if c["key"] == UNATTRIBUTED)

    def _entries(self) -> list[Segment]:
        m = self.measured
        if m is None:
            return []
        parts = [Segment(c["key"], c["label"], int(c["tokens"])) for c in m.categories if c["tokens"]]
        parts += [
            Segment("free", "free", m.free),
            Segment("buffer", "compaction buffer", m.buffer),
            Segment("reserve", "reserved output", m.reserve),
        ]
        return [p for p in parts if p.tokens]

    def segments(self) -> list[Segment]:
        """The window bar from left to right: categories, then free space, buffer and reserve.

        Only positive stretches can be drawn: a negative unattributed count is
        in the legend, not in the bar.
        """
        return [p for p in self._entries() if p.tokens > 0]

    def legend(self) -> Legend:
        """Every entry with its whole-number share of the window; the shares add up to 100."""
        entries = self._entries()
        m = self.measured
        total = sum(e.tokens for e in entries)
        for entry, pct in zip(entries, apportion([e.tokens for e in entries], 100)):
            entry.pct = pct
        return Legend(entries=entries, basis=total, over_window=m is not None and total > m.advertised)

    def thresholds(self) -> list[tuple[str, int]]:
        """Warn and compact thresholds as token offsets along the bar (where the conversation starts + threshold)."""
        m = self.measured
        if m is None:
            return []
        start = m.fixed - min(0, self.unattributed)  # the drawn fixed part: a negative unattributed is not drawn
        return [("warn", start + m.warn_at), ("compact", start + m.compact_at)]

    def series(self) -> list[int]:
        """Prompt tokens per turn, in turn order, all on ``per_turn_basis``."""
        return [self.per_turn[t] for t in sorted(self.per_turn)]

    @property
    def growth_last(self) -> int | None:
        values = self.series()
        return values[-1] - values[-2] if len(values) >= 2 else None

    @property
    def growth_mean(self) -> float | None:
        values = self.series()
        return (values[-1] - values[0]) / (len(values) - 1) if len(values) >= 2 else None

    @property
    def last_compaction(self) -> CompactionPerformed | None:
        return self.compactions[-1] if self.compactions else None

    def top_items(self) -> list[dict[str, Any]]:
        return list(self.measured.items) if self.measured else []
