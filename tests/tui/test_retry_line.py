"""A failed model-call attempt that is retried shows live as one line, updated when the retry is sent;
live and replay read it from the same fold (``transcript_view``)."""

from __future__ import annotations

from textual.app import App

from app.agent.events import core as ev
from app.agent.events.resilience import AttemptFailed
from app.agent.events.transcript_view import TranscriptFold, model_error_line
from widgets.model_error import ModelErrorLine
from widgets.transcript import Transcript


def _events(decision: str = "retry") -> list[ev.Event]:
    return [
        ev.TurnStarted(turn=1, user_text="look"),
        ev.ModelCallStarted(call_id="mc_a.1", turn=1, attempt=1, model="m"),
        ev.ModelCallFinished(call_id="mc_a.1", turn=1, attempt=1, model="m", status=ev.CallStatus.ERROR,
                             error_class="rate_limit", error_message="429 slow down"),
        AttemptFailed(call_id="mc_a", attempt=1, error_class="rate_limit", decision=decision,
                      reason="" if decision == "retry" else "terminal", wait_s=2.0),
        ev.ModelCallStarted(call_id="mc_a.2", turn=1, attempt=2, model="m"),
        ev.ModelCallFinished(call_id="mc_a.2", turn=1, attempt=2, model="m", status=ev.CallStatus.OK, text="done"),
    ]


def test_the_fold_notes_the_wait_then_the_retry():
    fold, lines = TranscriptFold(), []
    for event in _events():
        for k in fold.apply(event):
            if fold.entries[k].kind == "model_error":
                lines.append(model_error_line(fold.entries[k]))
    assert lines == [
        "✗ model call failed (rate_limit, attempt 1)",
        "✗ model call failed (rate_limit, attempt 1) · retrying in 2s",
        "✗ model call failed (rate_limit, attempt 1) · retried",
    ]


def test_a_stopped_call_is_noted_and_not_retried():
    fold = TranscriptFold.of(_events("stop")[:4])
    error = next(e for e in fold.entries if e.kind == "model_error")
    assert (error.note, error.retried) == ("gave up (terminal)", False)


class _One(App):
    def compose(self):
        yield Transcript(id="t")


async def test_the_live_transcript_shows_the_retry_as_it_happens():
    app = _One()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        events = _events()
        for event in events[:3]:
            await transcript.apply(event)
        assert not app.query(ModelErrorLine)  # not yet known whether anything follows
        await transcript.apply(events[3])
        await pilot.pause()
        (line,) = app.query(ModelErrorLine)
        assert line.line == "✗ model call failed (rate_limit, attempt 1) · retrying in 2s"
        await transcript.apply(events[4])
        assert line.line == "✗ model call failed (rate_limit, attempt 1) · retried"


async def test_a_call_that_stops_leaves_it_to_the_error_notice():
    app = _One()
    async with app.run_test(size=(80, 24)):
        transcript = app.query_one(Transcript)
        for event in _events("stop")[:4]:
            await transcript.apply(event)
        assert not app.query(ModelErrorLine)
