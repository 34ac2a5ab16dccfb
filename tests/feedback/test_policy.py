import random

import pytest

from app.agent.feedback.config import FeedbackConfig
from app.agent.feedback.policy import SamplingPolicy, oversample_reasons, propensity
from app.agent.feedback.signals import TaskSignals


def test_oversample_reasons():
    config = FeedbackConfig(cost_threshold_usd=0.5)
    assert oversample_reasons(TaskSignals(), config) == []
    signals = TaskSignals(retries=1, tool_errors=2, loop_hits=1, cost_usd=0.51)
    assert oversample_reasons(signals, config, after_revert=True) == ["retry", "tool_error", "loop", "revert", "cost"]
    assert oversample_reasons(TaskSignals(cost_usd=0.5), config) == []  # above, not at, the threshold


def test_propensity_rules():
    c = FeedbackConfig()
    assert propensity(c, [], fatigued=False) == 0.10
    assert propensity(c, ["retry"], fatigued=False) == 0.25
    assert propensity(c, ["retry"], fatigued=True) == 0.02
    assert propensity(c, [], fatigued=True) == 0.02
    # a base rate above the risky rate is never lowered by "oversampling"
    assert propensity(FeedbackConfig(rate=0.5), ["retry"], fatigued=False) == 0.5
    # 0 and 1 are honoured exactly
    for reasons in ([], ["cost"]):
        for fatigued in (False, True):
            assert propensity(c.with_rate(0), reasons, fatigued=fatigued) == 0.0
            assert propensity(c.with_rate(1), reasons, fatigued=fatigued) == 1.0


def test_fatigue_lasts_the_window_then_lifts():
    policy = SamplingPolicy(FeedbackConfig(rate=0.5), random.Random(1))
    policy.last_shown_at = 1000.0
    assert policy.decide([], now=1000.0 + 599).pi == 0.02
    assert policy.decide([], now=1000.0 + 599).fatigued
    decision = policy.decide([], now=1000.0 + 600)
    assert decision.pi == 0.5 and not decision.fatigued


def test_shown_is_exactly_u_below_pi_and_resets_fatigue():
    policy = SamplingPolicy(FeedbackConfig(rate=0.3, fatigue_window_s=0), random.Random(7))
    for i in range(200):
        d = policy.decide([], now=float(i))
        assert d.shown == (d.u < d.pi)
        if d.shown:
            assert policy.last_shown_at == float(i)


@pytest.mark.parametrize("rate, expected", [(0.0, 0), (1.0, 300)])
def test_rate_zero_never_asks_and_one_always_asks(rate, expected):
    policy = SamplingPolicy(FeedbackConfig(rate=rate), random.Random(3))
    shown = sum(policy.decide(["retry"], now=float(i)).shown for i in range(300))
    assert shown == expected
