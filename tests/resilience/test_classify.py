"""The classifier against real instances of each litellm exception type."""

from __future__ import annotations

import asyncio
import email.utils

import httpx
import pytest

from app.agent.resilience.classify import (
    CANCELLED,
    CONTEXT_EXCEEDED,
    TERMINAL,
    TRANSIENT,
    classify_model_error,
    classify_tool_outcome,
    parse_retry_after,
)
from tests.resilience.conftest import http_response

P = {"llm_provider": "openai", "model": "gpt-4o-mini"}


def build(litellm, name: str) -> BaseException:
    """One real exception per case, constructed the way litellm's exception mapping does."""
    factories = {
        "rate_limit": lambda: litellm.RateLimitError("slow down", response=http_response(429), **P),
        "quota": lambda: litellm.RateLimitError(
            "You exceeded your current quota, please check your plan and billing details. "
            "type: insufficient_quota", **P),
        "server_error": lambda: litellm.InternalServerError("boom", response=http_response(500), **P),
        "overloaded_anthropic": lambda: litellm.InternalServerError(
            "AnthropicException - {'type': 'overloaded_error', 'message': 'Overloaded'}", llm_provider="anthropic",
            model="claude"),
        "overloaded_529": lambda: litellm.APIError(529, "APIError: openai - busy", **P),
        "unavailable": lambda: litellm.ServiceUnavailableError("down", **P),
        "bad_gateway": lambda: litellm.BadGatewayError("bad gateway", **P),
        "connection": lambda: litellm.APIConnectionError("Connection refused", **P),
        "timeout": lambda: litellm.Timeout("Request timed out", **P),
        "gateway_timeout": lambda: litellm.Timeout("504", exception_status_code=504, **P),
        "auth": lambda: litellm.AuthenticationError("Incorrect API key", response=http_response(401), **P),
        "permission": lambda: litellm.PermissionDeniedError("forbidden", response=http_response(403), **P),
        "bad_request": lambda: litellm.BadRequestError("invalid 'tools'", **P),
        "unprocessable": lambda: litellm.UnprocessableEntityError(
            "unprocessable", response=http_response(422), **P),
        "content_policy": lambda: litellm.ContentPolicyViolationError("flagged", **P),
        "context_window": lambda: litellm.ContextWindowExceededError("prompt is too long", **P),
        "context_in_bad_request": lambda: litellm.BadRequestError(
            "This model's maximum context length is 8192 tokens", **P),
        "not_found": lambda: litellm.NotFoundError("no such model", **P),
        "mid_stream": lambda: litellm.exceptions.MidStreamFallbackError("stream broke", **P),
        "invalid_response": lambda: litellm.APIResponseValidationError("garbage", **P),
        "api_error_500": lambda: litellm.APIError(500, "upstream error", **P),
        "api_error_409": lambda: litellm.APIError(409, "conflict", **P),
    }
    return factories[name]()


@pytest.mark.parametrize(
    ("case", "kind", "name", "status"),
    [
        ("rate_limit", TRANSIENT, "rate_limit", 429),
        ("quota", TERMINAL, "quota", 429),
        ("server_error", TRANSIENT, "server_error", 500),
        ("overloaded_anthropic", TRANSIENT, "overloaded", 500),
        ("overloaded_529", TRANSIENT, "overloaded", 529),
        ("unavailable", TRANSIENT, "server_error", 503),
        ("bad_gateway", TRANSIENT, "server_error", 502),
        ("connection", TRANSIENT, "connection", None),
        ("timeout", TRANSIENT, "timeout", 408),
        ("gateway_timeout", TRANSIENT, "timeout", 504),
        ("auth", TERMINAL, "auth", 401),
        ("permission", TERMINAL, "permission", 403),
        ("bad_request", TERMINAL, "bad_request", 400),
        ("unprocessable", TERMINAL, "bad_request", 422),
        ("content_policy", TERMINAL, "content_policy", 400),
        ("context_window", CONTEXT_EXCEEDED, "context_window", 400),
        ("context_in_bad_request", CONTEXT_EXCEEDED, "context_window", 400),
        ("not_found", TERMINAL, "not_found", 404),
        ("mid_stream", TRANSIENT, "stream_dropped", None),
        ("invalid_response", TRANSIENT, "invalid_response", 500),
        ("api_error_500", TRANSIENT, "server_error", 500),
        ("api_error_409", TERMINAL, "bad_request", 409),
    ],
)
def test_litellm_exceptions(litellm, case, kind, name, status):
    error = classify_model_error(build(litellm, case))
    assert (error.kind, error.name, error.status) == (kind, name, status)
    assert error.message  # something readable for the user
    assert error.retryable == (kind == TRANSIENT)


def test_auth_permission_and_quota_trip_the_breaker_at_once(litellm):
    assert classify_model_error(build(litellm, "auth")).trips_breaker
    assert classify_model_error(build(litellm, "permission")).trips_breaker
    assert classify_model_error(build(litellm, "quota")).trips_breaker
    assert not classify_model_error(build(litellm, "rate_limit")).trips_breaker
    assert not classify_model_error(build(litellm, "bad_request")).trips_breaker


def test_per_minute_quota_is_a_rate_limit_not_an_exhausted_quota(litellm):
    exc = litellm.RateLimitError("Quota exceeded for requests per minute per project", **P)
    assert classify_model_error(exc).name == "rate_limit"


def test_retry_after_from_the_response_headers(litellm):
    exc = litellm.RateLimitError("slow down", response=http_response(429, {"Retry-After": "12"}), **P)
    assert classify_model_error(exc).retry_after_s == 12.0


def test_retry_after_ms_is_preferred(litellm):
    headers = {"retry-after-ms": "1500", "retry-after": "9"}
    exc = litellm.RateLimitError("slow down", response=http_response(429, headers), **P)
    assert classify_model_error(exc).retry_after_s == 1.5


def test_retry_after_from_litellm_response_headers(litellm):
    exc = litellm.InternalServerError("overloaded", **P)
    exc.litellm_response_headers = httpx.Headers({"retry-after": "4"})
    assert classify_model_error(exc).retry_after_s == 4.0


def test_retry_after_as_http_date():
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"Retry-After": header}, now=now) == pytest.approx(30.0)
    assert parse_retry_after({"retry-after": "soon"}, now=now) is None
    assert parse_retry_after(None) is None


def test_transport_errors_mid_stream():
    request = httpx.Request("POST", "http://127.0.0.1/v1")
    assert classify_model_error(httpx.RemoteProtocolError("peer closed connection")).name == "stream_dropped"
    assert classify_model_error(httpx.ReadError("reset", request=request)).name == "stream_dropped"
    refused = classify_model_error(httpx.ConnectError("refused", request=request))
    assert (refused.name, refused.kind, refused.request_sent) == ("connect_error", TRANSIENT, False)
    assert classify_model_error(httpx.ReadTimeout("slow", request=request)).name == "timeout"
    assert classify_model_error(ConnectionResetError()).kind == TRANSIENT
    assert classify_model_error(TimeoutError()).name == "timeout"


def test_cancellation_and_bugs():
    assert classify_model_error(asyncio.CancelledError()).kind == CANCELLED
    unexpected = classify_model_error(KeyError("oops"))
    assert (unexpected.kind, unexpected.name) == (TERMINAL, "unexpected")


@pytest.mark.parametrize(
    ("status", "exit_code", "outcome"),
    [
        ("ok", 0, "ok"),
        ("tool_error", 2, "nonzero_exit"),
        ("tool_error", None, "tool_error"),
        ("timeout", None, "timeout"),
        ("validation_error", None, "validation"),
        ("denied", None, "denied"),
        ("cancelled", None, "cancelled"),
    ],
)
def test_tool_outcomes(status, exit_code, outcome):
    assert classify_tool_outcome(status, exit_code) == outcome


def test_tool_outcome_accepts_the_enum():
    from app.agent.events.core import ToolStatus

    assert classify_tool_outcome(ToolStatus.VALIDATION_ERROR) == "validation"


def test_a_proxys_forwarded_headers_are_read():
    forwarded = {"llm_provider-retry-after": "3", "x-litellm-attempted-retries": "2"}
    assert parse_retry_after(forwarded) == 3.0
    assert parse_retry_after({"llm_provider-retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"Retry-After": "1", "llm_provider-retry-after": "9"}) == 1.0  # the direct one wins


def test_a_request_the_server_cannot_parse_is_terminal_even_as_a_500():
    class Strict(Exception):
        status_code = 500

    error = classify_model_error(Strict("Failed to parse tool call arguments as JSON: parse error"))
    assert (error.kind, error.name) == (TERMINAL, "bad_request")
    assert classify_model_error(Strict("The server had an error")).kind == TRANSIENT


def test_a_refused_connect_is_found_along_the_cause_chain():
    outer = RuntimeError("Connection error.")
    outer.__cause__ = ConnectionRefusedError(111, "Connection refused")
    error = classify_model_error(outer)
    assert (error.name, error.status, error.request_sent) == ("connect_error", None, False)
