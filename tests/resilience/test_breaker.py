"""Circuit breaker transitions with an injected clock."""

from __future__ import annotations

from app.agent.resilience.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from app.agent.resilience.config import ResilienceConfig


def make(fake_time, **overrides):
    return CircuitBreaker("openai/gpt", config=ResilienceConfig.from_dict(overrides), clock=fake_time)


def test_opens_after_five_consecutive_failures(fake_time):
    breaker = make(fake_time)
    transitions = [breaker.record_failure("server_error") for _ in range(5)]
    assert transitions[:4] == [None] * 4
    opened = transitions[4]
    assert (opened.state, opened.previous, opened.open_for_s, opened.trips) == (OPEN, CLOSED, 30.0, 1)
    assert "5 consecutive failures" in opened.reason
    assert breaker.allow() == (False, None)
    assert breaker.half_open_in() == 30.0


def test_opens_when_half_of_the_last_ten_failed(fake_time):
    breaker = make(fake_time)
    for outcome in ["ok", "ok", "fail", "ok", "fail", "ok", "ok", "fail", "ok"]:
        assert (breaker.record_success() if outcome == "ok" else breaker.record_failure("timeout")) is None
    # 3 of the last 9 failed; one more failure makes 4 of 10: still closed
    assert breaker.record_failure("timeout") is None
    opened = breaker.record_failure("timeout")  # window now holds 5 failures of 10
    assert opened is not None and opened.state == OPEN
    assert "5 of the last 10 calls failed" in opened.reason


def test_ratio_needs_a_minimum_of_calls(fake_time):
    breaker = make(fake_time, breaker_consecutive_failures=10)
    assert breaker.record_success() is None
    assert breaker.record_failure("timeout") is None  # 1 of 2 failed, but fewer than 5 calls seen
    assert breaker.record_failure("timeout") is None  # 2 of 3
    assert breaker.record_failure("timeout") is None  # 3 of 4
    assert breaker.record_failure("timeout").state == OPEN  # 4 of 5


def test_trip_opens_at_once_for_at_least_retry_after(fake_time):
    breaker = make(fake_time)
    opened = breaker.record_failure("quota", trip=True, retry_after_s=90.0)
    assert opened.state == OPEN and opened.open_for_s == 90.0


def test_half_open_lets_one_probe_and_closes_on_success(fake_time):
    breaker = make(fake_time)
    for _ in range(5):
        breaker.record_failure("server_error")
    fake_time.advance(29.9)
    assert breaker.allow() == (False, None)
    fake_time.advance(0.1)
    allowed, transition = breaker.allow()
    assert allowed and transition.state == HALF_OPEN
    assert breaker.allow() == (False, None)  # only one probe at a time
    closed = breaker.record_success()
    assert closed.state == CLOSED and closed.previous == HALF_OPEN
    assert breaker.allow() == (True, None)
    assert breaker.trips == 0


def test_failed_probe_reopens_for_twice_as_long_up_to_five_minutes(fake_time):
    breaker = make(fake_time)
    for _ in range(5):
        breaker.record_failure("server_error")
    durations = []
    for _ in range(6):
        fake_time.advance(breaker.half_open_in())
        assert breaker.allow()[0]
        reopened = breaker.record_failure("server_error")
        durations.append(reopened.open_for_s)
    assert durations == [60.0, 120.0, 240.0, 300.0, 300.0, 300.0]


def test_a_neutral_outcome_frees_the_probe(fake_time):
    breaker = make(fake_time)
    for _ in range(5):
        breaker.record_failure("server_error")
    fake_time.advance(30)
    assert breaker.allow()[0]
    breaker.record_neutral()  # e.g. the probe was cancelled
    assert breaker.state == HALF_OPEN
    assert breaker.allow() == (True, None)


def test_success_resets_the_consecutive_count(fake_time):
    breaker = make(fake_time, breaker_window=100, breaker_window_min_calls=100)
    for _ in range(4):
        breaker.record_failure("timeout")
    breaker.record_success()
    for _ in range(4):
        assert breaker.record_failure("timeout") is None
    assert breaker.state == CLOSED
