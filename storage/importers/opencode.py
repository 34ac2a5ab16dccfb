"""opencode sessions: its storage folder (``~/.local/share/opencode/storage``, under ``$XDG_DATA_HOME``).

No public sample was found: this follows opencode's documented layout (``packages/opencode/src/
session``: ``Session.Info``, ``MessageV2``) and is tested on files generated in that shape.

- ``session/<projectID>/<sessionID>.json``: ``{id, projectID, directory, parentID?, title,
  version, time: {created, updated}}`` (times in ms). This file is what Cockpit imports; its
  ``time.updated`` changes as the session goes on, so a session that went on is imported again.
  ``parentID`` makes it a sub-agent (a ``task`` call) of that session.
- ``message/<sessionID>/<messageID>.json``: ``{id, sessionID, role, time: {created, completed?}}``;
  an assistant message adds ``modelID``, ``providerID``, ``cost``, ``tokens``, ``error?`` and
  ``summary`` (true: the summary a compaction asked for).
- ``part/<messageID>/<partID>.json``: ``{id, messageID, type, ...}``: ``text``, ``reasoning``,
  ``tool`` (``callID``, ``tool``, ``state: {status, input, output, error, time}``),
  ``step-start`` / ``step-finish`` (``reason``, ``cost``, ``tokens``), ``compaction``...

Usage, the format's own rule: one assistant message may hold several steps, each one model
call whose usage is on its ``step-finish`` part; the message's ``tokens`` repeat the last step's,
so they are used only for a message without steps. ``tokens.input`` leaves out the cache:
the prompt is ``input + cache.read + cache.write``, the completion ``output + reasoning``.
Tool status: ``completed`` is ok, ``error`` a failure (cancelled when its message was
aborted: ``error.name`` ``MessageAbortedError``, the person interrupted); ``pending`` /
``running`` were never finished. Messages are read in
the order of their ids (opencode's ids ascend with time), parts likewise; one message's parts
are in memory at a time.
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
    record_errors,
    usage,
)
from storage.importers.detect import Head
from storage.importers.json_stream import read_document

SOURCE = "opencode"
NAME = "opencode session"
_PIECES = {"message", "part", "project", "todo", "session_diff", "session_share", "snapshot"}


def sniff(head: Head) -> bool:
    """A session's info: one JSON object with ``id`` (``ses_…``), ``projectID`` and ``time``."""
    return head.kind == "object" and {"id", "projectID", "time"} <= set(head.keys) and '"ses_' in head.text


def is_piece(path: Path) -> bool:
    """A file of opencode's storage that is part of a session (a message, a part...), not a session."""
    parts = path.parts
    for index in range(len(parts) - 2, 0, -1):
        if parts[index] == "storage" and parts[index - 1] == "opencode":
            return parts[index + 1] in _PIECES
    return False


def _read(path: Path) -> dict[str, Any]:
    value = read_document(path)
    if not isinstance(value, dict):
        raise ImportFormatError(path, 1, "not an opencode record (expected a JSON object)")
    return value


def _session_id(source_id: str) -> str:
    return "oc-" + source_id.removeprefix("ses_")[:16]


def _ms(value: Any) -> float | None:
    return value / 1000 if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _files(folder: Path) -> list[Path]:
    """The JSON files of a folder, in the order of their names (opencode's ids ascend with time)."""
    return sorted(folder.glob("*.json"), key=lambda p: p.name) if folder.is_dir() else []


def convert(path: Path, digest: str) -> Iterator[dict[str, Any]]:
    info = _read(path)
    source_id = str(info.get("id") or "")
    if not source_id:
        raise ImportFormatError(path, 1, "not an opencode session (no 'id')")
    storage = path.parent.parent.parent  # storage/session/<projectID>/<id>.json
    messages = _files(storage / "message" / source_id)
    models = [_read(m).get("modelID") for m in messages]  # every message checked before anything is converted
    time = json_object(info.get("time"))
    rec = Recorder(_session_id(source_id))
    parent = info.get("parentID")
    rec.start(_ms(time.get("created")), source=SOURCE, source_path=str(path), source_hash=digest,
              title=str(info.get("title") or ""), workspace=info.get("directory"), model=str(next((m for m in models if m), "")),
              parent_id=_session_id(str(parent)) if parent else None,
              settings={"source_session_id": source_id, "source_version": info.get("version"),
                        "project_id": info.get("projectID")})
    yield from rec.drain()
    for message_path in messages:
        message = _read(message_path)
        parts = [(p, _read(p)) for p in _files(storage / "part" / str(message.get("id") or message_path.stem))]
        with record_errors(message_path, 1):
            _message(rec, message, [part for _, part in parts])
        yield from rec.drain()
    yield from rec.finish(_ms(time.get("updated")))


def _message(rec: Recorder, message: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    ts = _ms(json_object(message.get("time")).get("created"))
    if message.get("role") == "user":
        if any(p.get("type") == "compaction" for p in parts):
            return  # the request for a summary: the summary follows
        rec.user_prompt(ts, "\n".join(str(p.get("text") or "") for p in parts if p.get("type") == "text"))
        return
    model = str(message.get("modelID") or "")
    steps = _steps(parts)
    if not any(finish is not None for _, finish in steps):  # no step recorded its usage: the message's once
        steps = [([p for p in parts if p.get("type") in ("text", "tool")], {"tokens": message.get("tokens")})]
    error = json_object(message.get("error"))
    aborted = error.get("name") == "MessageAbortedError"
    answer = ""
    for index, (content, finish) in enumerate(steps):
        text = "\n".join(str(p.get("text") or "") for p in content if p.get("type") == "text")
        answer = text or answer
        tools = [p for p in content if p.get("type") == "tool"]
        failed = error and index == len(steps) - 1 and not text and not tools
        rec.model_call(ts, model=model, text=text, usage=_usage(json_object(finish).get("tokens")),
                       tool_uses=[ToolUse(str(p.get("callID") or p.get("id")), str(p.get("tool") or ""),
                                          json.dumps(json_object(p.get("state")).get("input") or {}, ensure_ascii=False))
                                  for p in tools],
                       finish_reason=json_object(finish).get("reason"), cost_usd=_cost(finish),
                       error_message=_error_text(error) if failed else None)
        for part in tools:
            _tool_result(rec, part, aborted=aborted)
    if message.get("summary") is True:
        rec.compaction(_ms(json_object(message.get("time")).get("completed")) or ts,
                       [{"role": "user", "content": answer}], "compaction")
    if aborted:
        rec.interrupted(ts)


def _steps(parts: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
    """(the parts of each step, its ``step-finish`` or None when it has none)."""
    steps: list[tuple[list[dict[str, Any]], dict[str, Any] | None]] = []
    content: list[dict[str, Any]] = []
    for part in parts:
        kind = part.get("type")
        if kind == "step-finish":
            steps.append((content, part))
            content = []
        elif kind in ("text", "tool"):
            content.append(part)
    if content:
        steps.append((content, None))
    return steps


def _tool_result(rec: Recorder, part: dict[str, Any], *, aborted: bool) -> None:
    state = json_object(part.get("state"))
    status = state.get("status")
    if status not in ("completed", "error"):
        return  # pending or running when opencode stopped: the recorder closes it
    times = json_object(state.get("time"))
    start, end = _ms(times.get("start")), _ms(times.get("end"))
    duration = (end - start) * 1000 if start is not None and end is not None else None
    error = str(state.get("error") or "")
    outcome = "ok" if status == "completed" else "cancelled" if aborted else "tool_error"
    output = str(state.get("output") or "") if status == "completed" else error
    rec.tool_result(end, str(part.get("callID") or part.get("id")), status=outcome, result=output,
                    error=None if outcome == "ok" else error, duration_ms=duration)


def _usage(tokens: Any) -> dict[str, Any] | None:
    if not isinstance(tokens, dict):
        return None
    cache = json_object(tokens.get("cache"))

    def count(source: dict[str, Any], name: str) -> int:
        value = source.get(name)
        return int(value) if isinstance(value, (int, float)) else 0

    read, write = count(cache, "read"), count(cache, "write")
    return usage(count(tokens, "input") + read + write, count(tokens, "output") + count(tokens, "reasoning"),
                 cached=cache.get("read"), cache_write=cache.get("write"))


def _cost(finish: dict[str, Any] | None) -> float | None:
    cost = json_object(finish).get("cost")
    return float(cost) if isinstance(cost, (int, float)) and cost > 0 else None  # 0: opencode had no price


def _error_text(error: dict[str, Any]) -> str:
    data = json_object(error.get("data"))
    return str(data.get("message") or error.get("name") or "error")
