"""What the status bar shows, computed from events (a pure reducer, no widgets)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.agent.events.format import CostTally

# Events are matched by their ``type`` string (their stored name), so the status bar
# never imports the events module before the first frame.
REDUCED_TYPES = frozenset(
    {"session_started", "turn_started", "model_call_started", "model_call_finished", "turn_finished", "context_measured",
     "subagent_status"}
)
CHILD_ROLE = "subagent"  # a delegated task's calls (``app.agent.events.subagents.ROLE_SUBAGENT``; a test keeps them equal)
# The roles of calls made on the side (``app.agent.events.core.SIDE_ROLES``, by value for the same reason; a
# test keeps them equal): no step of the task, and their prompt is not the conversation's size.
SIDE_ROLES = frozenset({"summary", "router", "verifier"})


@dataclass(frozen=True)
class ContextReading:
    """The context meter: the conversation's tokens against the usable window, from the last
    ``ContextMeasured``; or only what the provider counted (``usable`` None: not known)."""

    used: int
    usable: int | None = None  # None: no measurement, the window is not known
    pct: float | None = None  # used / usable, in percent
    level: str = "calm"  # calm | warning (past warn_at) | critical (past compact_at)
    approximate: bool = False  # a local estimate, not the provider's count
    assumed_window: bool = False  # the model's window is not known: a default was assumed

    @classmethod
    def measured(cls, event: Any) -> ContextReading:  # an ev.ContextMeasured
        return cls(
            used=event.used,
            usable=event.usable or None,
            pct=event.used_pct if event.usable else None,
            level=event.level,
            approximate=event.estimate_is_approximate,
            assumed_window=event.advertised_source == "assumed",
        )


@dataclass
class RoleTally:
    """One role's calls: tokens in and out, and their cost."""

    tokens: int = 0
    cost: CostTally = field(default_factory=CostTally)

    def add(self, event: Any) -> None:  # an ev.ModelCallFinished
        self.tokens += int(event.usage.get("prompt_tokens") or 0) + int(event.usage.get("completion_tokens") or 0)
        self.cost.add(event.cost_usd, ok=event.status == "ok")


@dataclass
class SessionStats:
    session_id: str = ""
    model: str = ""
    workspace: str = ""
    steps: int = 0  # model calls started as first attempts, over the session
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_estimated: bool = False  # some of tokens_in / tokens_out are an estimate, not the provider's count
    cost: CostTally = field(default_factory=CostTally)  # priced calls summed, unpriced ones counted
    running: bool = False
    turn_started: float | None = None  # clock value when the running turn began
    last_turn_s: float = 0.0
    context: ContextReading | None = None  # None until measured or counted by the provider
    by_role: dict[str, RoleTally] = field(default_factory=dict)  # main, summary, router, verifier… as first used
    counted_call: str | None = None  # the call whose start was the last step counted

    def apply(self, event: Any, now: float) -> None:  # an ev.Event of one of REDUCED_TYPES
        kind = event.type
        if kind == "session_started":
            self.session_id, self.model, self.workspace = event.session_id, event.model, event.workspace
        elif kind == "turn_started":
            self.running, self.turn_started = True, now
        elif kind == "model_call_started":
            if _first_main_attempt(event):  # a retry or a summary is not a step
                self.steps += 1
                self.counted_call = event.call_id
            self.model = event.model or self.model
        elif kind == "model_call_finished":
            if _first_main_attempt(event) and event.call_id != self.counted_call:  # no start: an import's step
                self.steps += 1
            prompt, completion = int(event.usage.get("prompt_tokens") or 0), int(event.usage.get("completion_tokens") or 0)
            from app.agent.events.core import USAGE_ESTIMATED, usage_source  # not at the first frame (a deferred module)

            estimated = usage_source(event.usage) == USAGE_ESTIMATED
            self.tokens_in += prompt
            self.tokens_out += completion
            self.tokens_estimated = self.tokens_estimated or (estimated and bool(prompt or completion))
            self.cost.add(event.cost_usd, ok=event.status == "ok")  # a str enum, matched by its value
            self.by_role.setdefault(getattr(event, "role", "main"), RoleTally()).add(event)
            unmeasured = self.context is None or self.context.usable is None
            if prompt and unmeasured and getattr(event, "role", "main") not in SIDE_ROLES:
                # an imported session: the call's prompt count (the provider's, or an estimate: shown with ≈)
                self.context = ContextReading(used=prompt, approximate=estimated)
        elif kind == "context_measured":
            self.context = ContextReading.measured(event)
        elif kind == "subagent_status" and event.usage:  # a child's calls, once it is done: the parent's figures too
            self._add_child(event.usage)
        elif kind == "turn_finished":
            if self.turn_started is not None:
                self.last_turn_s = max(0.0, now - self.turn_started)
            self.running, self.turn_started = False, None

    def _add_child(self, usage: dict[str, Any]) -> None:
        tokens_in, tokens_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        tally = self.by_role.setdefault(CHILD_ROLE, RoleTally())
        tally.tokens += tokens_in + tokens_out
        for cost in (self.cost, tally.cost):
            cost.add_sum(usage.get("cost_usd"), unpriced=int(usage.get("unpriced_calls") or 0))

    @classmethod
    def restored(cls, events: Iterable[Any]) -> SessionStats:
        """A resumed session's totals, folded from its stored events at their own times (so the
        last turn's duration is the stored one); a turn left running by a crash counts as ended."""
        stats, last = cls(), 0.0
        for event in events:
            last = event.ts
            stats.apply(event, last)
        if stats.running and stats.turn_started is not None:
            stats.last_turn_s = max(0.0, last - stats.turn_started)
        stats.running, stats.turn_started = False, None
        return stats

    def elapsed(self, now: float) -> float:
        """Seconds of the running turn, or of the last one."""
        if self.running and self.turn_started is not None:
            return max(0.0, now - self.turn_started)
        return self.last_turn_s


def _first_main_attempt(event: Any) -> bool:
    """A model call's first attempt in the conversation's role (main, router, verifier…): one step."""
    return bool(event.attempt == 1 and getattr(event, "role", "main") not in SIDE_ROLES)


def clock_text(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
