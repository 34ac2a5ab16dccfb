from app.agent.events import core as ev
from app.agent.bus import EventBus, EventList


def test_events_emitted_by_a_subscriber_reach_everyone_after_the_current_one():
    bus = EventBus("s")
    first = bus.subscribe(EventList())

    def echo(event):
        if isinstance(event, ev.TurnFinished):
            bus.emit(ev.Notice(message="after the turn"))

    bus.subscribe(echo)
    last = bus.subscribe(EventList())
    bus.emit(ev.TurnStarted(turn=1))
    bus.emit(ev.TurnFinished(turn=1))
    assert first.types() == last.types() == ["turn_started", "turn_finished", "notice"]
    assert [e.seq for e in last] == [1, 2, 3]


def test_a_failing_sink_does_not_stop_the_others():
    bus = EventBus("s")

    def broken(event):
        raise RuntimeError("disk full")

    bus.subscribe(broken)
    seen = bus.subscribe(EventList())
    bus.emit(ev.Notice(message="x"))
    assert seen.types() == ["notice"] and "disk full" in bus.errors[0]


def test_stream_deltas_do_not_use_up_sequence_numbers():
    bus = EventBus("s", start_seq=10)
    a = bus.emit(ev.TextDelta(text="x"))
    b = bus.emit(ev.Notice(message="y"))
    assert (a.seq, b.seq) == (10, 11)
