"""Backoff bounds, Retry-After as a floor, and the retry bucket arithmetic."""

from __future__ import annotations

import random

import pytest

from app.agent.resilience.backoff import backoff_ceiling, full_jitter, retry_wait
from app.agent.resilience.retry_budget import RetryBucket


def test_ceiling_doubles_from_base_up_to_cap():
    ceilings = [backoff_ceiling(n, base_s=0.5, cap_s=8.0) for n in range(1, 8)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_ceiling(10_000, base_s=0.5, cap_s=8.0) == 8.0  # no overflow


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 9])
def test_full_jitter_stays_within_zero_and_the_ceiling(attempt):
    rng = random.Random(attempt)
    ceiling = backoff_ceiling(attempt, base_s=0.5, cap_s=8.0)
    waits = [full_jitter(attempt, base_s=0.5, cap_s=8.0, rng=rng) for _ in range(500)]
    assert all(0.0 <= w <= ceiling for w in waits)
    # full jitter really spreads: both halves of the range are used
    assert min(waits) < ceiling / 2 < max(waits)


def test_retry_after_is_a_floor():
    rng = random.Random(1)
    waits = [retry_wait(1, retry_after_s=5.0, base_s=0.5, cap_s=8.0, rng=rng) for _ in range(100)]
    assert all(w == 5.0 for w in waits)  # the attempt-1 jitter (≤ 0.5 s) never beats it
    waits = [retry_wait(5, retry_after_s=1.0, base_s=0.5, cap_s=8.0, rng=rng) for _ in range(200)]
    assert all(1.0 <= w <= 8.0 for w in waits)


def test_bucket_spends_refuses_and_refunds():
    bucket = RetryBucket(50)
    assert bucket.level == 50
    assert all(bucket.try_spend(10) for _ in range(4))
    assert bucket.level == 10
    assert bucket.try_spend(5) and bucket.level == 5
    assert not bucket.try_spend(10)  # refused: nothing taken
    assert bucket.level == 5 and bucket.refused == 1
    assert bucket.try_spend(5) and bucket.level == 0
    assert not bucket.try_spend(5) and bucket.refused == 2


def test_refund_never_exceeds_capacity():
    bucket = RetryBucket(50, level=48.5)
    assert bucket.refund(1) == 1 and bucket.level == 49.5
    assert bucket.refund(1) == 0.5 and bucket.level == 50
    assert bucket.refund(1) == 0 and bucket.level == 50


def test_a_failing_endpoint_gets_a_bounded_number_of_retries():
    """Defaults: 50 tokens, 10 per 429 retry → exactly 5 retries, then refusals."""
    bucket = RetryBucket(50)
    granted = sum(bucket.try_spend(10) for _ in range(100))
    assert granted == 5
