"""Settings of the feedback feature (the ``[feedback]`` table of the config file)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from app.agent.config import PROBABILITY, SHARE, Bound


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
        for name in ("rate", "risky_rate", "min_response_rate", "rephrase_similarity"):
            PROBABILITY.require(name, getattr(self, name))
        SHARE.require("fatigue_floor", self.fatigue_floor)  # never stops sampling
        for name in ("fatigue_window_s", "cost_threshold_usd"):
            Bound(whole=False, low=0).require(name, getattr(self, name))
        Bound(whole=True, low=1).require("min_n", self.min_n)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FeedbackConfig":
        """Build from a config table; unknown keys are ignored, bad values raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known or value is None:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                kwargs[key] = value  # __post_init__ checks the range and says what was given
            else:  # text ("0.2"), or a bad type: read as the setting's type, or the reason
                try:
                    kwargs[key] = Bound(whole=key == "min_n", low=-math.inf).check(value)
                except ValueError as exc:
                    raise ValueError(f"{key} {exc}") from None
        return cls(**kwargs)

    def with_rate(self, rate: float) -> "FeedbackConfig":
        """The same settings with π overridden (``--feedback-rate``)."""
        return replace(self, rate=float(rate))
