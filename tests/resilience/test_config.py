"""The configuration: documented defaults, unknown keys ignored, bad values refused."""

from __future__ import annotations

import pytest

from app.agent.resilience.config import ResilienceConfig


def test_defaults_match_the_issue():
    c = ResilienceConfig()
    assert (c.max_attempts, c.backoff_base_s, c.backoff_cap_s, c.retry_after_max_s) == (3, 0.5, 8.0, 60.0)
    assert (c.bucket_capacity, c.retry_cost, c.heavy_retry_cost, c.success_refund) == (50, 5, 10, 1)
    assert (c.breaker_consecutive_failures, c.breaker_window, c.breaker_window_min_calls) == (5, 10, 5)
    assert (c.breaker_open_s, c.breaker_open_max_s, c.fallback_model) == (30.0, 300.0, None)
    assert (c.ratio_warn, c.ratio_alarm) == (0.10, 0.20)


def test_from_dict_ignores_unknown_keys_and_converts_ints():
    c = ResilienceConfig.from_dict({"max_attempts": 5, "backoff_cap_s": 10, "colour": "blue",
                                    "fallback_model": "openai/gpt-4o-mini"})
    assert c.max_attempts == 5 and c.backoff_cap_s == 10.0 and c.fallback_model == "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 2.5}, "whole number"),
        ({"max_attempts": True}, "max_attempts"),
        ({"retry_cost": "five"}, "retry_cost"),
        ({"bucket_capacity": -1}, "bucket_capacity"),
        ({"breaker_failure_ratio": 1.5}, "breaker_failure_ratio"),
        ({"backoff_base_s": 10, "backoff_cap_s": 8}, "backoff_cap_s"),
        ({"fallback_model": ""}, "fallback_model"),
        ({"ratio_warn": 0.3, "ratio_alarm": 0.2}, "ratio_alarm"),
        ({"loop_window": 3}, "loop_window"),
    ],
)
def test_bad_values_are_refused_clearly(table, complaint):
    with pytest.raises(ValueError, match=complaint):
        ResilienceConfig.from_dict(table)


def test_heavy_errors_cost_more():
    c = ResilienceConfig()
    assert c.retry_cost_for("rate_limit") == c.retry_cost_for("timeout") == c.retry_cost_for("overloaded") == 10
    assert c.retry_cost_for("server_error") == c.retry_cost_for("connection") == 5
