"""The retry engine: every model call goes through :meth:`RetryEngine.call_model`.

The loop hands it an ``attempt(n)`` coroutine factory that performs exactly one
call. For each failure the engine classifies the error and decides, in this order:

1. context window exceeded → :class:`ContextWindowExceeded` (compaction's job);
2. terminal → :class:`TerminalModelError` (auth and quota errors also open the breaker);
3. transient → count it on the (provider, model) breaker; if the breaker is now
   open, go to the fallback model if there is one, else :class:`CircuitOpen`;
4. out of attempts → :class:`AttemptsExhausted`;
5. Retry-After longer than we wait unattended → :class:`RetryAfterTooLong`;
6. the retry does not fit in the session's retry budget → :class:`RetryBudgetExhausted`;
7. otherwise sleep (full-jitter backoff, at least Retry-After) and try again.

Every attempt and decision is emitted as an event, with the retries a proxy in
between already made (``upstream_retries``, from its headers); the first time a
proxy is seen retrying, a notice says how to turn that off.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypedDict, TypeVar, runtime_checkable

from app.agent.events.core import Event, Notice
from app.agent.events.resilience import AttemptFailed, AttemptSucceeded, CallShortCircuited, RetryRatioAlarm
from app.agent.resilience.backoff import retry_wait
from app.agent.resilience.breaker import OPEN, CircuitBreaker, announce
from app.agent.resilience.classify import CONTEXT_EXCEEDED, TERMINAL, ErrorClass, classify_model_error
from app.agent.resilience.config import ResilienceConfig
from app.agent.resilience.errors import (
    AttemptsExhausted,
    CircuitOpen,
    ContextWindowExceeded,
    RetryAfterTooLong,
    RetryBudgetExhausted,
    TerminalModelError,
)
from app.agent.resilience.retry_budget import RetryBucket

T = TypeVar("T")
Emit = Callable[[Event], None]
PROXY_RETRIES_FIX = (
    "a proxy between Cockpit and {target} retried the call upstream {n}× before answering: those retries are "
    "invisible to Cockpit's retry budget and multiply its own. Set `num_retries: 0` in the proxy's config "
    "(litellm_settings) so that Cockpit's is the only retry layer."
)


class _AttemptFields(TypedDict):
    call_id: str
    target: str
    attempt: int
    max_attempts: int
    first_try: bool
    fallback: bool
    bucket_level: float
    bucket_capacity: float


@runtime_checkable
class ReportsUpstreamRetries(Protocol):
    """A reply that says how often a proxy retried before answering (the model adapter's)."""

    upstream_retries: int | None


class _SwitchToFallback(Exception):
    """Internal: the current route's breaker is open and a fallback exists."""


@dataclass
class _Route(Generic[T]):
    target: str
    attempt: Callable[[int], Awaitable[T]]
    is_fallback: bool
    next_target: str | None  # where to go when this route's breaker opens


@dataclass
class _Progress:
    call_id: str
    attempts: int = 0  # attempts made for this call, over all routes


class RetryEngine:
    def __init__(
        self,
        config: ResilienceConfig | None = None,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or ResilienceConfig()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.bucket = RetryBucket(self.config.bucket_capacity)
        self.first_tries = 0
        self.retries = 0
        self.backoff_s = 0.0
        self._ratio_level = "ok"
        self._model_breakers: dict[str, CircuitBreaker] = {}
        self._proxy_retries_told = False

    @property
    def retry_ratio(self) -> float:
        return self.retries / self.first_tries if self.first_tries else 0.0

    def model_breaker(self, target: str) -> CircuitBreaker:
        if target not in self._model_breakers:
            self._model_breakers[target] = CircuitBreaker(target, config=self.config, clock=self.clock)
        return self._model_breakers[target]

    async def call_model(
        self,
        target: str,
        attempt: Callable[[int], Awaitable[T]],
        *,
        emit: Emit,
        fallback: Callable[[int], Awaitable[T]] | None = None,
        fallback_target: str | None = None,
        call_id: str = "",
    ) -> T:
        """Run ``attempt(1)``, ``attempt(2)``, … until one succeeds or the engine stops.

        ``target`` names the breaker ("provider/model"). ``fallback`` (with its
        ``fallback_target`` name, default ``config.fallback_model``) is used while
        the target's breaker is open. Raises a :class:`ResilienceError` subclass,
        or re-raises ``asyncio.CancelledError``.
        """
        fallback_name = fallback_target or self.config.fallback_model or "fallback"
        routes = [_Route(target, attempt, False, fallback_name if fallback is not None else None)]
        if fallback is not None:
            routes.append(_Route(fallback_name, fallback, True, None))
        progress = _Progress(call_id=call_id)
        for route in routes:
            try:
                return await self._call_route(route, progress, emit)
            except _SwitchToFallback:
                continue
        raise AssertionError("the last route never switches")  # pragma: no cover

    async def _call_route(self, route: _Route[T], progress: _Progress, emit: Emit) -> T:
        breaker = self.model_breaker(route.target)
        allowed, transition = breaker.allow()
        announce(transition, emit)
        if not allowed:
            self._short_circuit(route, breaker, progress, emit)
        n = 1
        while True:
            self._count_attempt(progress, emit)
            try:
                result = await route.attempt(n)
            except asyncio.CancelledError:
                breaker.record_neutral()
                emit(self._failed(route, progress, n, ErrorClass("cancelled", "cancelled"), "stop", "cancelled"))
                raise
            except Exception as exc:  # noqa: BLE001 - every provider error is classified
                error = classify_model_error(exc)
                self._tell_proxy_retries(route.target, error.upstream_retries, emit)
                wait = self._after_failure(route, breaker, progress, n, error, exc, emit)
                self.backoff_s += wait
                await self.sleep(wait)
                n += 1
                continue
            announce(breaker.record_success(), emit)
            if progress.attempts == 1:
                self.bucket.refund(self.config.success_refund)
            upstream = result.upstream_retries if isinstance(result, ReportsUpstreamRetries) else None
            self._tell_proxy_retries(route.target, upstream, emit)
            emit(AttemptSucceeded(**self._attempt_fields(route, progress, n), upstream_retries=upstream))
            return result

    def _tell_proxy_retries(self, target: str, upstream: int | None, emit: Emit) -> None:
        """Once per session: a proxy retries behind our back, and how to stop it."""
        if upstream and not self._proxy_retries_told:
            self._proxy_retries_told = True
            emit(Notice(level="warning", message=PROXY_RETRIES_FIX.format(target=target, n=upstream)))

    def _after_failure(
        self,
        route: _Route[Any],
        breaker: CircuitBreaker,
        progress: _Progress,
        n: int,
        error: ErrorClass,
        exc: Exception,
        emit: Emit,
    ) -> float:
        """Decide what follows a failed attempt: returns the wait before a retry, or raises."""

        def stop(reason: str, raised: Exception) -> Exception:
            emit(self._failed(route, progress, n, error, "stop", reason))
            raised.__cause__ = exc
            return raised

        if error.kind == CONTEXT_EXCEEDED:
            breaker.record_neutral()
            raise stop("context_window", ContextWindowExceeded(
                f"The conversation no longer fits the context window of {route.target}.",
                target=route.target, error=error))

        if error.kind == TERMINAL and not error.trips_breaker:
            breaker.record_neutral()
            raise stop("terminal", TerminalModelError(_terminal_message(route.target, error),
                                                      target=route.target, error=error))

        announce(
            breaker.record_failure(error.name, retry_after_s=error.retry_after_s, trip=error.trips_breaker),
            emit,
        )
        if breaker.state == OPEN and route.next_target is not None:
            emit(self._failed(route, progress, n, error, "fallback", f"breaker open; using {route.next_target}"))
            raise _SwitchToFallback
        if error.kind == TERMINAL:
            raise stop("terminal", TerminalModelError(_terminal_message(route.target, error),
                                                      target=route.target, error=error))
        if breaker.state == OPEN:
            wait = breaker.half_open_in()
            raise stop("circuit_open", CircuitOpen(
                f"{route.target} keeps failing ({breaker.reason}); its circuit breaker is open and the next "
                f"try is in {wait:.0f} s. Configure a fallback model or try again later.",
                half_open_in_s=wait, target=route.target, error=error))

        if n >= self.config.max_attempts:
            raise stop("max_attempts", AttemptsExhausted(
                f"{route.target} failed {n} times in a row ({error.name}: {error.message}); giving up on this call.",
                target=route.target, error=error))

        if error.retry_after_s is not None and error.retry_after_s > self.config.retry_after_max_s:
            raise stop("retry_after_too_long", RetryAfterTooLong(
                f"{route.target} asks to wait {error.retry_after_s:.0f} s before retrying, longer than the "
                f"{self.config.retry_after_max_s:.0f} s Cockpit waits on its own. Try again after that.",
                retry_after_s=error.retry_after_s, target=route.target, error=error))

        cost = self.config.retry_cost_for(error.name)
        if not self.bucket.try_spend(cost):
            raise stop("retry_budget", RetryBudgetExhausted(
                f"The retry budget is spent ({self.bucket.level:g} of {self.bucket.capacity:g} left, this retry "
                f"costs {cost:g}): no more automatic retries in this session. Last error from "
                f"{route.target}: {error.name}.",
                capacity=self.bucket.capacity, level=self.bucket.level, target=route.target, error=error))

        wait = retry_wait(
            n,
            retry_after_s=error.retry_after_s,
            base_s=self.config.backoff_base_s,
            cap_s=self.config.backoff_cap_s,
            rng=self.rng,
        )
        emit(self._failed(route, progress, n, error, "retry", "", wait_s=wait, retry_cost=cost))
        return wait

    def _short_circuit(self, route: _Route[Any], breaker: CircuitBreaker, progress: _Progress, emit: Emit) -> None:
        wait = breaker.half_open_in()
        message = f"{route.target} is paused by its circuit breaker ({breaker.reason}); next try in {wait:.0f} s."
        emit(
            CallShortCircuited(
                call_id=progress.call_id,
                target=route.target,
                fallback_target=route.next_target,
                half_open_in_s=wait,
                message=message,
            )
        )
        if route.next_target is not None:
            raise _SwitchToFallback
        raise CircuitOpen(
            message + " Configure a fallback model or try again later.", half_open_in_s=wait, target=route.target
        )

    def _count_attempt(self, progress: _Progress, emit: Emit) -> None:
        progress.attempts += 1
        if progress.attempts == 1:
            self.first_tries += 1
        else:
            self.retries += 1
        if self.first_tries < self.config.ratio_min_first_tries:
            return
        ratio = self.retry_ratio
        if ratio >= self.config.ratio_alarm:
            level = "alarm"
        elif ratio >= self.config.ratio_warn:
            level = "warning"
        else:
            level = "ok"
        if level != self._ratio_level:
            self._ratio_level = level
            emit(RetryRatioAlarm(level=level, ratio=ratio, retries=self.retries, first_tries=self.first_tries))

    def _failed(
        self,
        route: _Route[Any],
        progress: _Progress,
        n: int,
        error: ErrorClass,
        decision: str,
        reason: str,
        *,
        wait_s: float = 0.0,
        retry_cost: float = 0.0,
    ) -> AttemptFailed:
        return AttemptFailed(
            **self._attempt_fields(route, progress, n),
            error_kind=error.kind,
            error_class=error.name,
            status=error.status,
            message=error.message,
            retry_after_s=error.retry_after_s,
            decision=decision,
            reason=reason,
            wait_s=wait_s,
            retry_cost=retry_cost,
            upstream_retries=error.upstream_retries,
        )

    def _attempt_fields(self, route: _Route[Any], progress: _Progress, n: int) -> _AttemptFields:
        """What every attempt event says: which call, where, which try, and the bucket after it."""
        return {
            "call_id": progress.call_id,
            "target": route.target,
            "attempt": n,
            "max_attempts": self.config.max_attempts,
            "first_try": progress.attempts == 1,
            "fallback": route.is_fallback,
            "bucket_level": self.bucket.level,
            "bucket_capacity": self.bucket.capacity,
        }


def _terminal_message(target: str, error: ErrorClass) -> str:
    hints = {
        "auth": "check the API key",
        "permission": "the key is not allowed to use this model",
        "quota": "the account is out of quota or credit",
        "content_policy": "the provider's content policy refused the request",
        "bad_request": "the request was rejected as invalid",
        "not_found": "the model or endpoint does not exist",
    }
    if error.name not in hints:
        return f"The call to {target} failed unexpectedly ({error.name}): {error.message}"
    return f"{target} refused the call ({error.name}: {hints[error.name]}). {error.message}"
