"""SWE-agent trajectories: ``<instance>.traj``.

One JSON object: ``trajectory`` (one step per model call: ``action``, ``observation``,
``response``, ``thought``, ``state``...), ``history`` (the conversation the model saw:
``{role, content, agent, ...}``), ``info`` (``exit_status``, ``submission``,
``model_stats``) and, from 1.0, ``replay_config`` (the run's configuration, the model's
name in ``agent.model.name``). We read ``history``:

- v0 (SWE-agent 0.x): an ``assistant`` message's ``action`` is one command line, run in
  SWE-agent's shell (a ``bash`` call ``{"command": action}``); the next ``user``
  message is its observation. Demonstrations (``is_demo``) are not part of the run.
- v1 (function calling): ``message_type`` on every message; the assistant asks with
  ``tool_calls`` (SWE-agent's tools by name: ``create``, ``edit``, ``submit``...), and a
  ``role: tool`` message answers the ids in its ``tool_call_ids``. A replayed run can
  repeat an id: the repeat gets ``#n`` appended.
- No exit codes, timestamps or per-call usage are recorded. A call failed only when
  SWE-agent's own message says so: an edit its linter refused ("Your proposed edit has
  introduced new syntax error(s)"), a command it cancelled after its timeout
  (``timeout``). ``info.model_stats`` holds the run's totals only (``api_calls``,
  ``tokens_sent``, ``tokens_received``, ``instance_cost``): they are kept in the
  session's settings and shown in a notice, never split over calls (each call has no
  usage). The session is dated by the file's modification time.
- ``exit_status``: ``submitted`` (also ``submitted (exit_cost)``...) is completed,
  ``exit_cost`` / ``exit_context`` a limit, other ``exit_*`` a failure.

The object is read field by field and ``history`` item by item
(:mod:`storage.importers.json_stream`); ``trajectory`` repeats what ``history`` holds and
is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storage.importers.common import (
    ImportFormatError,
    Recorder,
    ToolUse,
    json_object,
    record_errors,
)
from storage.importers.detect import Head
from storage.importers.json_stream import object_fields
from storage.importers.mini_swe_agent import text_of as _text

SOURCE = "swe-agent"
NAME = "SWE-agent trajectory"
_EDIT_REFUSED = re.compile(r"^Your proposed edit has introduced new syntax error")
_CANCELLED = re.compile(r"^The command '.*' was cancelled because it took more than \d+ seconds", re.DOTALL)
_ROLES = {"system", "user", "assistant", "tool"}


def sniff(head: Head) -> bool:
    """A trajectory: one JSON object with ``trajectory`` beside ``environment`` or steps with ``response``
    and ``observation``, or a ``history`` whose messages have a ``message_type``."""
    keys = set(head.keys)
    if head.kind != "object":
        return False
    steps = "trajectory" in keys and ("environment" in keys or ('"response"' in head.text and '"observation"' in head.text))
    return steps or ("history" in keys and '"message_type"' in head.text and '"agent"' in head.text)


def _header(path: Path) -> dict[str, Any]:
    """The fields other than ``history`` and ``trajectory``; every history message checked."""
    header: dict[str, Any] = {}
    for key, value, line in object_fields(path, "history"):
        if key == "history":
            if not isinstance(value, dict) or value.get("role") not in _ROLES:
                role = value.get("role") if isinstance(value, dict) else type(value).__name__
                raise ImportFormatError(path, line, f"not a SWE-agent history message (role {role!r})")
        elif key != "trajectory":
            header[key] = value
    return header


def convert(path: Path, digest: str) -> Iterator[dict[str, Any]]:
    header = _header(path)
    info = json_object(header.get("info"))
    config = header.get("replay_config")
    if isinstance(config, str):  # some versions write the configuration as JSON text
        try:
            config = json.loads(config)
        except ValueError:
            config = None
    config = json_object(config)
    agent = json_object(config.get("agent"))
    stats = json_object(info.get("model_stats"))
    rec = Recorder("swe-" + digest[:12])
    rec.start(
        path.stat().st_mtime, source=SOURCE, source_path=str(path), source_hash=digest,
        title=str(json_object(config.get("problem_statement")).get("id") or agent.get("name") or path.stem),
        model=str(json_object(agent.get("model")).get("name") or ""),
        settings={"source_version": info.get("swe_agent_version"), "model_stats": stats or None},
    )
    yield from rec.drain()
    reader = _Reader(rec)
    for key, message, line in object_fields(path, "history"):
        if key == "history":
            with record_errors(path, line):
                reader.message(message)
            yield from rec.drain()
    reader.submitted(info)
    if stats:
        rec.notice(None, _totals(stats), detail="SWE-agent records no usage per call")
    yield from rec.finish(None, status=_status(info.get("exit_status")), reason=str(info.get("exit_status") or ""))


class _Reader:
    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.waiting: list[str] = []  # tool calls asked for and not answered yet, in order
        self.used: dict[str, int] = {}  # tool call ids seen, and how often
        self.prompted = False

    def message(self, message: dict[str, Any]) -> None:
        if message.get("is_demo"):
            return
        role, text = message["role"], _text(message.get("content"))
        if role == "assistant":
            tools = self._tools(message)
            self.rec.model_call(None, model="", text=text, tool_uses=tools)
            self.waiting = [t.id for t in tools]
        elif role == "system":
            self.rec.message(None, {"role": "system", "content": text})
        elif self.waiting and role in ("tool", "user"):
            asked = [self._current(i) for i in message.get("tool_call_ids") or []]
            for tool_id in [i for i in asked if i in self.waiting] or self.waiting[:1]:
                self.waiting.remove(tool_id)
                self._observation(tool_id, text)
        elif not self.prompted:
            self.rec.user_prompt(None, text)
            self.prompted = True
        else:
            self.rec.message(None, {"role": str(role), "content": text})

    def submitted(self, info: dict[str, Any]) -> None:
        """v0 keeps a submission's output in ``info`` only: the ``submit`` left waiting gets it."""
        if self.waiting and str(info.get("exit_status") or "").startswith("submitted"):
            self.rec.tool_result(None, self.waiting.pop(), status="ok", result=str(info.get("submission") or ""))

    def _tools(self, message: dict[str, Any]) -> list[ToolUse]:
        calls = [json_object(c) for c in message.get("tool_calls") or []]
        if calls:
            return [ToolUse(self._fresh(str(c.get("id") or "call")), str(json_object(c.get("function")).get("name") or ""),
                            _arguments(json_object(c.get("function")).get("arguments"))) for c in calls]
        action = str(message.get("action") or "").strip()
        if not action:
            return []
        return [ToolUse(self._fresh("swe_call"), "bash", json.dumps({"command": action}, ensure_ascii=False))]

    def _fresh(self, tool_id: str) -> str:
        """The id itself the first time, ``id#n`` for its n-th repeat (replayed runs reuse ids)."""
        seen = self.used.get(tool_id, 0)
        self.used[tool_id] = seen + 1
        return tool_id if seen == 0 else f"{tool_id}#{seen}"

    def _current(self, tool_id: str) -> str:
        """The id this answer refers to: the latest use of it."""
        seen = self.used.get(tool_id, 1)
        return tool_id if seen <= 1 else f"{tool_id}#{seen - 1}"

    def _observation(self, tool_id: str, text: str) -> None:
        body = text.lstrip()
        status = "timeout" if _CANCELLED.match(body) else "tool_error" if _EDIT_REFUSED.match(body) else "ok"
        self.rec.tool_result(None, tool_id, status=status, result=text, error=None if status == "ok" else text)


def _arguments(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments or {}, ensure_ascii=False)


def _totals(stats: dict[str, Any]) -> str:
    def count(name: str) -> str:
        value = stats.get(name)
        return f"{value:,}" if isinstance(value, int) and value > 0 else "—"  # a replayed run records 0: none

    cost = stats.get("instance_cost")
    shown = f"${cost:.4f}" if isinstance(cost, (int, float)) and cost else "—"
    return (f"SWE-agent recorded totals for the run only: {count('api_calls')} API calls, {count('tokens_sent')} tokens sent, "
            f"{count('tokens_received')} received, cost {shown}")


def _status(exit_status: Any) -> str:
    text = str(exit_status or "")
    if not text or text.startswith("submitted"):
        return "completed"
    if text in ("exit_cost", "exit_context", "exit_total_execution_time"):
        return "limit"
    return "interrupted" if text in ("early_exit", "exit_forfeit") else "failed"

