"""When to ask: a random draw against a known propensity π.

The estimator can only correct for who was asked if it knows exactly how
likely each task was to be asked, so every decision records π and the draw u,
and a task is shown the prompt iff ``u < π``.

π for a task:

1. ``config.rate`` (default 0.10); 0 and 1 are honoured exactly, nothing below applies;
2. raised to ``config.risky_rate`` (default 0.25) when the task is worth
   oversampling (see :func:`oversample_reasons`);
3. lowered to ``config.fatigue_floor`` (default 0.02, never 0) when a prompt was
   shown less than ``config.fatigue_window_s`` (default 600 s) ago.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from app.agent.feedback.config import FeedbackConfig
from app.agent.feedback.signals import TaskSignals


@dataclass(frozen=True)
class Decision:
    pi: float
    u: float
    shown: bool
    reasons: tuple[str, ...]
    fatigued: bool


def oversample_reasons(signals: TaskSignals, config: FeedbackConfig, *, after_revert: bool = False) -> list[str]:
    """Why a task deserves a higher π: retries, tool errors, loop hits, a revert
    of the agent's previous edits found when this task started, high cost."""
    reasons = []
    if signals.retries:
        reasons.append("retry")
    if signals.tool_errors:
        reasons.append("tool_error")
    if signals.loop_hits:
        reasons.append("loop")
    if after_revert:
        reasons.append("revert")
    if signals.cost_usd > config.cost_threshold_usd:
        reasons.append("cost")
    return reasons


def propensity(config: FeedbackConfig, reasons: Sequence[str], *, fatigued: bool) -> float:
    """π for one task (see the module docstring)."""
    if config.rate <= 0.0:
        return 0.0
    if config.rate >= 1.0:
        return 1.0
    pi = max(config.rate, config.risky_rate) if reasons else config.rate
    if fatigued:
        pi = min(pi, config.fatigue_floor)
    return pi


class SamplingPolicy:
    """Draws the decisions; remembers when it last showed a prompt (fatigue)."""

    def __init__(self, config: FeedbackConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng
        self.last_shown_at: float | None = None

    def fatigued(self, now: float) -> bool:
        window = self.config.fatigue_window_s
        return window > 0 and self.last_shown_at is not None and now - self.last_shown_at < window

    def decide(self, reasons: Sequence[str], now: float) -> Decision:
        fatigued = self.fatigued(now) and 0.0 < self.config.rate < 1.0
        pi = propensity(self.config, reasons, fatigued=fatigued)
        u = self.rng.random()
        shown = u < pi
        if shown:
            self.last_shown_at = now
        return Decision(pi=pi, u=u, shown=shown, reasons=tuple(reasons), fatigued=fatigued)
