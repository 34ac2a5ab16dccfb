"""How long to wait before a retry: exponential backoff with full jitter.

Full jitter (``uniform(0, min(cap, base * 2 ** (n - 1)))``) spreads the retries
of many clients instead of synchronising them. A Retry-After from the provider
is a floor: we never retry sooner than it asks.
"""

from __future__ import annotations

import random


def backoff_ceiling(failed_attempt: int, *, base_s: float, cap_s: float) -> float:
    """The upper bound of the wait after attempt number ``failed_attempt`` (1-based) failed."""
    exponent = max(0, failed_attempt - 1)
    return min(cap_s, base_s * 2.0 ** min(exponent, 64))


def full_jitter(failed_attempt: int, *, base_s: float, cap_s: float, rng: random.Random) -> float:
    return rng.uniform(0.0, backoff_ceiling(failed_attempt, base_s=base_s, cap_s=cap_s))


def retry_wait(
    failed_attempt: int,
    *,
    retry_after_s: float | None,
    base_s: float,
    cap_s: float,
    rng: random.Random,
) -> float:
    """Seconds to sleep before the next attempt: the jittered backoff, but at least Retry-After."""
    wait = full_jitter(failed_attempt, base_s=base_s, cap_s=cap_s, rng=rng)
    if retry_after_s is not None:
        wait = max(wait, retry_after_s)
    return wait
