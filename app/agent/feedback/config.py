"""Settings of the feedback feature (the ``[feedback]`` table of the config file)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class FeedbackConfig:
    """Sampling and reporting knobs, with the defaults of issue 6.

    ``rate`` is the base propensity π of asking after a finished task. 0 never
    asks and 1 always asks: both are honoured exactly (no oversampling, no
    fatigue), which is what ``--feedback-rate 0`` / ``1`` mean.
    """

    rate: float = 0.10  # π for an ordinary task
    risky_rate: float = 0.25  # π for a task worth oversampling (retries, tool errors, loops, reverts, cost)
    fatigue_window_s: float = 600.0  # at most one prompt per window; 0 turns fatigue off
    fatigue_floor: float = 0.02  # π inside the fatigue window: lowered to this, never to 0
    cost_threshold_usd: float = 0.50  # a task costing more than this is oversampled
    min_n: int = 10  # below this many ratings the report says "not enough data"
    min_response_rate: float = 0.80  # below this the report adds worst-case bounds
    rephrase_similarity: float = 0.75  # difflib ratio above which a new prompt is a rephrase

    def __post_init__(self) -> None:
        for name in ("rate", "risky_rate", "fatigue_floor", "min_response_rate", "rephrase_similarity"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"feedback.{name} must be a number between 0 and 1 (got {value!r})")
        if self.fatigue_floor <= 0.0:
            raise ValueError(f"feedback.fatigue_floor must be above 0, fatigue never stops sampling (got {self.fatigue_floor!r})")
        for name in ("fatigue_window_s", "cost_threshold_usd"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"feedback.{name} must be a number >= 0 (got {value!r})")
        if not isinstance(self.min_n, int) or self.min_n < 1:
            raise ValueError(f"feedback.min_n must be an integer >= 1 (got {self.min_n!r})")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FeedbackConfig":
        """Build from a config table; unknown keys are ignored, bad values raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known or value is None:
                continue
            kind = int if key == "min_n" else float
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(f"feedback.{key} must be a number (got {value!r})")
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"feedback.{key} must be a number (got {value!r})") from None
            if kind is int:
                if not number.is_integer():
                    raise ValueError(f"feedback.{key} must be an integer (got {value!r})")
                number = int(number)
            kwargs[key] = number
        return cls(**kwargs)

    def with_rate(self, rate: float) -> "FeedbackConfig":
        """The same settings with π overridden (``--feedback-rate``)."""
        return replace(self, rate=float(rate))
