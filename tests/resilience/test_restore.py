"""A resumed session carries on with its retry bucket, breakers and loop history.

Folded from the session's stored events, so resuming cannot reset what keeps a
dead endpoint from being hammered: the retry bucket does not refill, an open
breaker stays open until its cool-down has passed.
"""

from __future__ import annotations

import random
import socket

import pytest

from app.agent.events import core as ev
from app.agent.events.resilience import CallShortCircuited
from app.agent.resilience import LoopDetector, Resilience, ResilienceConfig
from app.agent.resilience.errors import ResilienceError
from app.settings import Settings
from tests.core.helpers import make_session
from tests.resilience.conftest import FakeTime
from tests.resilience.test_caller import Endpoint, rate_limited, server_error
from tests.support.openai_server import Fault

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05}
TARGET = "openai/gpt-4o-mini"


# --- the engine: restored state equals the live state ------------------------------------


class Recorder:
    """An emit that stamps each event with the fake clock, as the bus stamps wall-clock time."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.events: list[ev.Event] = []

    def __call__(self, event: ev.Event) -> None:
        event.ts = self.time.now
        self.events.append(event)


def engine(time: FakeTime, emit: Recorder | None = None, **overrides: object) -> Resilience:
    config = ResilienceConfig.from_dict(overrides)
    return Resilience(config, sleep=time.sleep, clock=time, rng=random.Random(7), emit=emit)


def breaker_view(breaker) -> tuple:
    window = list(breaker._window) if breaker.state == "closed" else None  # only a closed breaker uses it
    return (breaker.state, breaker.reason, breaker.trips, breaker.consecutive_failures, window,
            round(breaker.half_open_in(), 6), breaker._open_for)


def snapshot(res: Resilience) -> tuple:
    retry, tools = res.retry, res.tools
    return (
        retry.bucket.level, retry.bucket.refused, retry.first_tries, retry.retries, round(retry.backoff_s, 6),
        retry._ratio_level,
        {t: breaker_view(b) for t, b in retry._model_breakers.items()},
        {t: breaker_view(b) for t, b in tools._breakers.items()},
        dict(tools.semantic_errors),
    )


def restored(time: FakeTime, events: list[ev.Event], **overrides: object) -> Resilience:
    fresh = engine(time, **overrides)
    fresh.restore(events, wall_now=time.now)
    return fresh


def tool_call(res: Resilience, emit: Recorder, name: str, status: ev.ToolStatus, *, crashed: bool = False,
              exit_code: int | None = None) -> None:
    """What the loop does for one finished tool call: the event, then the breaker's count."""
    emit(ev.ToolCallFinished(tool_call_id="c", name=name, status=status, crashed=crashed, exit_code=exit_code))
    res.record_tool_outcome(name, status.value, exit_code=exit_code, crashed=crashed, emit=emit)


async def test_restoring_from_the_events_gives_the_live_state_at_every_step(fake_time, litellm):
    record = Recorder(fake_time)
    live = engine(fake_time, record, ratio_min_first_tries=1)
    steps: list[tuple[float, Endpoint, bool]] = [  # (seconds to wait first, endpoint, raises)
        (0, Endpoint(server_error(litellm), server_error(litellm), server_error(litellm)), True),
        (0, Endpoint(rate_limited(litellm), server_error(litellm)), True),  # 5 failures in a row: open
        (1, Endpoint(), True),  # short-circuited while open
        (31, Endpoint(), False),  # the cool-down passed: the probe succeeds and closes it
        (0, Endpoint(server_error(litellm)), False),  # one retry, then a reply
        (0, Endpoint(), False),
    ]
    for wait, endpoint, raises in steps:
        fake_time.advance(wait)
        try:
            await live.call_model(TARGET, endpoint, emit=record, call_id="mc")
        except ResilienceError:
            assert raises
        else:
            assert not raises
        assert snapshot(restored(fake_time, record.events, ratio_min_first_tries=1)) == snapshot(live)
    changes = [e.state for e in record.events if e.type == "resilience_breaker_changed"]
    assert changes == ["open", "half_open", "closed"]
    assert live.retry.bucket.level < live.retry.bucket.capacity and live.retry._ratio_level != "ok"


def test_tool_breakers_and_semantic_errors_restore_as_they_were(fake_time):
    record = Recorder(fake_time)
    live = engine(fake_time, record)
    views = []
    for _ in range(5):  # five timeouts open the bash breaker
        tool_call(live, record, "bash", ev.ToolStatus.TIMEOUT)
    views.append(snapshot(live))
    assert live.tool_breaker_open("bash", emit=record) is not None
    tool_call(live, record, "read_file", ev.ToolStatus.VALIDATION_ERROR)
    tool_call(live, record, "read_file", ev.ToolStatus.TOOL_ERROR, crashed=True)
    views.append(snapshot(live))
    fake_time.advance(31)
    assert live.tool_breaker_open("bash", emit=record) is None  # half-open: one probe
    tool_call(live, record, "bash", ev.ToolStatus.TOOL_ERROR, exit_code=1)  # it ran: the tool works
    tool_call(live, record, "bash", ev.ToolStatus.OK)
    views.append(snapshot(live))
    assert snapshot(restored(fake_time, record.events)) == snapshot(live)
    assert live.tools.breaker("bash").state == "closed" and live.tools.semantic_errors["read_file"] == 1


async def test_an_open_breaker_stays_open_until_its_cool_down_has_passed(fake_time, litellm):
    record = Recorder(fake_time)
    live = engine(fake_time, record, breaker_consecutive_failures=1)
    with pytest.raises(ResilienceError):
        await live.call_model(TARGET, Endpoint(server_error(litellm)), emit=record, call_id="mc")
    opened = live.retry.model_breaker(TARGET).half_open_in()
    fake_time.advance(10)  # the process ends, the session is resumed 10 s later
    later = restored(fake_time, record.events)
    breaker = later.retry.model_breaker(TARGET)
    assert breaker.state == "open" and breaker.half_open_in() == pytest.approx(opened - 10)
    assert breaker.allow() == (False, None)
    fake_time.advance(opened)  # resumed after the cool-down: one probe goes through
    allowed, transition = restored(fake_time, record.events).retry.model_breaker(TARGET).allow()
    assert allowed and transition is not None and transition.state == "half_open"



def test_the_loop_detector_remembers_errors_of_earlier_turns():
    config = ResilienceConfig()
    failure = dict(name="bash", arguments={"command": "make"}, status=ev.ToolStatus.TOOL_ERROR, exit_code=2,
                   result="make: *** No rule to make target 'all'. Stop.")
    stored: list[ev.Event] = []
    live = LoopDetector(config)
    for turn in (1, 2):  # the same error in two turns; a third one would warn
        stored.append(ev.TurnStarted(turn=turn))
        live.start_turn()
        stored.append(ev.ToolCallFinished(tool_call_id=f"c{turn}", **failure))
        assert live.observe_tool("bash", failure["arguments"], "tool_error", failure["result"], None) is None
    resumed = LoopDetector(config)
    resumed.restore(stored)
    assert (resumed.turn, resumed._error_turns) == (live.turn, live._error_turns)
    for detector in (live, resumed):
        detector.start_turn()
        verdict = detector.observe_tool("bash", failure["arguments"], "tool_error", failure["result"], None)
        assert verdict is not None and (verdict.pattern, verdict.action) == ("repeated_error", "warn")


# --- resuming a real session: requests counted at the server ---------------------------------


async def run_task(workspace, db_path, api_base, *, resume=None, resilience=None):
    settings = Settings(resilience={**FAST, **(resilience or {})})
    session, events, db = make_session("openai/test-model", workspace, db_path, settings=settings,
                                       api_base=api_base, resume=resume)
    session.start()
    result = await session.run_task("hello")
    session.finish()
    db.close()
    return session, result, events


async def test_resuming_against_a_dead_endpoint_cannot_storm(openai_server, workspace, tmp_path):
    openai_server.responder = lambda body: Fault.server_error()
    db_path = tmp_path / "dead.db"
    session, result, _ = await run_task(workspace, db_path, openai_server.url)
    assert result.outcome == "failed" and len(openai_server.chat_requests) == 3  # max_attempts
    for _ in range(6):
        _, result, events = await run_task(workspace, db_path, openai_server.url, resume=session.id)
        assert result.outcome == "failed"
    # Two more failures opened the breaker (5 in a row); the other resumes were short-circuited.
    # Without restoring, each resume made 3 requests: 18.
    assert len(openai_server.chat_requests) == 3 + 2
    assert events.of(CallShortCircuited) and "circuit breaker" in result.message


async def test_the_retry_bucket_does_not_refill_on_resume(openai_server, workspace, tmp_path):
    openai_server.responder = lambda body: Fault.server_error()
    no_breaker = {"max_attempts": 100, "breaker_consecutive_failures": 100, "breaker_window": 100,
                  "breaker_window_min_calls": 100, "loop_window": 100}
    db_path = tmp_path / "bucket.db"
    session, result, _ = await run_task(workspace, db_path, openai_server.url, resilience=no_breaker)
    assert result.outcome == "limit" and len(openai_server.chat_requests) == 11  # 50 tokens, 5 a retry
    for _ in range(6):
        _, result, _ = await run_task(workspace, db_path, openai_server.url, resume=session.id,
                                      resilience=no_breaker)
        assert result.outcome == "limit"
    assert len(openai_server.chat_requests) == 11 + 6  # one first try each, no retries (77 without restoring)


def unused_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_breaker_opened_by_a_dead_port_is_still_open_after_resume(workspace, tmp_path):
    api_base = f"http://127.0.0.1:{unused_loopback_port()}/v1"  # nobody listens there
    db_path = tmp_path / "port.db"
    strict = {"breaker_consecutive_failures": 3}
    session, result, events = await run_task(workspace, db_path, api_base, resilience=strict)
    assert [e.state for e in events if e.type == "resilience_breaker_changed"] == ["open"]
    _, result, events = await run_task(workspace, db_path, api_base, resume=session.id, resilience=strict)
    assert result.outcome == "failed" and events.of(CallShortCircuited)
    assert not events.of(ev.ModelCallStarted)  # not a single request went out
