"""What the summarising rung of the ladder asks the model, and what it does without one.

``summary_request`` turns the old part of a conversation into a two-message
prompt, which the loop sends through its one retry layer (as a ``summary`` call,
to the session's model or a cheaper configured one). ``fallback_summary`` is the
mechanical digest used when no summariser is given or it fails: it invents
nothing, it lists what was asked and done.
"""

from __future__ import annotations

import json
from typing import Any

from app.agent.budget.counter import SUMMARY_MARKER, call_label

INSTRUCTIONS = """You are compacting the middle of a coding agent's conversation so that it fits \
the model's context window. The agent will continue the work from your summary alone, so be \
faithful and dense. Cover: what the user asked; what was done (files read or changed, commands \
run and their outcomes, errors met); facts and decisions worth keeping (paths, names, values). \
Quote exact identifiers. Invent nothing. End with two sections, in this order:
Goals: what the user wants, in a few bullets.
Open items: what is unfinished or needs checking next, in a few bullets."""

_PER_MESSAGE_CHARS = 4_000


def summary_request(messages: list[dict[str, Any]], max_chars: int = 60_000) -> list[dict[str, Any]]:
    """The chat messages that ask a model to summarise ``messages``."""
    return [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": "Summarise this part of the conversation:\n\n" + transcript(messages, max_chars)},
    ]


def transcript(messages: list[dict[str, Any]], max_chars: int) -> str:
    """Messages as plain text, each capped; when too long, the oldest lines go first."""
    labels: dict[str, str] = {}
    lines = []
    for message in messages:
        role = str(message.get("role") or "")
        text = _clip(_text(message.get("content")))
        if role == "assistant":
            calls = message.get("tool_calls") or []
            for call in calls:
                labels[str(call.get("id"))] = call_label(call.get("function") or {})
            called = "; ".join(_call_text(c) for c in calls)
            lines.append(f"ASSISTANT: {text}" + (f"\n  calls: {called}" if called else ""))
        elif role == "tool":
            lines.append(f"TOOL RESULT {labels.get(str(message.get('tool_call_id')), '')}: {text}")
        else:
            lines.append(f"{role.upper()}: {text}")
    out = "\n\n".join(lines)
    return out if len(out) <= max_chars else "[…earlier lines omitted…]\n" + out[-max_chars:]


def fallback_summary(messages: list[dict[str, Any]]) -> str:
    """A mechanical digest: the requests, the tool calls, the last assistant words."""
    asks = [_clip(_text(m.get("content")), 300) for m in messages if m.get("role") == "user"]
    calls = [
        call_label(c.get("function") or {})
        for m in messages
        if m.get("role") == "assistant"
        for c in m.get("tool_calls") or []
    ]
    said = [_text(m.get("content")) for m in messages if m.get("role") == "assistant" and m.get("content")]
    parts = [f"(mechanical digest of {len(messages)} messages; no model summary was available)"]
    if asks:
        parts.append("Requests:\n" + "\n".join(f"- {a}" for a in asks))
    if calls:
        parts.append(f"Tool calls ({len(calls)}): " + ", ".join(calls[-30:]))
    if said:
        parts.append("Last assistant message:\n" + _clip(said[-1], 1_000))
    parts.append("Goals: see the first task and the requests above.\nOpen items: unknown; check the current state.")
    return "\n\n".join(parts)


def summary_message(summary: str, count: int) -> dict[str, Any]:
    """The message that stands in for ``count`` summarised messages."""
    return {"role": "user", "content": f"{SUMMARY_MARKER} ({count} messages)\n{summary}"}


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _call_text(call: dict[str, Any]) -> str:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return f"{function.get('name')}({_clip(arguments, 300)})"


def _clip(text: str, limit: int = _PER_MESSAGE_CHARS) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} […{len(text) - limit} chars…] {text[-half:]}"
