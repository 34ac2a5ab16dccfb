"""When the UI takes streamed text from the bridge (``EventBridge.due_in``): at most once per
interval while fragments keep coming, a few milliseconds after the last one when they stop."""

from __future__ import annotations

from app.agent.events import core as ev
from app.tui.bridge import QUIET_S, EventBridge


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def bridge_at(clock: Clock) -> EventBridge:
    return EventBridge(lambda message: None, interval=0.1, clock=clock)


def fragment(bridge: EventBridge, clock: Clock, at: float) -> None:
    clock.now = at
    bridge(ev.TextDelta(call_id="c1", text="word "))


def test_after_a_quiet_spell_the_first_fragment_is_due_at_once() -> None:
    clock = Clock()
    bridge = bridge_at(clock)
    fragment(bridge, clock, 100.0)
    assert bridge.due_in(last_drain=float("-inf"), now=100.0) == 0
    assert bridge.due_in(last_drain=99.0, now=100.0) == 0  # the last drain is an interval ago


def test_while_fragments_keep_coming_drains_are_an_interval_apart() -> None:
    clock = Clock()
    bridge = bridge_at(clock)
    last_drain = 100.0
    for step in range(1, 50):  # a fragment every 2 ms: never quiet
        at = 100.0 + step * 0.002
        fragment(bridge, clock, at)
        due = bridge.due_in(last_drain, at)
        assert 0 < due and at + due <= 100.1 + 1e-9  # never later than the interval
    fragment(bridge, clock, 100.1)
    assert bridge.due_in(last_drain, 100.1) == 0


def test_when_the_stream_stops_its_last_fragment_is_due_after_the_quiet_time() -> None:
    clock = Clock()
    bridge = bridge_at(clock)
    fragment(bridge, clock, 100.06)  # the last fragment, 60 ms after the last drain
    due = bridge.due_in(100.0, 100.06)
    assert abs(due - QUIET_S) < 1e-9  # not the 40 ms left of the interval
    assert bridge.due_in(100.0, 100.06 + QUIET_S) == 0


def test_a_pause_right_after_a_drain_waits_half_an_interval() -> None:
    """Slow, bursty streams are not drained after every token: at most twice an interval."""
    clock = Clock()
    bridge = bridge_at(clock)
    fragment(bridge, clock, 100.001)
    assert abs(bridge.due_in(100.0, 100.001) - 0.049) < 1e-9
    assert bridge.due_in(100.0, 100.05) == 0
