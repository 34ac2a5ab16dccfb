"""What goes over the wire to a provider, and what its response headers say.

The history sent is always valid (:func:`wire_messages`): tool-call arguments
that are not a JSON object -- the model once produced them malformed; the store
keeps them verbatim -- go out as ``{"_invalid_arguments": "<raw>"}``, so a strict
server (llama.cpp's: 500 "Failed to parse tool call arguments as JSON") cannot
refuse the session forever, resumed or not. Consecutive user messages whose content
is text (a task and the files its @mentions attach, a ``!command``'s output and the next
task) go out as one, joined by a blank line: chat templates that insist on alternating
roles (Gemma's, in llama.cpp) would refuse them otherwise. The history keeps them apart,
so each stays its own item in the Context budget.

Headers are read as the provider sent them or as litellm forwards them
(``llm_provider-<name>``): a proxy's own retries of the upstream call
(:func:`upstream_retries`), its spend (:func:`proxy_spend`) and, in the classifier, its Retry-After.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.agent.caching.prefix import unchanged_prefix
from app.agent.events.core import well_formed

# The LiteLLM proxy's own retries of the upstream call (its default is 2): attempted, allowed.
UPSTREAM_RETRY_HEADERS = ("x-litellm-attempted-retries", "x-litellm-max-retries")
_FORWARDED_PREFIX = "llm_provider-"  # litellm's prefix for the response headers it forwards


def response_header(headers: Mapping[str, Any] | None, name: str) -> Any:
    """A header by name, case-insensitively, also as litellm forwards it (``llm_provider-<name>``)."""
    if not headers:
        return None
    try:
        lowered = {str(k).lower(): v for k, v in headers.items()}
    except AttributeError:
        return None
    value = lowered.get(name)
    return value if value is not None else lowered.get(_FORWARDED_PREFIX + name)


# The LiteLLM proxy's spend: this call's cost, and all the key has spent (what its budget counts), in USD.
PROXY_SPEND_HEADERS = ("x-litellm-response-cost", "x-litellm-key-spend")


def proxy_spend(headers: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
    """(this call's cost, the key's total spend) as the proxy counted them; None where it said nothing."""
    values: list[float | None] = []
    for name in PROXY_SPEND_HEADERS:
        raw = response_header(headers, name)
        try:
            value = None if raw is None else float(str(raw).strip())
        except ValueError:
            value = None
        values.append(value if value is not None and value >= 0 and value == value else None)
    return values[0], values[1]


def upstream_retries(headers: Mapping[str, Any] | None) -> tuple[int | None, int | None]:
    """(retries a proxy already made, retries it allows) from its response headers."""
    values: list[int | None] = []
    for name in UPSTREAM_RETRY_HEADERS:
        raw = response_header(headers, name)
        try:
            values.append(None if raw is None else max(0, int(str(raw).strip())))
        except ValueError:
            values.append(None)
    return values[0], values[1]


INVALID_ARGUMENTS_KEY = "_invalid_arguments"


def wire_arguments(raw: str) -> str:
    """Tool-call arguments as a provider accepts them: a JSON object, the raw text kept inside."""
    try:
        parsed = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):  # malformed, or nested too deep to parse
        parsed = None
    if isinstance(parsed, dict):
        return raw if raw.strip() else "{}"
    return json.dumps({INVALID_ARGUMENTS_KEY: raw})


def wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history to send: tool-call arguments that are not a JSON object are wrapped
    (``{"_invalid_arguments": "<raw>"}``); the tool result already says what was wrong.
    Messages that need no change are passed as they are."""
    out: list[dict[str, Any]] = []
    for message in messages:
        _add_wired(out, _wired(message))
    return out


def _wired(message: dict[str, Any]) -> dict[str, Any]:
    calls = message.get("tool_calls") if message.get("role") == "assistant" else None
    if calls:
        fixed = [_wire_call(call) for call in calls]
        if any(a is not b for a, b in zip(fixed, calls)):
            return {**message, "tool_calls": fixed}
    return message


def _add_wired(out: list[dict[str, Any]], message: dict[str, Any]) -> None:
    if out and _text_from_user(out[-1]) and _text_from_user(message):
        out[-1] = {**out[-1], "content": f"{out[-1]['content']}\n\n{message['content']}"}
    else:
        out.append(message)


class WireHistory:
    """``well_formed(wire_messages(messages))`` for a conversation that grows: the messages that are the same
    dicts as last call's keep what they became, and only the new ones are converted (a trailing run of
    user texts again: the next message may join it). Messages are values (see ``app.agent.budget.counter``)."""

    def __init__(self) -> None:
        self._seen: list[dict[str, Any]] = []  # the messages of the last call
        self._out: list[dict[str, Any]] = []  # what they went out as
        self._ends: list[int] = []  # _ends[i]: len(_out) once message i was added

    def messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keep = unchanged_prefix(self._seen, messages)
        while keep and _text_from_user(self._seen[keep - 1]):
            keep -= 1
        del self._seen[keep:], self._ends[keep:]
        del self._out[self._ends[-1] if self._ends else 0:]
        for message in messages[keep:]:
            self._seen.append(message)
            _add_wired(self._out, well_formed(_wired(message)))
            self._ends.append(len(self._out))
        return list(self._out)


def _text_from_user(message: dict[str, Any]) -> bool:
    return message.get("role") == "user" and isinstance(message.get("content"), str) and set(message) <= {"role", "content"}


def _wire_call(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    raw = function.get("arguments")
    raw = raw if isinstance(raw, str) else json.dumps(raw if raw is not None else {})
    sent = wire_arguments(raw)
    if sent == function.get("arguments"):
        return call
    return {**call, "function": {**function, "arguments": sent}}
