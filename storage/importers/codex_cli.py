"""Codex CLI rollouts: ``~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl``.

Every line is ``{timestamp, type, payload}`` with ``type`` one of
``session_meta``, ``turn_context``, ``response_item``, ``event_msg``,
``compacted``. What needs care:

- One model response is the run of ``response_item`` records (``reasoning``,
  assistant ``message``, ``function_call``, ``custom_tool_call``,
  ``local_shell_call``) up to the next ``event_msg`` ``token_count``. Its usage
  is that record's ``info.last_token_usage``. ``info`` may be null (a rate
  limit update only), and each ``token_count`` is often written twice in a
  row: a record whose cumulative ``total_token_usage`` did not move is a
  repeat and is ignored.
- Tool outputs (``function_call_output``, ``custom_tool_call_output``) are
  matched to their call by ``call_id``. The exit code is in the text
  (``Exit code: 1``; from 0.12x ``Process exited with code 1``), in older
  versions in a JSON ``metadata`` object, or in an ``exec_command_end`` event
  (``exit_code``) written before the output; a non-zero one makes the call a
  ``tool_error``. A command still running when ``exec_command`` returns
  (``Process running with session ID N``) is polled with ``write_stdin``: the
  poll whose output carries the exit code is the call that reports the failure
  (the model saw it there). A ``write_stdin`` with no input is such a poll
  (``ToolCallFinished.poll``): the loop detector does not count its repeats.
- ``web_search_call`` items (no ``call_id``; the ``web_search_end`` event just
  before carries one) become a ``web_search`` tool call whose arguments are the
  search action; the rollout keeps no results, so the result is empty.
- Prompts are ``response_item`` user messages, each echoed by an ``event_msg``
  ``user_message``; some rollouts (Codex Desktop) have only the latter, which
  then are the prompts (an echo of the prompt just recorded is skipped).
- OpenAI's ``input_tokens`` already includes ``cached_input_tokens``, so it
  maps to ``prompt_tokens`` as is.
- A ``compacted`` record (the summary, sometimes the replacement history)
  becomes ``messages_replaced``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.importers.common import (
    ImportFormatError, Recorder, ToolUse, arguments_dict, json_object, parse_ts, read_jsonl, record_errors, usage,
)
from storage.importers.detect import Head

SOURCE = "codex-cli"
NAME = "Codex CLI rollout"
_RECORD_TYPES = {"session_meta", "turn_context", "response_item", "event_msg", "compacted"}
_CONTEXT_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md instructions", "<INSTRUCTIONS>")
_CALL_ITEMS = {"function_call", "custom_tool_call", "local_shell_call"}
_OUTPUT_ITEMS = {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
_EXIT_CODE = re.compile(r"^(?:Exit code: |Process exited with code )(-?\d+)", re.MULTILINE)
_WALL_TIME = re.compile(r"^Wall time: ([0-9.]+) seconds", re.MULTILINE)


def looks_like(record: dict[str, Any]) -> bool:
    return record.get("type") in _RECORD_TYPES and isinstance(record.get("payload"), dict)


def sniff(head: Head) -> bool:
    """A rollout: JSON Lines of ``{timestamp, type, payload}``."""
    return head.record is not None and looks_like(head.record)


@dataclass
class _Header:
    """What the session row needs, gathered in a first pass over the file (which also checks every line)."""

    first_ts: Any = None
    meta: dict[str, Any] | None = None
    model: str | None = None
    records: int = 0

    def see(self, number: int, record: dict[str, Any], path: Path) -> None:
        if not looks_like(record):
            raise ImportFormatError(path, number, "not a Codex rollout record (expected {timestamp, type, payload})")
        if not self.records:
            self.first_ts = record.get("timestamp")
        self.records += 1
        if self.meta is None and record["type"] == "session_meta":
            self.meta = record["payload"]
        if self.model is None and record["type"] == "turn_context":
            self.model = record["payload"].get("model", "")


def convert(path: Path, digest: str) -> Iterator[dict[str, Any]]:
    """The session's events, streamed (the file is read twice: the header first, then the records)."""
    header = _Header()
    for number, record in read_jsonl(path):
        header.see(number, record, path)
    if not header.records:
        raise ImportFormatError(path, 1, "empty file: no Codex records")
    meta = header.meta or {}
    source_id = str(meta.get("id") or "")
    recorder = Recorder("cx-" + (source_id.replace("-", "")[-12:] or digest[:12]))
    recorder.start(
        parse_ts(header.first_ts),
        source=SOURCE,
        source_path=str(path),
        source_hash=digest,
        workspace=meta.get("cwd"),
        model=header.model or str(meta.get("model") or ""),  # no turn_context (Codex Desktop): the meta's, if any
        settings={"source_version": meta.get("cli_version"), "source_session_id": source_id or None,
                  "model_provider": meta.get("model_provider")},
    )
    yield from recorder.drain()
    reader = _Reader(recorder)
    for number, record in read_jsonl(path):
        with record_errors(path, number):
            reader.feed(record)
        yield from recorder.drain()
    reader.close_call(None, None)
    yield from recorder.finish(reader.previous_ts, status=reader.status)


@dataclass
class _Call:
    """The response items of one model call, and the tool outputs that arrived before its usage."""

    first_ts: float | None
    started_after: float | None
    texts: list[str] = field(default_factory=list)
    tools: list[ToolUse] = field(default_factory=list)
    outputs: list[tuple[float | None, dict[str, Any]]] = field(default_factory=list)
    searches: list[tuple[float | None, str, bool]] = field(default_factory=list)  # (time, call id, failed): in the call


class _Reader:
    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self.model = ""
        self.call: _Call | None = None
        self.previous_ts: float | None = None
        self.last_total: Any = None
        self.status = "completed"
        self.last_prompt: str | None = None  # the prompt just recorded, to skip its echo
        self.unanswered: set[str] = set()  # tool calls whose output has not come yet
        self.exit_codes: dict[str, int] = {}  # from exec_command_end, for outputs still to come
        self.web_search_id: str | None = None  # the call id of the web_search_end just read
        self.web_searches = 0
        self.polls: set[str] = set()  # write_stdin calls with no input: they only read a running command's output

    def feed(self, record: dict[str, Any]) -> None:
        kind, payload = record["type"], record["payload"]
        ts = parse_ts(record.get("timestamp"))
        if kind == "turn_context":
            self.model = str(payload.get("model") or self.model)
        elif kind == "response_item":
            self._item(payload, ts)
        elif kind == "event_msg":
            self._event(payload, ts)
        elif kind == "compacted":
            self.close_call(ts, None)
            self.rec.compaction(ts, _replacement(payload), "compaction")
        if ts is not None:
            self.previous_ts = ts

    # --- response items -------------------------------------------------------------

    def _item(self, item: dict[str, Any], ts: float | None) -> None:
        kind, role = item.get("type"), item.get("role")
        if kind == "message" and role == "assistant":
            self._open(ts).texts.append(_text(item.get("content")))
        elif kind == "reasoning":
            self._open(ts)
        elif kind in _CALL_ITEMS:
            tool = _tool_use(item)
            self.unanswered.add(tool.id)
            if _is_poll(tool):
                self.polls.add(tool.id)
            self._open(ts).tools.append(tool)
        elif kind in _OUTPUT_ITEMS:
            self._queue_output(ts, item)
        elif kind == "web_search_call":
            self._web_search(item, ts)
        elif kind == "message":
            self.close_call(ts, None)
            text = _text(item.get("content"))
            if role == "user" and not text.lstrip().startswith(_CONTEXT_PREFIXES):
                self._prompt(ts, text)
            else:
                self.rec.message(ts, {"role": "system" if role == "developer" else str(role or "user"), "content": text})

    def _prompt(self, ts: float | None, text: str) -> None:
        """A prompt, once: ``response_item`` and ``event_msg`` both carry it (Codex Desktop only the latter)."""
        if self.last_prompt is not None and self.last_prompt.strip() == text.strip():
            self.last_prompt = None  # the echo
            return
        self.close_call(ts, None)
        self.rec.user_prompt(ts, text)
        self.last_prompt = text

    def _queue_output(self, ts: float | None, item: dict[str, Any]) -> None:
        if self.call is not None:
            self.call.outputs.append((ts, item))
        else:
            self._output(ts, item)

    def _web_search(self, item: dict[str, Any], ts: float | None) -> None:
        self.web_searches += 1
        call_id = self.web_search_id or f"web_search_{self.web_searches}"
        self.web_search_id = None
        action = json.dumps(item.get("action") or {}, ensure_ascii=False)
        call = self._open(ts)
        call.tools.append(ToolUse(call_id, "web_search", action))
        call.searches.append((ts, call_id, item.get("status") == "failed"))

    def _open(self, ts: float | None) -> _Call:
        if self.call is not None and self.call.outputs:  # a new response began before the last one's usage came
            self.close_call(ts, None)
        if self.call is None:
            self.call = _Call(ts, self.previous_ts)
        return self.call

    def close_call(self, ts: float | None, reported: dict[str, Any] | None) -> None:
        """Record the open call (with its usage when known), then the outputs it is waiting for."""
        call, self.call = self.call, None
        if call is None:
            if reported is not None:  # usage with no visible response items
                self.rec.model_call(ts, model=self.model, usage=reported)
            return
        end = ts if ts is not None else self.previous_ts
        latency = 0.0
        if end is not None and call.started_after is not None:
            latency = max(0.0, (end - call.started_after) * 1000)
        self.rec.model_call(
            call.first_ts, model=self.model, text="\n\n".join(t for t in call.texts if t), tool_uses=call.tools,
            usage=reported, latency_ms=round(latency, 3),
        )
        for search_ts, search_id, failed in call.searches:
            self.rec.tool_result(search_ts, search_id, status="tool_error" if failed else "ok", result="",
                                 error="the web search failed" if failed else None)
        for output_ts, item in call.outputs:
            self._output(output_ts, item)

    def _output(self, ts: float | None, item: dict[str, Any]) -> None:
        call_id = str(item.get("call_id") or "")
        self.unanswered.discard(call_id)
        text, exit_code, seconds = _parse_output(item.get("output"))
        if exit_code is None:
            exit_code = self.exit_codes.pop(call_id, None)
        status, error = "ok", None
        if "rejected by user" in text or "aborted by user" in text:
            status, error = "denied", text
        elif exit_code not in (None, 0):
            status, error = "tool_error", text
        duration = seconds * 1000 if seconds is not None else None
        self.rec.tool_result(ts, call_id, status=status, result=text, error=error,
                             exit_code=exit_code, duration_ms=duration, poll=call_id in self.polls)
        self.polls.discard(call_id)

    # --- event messages ---------------------------------------------------------------

    def _event(self, event: dict[str, Any], ts: float | None) -> None:
        kind = event.get("type")
        if kind == "token_count":
            info = event.get("info")
            if not isinstance(info, dict):
                return  # a rate-limit update only
            total = info.get("total_token_usage")
            if total is not None and total == self.last_total:
                return  # the same record written again
            self.last_total = total
            self.close_call(ts, _usage(info.get("last_token_usage")))
        elif kind == "turn_aborted":
            self.close_call(ts, None)
            self.rec.interrupted(ts, str(event.get("reason") or "user"))
            self.status = "interrupted"
        elif kind in ("error", "stream_error"):
            self.rec.notice(ts, str(event.get("message") or kind), level="warning" if kind == "stream_error" else "error")
        elif kind == "exec_command_end":
            call_id, code = str(event.get("call_id") or ""), event.get("exit_code")
            if call_id in self.unanswered and isinstance(code, int):
                self.exit_codes[call_id] = code
        elif kind == "web_search_end":
            self.web_search_id = str(event.get("call_id") or "") or None
        elif kind == "user_message":
            self.status = "completed"
            self._prompt(ts, str(event.get("message") or ""))
        elif kind == "task_started":
            self.status = "completed"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict) and "text" in part)


def _tool_use(item: dict[str, Any]) -> ToolUse:
    call_id = str(item.get("call_id") or item.get("id") or "")
    if item.get("type") == "function_call":
        return ToolUse(call_id, str(item.get("name") or ""), str(item.get("arguments") or "{}"))
    if item.get("type") == "custom_tool_call":
        return ToolUse(call_id, str(item.get("name") or ""), json.dumps({"input": item.get("input", "")}, ensure_ascii=False))
    return ToolUse(call_id, "local_shell", json.dumps(item.get("action") or {}, ensure_ascii=False))


def _is_poll(tool: ToolUse) -> bool:
    """Codex's ``write_stdin`` with empty ``chars`` writes nothing: it waits for and reads a running command's output."""
    if tool.name != "write_stdin":
        return False
    arguments = arguments_dict(tool.arguments_raw)
    return arguments is not None and not arguments.get("chars")


def _parse_output(output: Any) -> tuple[str, int | None, float | None]:
    """(text the model saw, exit code, seconds) from a tool output in either of Codex's shapes."""
    if not isinstance(output, str):
        output = json.dumps(output, ensure_ascii=False)
    try:
        data = json.loads(output)
    except ValueError:
        data = None
    if isinstance(data, dict) and "output" in data:
        meta = json_object(data.get("metadata"))
        code, seconds = meta.get("exit_code"), meta.get("duration_seconds")
        return (str(data["output"]), int(code) if isinstance(code, int) else None,
                float(seconds) if isinstance(seconds, (int, float)) else None)
    found, wall = _EXIT_CODE.search(output), _WALL_TIME.search(output)
    return output, int(found.group(1)) if found else None, float(wall.group(1)) if wall else None


def _usage(last: Any) -> dict[str, Any] | None:
    if not isinstance(last, dict):
        return None
    return usage(int(last.get("input_tokens") or 0), int(last.get("output_tokens") or 0),
                 cached=last.get("cached_input_tokens"))


def _replacement(payload: dict[str, Any]) -> list[dict[str, Any]]:
    history = payload.get("replacement_history")
    if isinstance(history, list):
        messages = [
            {"role": "system" if item.get("role") == "developer" else item.get("role", "user"), "content": _text(item.get("content"))}
            for item in history
            if isinstance(item, dict) and item.get("type") == "message"
        ]
        if messages:
            return messages
    return [{"role": "user", "content": str(payload.get("message") or "")}]
