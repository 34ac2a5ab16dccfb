"""Classify what went wrong: model-call exceptions and tool outcomes.

A model-call error is one of four kinds:

``transient``
    worth retrying: 429 rate limit, 408, 5xx (529 overloaded included), timeouts,
    dropped connections and streams (the model adapter's ``StreamDropped``: no
    ``finish_reason``, a close before the end, an empty 200), a refused
    connection or a failed DNS lookup (``connect_error``: the request never left,
    so ``request_sent`` is False and no tax is charged for its prompt).
``terminal``
    retrying cannot help: 401/403 auth, 400 bad request, content policy, 404,
    a quota-exhausted 429 (``insufficient_quota``), a 402, and any 4xx/5xx whose
    body says the request itself is malformed ("Failed to parse tool call
    arguments as JSON": the same request would fail the same way).
``context_exceeded``
    the prompt is too long: compaction's job, never a blind retry.
``cancelled``
    the user (or the loop) cancelled the call.

The classifier never imports litellm, openai or httpx: it recognises their
exception classes by name and module along the exception's MRO (and, for a
failed connect, along its cause chain), and reads the ``status_code`` and
response headers the exceptions carry: ``Retry-After`` (also as a proxy forwards
it, ``llm_provider-retry-after``) and a proxy's own retries
(``x-litellm-attempted-retries``).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.agent.model import StreamDropped
from app.agent.wire import response_header, upstream_retries

TRANSIENT = "transient"
TERMINAL = "terminal"
CONTEXT_EXCEEDED = "context_exceeded"
CANCELLED = "cancelled"

# Errors that open the breaker at once: waiting a few seconds will not fix them.
TRIPPING_ERRORS = frozenset({"auth", "permission", "quota"})

_LIBRARIES = ("litellm", "openai", "httpx", "httpcore", "anthropic", "aiohttp", "h11")

_CONTEXT_PHRASES = (
    "context length",
    "context_length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
    "reduce the length",
)
_QUOTA_PHRASES = (
    "insufficient_quota",
    "exceeded your current quota",
    "quota exceeded",
    "billing",
    "credit balance",
    "payment required",
)
_OVERLOAD_PHRASES = ("overloaded", "529")
# The server could not read the request: sending it again cannot help.
_MALFORMED_PHRASES = ("failed to parse", "invalid request", "malformed")
# Failing to connect (nothing listens, no such host): the request never left.
_CONNECT_FAILURES = frozenset({"ConnectError", "ClientConnectorError", "ClientConnectorDNSError",
                               "ConnectionRefusedError", "gaierror"})


@dataclass(frozen=True)
class ErrorClass:
    kind: str  # transient | terminal | context_exceeded | cancelled
    name: str  # rate_limit | overloaded | server_error | timeout | connection | stream_dropped | auth | ...
    status: int | None = None
    retry_after_s: float | None = None
    message: str = ""
    request_sent: bool = True  # False when the connection never opened: no prompt was paid for
    upstream_retries: int | None = None  # retries a proxy made before giving up (its header)

    @property
    def retryable(self) -> bool:
        return self.kind == TRANSIENT

    @property
    def trips_breaker(self) -> bool:
        """True for errors that open the breaker on the first occurrence."""
        return self.name in TRIPPING_ERRORS


def classify_model_error(exc: BaseException, *, now: float | None = None) -> ErrorClass:
    """Classify an exception raised by one model call.

    ``now`` (wall-clock seconds) is only used to turn an HTTP-date Retry-After
    into a delay; it defaults to ``time.time()``.
    """
    names = _class_names(exc)
    message = _short_message(exc)
    lowered = message.lower()
    status = _status_code(exc)
    headers = _headers(exc)
    retry_after = next((v for v in (parse_retry_after(h, now=now) for h in headers) if v is not None), None)
    upstream = next((n for n in (upstream_retries(h)[0] for h in headers) if n is not None), None)

    def make(kind: str, name: str, *, keep_status: bool = True) -> ErrorClass:
        return ErrorClass(kind, name, status if keep_status else None, retry_after, message,
                          upstream_retries=upstream)

    if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        return make(CANCELLED, "cancelled", keep_status=False)
    if isinstance(exc, StreamDropped):
        return make(TRANSIENT, "stream_dropped", keep_status=False)
    if _never_connected(exc):
        return ErrorClass(TRANSIENT, "connect_error", None, None, message, request_sent=False)
    if "ContextWindowExceededError" in names:
        return make(CONTEXT_EXCEEDED, "context_window")
    if "ContentPolicyViolationError" in names:
        return make(TERMINAL, "content_policy")
    if names & {"Timeout", "APITimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout",
                "WriteTimeout", "PoolTimeout", "ServerTimeoutError"} or isinstance(exc, TimeoutError):
        return make(TRANSIENT, "timeout")
    if names & {"RemoteProtocolError", "ReadError", "IncompleteRead", "ClientPayloadError",
                "MidStreamFallbackError", "ServerDisconnectedError", "LocalProtocolError"}:
        return make(TRANSIENT, "stream_dropped", keep_status=False)
    if names & {"APIConnectionError", "ConnectError", "NetworkError", "TransportError",
                "ClientConnectionError"} or isinstance(exc, ConnectionError):
        # litellm stamps status_code=500 on connection errors: no HTTP status was seen.
        return make(TRANSIENT, "connection", keep_status=False)
    if "RateLimitError" in names or status == 429:
        if _quota_exhausted(lowered):
            return make(TERMINAL, "quota")
        return make(TRANSIENT, "rate_limit")
    if names & {"PaymentRequiredError", "BudgetExceededError"} or status == 402:
        return make(TERMINAL, "quota")
    if "AuthenticationError" in names or status == 401:
        return make(TERMINAL, "auth")
    if "PermissionDeniedError" in names or status == 403:
        return make(TERMINAL, "permission")
    if "NotFoundError" in names or status == 404:
        return make(TERMINAL, "not_found")
    if status == 408:
        return make(TRANSIENT, "timeout")
    if status == 529 or (status is not None and status >= 500 and any(p in lowered for p in _OVERLOAD_PHRASES)):
        return make(TRANSIENT, "overloaded")
    if "APIResponseValidationError" in names:
        return make(TRANSIENT, "invalid_response")
    if status is not None and 400 <= status <= 599 and any(p in lowered for p in _MALFORMED_PHRASES):
        if any(p in lowered for p in _CONTEXT_PHRASES):
            return make(CONTEXT_EXCEEDED, "context_window")
        return make(TERMINAL, "bad_request")
    if status is not None and 500 <= status <= 599:
        return make(TRANSIENT, "server_error")
    if (status is not None and 400 <= status <= 499) or "BadRequestError" in names:
        if any(p in lowered for p in _CONTEXT_PHRASES):
            return make(CONTEXT_EXCEEDED, "context_window")
        return make(TERMINAL, "bad_request")
    if "ServiceUnavailableError" in names or "InternalServerError" in names:
        return make(TRANSIENT, "server_error")
    return make(TERMINAL, "unexpected")


def _class_names(exc: BaseException) -> set[str]:
    """Names of the exception's classes that come from the HTTP/LLM libraries."""
    return {
        cls.__name__
        for cls in type(exc).__mro__
        if cls.__module__.split(".")[0] in _LIBRARIES or cls.__module__ == "http.client"
    }


def _short_message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0] if text else ""
    return first[:300]


def _quota_exhausted(lowered_message: str) -> bool:
    if any(p in lowered_message for p in _QUOTA_PHRASES):
        # "Quota exceeded for ... per minute" is a rate limit that passes.
        return not any(p in lowered_message for p in ("per minute", "per second", "per_minute"))
    return False


def _status_code(exc: BaseException) -> int | None:
    for source in (exc, getattr(exc, "response", None)):
        value = getattr(source, "status_code", None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def _headers(exc: BaseException) -> list[Mapping[str, Any]]:
    """The response headers the exception carries, wherever its library put them."""
    candidates: list[Any] = [
        getattr(exc, "litellm_response_headers", None),
        getattr(exc, "headers", None),
        getattr(exc, "response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    ]
    return [h for h in candidates if isinstance(h, Mapping) or hasattr(h, "items")]


def _never_connected(exc: BaseException) -> bool:
    """A connect that failed (refused, no such host) somewhere along the cause chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ in _CONNECT_FAILURES:
            return True
        current = current.__cause__ or current.__context__
    return False


def parse_retry_after(headers: Mapping[str, Any] | None, *, now: float | None = None) -> float | None:
    """Read ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), also as
    litellm and its proxy forward them (``llm_provider-retry-after``)."""
    ms = response_header(headers, "retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except (TypeError, ValueError):
            pass
    value = response_header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        parsed = email.utils.parsedate_tz(str(value))
        if parsed is None:
            return None
        when = email.utils.mktime_tz(parsed)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


# --- tool outcomes -------------------------------------------------------------

SEMANTIC_TOOL_ERRORS = frozenset({"validation_error"})


def classify_tool_outcome(status: str, exit_code: int | None = None) -> str:
    """Name a tool outcome from its ``ToolStatus`` value (and exit code).

    ``ok``; ``nonzero_exit`` (the command ran and failed: feed it back, never
    retry); ``tool_error`` (an error result for the model, such as a missing
    file); ``timeout``; ``validation`` (bad JSON, schema, unknown tool: feed it
    back); ``denied`` (by the user); ``cancelled``.
    """
    status = getattr(status, "value", status)
    if status == "tool_error":
        return "nonzero_exit" if exit_code not in (None, 0) else "tool_error"
    return {
        "ok": "ok",
        "timeout": "timeout",
        "validation_error": "validation",
        "denied": "denied",
        "cancelled": "cancelled",
    }.get(status, "tool_error")
