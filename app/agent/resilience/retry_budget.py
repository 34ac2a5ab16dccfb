"""The per-session retry token bucket.

Every retry takes tokens (more after timeouts and 429/529s); every first-try
success puts a little back. When a retry does not fit, it is refused: a
flaky endpoint can cost a bounded number of retries per session, never more.
"""

from __future__ import annotations


class RetryBucket:
    def __init__(self, capacity: float, *, level: float | None = None) -> None:
        if capacity < 0:
            raise ValueError("bucket capacity must not be negative")
        self.capacity = float(capacity)
        self.level = self.capacity if level is None else min(self.capacity, max(0.0, float(level)))
        self.refused = 0

    def try_spend(self, cost: float) -> bool:
        """Take ``cost`` tokens if they are there; otherwise count a refusal and take nothing."""
        if cost > self.level:
            self.refused += 1
            return False
        self.level -= cost
        return True

    def refund(self, amount: float) -> float:
        """Put ``amount`` back, never above capacity; returns what was actually added."""
        added = min(amount, self.capacity - self.level)
        self.level += added
        return added
