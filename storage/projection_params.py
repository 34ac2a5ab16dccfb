"""The values the busiest projections write, computed from an event alone.

The store's projection of a ``message_appended``, ``model_call_finished``,
``turn_started``, ``tool_call_requested`` or ``tool_call_finished`` event runs
one statement whose parameters all come from the event's row (envelope and
redacted payload): they are computed here, by :func:`params`, when the event is
prepared (:func:`storage.prepared.prepare`). An import prepares its events in its
reading process (:mod:`storage.importers.reader_process`), so the writing
process, which also holds the write lock, only runs the statements. What needs
the database (a message's generation, whether a tool call's row exists) stays
with the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from app.agent.events.core import ROLE_MAIN, usage_source
from storage.redact import json_text

Params = tuple[Any, ...]


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    text = _ISO.get(ts)
    if text is None:  # (several events of a step share its time: a timestamp costs a datetime and its text)
        if len(_ISO) >= _ISO_REMEMBERED:
            _ISO.clear()
        text = _ISO[ts] = dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).isoformat(timespec="milliseconds")
    return text


_ISO: dict[float, str] = {}  # the times :func:`iso` wrote last
_ISO_REMEMBERED = 256


def json_or_none(value: Any) -> str | None:
    return None if value is None else json_text(value)


INSERT_MESSAGE = """insert into messages (session_id, generation, idx, role, content, tool_calls, tool_call_id, turn, seq)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def message(index: int, message: dict[str, Any], turn: Any, seq: int) -> Params:
    """A ``messages`` row but its session and generation (which the store knows)."""
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        content = json_text(content)
    return (index, message.get("role", ""), content, json_or_none(message.get("tool_calls")), message.get("tool_call_id"),
            turn, seq)


def message_appended(session_id: str, seq: int, ts: float, p: dict[str, Any]) -> Params:
    return message(int(p.get("index", 0)), p.get("message") or {}, p.get("turn"), seq)


UPDATE_TITLE = "update sessions set title = ? where id = ? and title = ''"
NO_END_TIME = "no_end_time"  # a session_finished payload key: the imported source records no end (ended_at stays null)


def turn_started(session_id: str, seq: int, ts: float, p: dict[str, Any]) -> Params:
    return " ".join(str(p.get("user_text", "")).split())[:100], session_id


FINISHED_COLUMNS = (
    "ended_at", "status", "prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens",
    "usage_reported", "cost_usd", "latency_ms", "error_class", "error_message", "finish_reason", "text",
    "tool_call_count", "usage_source", "upstream_retries", "cost_source",
)
MODEL_CALL_FINISHED = f"""
    insert into model_calls (id, session_id, turn, step, attempt, model, role, started_at, estimated_prompt_tokens,
        {", ".join(FINISHED_COLUMNS)})
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, {", ".join("?" for _ in FINISHED_COLUMNS)})
    on conflict (id) do update set {", ".join(f"{c} = excluded.{c}" for c in FINISHED_COLUMNS)},
        estimated_prompt_tokens = coalesce(excluded.estimated_prompt_tokens, estimated_prompt_tokens)"""


def model_call(session_id: str, p: dict[str, Any]) -> Params:
    """The first columns of a ``model_calls`` row: id, session, turn, step, attempt, model, role."""
    return (p["call_id"], session_id, p.get("turn"), p.get("step"), p.get("attempt", 1), p.get("model"),
            p.get("role") or ROLE_MAIN)  # events written before roles: the conversation's calls


def model_call_finished(session_id: str, seq: int, ts: float, p: dict[str, Any]) -> Params:
    """The call's outcome; imported sessions record only the finished call, which then starts the row too."""
    usage = p.get("usage") or {}
    ended = iso(ts)
    return (
        *model_call(session_id, p),
        ended,
        p.get("estimated_prompt_tokens"),
        ended,
        p.get("status", "ok"),
        usage.get("prompt_tokens"),
        usage.get("completion_tokens"),
        usage.get("cached_tokens"),
        usage.get("cache_write_tokens"),
        1 if usage.get("reported") else 0,
        p.get("cost_usd"),  # None: unpriced
        p.get("latency_ms"),
        p.get("error_class"),
        p.get("error_message"),
        p.get("finish_reason"),
        p.get("text"),
        len(p.get("tool_calls") or []),
        usage_source(usage),
        p.get("upstream_retries"),
        p.get("cost_source") if p.get("cost_usd") is not None else None,
    )


INSERT_TOOL_CALL = """insert or replace into tool_calls (session_id, tool_call_id, turn, step, name, arguments_raw, status, requested_at)
               values (?, ?, ?, ?, ?, ?, 'requested', ?)"""


def tool_call_requested(session_id: str, seq: int, ts: float, p: dict[str, Any]) -> Params:
    return session_id, p["tool_call_id"], p.get("turn"), p.get("step"), p.get("name", ""), p.get("arguments_raw"), iso(ts)


FINISH_TOOL_CALL = """update tool_calls set status = ?, result = ?, truncated = ?, output_hash = ?, error = ?, exit_code = ?,
                   duration_ms = ?, finished_at = ?, arguments = coalesce(?, arguments)
               where session_id = ? and tool_call_id = ?"""


def tool_call_finished(session_id: str, seq: int, ts: float, p: dict[str, Any]) -> Params:
    """(the update that finishes the call, the request row to insert first when the source has no request for it)."""
    return _finish_tool_call(session_id, ts, p), tool_call_requested(session_id, seq, ts, p)


def _finish_tool_call(session_id: str, ts: float, p: dict[str, Any]) -> Params:
    return (
        p.get("status", "ok"),
        p.get("result"),
        1 if p.get("truncated") else 0,
        p.get("full_output_hash"),
        p.get("error"),
        p.get("exit_code"),
        p.get("duration_ms"),
        iso(ts),
        json_or_none(p.get("arguments")),
        session_id,
        p["tool_call_id"],
    )


_PARAMS: dict[str, Callable[[str, int, float, dict[str, Any]], Params]] = {
    "message_appended": message_appended,
    "turn_started": turn_started,
    "model_call_finished": model_call_finished,
    "tool_call_requested": tool_call_requested,
    "tool_call_finished": tool_call_finished,
}


KINDS = frozenset(_PARAMS)  # the event types whose parameters these are
# The event types whose projection in the store (storage.store.EventStore) reads the stored row, its payload too.
ROW_KINDS = frozenset({"session_started", "messages_replaced", "model_call_started", "tool_call_validated",
                       "approval_resolved", "tool_call_started", "session_finished", "resilience_retry_tax"})


def params(kind: str, session_id: str, seq: int, ts: float, payload: dict[str, Any]) -> Params | None:
    """The parameters of this event's projection statement, or None when its projection is not one of these."""
    build = _PARAMS.get(kind)
    return None if build is None else build(session_id, seq, ts, payload)
