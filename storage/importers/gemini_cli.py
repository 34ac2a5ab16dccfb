"""Gemini CLI sessions: ``~/.gemini/tmp/<project hash>/chats/session-<time>-<id>.json``.

One JSON object: ``sessionId``, ``projectHash``, ``startTime``, ``lastUpdated`` and
``messages``, each ``{id, timestamp, type, content}`` with ``type`` ``user``,
``gemini`` (and, in later versions, ``info``, ``warning``, ``error``). What needs care:

- A ``gemini`` message is one model response: its ``tokens`` (``input``, ``output``,
  ``cached``, ``thoughts``, ``tool``, ``total``) are that call's usage, written once per
  message (a message id seen again is skipped). ``input`` is Gemini's prompt count and
  already includes ``cached``; ``thoughts`` are billed as output, so the completion is
  ``output + thoughts``; ``tool`` (the tool-use prompt) is added to the prompt.
  ``total`` is their sum, which the test checks. A message without ``tokens`` has no usage.
- Tool calls are inline in the message that asked for them (``toolCalls``: ``id``,
  ``name``, ``args``, ``status`` ``success`` / ``error`` / ``cancelled``, and ``result``,
  a list of parts whose ``functionResponse.response`` holds ``output`` or ``error``).
- ``delegate_to_agent`` runs a sub-agent whose own messages the file does not keep:
  it stays a tool call (its result is the sub-agent's report).
- ``content`` is text, or (later versions) a list of parts with ``text``.
- An optional top-level ``summary`` is the session's title. The file records no
  compressions (``/compress`` rewrites the model's history in memory only).

The file is read twice, item by item (:mod:`storage.importers.json_stream`): first to
check every message, then to convert, so memory stays bounded by one message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storage.importers.common import (
    ImportFormatError,
    Recorder,
    ToolUse,
    json_object,
    parse_ts,
    record_errors,
    usage,
)
from storage.importers.detect import Head
from storage.importers.json_stream import object_fields

SOURCE = "gemini-cli"
NAME = "Gemini CLI session"
_MESSAGE_TYPES = {"user", "gemini", "info", "warning", "error"}
_STATUS = {"success": "ok", "error": "tool_error", "cancelled": "cancelled"}


def sniff(head: Head) -> bool:
    """A session: one JSON object with ``sessionId``, ``messages`` and ``projectHash`` or ``startTime``."""
    keys = set(head.keys)
    return head.kind in ("object", "jsonl") and {"sessionId", "messages"} <= keys and bool(keys & {"projectHash", "startTime"})


def convert(path: Path, digest: str) -> Iterator[dict[str, Any]]:
    header = _scan(path)
    source_id = str(header.get("sessionId") or "")
    recorder = Recorder("gm-" + (source_id.replace("-", "")[:12] or digest[:12]))
    recorder.start(
        parse_ts(header.get("startTime")), source=SOURCE, source_path=str(path), source_hash=digest,
        model=str(header.get("model") or ""), title=str(header.get("summary") or ""),
        settings={"source_session_id": source_id or None, "project_hash": header.get("projectHash")},
    )
    yield from recorder.drain()
    seen: set[str] = set()
    for key, message, line in object_fields(path, "messages"):
        if key != "messages":
            continue
        with record_errors(path, line):
            message_id = str(message.get("id") or f"line-{line}")
            if message_id in seen:
                continue
            seen.add(message_id)
            _message(recorder, message)
        yield from recorder.drain()
    yield from recorder.finish(parse_ts(header.get("lastUpdated")))


def _scan(path: Path) -> dict[str, Any]:
    """The header fields (and the first model's name), every message checked."""
    header: dict[str, Any] = {}
    messages = 0
    for key, value, line in object_fields(path, "messages"):
        if key != "messages":
            header[key] = value
            continue
        messages += 1
        if not isinstance(value, dict) or value.get("type") not in _MESSAGE_TYPES:
            kind = value.get("type") if isinstance(value, dict) else type(value).__name__
            raise ImportFormatError(path, line, f"not a Gemini CLI message (type {kind!r})")
        if "model" not in header and value.get("type") == "gemini" and isinstance(value.get("model"), str):
            header["model"] = value["model"]
    if "sessionId" not in header:
        raise ImportFormatError(path, 1, "not a Gemini CLI session (no 'sessionId')")
    return header


def _message(rec: Recorder, message: dict[str, Any]) -> None:
    kind, ts = message["type"], parse_ts(message.get("timestamp"))
    text = _text(message.get("content"))
    if kind == "user":
        rec.user_prompt(ts, text)
    elif kind == "gemini":
        calls = [json_object(c) for c in message.get("toolCalls") or []]
        tools = [ToolUse(str(c.get("id") or f"{message.get('id')}-{n}"), str(c.get("name") or ""),
                         json.dumps(c.get("args") or {}, ensure_ascii=False)) for n, c in enumerate(calls)]
        rec.model_call(ts, model=str(message.get("model") or ""), text=text, tool_uses=tools,
                       usage=_usage(message.get("tokens")))
        for tool, call in zip(tools, calls):
            status = _STATUS.get(str(call.get("status")), "tool_error")
            output, error = _result(call)
            rec.tool_result(parse_ts(call.get("timestamp")), tool.id, status=status, result=output,
                            error=(error or output or None) if status != "ok" else None)
    else:
        rec.notice(ts, text, level="info" if kind == "info" else kind)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p)
    return ""


def _result(call: dict[str, Any]) -> tuple[str, str | None]:
    """(what the model got back, the error when the tool reported one)."""
    outputs, errors = [], []
    for part in call.get("result") or []:
        response = json_object(json_object(json_object(part).get("functionResponse")).get("response"))
        if "output" in response:
            outputs.append(str(response["output"]))
        if "error" in response:
            errors.append(str(response["error"]))
    display = call.get("resultDisplay")
    text = "\n".join(outputs or errors) or (display if isinstance(display, str) else "")
    return text, "\n".join(errors) or None


def _usage(tokens: Any) -> dict[str, Any] | None:
    if not isinstance(tokens, dict):
        return None

    def count(name: str) -> int:
        value = tokens.get(name)
        return int(value) if isinstance(value, (int, float)) else 0

    return usage(count("input") + count("tool"), count("output") + count("thoughts"), cached=tokens.get("cached"))
