"""Events → OpenTelemetry spans, following the GenAI semantic conventions.

One :class:`SpanBuilder` per session stream, live (a bus subscriber) or after the fact (the
stored events, ``cockpit export-otel``): the same events make the same spans, timed by the
events' own timestamps.

- ``invoke_agent cockpit``: one per run of the session (``session_started`` … ``session_finished``);
  a child session's is a child of the delegating ``execute_tool task`` span (same trace).
- ``turn``: one per task.
- ``chat MODEL``: one per model call attempt, with the usage the provider reported.
- ``execute_tool NAME``: one per tool call.
- Retries, breaker changes, loop hits, compactions, cache misses, limits and feedback are span
  events with their numbers (a rating carries the π its task was sampled with).

Prompts, outputs, tool arguments and results go on the spans only with ``content`` on; every
string is scrubbed by the same redactor as the database.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.trace import Span, SpanContext, SpanKind, Status, StatusCode, Tracer

from app.agent.events import core as ev

AGENT_NAME = "cockpit"
# Events that become span events on the open span they belong to (a model call's or a task call's, else the
# turn's, else the run's).
SPAN_EVENTS = frozenset({
    "resilience_attempt_failed", "resilience_call_short_circuited", "resilience_breaker_changed",
    "resilience_loop_detected", "resilience_retry_tax", "resilience_retry_ratio", "compaction_performed",
    "cache_missed", "limit_reached", "interrupted", "feedback_sampled", "feedback_answered",
    "feedback_dismissed", "implicit_signals", "subagent_status", "subagent_replayed",
})
# Payload fields that are conversation content: exported only with ``content`` on.
CONTENT_FIELDS = frozenset({"output", "envelope", "comment", "user_text", "answer", "text", "messages"})


class Scrubber(Protocol):
    def replace_secrets(self, text: str) -> str: ...


def ns(ts: float) -> int:
    return int(ts * 1e9)


class Delegations:
    """Which execute_tool span delegated to which child session (shared by a process's builders)."""

    def __init__(self) -> None:
        self._parents: dict[str, SpanContext] = {}
        self._lock = threading.Lock()

    def delegated(self, child_session_id: str, parent: SpanContext) -> None:
        with self._lock:
            self._parents[child_session_id] = parent

    def parent_of(self, session_id: str) -> SpanContext | None:
        with self._lock:
            return self._parents.get(session_id)


class SpanBuilder:
    """A bus subscriber (or a loop over stored events) that turns one session's events into spans."""

    def __init__(self, tracer: Tracer, *, scrubber: Scrubber, content: bool = False,
                 delegations: Delegations | None = None) -> None:
        self.tracer, self.scrubber, self.content = tracer, scrubber, content
        self.delegations = delegations or Delegations()
        self.started: ev.SessionStarted | None = None
        self.root: Span | None = None
        self.turn: Span | None = None
        self.calls: dict[tuple[str, int], Span] = {}
        self.call_of: dict[str, Span] = {}  # call_id → its open attempt
        self.tools: dict[str, Span] = {}
        self.requested: dict[str, float] = {}  # tool_call_id → when the model asked for it
        self.pi: dict[str, float] = {}  # task id → the propensity it was sampled with
        self.last_ts = 0.0
        self.first_run: SpanContext | None = None  # the first run's span (an imported child without a task call goes under it)

    def __call__(self, event: ev.Event) -> None:
        self.last_ts = max(self.last_ts, event.ts)
        handler = getattr(self, f"on_{event.type}", None)
        if handler is not None:
            handler(event)
        if event.type in SPAN_EVENTS:
            self._span_event(event)

    # --- the run and its turns ---------------------------------------------------------------

    def on_session_started(self, e: ev.SessionStarted) -> None:
        self.close(e.ts)  # a run whose end was never recorded ends where the next one starts
        self.started = e  # the span opens on the next event: a child's parent is known by then

    def _root(self) -> Span | None:
        if self.root is None and self.started is not None:
            e = self.started
            parent = self.delegations.parent_of(e.session_id)
            context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent is not None else None
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": AGENT_NAME,
                "gen_ai.conversation.id": e.session_id, "gen_ai.request.model": e.model,
                "cockpit.session.source": e.source, "cockpit.session.resumed": e.resumed,
            }
            if e.parent_id:
                attributes["cockpit.session.parent_id"] = e.parent_id
            if self.content:
                attributes.update({"cockpit.session.title": e.title, "cockpit.session.workspace": e.workspace})
            self.root = self.tracer.start_span(f"invoke_agent {AGENT_NAME}", context=context, kind=SpanKind.INTERNAL,
                                               attributes=self._clean(attributes), start_time=ns(e.ts))
            self.first_run = self.first_run or self.root.get_span_context()
        return self.root

    def _in(self, span: Span | None) -> Any:
        return trace.set_span_in_context(span) if span is not None else None

    def on_turn_started(self, e: ev.TurnStarted) -> None:
        self._end(self.turn, e.ts)
        attributes: dict[str, Any] = {"cockpit.turn": e.turn}
        if self.content:
            attributes["gen_ai.input.messages"] = json.dumps([{"role": "user", "parts": [{"type": "text", "content": e.user_text}]}])
        self.turn = self.tracer.start_span("turn", context=self._in(self._root()), attributes=self._clean(attributes),
                                           start_time=ns(e.ts))

    def on_turn_finished(self, e: ev.TurnFinished) -> None:
        if self.turn is not None:
            self.turn.set_attributes({"cockpit.turn.outcome": e.outcome, "cockpit.turn.steps": e.steps})
            if e.outcome == "failed":
                self.turn.set_status(Status(StatusCode.ERROR, e.outcome))
        self._end(self.turn, e.ts)
        self.turn = None

    def on_session_finished(self, e: ev.SessionFinished) -> None:
        root = self._root()
        if root is not None:
            root.set_attribute("cockpit.session.status", e.status.value)
            if e.status is ev.SessionStatus.FAILED:
                root.set_status(Status(StatusCode.ERROR, self.scrubber.replace_secrets(e.reason)))
        self.close(e.ts)

    def close(self, ts: float | None = None) -> None:
        """End every open span (at ``ts``, else the last event's time)."""
        end = self.last_ts if ts is None else ts
        for span in [*self.tools.values(), *self.calls.values(), self.turn, self.root]:
            self._end(span, end)
        for open_spans in (self.tools, self.calls, self.call_of):
            open_spans.clear()
        self.turn = self.root = self.started = None

    # --- model calls ---------------------------------------------------------------------------

    def _parent(self) -> Any:
        return self._in(self.turn or self._root())

    def on_model_call_started(self, e: ev.ModelCallStarted) -> None:
        span = self.tracer.start_span(f"chat {e.model}", context=self._parent(), kind=SpanKind.CLIENT,
                                      start_time=ns(e.ts), attributes=self._clean(chat_request(e.model, e.call_id, e.attempt, e.role)))
        self.calls[(e.call_id, e.attempt)] = self.call_of[e.call_id] = span

    def on_model_call_finished(self, e: ev.ModelCallFinished) -> None:
        span = self.calls.pop((e.call_id, e.attempt), None)
        if self.call_of.get(e.call_id) is span:
            self.call_of.pop(e.call_id, None)
        if span is None:  # no start recorded (an import): the span spans its latency
            span = self.tracer.start_span(f"chat {e.model}", context=self._parent(), kind=SpanKind.CLIENT,
                                          start_time=ns(e.ts - e.latency_ms / 1000),
                                          attributes=self._clean(chat_request(e.model, e.call_id, e.attempt, e.role)))
        attributes = chat_response(e)
        if self.content and e.text:
            attributes["gen_ai.output.messages"] = json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": e.text}]}], ensure_ascii=False)
        span.set_attributes(self._clean(attributes))
        if e.status is not ev.CallStatus.OK:
            span.set_status(Status(StatusCode.ERROR, e.error_class or e.status.value))
        span.end(end_time=ns(e.ts))

    # --- tool calls ----------------------------------------------------------------------------

    def on_tool_call_requested(self, e: ev.ToolCallRequested) -> None:
        self.requested[e.tool_call_id] = e.ts

    def on_tool_call_started(self, e: ev.ToolCallStarted) -> None:
        self.tools[e.tool_call_id] = self._tool_span(e.name, e.tool_call_id, e.ts)

    def _tool_span(self, name: str, tool_call_id: str, ts: float) -> Span:
        return self.tracer.start_span(f"execute_tool {name}", context=self._parent(), kind=SpanKind.INTERNAL,
                                      start_time=ns(ts), attributes=self._clean({
                                          "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                                          "gen_ai.tool.call.id": tool_call_id}))

    def on_tool_call_finished(self, e: ev.ToolCallFinished) -> None:
        span = self.tools.pop(e.tool_call_id, None)
        if span is None:  # refused or invalid: it never started; the span runs from the request
            span = self._tool_span(e.name, e.tool_call_id, self.requested.get(e.tool_call_id, e.ts))
        self.requested.pop(e.tool_call_id, None)
        attributes: dict[str, Any] = {"cockpit.tool.status": e.status.value, "cockpit.tool.duration_ms": e.duration_ms,
                                      "cockpit.turn": e.turn, "cockpit.step": e.step}
        if e.exit_code is not None:
            attributes["cockpit.tool.exit_code"] = e.exit_code
        if e.server:
            attributes["cockpit.tool.server"] = e.server
        if e.status is not ev.ToolStatus.OK:
            attributes["error.type"] = e.status.value
            span.set_status(Status(StatusCode.ERROR, e.status.value))
        if self.content:
            attributes.update({"gen_ai.tool.call.arguments": e.arguments_raw, "gen_ai.tool.call.result": e.result})
        span.set_attributes(self._clean(attributes))
        span.end(end_time=ns(e.ts))

    def on_subagent_status(self, e: Any) -> None:
        tool = self.tools.get(e.parent_call_id)
        if e.child_session_id and tool is not None:
            self.delegations.delegated(e.child_session_id, tool.get_span_context())

    def on_feedback_sampled(self, e: Any) -> None:
        self.pi[e.task_id] = e.pi

    # --- span events ---------------------------------------------------------------------------

    def _span_event(self, event: ev.Event) -> None:
        payload = event.payload()
        target = (self.call_of.get(str(payload.get("call_id", ""))) or self.tools.get(str(payload.get("parent_call_id", "")))
                  or self.turn or self._root())
        if target is None:
            return
        attributes = {f"cockpit.{key}": value for key, value in flat(payload).items()
                      if self.content or key.split(".")[0] not in CONTENT_FIELDS}
        task_id = payload.get("task_id")
        if event.type == "feedback_answered" and isinstance(task_id, str) and task_id in self.pi:
            attributes["cockpit.pi"] = self.pi[task_id]
        target.add_event(f"cockpit.{event.type}", self._clean(attributes), timestamp=ns(event.ts))

    def _clean(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """Attribute values OpenTelemetry takes (None left out), strings scrubbed of secrets."""
        out: dict[str, Any] = {}
        for key, value in attributes.items():
            if isinstance(value, str):
                out[key] = self.scrubber.replace_secrets(value)
            elif isinstance(value, (list, tuple)):
                out[key] = [self.scrubber.replace_secrets(v) if isinstance(v, str) else v for v in value]
            elif value is not None:
                out[key] = value
        return out

    def _end(self, span: Span | None, ts: float) -> None:
        if span is not None:
            span.end(end_time=ns(ts))


def chat_request(model: str, call_id: str, attempt: int, role: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                                  "cockpit.call.id": call_id, "cockpit.call.attempt": attempt, "cockpit.call.role": role}
    if "/" in model:
        attributes["gen_ai.provider.name"] = model.split("/", 1)[0]
    return attributes


def chat_response(e: ev.ModelCallFinished) -> dict[str, Any]:
    """What a call's row in ``model_calls`` holds, under the GenAI names where there is one.

    Counts nobody reported (usage source ``none``, cache counts the provider sent no field for) are
    left out, never sent as 0."""
    usage = e.usage
    attributes: dict[str, Any] = {"cockpit.call.status": e.status.value, "cockpit.latency_ms": e.latency_ms,
                                  "cockpit.usage.source": ev.usage_source(usage), "cockpit.cost_usd": e.cost_usd,
                                  "cockpit.cost_source": e.cost_source, "cockpit.upstream_retries": e.upstream_retries,
                                  "cockpit.proxy.key_spend_usd": e.proxy_key_spend_usd,
                                  "cockpit.turn": e.turn, "cockpit.step": e.step}
    if ev.usage_source(usage) != ev.USAGE_NONE:
        attributes.update({
            "gen_ai.usage.input_tokens": int(usage.get("prompt_tokens") or 0),
            "gen_ai.usage.output_tokens": int(usage.get("completion_tokens") or 0),
        })
        for name, key in (("cache_read", "cached_tokens"), ("cache_creation", "cache_write_tokens")):
            if usage.get(key) is not None:
                attributes[f"gen_ai.usage.{name}.input_tokens"] = int(usage[key])
    if e.finish_reason:
        attributes["gen_ai.response.finish_reasons"] = [e.finish_reason]
    if e.status is not ev.CallStatus.OK:
        attributes["error.type"] = e.error_class or e.status.value
    return attributes


def flat(payload: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A payload's scalar values (nested dicts dotted, lists of scalars kept), as span attributes take them."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat(value, name + "."))
        elif isinstance(value, (str, bool, int, float)):
            out[name] = value
        elif isinstance(value, list) and value and all(isinstance(v, (str, bool, int, float)) for v in value) \
                and len({type(v) for v in value}) == 1:
            out[name] = value
    return out
