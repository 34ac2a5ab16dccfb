from app.agent.events import core as ev
from app.agent.events.core import event_from_dict
from app.agent.feedback.config import FeedbackConfig
from app.agent.events.feedback import FeedbackAnswered, FeedbackDismissed, FeedbackSampled, ImplicitSignals
from app.agent.events.feedback_view import FeedbackReducer

from .helpers import Harness


def test_feature_events_round_trip_through_the_core_decoder():
    for event in (
        FeedbackSampled(task_id="s:1", turn=1, pi=0.25, u=0.2, shown=True, category="edit", reasons=["retry"], fatigued=True),
        ImplicitSignals(task_id="s:1", turn=1, signals={"denials": 1, "reverted_files": ["a.py"]}),
        FeedbackAnswered(task_id="s:1", source="volunteered", rating="down", comment="meh"),
        FeedbackDismissed(task_id="s:1", reason="moved_on"),
    ):
        assert event_from_dict(event.to_dict()) == event


def test_reducer_tracks_the_prompt_and_the_last_task():
    h = Harness(FeedbackConfig(rate=1.0))
    live = FeedbackReducer()
    h.bus.subscribe(live.apply)
    first = h.task("one")
    assert live.state.pending_prompt == first.task_id and live.state.last_task_id == first.task_id
    h.answer(first.task_id, "up", "good")
    assert live.state.pending_prompt is None
    h.begin("two")
    assert live.state.running_task_id == "sess-1:2"
    second = h.end()
    h.answer(second.task_id, "down", source="volunteered")
    assert live.state.pending_prompt == second.task_id  # a volunteered rating does not answer the prompt
    h.begin("three")  # moving on dismisses it
    assert live.state.pending_prompt is None
    task = live.state.tasks[second.task_id]
    assert (task.response, task.volunteered, task.signals["outcome"]) == ("dismissed", "down", "completed")
    assert (live.state.asked, live.state.answered, live.state.volunteered) == (2, 1, 1)


def test_replay_of_stored_events_rebuilds_the_same_state():
    h = Harness(FeedbackConfig(rate=0.5, fatigue_window_s=0), seed=3)
    live = FeedbackReducer()
    h.bus.subscribe(live.apply)
    for i in range(12):
        decision = h.task(f"task {i}")
        if decision.shown and i % 2:
            h.answer(decision.task_id, "up")
    h.finish_session()

    replayed = FeedbackReducer()
    for event in h.events:
        if event.persist:
            replayed.apply(event_from_dict(event.to_dict()))
    assert replayed.state == live.state
    assert len(replayed.state.tasks) == 12


def test_reducer_ignores_a_dismissal_after_an_answer():
    r = FeedbackReducer()
    r.apply(FeedbackSampled(task_id="s:1", pi=1.0, u=0.1, shown=True))
    r.apply(FeedbackAnswered(task_id="s:1", rating="skip"))
    r.apply(FeedbackDismissed(task_id="s:1"))
    assert r.state.tasks["s:1"].response == "answered"
    r.apply(ev.SessionFinished())
    assert r.state.pending_prompt is None
