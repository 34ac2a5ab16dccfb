"""The span builder on a scripted event stream, into the SDK's in-memory exporter: where retries,
compactions and feedback land, with their numbers (a rating carries its task's π)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.agent.events import core as ev
from app.agent.events.budget import CompactionPerformed
from app.agent.events.feedback import FeedbackAnswered, FeedbackSampled
from app.agent.events.resilience import AttemptFailed, BreakerChanged
from app.telemetry.spans import SpanBuilder
from storage.redact import Redactor


def finished(events):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    builder = SpanBuilder(provider.get_tracer("t"), scrubber=Redactor({}))
    for i, event in enumerate(events, 1):
        event.session_id, event.ts = "s1", 100.0 + i
        builder(event)
    return exporter.get_finished_spans()


def spans_of(events):
    return {span.name + (f"#{span.attributes.get('cockpit.call.attempt')}" if span.name.startswith("chat") else ""): span
            for span in finished(events)}


def test_retries_compactions_breakers_and_feedback_are_span_events_with_their_numbers():
    spans = spans_of([
        ev.SessionStarted(model="openai/m"), ev.TurnStarted(turn=1, user_text="do it"),
        ev.ModelCallStarted(call_id="c1", attempt=1, model="openai/m"),
        ev.ModelCallFinished(call_id="c1", attempt=1, model="openai/m", status=ev.CallStatus.ERROR, error_class="rate_limit"),
        AttemptFailed(call_id="c1", attempt=1, error_class="rate_limit", status=429, decision="retry", wait_s=1.5),
        ev.ModelCallStarted(call_id="c1", attempt=2, model="openai/m"),
        ev.ModelCallFinished(call_id="c1", attempt=2, model="openai/m", finish_reason="stop",
                             usage={"prompt_tokens": 10, "completion_tokens": 3, "source": "provider"}, cost_usd=0.5),
        CompactionPerformed(step="summarize", tokens_before=9000, tokens_after=1200),
        BreakerChanged(target="openai/m", state="open", previous="closed", open_for_s=30.0),
        ev.TurnFinished(turn=1), FeedbackSampled(task_id="s1:1", pi=0.25, u=0.1, shown=True),
        FeedbackAnswered(task_id="s1:1", rating="up", comment="private words"), ev.SessionFinished(),
    ])
    failed, ok, turn, root = spans["chat openai/m#1"], spans["chat openai/m#2"], spans["turn"], spans["invoke_agent cockpit"]
    assert failed.attributes["error.type"] == "rate_limit" and failed.status.status_code.name == "ERROR"
    assert "gen_ai.usage.input_tokens" not in failed.attributes  # nobody counted: left out, never 0
    assert ok.attributes["gen_ai.usage.input_tokens"] == 10 and ok.attributes["cockpit.cost_usd"] == 0.5
    events = {e.name: e.attributes for e in turn.events}
    assert events["cockpit.resilience_attempt_failed"]["cockpit.wait_s"] == 1.5  # the call's attempt had ended
    assert events["cockpit.compaction_performed"]["cockpit.tokens_before"] == 9000
    assert events["cockpit.resilience_breaker_changed"]["cockpit.state"] == "open"
    feedback = {e.name: e.attributes for e in root.events}
    assert feedback["cockpit.feedback_sampled"]["cockpit.pi"] == 0.25
    answered = feedback["cockpit.feedback_answered"]
    assert answered["cockpit.pi"] == 0.25 and answered["cockpit.rating"] == "up"
    assert "cockpit.comment" not in answered  # content: only when asked
    assert ok.parent.span_id == turn.context.span_id and turn.parent.span_id == root.context.span_id


def test_a_run_that_never_finished_ends_where_the_next_one_starts():
    spans = finished([ev.SessionStarted(model="m"), ev.TurnStarted(turn=1), ev.SessionStarted(model="m", resumed=True),
                      ev.TurnStarted(turn=2), ev.SessionFinished()])
    runs = [s for s in spans if s.name == "invoke_agent cockpit"]
    assert [r.attributes["cockpit.session.resumed"] for r in runs] == [False, True]
    assert runs[0].end_time == 103 * 10**9 == runs[1].start_time  # the second run's start (event 3)
    turns = [s for s in spans if s.name == "turn"]
    assert [t.parent.span_id for t in turns] == [r.context.span_id for r in runs]
