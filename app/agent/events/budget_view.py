"""The context budget as the pane shows it, folded from events.

Live and replay use the same reducer: ``BudgetState.apply`` takes every event of
a session (core ones and the budget's own) and keeps what the pane draws. It
holds no logic the engine already has: numbers come from the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.agent.events.budget import CalibrationUpdated, CompactionPerformed, ContextMeasured
from app.agent.events.core import Event, ModelCallFinished, SessionStarted, TurnStarted

RECENT_COMPACTIONS = 5


@dataclass
class Segment:
    """One stretch of the window bar."""

    key: str
    label: str
    tokens: int


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
    version: int = 0  # bumped by every event that changes what is shown

    def apply(self, event: Event) -> None:
        if isinstance(event, SessionStarted):
            self.model = event.model or self.model
            self.version += 1
        elif isinstance(event, TurnStarted):
            self.turn = event.turn
        elif isinstance(event, ContextMeasured):
            self.measured = event
            self.model = event.model or self.model
            self.badge = str(event.calibration.get("badge") or self.badge)
            self.per_turn[event.turn or self.turn] = event.calibrated_total
            self.version += 1
        elif isinstance(event, CalibrationUpdated):
            self.badge = event.badge
            self.last_unattributed = event.unattributed
            self.version += 1
        elif isinstance(event, CompactionPerformed):
            self.compactions = [*self.compactions, event][-RECENT_COMPACTIONS:]
            self.version += 1
        elif isinstance(event, ModelCallFinished) and (event.usage or {}).get("prompt_tokens"):
            # Sessions without local measurements (imported from other agents) still show
            # what the provider counted, turn by turn.
            self.provider_prompt_tokens = int(event.usage["prompt_tokens"])
            if self.measured is None:
                self.per_turn[event.turn or self.turn] = self.provider_prompt_tokens
            self.version += 1

    # --- read by the pane ---------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return self.measured is None

    @property
    def level(self) -> str:
        return self.measured.level if self.measured else "calm"

    def segments(self) -> list[Segment]:
        """The window from left to right: categories, then free space, buffer and reserve."""
        m = self.measured
        if m is None:
            return []
        parts = [Segment(c["key"], c["label"], int(c["tokens"])) for c in m.categories if c["tokens"] > 0]
        parts += [
            Segment("free", "free", m.free),
            Segment("buffer", "compaction buffer", m.buffer),
            Segment("reserve", "reserved output", m.reserve),
        ]
        return [p for p in parts if p.tokens > 0]

    def thresholds(self) -> list[tuple[str, int]]:
        """Warn and compact thresholds as token offsets along the advertised window."""
        m = self.measured
        if m is None:
            return []
        return [("warn", m.fixed + m.warn_at), ("compact", m.fixed + m.compact_at)]

    def series(self) -> list[int]:
        """Prompt tokens per turn, in turn order."""
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
