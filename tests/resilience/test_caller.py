"""The retry engine: decisions, waits, bucket, breakers and fallback, with fake time."""

from __future__ import annotations

import asyncio

import pytest

from app.agent.resilience.errors import (
    AttemptsExhausted,
    CircuitOpen,
    ContextWindowExceeded,
    ResilienceError,
    RetryAfterTooLong,
    RetryBudgetExhausted,
    TerminalModelError,
)
from app.agent.events.resilience import (
    AttemptFailed,
    AttemptSucceeded,
    BreakerChanged,
    CallShortCircuited,
    RetryRatioAlarm,
    RetryTaxAccrued,
)
from tests.resilience.conftest import http_response

P = {"llm_provider": "openai", "model": "gpt-4o-mini"}


class Endpoint:
    """A scripted model endpoint: each attempt raises the next error or returns ``"reply"``."""

    def __init__(self, *outcomes: BaseException | str) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[int] = []

    async def __call__(self, n: int) -> str:
        self.calls.append(n)
        outcome = self.outcomes.pop(0) if self.outcomes else "reply"
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def of(events, cls):
    return [e for e in events if isinstance(e, cls)]


def rate_limited(litellm, retry_after: str | None = None):
    headers = {"retry-after": retry_after} if retry_after else {}
    return litellm.RateLimitError("slow down", response=http_response(429, headers), **P)


def server_error(litellm):
    return litellm.InternalServerError("boom", **P)


async def test_first_try_success_refunds_the_bucket(make_engine, events):
    engine = make_engine()
    engine.retry.bucket.level = 40
    assert await engine.call_model("openai/gpt", Endpoint(), emit=events.append, call_id="c1") == "reply"
    (ok,) = of(events, AttemptSucceeded)
    assert (ok.call_id, ok.attempt, ok.first_try, ok.bucket_level) == ("c1", 1, True, 41)
    assert (engine.retry.first_tries, engine.retry.retries) == (1, 0)


async def test_transient_error_then_success(litellm, make_engine, events, fake_time):
    engine = make_engine()
    endpoint = Endpoint(server_error(litellm), "fixed")
    assert await engine.call_model("openai/gpt", endpoint, emit=events.append) == "fixed"
    assert endpoint.calls == [1, 2]
    (failed,) = of(events, AttemptFailed)
    assert (failed.decision, failed.error_class, failed.retry_cost, failed.bucket_level) == (
        "retry", "server_error", 5, 45)
    assert fake_time.waits == [failed.wait_s] and 0 <= failed.wait_s <= 0.5
    (ok,) = of(events, AttemptSucceeded)
    assert (ok.attempt, ok.first_try, ok.bucket_level) == (2, False, 45)  # no refund for a retry
    assert (engine.retry.first_tries, engine.retry.retries, engine.retry.backoff_s) == (1, 1, failed.wait_s)


async def test_attempts_are_bounded(litellm, make_engine, events, fake_time):
    engine = make_engine()
    endpoint = Endpoint(*[server_error(litellm) for _ in range(10)])
    with pytest.raises(AttemptsExhausted) as caught:
        await engine.call_model("openai/gpt", endpoint, emit=events.append)
    assert endpoint.calls == [1, 2, 3]
    assert len(fake_time.waits) == 2
    assert [(e.decision, e.reason) for e in of(events, AttemptFailed)] == [
        ("retry", ""), ("retry", ""), ("stop", "max_attempts")]
    assert "failed 3 times" in str(caught.value)
    assert caught.value.error.name == "server_error"


async def test_backoff_grows_with_full_jitter(litellm, make_engine, events, fake_time):
    engine = make_engine(max_attempts=6, breaker_consecutive_failures=10, breaker_window_min_calls=10)
    with pytest.raises(AttemptsExhausted):
        await engine.call_model("openai/gpt", Endpoint(*[server_error(litellm)] * 6), emit=events.append)
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(fake_time.waits) == 5
    assert all(0 <= w <= c for w, c in zip(fake_time.waits, ceilings))


async def test_retry_after_is_honoured(litellm, make_engine, events, fake_time):
    engine = make_engine()
    endpoint = Endpoint(rate_limited(litellm, "7"), "ok")
    assert await engine.call_model("openai/gpt", endpoint, emit=events.append) == "ok"
    assert fake_time.waits == [7.0]
    (failed,) = of(events, AttemptFailed)
    assert (failed.retry_after_s, failed.wait_s, failed.retry_cost) == (7.0, 7.0, 10)


async def test_retry_after_longer_than_the_cap_stops(litellm, make_engine, events, fake_time):
    engine = make_engine()
    endpoint = Endpoint(rate_limited(litellm, "120"))
    with pytest.raises(RetryAfterTooLong) as caught:
        await engine.call_model("openai/gpt", endpoint, emit=events.append)
    assert caught.value.retry_after_s == 120.0 and "120 s" in str(caught.value)
    assert endpoint.calls == [1] and fake_time.waits == []
    assert engine.retry.bucket.level == 50  # nothing spent on a retry that did not happen
    assert of(events, AttemptFailed)[0].reason == "retry_after_too_long"


async def test_context_window_goes_to_compaction_never_retried(litellm, make_engine, events, fake_time):
    engine = make_engine()
    endpoint = Endpoint(litellm.ContextWindowExceededError("prompt is too long", **P))
    with pytest.raises(ContextWindowExceeded):
        await engine.call_model("openai/gpt", endpoint, emit=events.append)
    assert endpoint.calls == [1] and fake_time.waits == []
    assert engine.retry.model_breaker("openai/gpt").consecutive_failures == 0


async def test_bad_request_is_terminal_and_leaves_the_breaker_alone(litellm, make_engine, events):
    engine = make_engine()
    for _ in range(6):
        with pytest.raises(TerminalModelError, match="bad_request"):
            await engine.call_model("openai/gpt", Endpoint(litellm.BadRequestError("bad", **P)), emit=events.append)
    assert engine.retry.model_breaker("openai/gpt").state == "closed"
    assert not of(events, BreakerChanged)


async def test_auth_error_opens_the_breaker_at_once(litellm, make_engine, events):
    engine = make_engine()
    auth = litellm.AuthenticationError("Incorrect API key", **P)
    with pytest.raises(TerminalModelError, match="API key"):
        await engine.call_model("openai/gpt", Endpoint(auth), emit=events.append)
    (opened,) = of(events, BreakerChanged)
    assert (opened.target, opened.state, opened.open_for_s) == ("openai/gpt", "open", 30.0)

    endpoint = Endpoint()
    with pytest.raises(CircuitOpen) as caught:
        await engine.call_model("openai/gpt", endpoint, emit=events.append)
    assert endpoint.calls == []  # short-circuited: no request at all
    assert caught.value.half_open_in_s == 30.0
    (short,) = of(events, CallShortCircuited)
    assert short.fallback_target is None


async def test_quota_with_a_fallback_switches_models(litellm, make_engine, events):
    engine = make_engine(fallback_model="openai/backup")
    quota = litellm.RateLimitError("insufficient_quota", **P)
    primary, backup = Endpoint(quota), Endpoint("from backup")
    result = await engine.call_model("openai/gpt", primary, emit=events.append, fallback=backup)
    assert result == "from backup"
    assert primary.calls == [1] and backup.calls == [1]
    failed = of(events, AttemptFailed)[0]
    assert (failed.decision, failed.error_class) == ("fallback", "quota")
    ok = of(events, AttemptSucceeded)[0]
    assert (ok.target, ok.fallback, ok.first_try) == ("openai/backup", True, False)

    # While the primary's breaker is open, calls go straight to the fallback.
    primary2, backup2 = Endpoint(), Endpoint("again")
    assert await engine.call_model("openai/gpt", primary2, emit=events.append, fallback=backup2) == "again"
    assert primary2.calls == [] and backup2.calls == [1]
    assert of(events, CallShortCircuited)[-1].fallback_target == "openai/backup"
    assert of(events, AttemptSucceeded)[-1].first_try  # the fallback took the call's first try


async def test_breaker_probe_closes_it_again(litellm, make_engine, events, fake_time):
    engine = make_engine()
    with pytest.raises(AttemptsExhausted):
        await engine.call_model("m", Endpoint(*[server_error(litellm)] * 3), emit=events.append)
    with pytest.raises(CircuitOpen):
        await engine.call_model("m", Endpoint(*[server_error(litellm)] * 3), emit=events.append)
    assert engine.retry.model_breaker("m").state == "open"
    fake_time.advance(30)
    assert await engine.call_model("m", Endpoint("probe ok"), emit=events.append) == "probe ok"
    assert [(e.previous, e.state) for e in of(events, BreakerChanged)] == [
        ("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


async def test_the_bucket_refuses_retries_when_empty(litellm, make_engine, events):
    # A breaker that effectively never opens, so only the bucket limits retries.
    engine = make_engine(breaker_consecutive_failures=1000, breaker_window=10, breaker_window_min_calls=10,
                         breaker_failure_ratio=1.0)
    outcomes = []
    for _ in range(3):
        try:
            await engine.call_model("m", Endpoint(*[rate_limited(litellm)] * 3), emit=events.append)
        except ResilienceError as exc:
            outcomes.append(type(exc))
    assert outcomes == [AttemptsExhausted, AttemptsExhausted, RetryBudgetExhausted]
    # 10 per 429 retry from 50: five retries were granted, the sixth refused
    assert [e.retry_cost for e in of(events, AttemptFailed) if e.decision == "retry"] == [10] * 5
    refused = [e for e in of(events, AttemptFailed) if e.reason == "retry_budget"]
    assert len(refused) == 1 and engine.retry.bucket.refused == 1 and engine.retry.bucket.level == 0


async def test_a_fully_failing_endpoint_cannot_storm(litellm, make_engine, events, fake_time):
    """An agent that keeps calling a dead endpoint for a long time makes few requests."""
    engine = make_engine()
    endpoint = Endpoint(*[litellm.APIError(529, "overloaded", **P) for _ in range(1000)])
    for _ in range(200):
        with pytest.raises(ResilienceError):
            await engine.call_model("m", endpoint, emit=events.append)
        fake_time.advance(10)  # the agent comes back ten seconds later, forever
    retries = sum(1 for n in endpoint.calls if n > 1)
    assert retries * 10 <= 50  # never more retries than the bucket holds
    assert len(endpoint.calls) < 30  # 200 calls over 2000 s, yet only the probes reach the endpoint
    assert engine.retry.model_breaker("m").state == "open"


async def test_cancellation_propagates_and_is_recorded(make_engine, events):
    engine = make_engine()
    with pytest.raises(asyncio.CancelledError):
        await engine.call_model("m", Endpoint(asyncio.CancelledError()), emit=events.append)
    (failed,) = of(events, AttemptFailed)
    assert (failed.error_kind, failed.decision, failed.reason) == ("cancelled", "stop", "cancelled")
    assert engine.retry.model_breaker("m").consecutive_failures == 0


async def test_retry_ratio_alarm_crosses_the_lines(litellm, make_engine, events):
    engine = make_engine()
    await engine.call_model("m", Endpoint(server_error(litellm), "ok"), emit=events.append)
    for _ in range(10):
        await engine.call_model("m", Endpoint(), emit=events.append)
    levels = [(e.level, e.retries, e.first_tries) for e in of(events, RetryRatioAlarm)]
    assert levels == [("alarm", 1, 5), ("warning", 1, 6), ("ok", 1, 11)]


async def test_tool_breaker(make_engine, events, fake_time):
    engine = make_engine()
    for _ in range(10):
        engine.record_tool_outcome("bash", "tool_error", exit_code=1)  # tests failing: the tool works
        engine.record_tool_outcome("read_file", "tool_error")  # no such file: an answer, not a breakage
        engine.record_tool_outcome("edit_file", "validation_error")  # the model's mistake, not the tool's
        engine.record_tool_outcome("write_file", "denied")
    for name in ("bash", "read_file", "edit_file", "write_file"):
        assert engine.tool_breaker_open(name) is None
    assert engine.tools.semantic_errors == {"edit_file": 10}

    for _ in range(5):
        engine.record_tool_outcome("mcp_fetch", "tool_error", crashed=True)
    assert "crashed" in engine.tool_breaker_open("mcp_fetch")

    for _ in range(5):
        engine.record_tool_outcome("mcp_search", "timeout")
    reason = engine.tool_breaker_open("mcp_search")
    assert reason is not None and "mcp_search" in reason and "30 s" in reason
    fake_time.advance(30)
    assert engine.tool_breaker_open("mcp_search") is None  # half-open: one probe may run
    assert engine.tool_breaker_open("mcp_search") is not None  # ... only one
    engine.record_tool_outcome("mcp_search", "ok")
    assert engine.tool_breaker_open("mcp_search") is None
    states = [(e.scope, e.target, e.state) for e in of(events, BreakerChanged) if e.target == "mcp_search"]
    assert states == [("tool", "mcp_search", "open"), ("tool", "mcp_search", "half_open"),
                      ("tool", "mcp_search", "closed")]


def test_charge_waste_accumulates_and_announces(make_engine, events):
    engine = make_engine()
    engine.tax.charge_waste(call_id="c1", tokens=1200, usd=0.003, reason="failed_attempt", attempt=1)
    engine.tax.charge_waste(call_id="c1", tokens=0, usd=0.0, reason="failed_attempt")  # nothing to say
    engine.tax.charge_discarded(call_id="c2", model="scripted/demo", usage={"prompt_tokens": 100,
                                "completion_tokens": 20}, reason="malformed_tool_call", attempt=2)
    taxes = of(events, RetryTaxAccrued)
    assert [(t.call_id, t.tokens, t.usd, t.reason, t.attempt) for t in taxes] == [
        ("c1", 1200, 0.003, "failed_attempt", 1), ("c2", 120, None, "malformed_tool_call", 2)]  # unpriced: tokens only
    assert (engine.tax.wasted_tokens, engine.tax.wasted_usd, engine.tax.unpriced_tokens) == (1320, 0.003, 120)
