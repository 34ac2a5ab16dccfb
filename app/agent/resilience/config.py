"""Settings of the resilience engine (the ``[resilience]`` table of the config file).

Defaults and what they mean:

Retries (per model call)
    ``max_attempts = 3``            attempts per call, the first try included.
    ``backoff_base_s = 0.5``        exponential backoff with full jitter:
    ``backoff_cap_s = 8.0``         wait = uniform(0, min(cap, base * 2 ** (n - 1))).
    ``retry_after_max_s = 60.0``    a Retry-After up to this is honoured; longer
                                    stops the call (the user sees a countdown).

Retry token bucket (per session)
    ``bucket_capacity = 50``        the bucket starts full.
    ``retry_cost = 5``              what one retry takes from the bucket ...
    ``heavy_retry_cost = 10``       ... or this, after a timeout, 429 or 529.
    ``success_refund = 1``          a first-try success puts this back (up to capacity).
    An empty bucket refuses further automatic retries: the session pauses and says why.

Circuit breakers (per provider/model and per tool)
    ``breaker_consecutive_failures = 5``  consecutive retryable failures that open it,
    ``breaker_window = 10``               or: of the last ``window`` calls (at least
    ``breaker_window_min_calls = 5``      ``min_calls`` of them) this share failed.
    ``breaker_failure_ratio = 0.5``
    ``breaker_open_s = 30.0``             open for max(Retry-After, this), doubling on
    ``breaker_open_max_s = 300.0``        every reopening up to this; a quota 429, 401
                                          or 403 opens it at once. Half-open lets one
                                          probe through.
    ``fallback_model = None``             a model to use while the primary's breaker is open.

Retry ratio alarm
    ``ratio_warn = 0.10``, ``ratio_alarm = 0.20``: lines for retries / first tries,
    judged once ``ratio_min_first_tries = 5`` calls were made.

Doom-loop detector
    ``loop_window = 20``               tool calls remembered within a turn.
    ``loop_same_call = 5``             the same call (tool + canonical arguments).
    ``loop_same_call_errors = 3``      the same call, failing each time.
    ``loop_identical_pairs = 4``       the same call with the same result.
    ``loop_alternation_steps = 6``     A-B-A-B-A-B.
    ``loop_empty_responses = 3``       empty model replies in a row.
    ``loop_error_repeats = 3``         the same error fingerprint in this many turns.
    ``semantic_errors_in_row = 3``     bad JSON / schema / unknown tool, per tool, in a row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from app.agent.config import SHARE, Bound, require_order

# Error classes whose retry costs ``heavy_retry_cost``.
HEAVY_ERRORS = ("timeout", "rate_limit", "overloaded")


@dataclass(frozen=True)
class ResilienceConfig:
    max_attempts: int = 3
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0
    retry_after_max_s: float = 60.0

    bucket_capacity: float = 50.0
    retry_cost: float = 5.0
    heavy_retry_cost: float = 10.0
    success_refund: float = 1.0

    breaker_consecutive_failures: int = 5
    breaker_window: int = 10
    breaker_window_min_calls: int = 5
    breaker_failure_ratio: float = 0.5
    breaker_open_s: float = 30.0
    breaker_open_max_s: float = 300.0
    fallback_model: str | None = None

    ratio_warn: float = 0.10
    ratio_alarm: float = 0.20
    ratio_min_first_tries: int = 5

    loop_window: int = 20
    loop_same_call: int = 5
    loop_same_call_errors: int = 3
    loop_identical_pairs: int = 4
    loop_alternation_steps: int = 6
    loop_empty_responses: int = 3
    loop_error_repeats: int = 3
    semantic_errors_in_row: int = 3

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "fallback_model":
                if value is not None and (not isinstance(value, str) or not value.strip()):
                    raise ValueError(f"fallback_model must be a model name or absent (got {value!r})")
                continue
            low = AT_LEAST.get(f.name, 0)
            bound = SHARE if f.name == "breaker_failure_ratio" else Bound(whole=f.type == "int", low=low)
            bound.require(f.name, value)
        if self.loop_window < max(self.loop_same_call, self.loop_alternation_steps, self.loop_identical_pairs):
            raise ValueError("loop_window must hold at least as many calls as each loop pattern")
        require_order(self, "breaker_window_min_calls", "breaker_window")
        require_order(self, "backoff_base_s", "backoff_cap_s")
        require_order(self, "breaker_open_s", "breaker_open_max_s")
        require_order(self, "ratio_warn", "ratio_alarm")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ResilienceConfig:
        """Build from a config table; unknown keys are ignored, bad values raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in names}
        for f in dataclasses.fields(cls):
            if f.type == "float" and isinstance(kwargs.get(f.name), int) and not isinstance(kwargs[f.name], bool):
                kwargs[f.name] = float(kwargs[f.name])
        return cls(**kwargs)

    def retry_cost_for(self, error_class: str) -> float:
        return self.heavy_retry_cost if error_class in HEAVY_ERRORS else self.retry_cost


AT_LEAST = {name: 1 for name in (  # the lowest value of a setting, where it is not 0
    "max_attempts", "breaker_consecutive_failures", "breaker_window", "breaker_window_min_calls",
    "ratio_min_first_tries", "loop_same_call", "loop_same_call_errors", "loop_identical_pairs",
    "loop_empty_responses", "loop_error_repeats", "semantic_errors_in_row")} | {"loop_alternation_steps": 4}
