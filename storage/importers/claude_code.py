"""Claude Code transcripts: ``~/.claude/projects/<project>/<session>.jsonl``.

One JSON record per line (``user``, ``assistant``, ``system``, ``summary`` and
bookkeeping types we skip). What needs care:

- One API response is written over several ``assistant`` lines that share a
  ``message.id``, one content block per line, each repeating the usage (the
  last line carries the final ``output_tokens``). We fold the lines of one id
  into one model call and take the usage of its last line, so nothing is
  counted twice.
- Tool results (``tool_result`` blocks in ``user`` lines, ``is_error`` marks a
  failure) can arrive between the lines of the response that asked for them;
  they are held until the response is complete so the conversation keeps the
  OpenAI order: assistant message with ``tool_calls``, then ``tool`` messages.
- Anthropic's ``input_tokens`` excludes cache reads and writes; our
  ``prompt_tokens`` is the whole prompt (input + cache read + cache write),
  with the cache parts also in ``cached_tokens`` / ``cache_write_tokens``.
- Sub-agents live in ``<session>/subagents/agent-<id>.jsonl`` (records carry
  ``agentId``); they become their own sessions with ``parent_id`` set to the
  main session. A ``<name>.meta.json`` beside one gives its title.
- Before that folder existed (1.0.x) sub-agents were written inline, in the main
  file, as ``isSidechain`` records: each chain (a root ``user`` record with no
  ``parentUuid``, its descendants by ``parentUuid``) becomes a child session
  ``<main>-<root uuid, 12 hex>``, read like a sub-agent file. Its root prompt is the
  ``prompt`` of the ``Task`` call that started it, which gives the child its title
  and the main session a notice naming the child where that call's result comes.
- Compactions: a ``system`` ``compact_boundary`` record, then a ``user`` line
  with ``isCompactSummary``, become a notice and ``messages_replaced``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.importers.common import (
    SHAPE_ERRORS, ImportFormatError, Recorder, Span, ToolUse, checked_records, exact_record, json_object, parse_ts,
    read_jsonl, shape_error, usage,
)
from storage.collector import collector_paused
from storage.importers.detect import Head
from storage.redact import std_json_text

SOURCE = "claude-code"
NAME = "Claude Code transcript"
_RECORD_TYPES = {
    "user", "assistant", "system", "summary", "queue-operation", "file-history-snapshot",
    "permission-mode", "progress", "attachment", "last-prompt", "custom-title",
}
_NOT_A_PROMPT = ("<command-name>", "<command-message>", "<local-command-", "<bash-input>", "<bash-stdout>")
_INTERRUPTED = "[Request interrupted by user"
# Refusals by Claude Code's permission system (is_error results that never ran the tool).
_DENIED = (
    "requested permissions to", "requires approval", "was blocked. For security",
    "doesn't want to proceed with this tool use", "tool use was rejected",
)
_EXIT_CODE = re.compile(r"^Exit code (-?\d+)")


def looks_like(record: dict[str, Any]) -> bool:
    """Is this (the first record of a file) a Claude Code transcript line?"""
    return "payload" not in record and ("sessionId" in record or record.get("type") in _RECORD_TYPES)


def sniff(head: Head) -> bool:
    """A transcript: JSON Lines whose first record is one of Claude Code's (a whole session in one object is not)."""
    return head.record is not None and looks_like(head.record) and "messages" not in head.record


@dataclass
class Header:
    """What the session row needs, gathered in a first pass over the file, which also checks every line. The pass
    may be split: each part of the file (:class:`~storage.importers.common.Span`) gives its own, with line numbers
    counted from its start, and :meth:`then` joins them in file order (a large file's reading process scans the
    first part while the importing process scans the rest: :mod:`storage.importers.reader_process`)."""

    source_id: str = ""
    agent_id: str | None = None
    first_ts: float | None = None
    first_cwd: dict[str, Any] | None = None  # the first record with a working folder
    first_cwd_line: int = 0  # its line
    model: str = ""
    title: str | None = None
    records: int = 0
    lines: int = 0  # the lines read, blank ones included
    error: ImportFormatError | None = None  # the first bad line: the pass stopped there

    def see(self, record: dict[str, Any]) -> None:
        self.records += 1
        if not self.source_id and isinstance(record.get("sessionId"), str):
            self.source_id = record["sessionId"]
        if self.agent_id is None and isinstance(record.get("agentId"), str) and record.get("isSidechain"):
            self.agent_id = record["agentId"]
        if self.first_ts is None:
            self.first_ts = parse_ts(record.get("timestamp"))
        if self.first_cwd is None and "cwd" in record:
            self.first_cwd = record
        kind = record.get("type")
        message = record.get("message")
        if not self.model and kind == "assistant" and isinstance(message, dict):
            model = message.get("model")
            if isinstance(model, str) and model and not model.startswith("<"):
                self.model = model
        if self.title is None:
            if kind == "custom-title" and isinstance(record.get("customTitle"), str):
                self.title = record["customTitle"]
            elif kind == "summary" and isinstance(record.get("summary"), str):
                self.title = record["summary"]

    def then(self, rest: Header) -> Header:
        """This part's header followed by the next part's: what one pass over both finds (the first of each field,
        the first bad line), the next part's line numbers counted on from this one's."""
        if self.error is not None:
            return self
        error = rest.error
        if error is not None and error.line > 0:  # (line 0: the file could not be read at all)
            error = ImportFormatError(error.path, error.line + self.lines, error.reason)
        cwd_first = self.first_cwd is not None or rest.first_cwd is None
        return Header(
            source_id=self.source_id or rest.source_id,
            agent_id=self.agent_id if self.agent_id is not None else rest.agent_id,
            first_ts=self.first_ts if self.first_ts is not None else rest.first_ts,
            first_cwd=self.first_cwd if cwd_first else rest.first_cwd,
            first_cwd_line=self.first_cwd_line if cwd_first else rest.first_cwd_line + self.lines,
            model=self.model or rest.model,
            title=self.title if self.title is not None else rest.title,
            records=self.records + rest.records,
            lines=self.lines + rest.lines,
            error=error,
        )

    def session_ids(self, digest: str) -> tuple[str, str | None]:
        """(session id, parent id): ``cc-`` + 12 hex of Claude's session id; sub-agents add their agent id."""
        main = "cc-" + (self.source_id.replace("-", "")[:12] or digest[:12])
        if self.agent_id:
            return f"{main}-{self.agent_id}", main
        return main, None


def scan_part(path: Path, span: Span | None = None) -> Header:
    """The header of the file, or of one part of it; a bad line is kept as the part's ``error`` (the pass stops
    there). The records' numbers may be orjson's: the one record the header keeps is read again (:func:`convert`)."""
    span = span or Span()
    header = Header()
    try:
        with collector_paused():  # (each record is freed as the next is read: nothing for the collector to find)
            for number, record in checked_records(path, span):
                header.see(record)
                if header.first_cwd is record:
                    header.first_cwd_line = number
    except ImportFormatError as exc:
        header.error = exc
    header.lines = span.lines
    return header


def _checked(path: Path, header: Header) -> Header:
    """The header of the whole file, its bad line raised; the record it keeps read again exactly."""
    if header.error is not None:
        raise header.error
    if not header.records:
        raise ImportFormatError(path, 1, "empty file: no Claude Code records")
    if header.first_cwd is not None:
        header.first_cwd = exact_record(path, header.first_cwd_line) or header.first_cwd
    return header


def convert(path: Path, digest: str, scanned: Header | None = None) -> Iterator[dict[str, Any]]:
    """The session's events, streamed (the file is read twice: the header first, then the records). ``scanned``:
    the first pass's header, when it was made already (by parts: :func:`scan_part`, :meth:`Header.then`)."""
    header = _checked(path, scan_part(path) if scanned is None else scanned)
    session_id, parent_id = header.session_ids(digest)
    first = header.first_cwd or {}
    recorder = Recorder(session_id)
    recorder.start(
        header.first_ts,
        source=SOURCE,
        source_path=str(path),
        source_hash=digest,
        title=header.title if header.title is not None else _subagent_title(path, is_subagent=parent_id is not None),
        workspace=first.get("cwd"),
        model=header.model,
        parent_id=parent_id,
        settings={"source_version": first.get("version"), "source_session_id": first.get("sessionId")},
    )
    yield from recorder.drain()
    reader = _Reader(recorder, path, main_id=session_id if parent_id is None else None)
    sidechains = _Sidechains(reader, header, digest) if parent_id is None else None
    for number, record in read_jsonl(path):
        try:  # (record_errors' work without a context manager per record)
            if sidechains is not None and sidechains.take(number, record):
                yield from sidechains.drain()
                continue
            reader.feed(number, record)
        except SHAPE_ERRORS as exc:
            raise shape_error(path, number, exc) from None
        yield from recorder.drain()
    reader.flush()
    if sidechains is not None:
        yield from sidechains.finish()
    yield from recorder.finish(reader.previous_ts)


class _Sidechains:
    """The inline sub-agents of a 1.0.x main transcript: one child session per chain of ``isSidechain`` records."""

    def __init__(self, main: _Reader, header: Header, digest: str) -> None:
        self.main = main
        self.header = header
        self.digest = digest
        self.chain_of: dict[str, str] = {}  # record uuid → the child session it belongs to
        self.children: dict[str, _Reader] = {}

    def take(self, number: int, record: dict[str, Any]) -> bool:
        """Feed a sidechain record to its child session (False: not one, the main session reads it)."""
        if not record.get("isSidechain") or record.get("type") not in ("user", "assistant"):
            return False
        parent = record.get("parentUuid")
        child_id = self.chain_of.get(parent) if isinstance(parent, str) else None
        if child_id is None:
            child_id = self._start(record)
        if isinstance(record.get("uuid"), str):
            self.chain_of[record["uuid"]] = child_id
        self.children[child_id].feed(number, record)
        return True

    def _start(self, root: dict[str, Any]) -> str:
        main = self.main.rec.session_id
        key = str(root.get("uuid") or f"chain{len(self.children) + 1}")
        child_id = f"{main}-{key.replace('-', '')[:12]}"
        message = json_object(root.get("message"))
        task = self.main.tasks.pop(_content_text(message.get("content")).strip(), None)
        title = " · ".join(part for part in (task["type"], task["description"]) if part) if task else ""
        recorder = Recorder(child_id)
        recorder.start(
            parse_ts(root.get("timestamp")), source=SOURCE, source_path=str(self.main.path), source_hash=self.digest,
            title=title, workspace=root.get("cwd"), model=self.header.model, parent_id=main,
            settings={"source_version": root.get("version"), "source_session_id": root.get("sessionId"),
                      "inline_sidechain": True},
        )
        if task is not None:
            self.main.children_of_tasks[task["id"]] = child_id
        self.children[child_id] = _Reader(recorder, self.main.path, main_id=None)
        return child_id

    def drain(self) -> Iterator[dict[str, Any]]:
        for child in self.children.values():
            yield from child.rec.drain()

    def finish(self) -> Iterator[dict[str, Any]]:
        for child in self.children.values():
            child.flush()
            yield from child.rec.finish(child.previous_ts)


def _subagent_title(path: Path, *, is_subagent: bool) -> str:
    """A sub-agent's ``<name>.meta.json`` gives its title; otherwise the first prompt becomes the title."""
    meta = path.with_suffix(".meta.json")
    if is_subagent and meta.is_file():
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        if isinstance(info, dict):
            return " · ".join(str(info[k]) for k in ("agentType", "description") if info.get(k))
    return ""


def _block_text(block: Any) -> str:
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return json.dumps(block, ensure_ascii=False)
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_reference":
        return f"[tool {block.get('tool_name', '')}]"
    if kind == "image":
        return "[image]"
    return json.dumps(block, ensure_ascii=False)


def _content_text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(_block_text(b) for b in content)
    return _block_text(content) if content is not None else ""


def _usage(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    fresh = int(raw.get("input_tokens") or 0)
    read = int(raw.get("cache_read_input_tokens") or 0)
    write = int(raw.get("cache_creation_input_tokens") or 0)
    return usage(fresh + read + write, int(raw.get("output_tokens") or 0), cached=read, cache_write=write)


@dataclass
class _Response:
    """The assistant lines of one API response (one ``message.id``) and the results that came meanwhile."""

    message_id: str
    model: str
    first_ts: float | None
    started_after: float | None  # the timestamp of the record before the response
    texts: list[str] = field(default_factory=list)
    tools: dict[str, tuple[ToolUse, float | None]] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    stop_reason: str | None = None
    error: str | None = None
    results: list[tuple[float | None, dict[str, Any], Any]] = field(default_factory=list)


class _Reader:
    """Folds records into the recorder, one at a time, in file order."""

    def __init__(self, recorder: Recorder, path: Path, *, main_id: str | None) -> None:
        self.rec = recorder
        self.path = path
        self.main_id = main_id  # None when reading a sub-agent file
        self.response: _Response | None = None
        self.previous_ts: float | None = None
        self.compaction_reason = "compaction"
        self.tasks: dict[str, dict[str, str]] = {}  # prompt → the Task call that may start an inline sidechain
        self.children_of_tasks: dict[str, str] = {}  # Task call id → the inline child session it started

    def feed(self, number: int, record: dict[str, Any]) -> None:
        kind = record.get("type")
        ts = parse_ts(record.get("timestamp"))
        if kind == "assistant":
            self._assistant(number, record, ts)
        elif kind == "user":
            self._user(number, record, ts)
        elif kind == "system":
            self._system(record, ts)
        elif kind == "summary" and isinstance(record.get("summary"), str):
            self.flush()
            self.rec.notice(ts, f"summary: {record['summary']}")
        if ts is not None:
            self.previous_ts = ts

    def _message(self, number: int, record: dict[str, Any]) -> dict[str, Any]:
        message = record.get("message")
        if not isinstance(message, dict):
            raise ImportFormatError(self.path, number, f"a {record.get('type')!r} record without a message object")
        return message

    # --- assistant lines ---------------------------------------------------------

    def _assistant(self, number: int, record: dict[str, Any], ts: float | None) -> None:
        message = self._message(number, record)
        message_id = str(message.get("id") or record.get("uuid") or f"line-{number}")
        if self.response is not None and self.response.message_id != message_id:
            self.flush()
        if self.response is None:
            self.response = _Response(message_id, str(message.get("model") or ""), ts, self.previous_ts)
        response = self.response
        content = message.get("content")
        for block in content if isinstance(content, list) else [content]:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                tool_id = str(block.get("id") or f"{message_id}-tool{len(response.tools)}")
                arguments = std_json_text(block.get("input") or {})
                response.tools.setdefault(tool_id, (ToolUse(tool_id, str(block.get("name") or ""), arguments), ts))
                self._remember_task(tool_id, block)
            elif isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text"):
                text = _block_text(block)
                if text:
                    response.texts.append(text)
        response.usage = _usage(message.get("usage")) or response.usage
        response.stop_reason = message.get("stop_reason") or response.stop_reason
        if record.get("isApiErrorMessage") or (response.model == "<synthetic>" and record.get("error")):
            response.error = "\n".join(response.texts) or str(record.get("error") or "API error")

    def _remember_task(self, tool_id: str, block: dict[str, Any]) -> None:
        """A ``Task`` call of the main session: its prompt will be the root of an inline sidechain (1.0.x)."""
        arguments = json_object(block.get("input"))
        if self.main_id is not None and isinstance(arguments.get("prompt"), str):
            self.tasks[arguments["prompt"].strip()] = {
                "id": tool_id, "type": str(arguments.get("subagent_type") or ""),
                "description": str(arguments.get("description") or ""),
            }

    def flush(self) -> None:
        """The current response is complete: record the call, then the tool results it got."""
        response, self.response = self.response, None
        if response is None:
            return
        latency = 0.0
        if response.first_ts is not None and response.started_after is not None:
            latency = max(0.0, (response.first_ts - response.started_after) * 1000)
        self.rec.model_call(
            response.first_ts,
            model=response.model,
            text="\n\n".join(response.texts),
            tool_uses=[tool for tool, _ in response.tools.values()],
            usage=response.usage if response.error is None else None,
            finish_reason=response.stop_reason,
            latency_ms=round(latency, 3),
            error_message=response.error,
        )
        asked_at = {tool.id: when for tool, when in response.tools.values()}
        for ts, block, extra in response.results:
            self._tool_result(ts, block, extra, asked_at.get(str(block.get("tool_use_id"))))

    # --- user lines ---------------------------------------------------------------------

    def _user(self, number: int, record: dict[str, Any], ts: float | None) -> None:
        message = self._message(number, record)
        content = message.get("content")
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"] if isinstance(content, list) else []
        if results:
            for block in results:
                if self.response is not None:
                    self.response.results.append((ts, block, record.get("toolUseResult")))
                else:
                    self._tool_result(ts, block, record.get("toolUseResult"), None)
            return
        self.flush()
        text = _content_text(content)
        if record.get("isCompactSummary"):
            self.rec.compaction(ts, [{"role": "user", "content": text}], self.compaction_reason)
        elif record.get("isMeta") or text.lstrip().startswith(_NOT_A_PROMPT):
            self.rec.message(ts, {"role": "user", "content": text})
        elif text.startswith(_INTERRUPTED):
            self.rec.message(ts, {"role": "user", "content": text})
            self.rec.interrupted(ts)
        else:
            self.rec.user_prompt(ts, text)

    def _tool_result(self, ts: float | None, block: dict[str, Any], extra: Any, asked_at: float | None) -> None:
        tool_call_id = str(block.get("tool_use_id") or "")
        text = _content_text(block.get("content"))
        status, error, exit_code = "ok", None, None
        if block.get("is_error"):
            status = "denied" if any(marker in text[:500] for marker in _DENIED) else "tool_error"
            error = text
            found = _EXIT_CODE.match(text)
            exit_code = int(found.group(1)) if found else None
        if isinstance(extra, dict) and extra.get("interrupted"):
            status, error = "cancelled", error or "interrupted"
        duration = None
        if ts is not None and asked_at is not None:
            duration = max(0.0, (ts - asked_at) * 1000)
        self.rec.tool_result(ts, tool_call_id, status=status, result=text, error=error, exit_code=exit_code,
                             duration_ms=duration)
        agent = extra.get("agentId") if isinstance(extra, dict) else None
        if isinstance(agent, str) and self.main_id is not None:
            self.rec.notice(ts, f"sub-agent session {self.main_id}-{agent}", detail=str(extra.get("agentType") or ""))
        elif tool_call_id in self.children_of_tasks:
            self.rec.notice(ts, f"sub-agent session {self.children_of_tasks.pop(tool_call_id)}")

    # --- system lines -----------------------------------------------------------------------

    def _system(self, record: dict[str, Any], ts: float | None) -> None:
        subtype = record.get("subtype")
        if subtype == "compact_boundary":
            self.flush()
            meta = json_object(record.get("compactMetadata"))
            trigger, before = meta.get("trigger", ""), meta.get("preTokens")
            self.compaction_reason = f"compaction ({trigger})" if trigger else "compaction"
            detail = f"{before} tokens before" if before is not None else ""
            self.rec.notice(ts, f"conversation compacted{f' ({trigger})' if trigger else ''}", detail=detail)
        elif subtype == "api_error" or record.get("level") == "error":
            self.flush()
            attempt, most = record.get("retryAttempt"), record.get("maxRetries")
            retry = f" (retry {attempt}/{most})" if attempt is not None else ""
            message = record.get("content") if isinstance(record.get("content"), str) else "API error"
            detail = json.dumps(record.get("error"), ensure_ascii=False) if record.get("error") is not None else ""
            self.rec.notice(ts, f"{message}{retry}", level="warning", detail=detail)
