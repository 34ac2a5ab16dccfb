"""When the UI takes streamed text from the bridge (``EventBridge.due_in``): at most once per
interval while fragments keep coming, a few milliseconds after the last one when they stop."""

from __future__ import annotations

import pytest

from app.agent.events import core as ev
from app.tui.bridge import QUIET_S, EventBridge


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bridge(clock: Clock) -> EventBridge:
    return EventBridge(lambda message: None, interval=0.1, clock=clock)


def stream(bridge: EventBridge, clock: Clock, start: float, end: float, gap: float) -> float:
    """Fragments every ``gap`` seconds from ``start`` to ``end``; the time of the last one."""
    at = start
    while at <= end + 1e-9:
        clock.now = at
        bridge(ev.TextDelta(call_id="c1", text="word "))
        at += gap
    return clock.now


def test_after_a_quiet_spell_the_first_fragment_is_due_at_once(bridge, clock) -> None:
    stream(bridge, clock, 100.0, 100.0, 1)
    assert bridge.due_in(last_drain=float("-inf"), now=100.0) == 0
    assert bridge.due_in(last_drain=99.0, now=100.0) == 0  # the last drain is an interval ago


def test_while_fragments_keep_coming_drains_are_an_interval_apart(bridge, clock) -> None:
    for at in [100.0 + step * 0.002 for step in range(1, 50)]:  # a fragment every 2 ms: never quiet
        stream(bridge, clock, at, at, 1)
        due = bridge.due_in(100.0, at)
        assert 0 < due and at + due <= 100.1 + 1e-9  # never later than the interval
    stream(bridge, clock, 100.1, 100.1, 1)
    assert bridge.due_in(100.0, 100.1) == 0


def test_when_a_fast_stream_stops_its_last_fragment_is_due_after_the_quiet_time(bridge, clock) -> None:
    last = stream(bridge, clock, 100.0, 100.06, 0.002)  # the last fragment, 60 ms after the last drain
    assert bridge.due_in(100.0, last) == pytest.approx(QUIET_S)  # not the 40 ms left of the interval
    assert bridge.due_in(100.0, last + QUIET_S) == 0


def test_a_slow_stream_is_drained_once_an_interval_not_after_every_token(bridge, clock) -> None:
    last = stream(bridge, clock, 100.0, 101.0, 0.033)  # 30 tokens a second
    drained = last - 0.01
    assert bridge.due_in(drained, last + QUIET_S) == pytest.approx(drained + 0.1 - last - QUIET_S)


def test_a_stop_right_after_a_drain_waits_a_quarter_of_an_interval(bridge, clock) -> None:
    last = stream(bridge, clock, 99.9, 100.001, 0.002)
    assert bridge.due_in(100.0, last) == pytest.approx(100.025 - last)
    assert bridge.due_in(100.0, 100.025) == 0
