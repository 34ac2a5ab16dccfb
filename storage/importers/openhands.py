"""OpenHands trajectories: the event list of a run (``--save-trajectory-path``, the GUI's export).

A JSON array of events (or an object whose ``history`` is that array, as OpenHands'
evaluation writes it), each ``{id, timestamp, source, message, ...}`` with either
``action`` (and ``args``) or ``observation`` (with ``content``, ``extras`` and ``cause``,
the id of the action it answers). What needs care:

- ``source: user`` ``message`` actions are prompts. An agent action that carries
  ``tool_call_metadata`` is a tool call the model asked for: ``model_response`` is the
  litellm response that asked, and one response can ask for several calls (each
  action repeats the response: it is one model call, deduplicated by the response's
  ``id``; its ``usage`` is counted once). An agent action without metadata (an older
  CodeAct run, or the final ``message``) is a model call without usage, its tool id
  ``oh-<event id>``.
- Observations answer their action by ``tool_call_metadata.tool_call_id`` or ``cause``.
  ``run``: ``extras.metadata.exit_code`` 0 is ok, ``-1`` is a command still running when
  OpenHands stopped waiting (``timeout``), another code a failure; ``error`` is a failed
  call, ``user_rejected`` a denied one; otherwise ``success: false`` is a failure. A
  ``run`` with an empty command only reads a running process's output (``poll``).
- ``usage``: ``prompt_tokens`` counts every input token; ``cache_read_input_tokens``
  (or ``prompt_tokens_details.cached_tokens``) are the cached ones,
  ``cache_creation_input_tokens`` the cache writes.
- ``finish`` ends the run (its result is its final thought); ``condensation`` (or a
  ``condense`` observation) is a compaction whose summary replaces the forgotten events.
- ``delegate`` starts a sub-agent whose events follow in the same list until the
  ``delegate`` observation that answers it: they become a child session.
- ``agent_state_changed`` to ``error`` / ``stopped`` sets the session's outcome.

The file is read twice, item by item (:mod:`storage.importers.json_stream`): once to
check every event, once to convert.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
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
from storage.importers.json_stream import array_items, object_fields

SOURCE = "openhands"
NAME = "OpenHands trajectory"
_SKIPPED_ACTIONS = {"change_agent_state", "recall", "system", "null"}
_SKIPPED_OBSERVATIONS = {"null", "recall", "agent_state_changed"}
_FINAL_STATES = {"error": "failed", "stopped": "interrupted", "rejected": "failed"}


def sniff(head: Head) -> bool:
    """An event list (a JSON array of events with ``id``, ``source`` and ``action`` or ``observation``),
    or an object whose ``history`` holds one."""
    keys = set(head.keys)
    if head.kind == "array":
        return {"id", "source"} <= keys and bool(keys & {"action", "observation"})
    return head.kind == "object" and "history" in keys and '"observation"' in head.text and '"source"' in head.text


def _items(path: Path) -> Iterator[tuple[Any, int]]:
    """The events, one at a time, with the line each starts on."""
    try:
        with path.open("rb") as handle:
            array = handle.read(4096).lstrip()[:1] == b"["
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None
    if array:
        yield from array_items(path)
        return
    for key, value, line in object_fields(path, "history"):
        if key == "history":
            yield value, line


@dataclass
class _Header:
    model: str = ""
    first_ts: float | None = None
    last_ts: float | None = None
    events: int = 0


def _scan(path: Path) -> _Header:
    """Every event checked; the first model named and the first and last times."""
    header = _Header()
    for item, line in _items(path):
        if not isinstance(item, dict):
            raise ImportFormatError(path, line, f"not an OpenHands event (a JSON {type(item).__name__})")
        header.events += 1
        ts = parse_ts(item.get("timestamp"))
        header.first_ts = header.first_ts if header.first_ts is not None else ts
        header.last_ts = ts if ts is not None else header.last_ts
        if not header.model:
            header.model = str(_response(item).get("model") or "")
    if not header.events:
        raise ImportFormatError(path, 1, "not an OpenHands trajectory (no events)")
    return header


def convert(path: Path, digest: str) -> Iterator[dict[str, Any]]:
    header = _scan(path)
    root = _Agent(Recorder("oh-" + digest[:12]))
    root.rec.start(header.first_ts, source=SOURCE, source_path=str(path), source_hash=digest, model=header.model)
    yield from root.rec.drain()
    run = _Run(path, digest, header.model, [root])
    for item, line in _items(path):
        with record_errors(path, line):
            run.event(item)
        yield from run.drain()
    yield from run.finish(header.last_ts)


@dataclass
class _Agent:
    """One agent's session (the run's, or a delegate's) and its open calls."""

    rec: Recorder
    delegate_action: int | None = None  # the parent's delegate action this agent answers
    tools: dict[Any, str] = field(default_factory=dict)  # event id of an action → its tool call id
    responses: set[str] = field(default_factory=set)  # model responses already recorded
    polls: set[str] = field(default_factory=set)
    state: str = ""


@dataclass
class _Run:
    path: Path
    digest: str
    model: str
    agents: list[_Agent]  # the run's agent first, the delegate running now last
    finished: list[dict[str, Any]] = field(default_factory=list)
    unknown: int = 0

    @property
    def agent(self) -> _Agent:
        return self.agents[-1]

    def drain(self) -> list[dict[str, Any]]:
        events, self.finished = self.finished, []
        for agent in self.agents:
            events += agent.rec.drain()
        return events

    def event(self, item: dict[str, Any]) -> None:
        ts = parse_ts(item.get("timestamp"))
        if "action" in item:
            self._action(item, str(item["action"]), ts)
        elif "observation" in item:
            self._observation(item, str(item["observation"]), ts)
        else:
            self.unknown += 1

    # --- actions ---------------------------------------------------------------------

    def _action(self, item: dict[str, Any], action: str, ts: float | None) -> None:
        args = json_object(item.get("args"))
        agent, rec = self.agent, self.agent.rec
        if action in _SKIPPED_ACTIONS:
            return
        if item.get("source") == "user":
            if action == "message":
                rec.user_prompt(ts, str(args.get("content") or item.get("message") or ""))
            return
        if action in ("condensation", "condense"):
            summary = str(args.get("summary") or "")
            rec.compaction(ts, [{"role": "user", "content": summary}] if summary else [], "condensation")
            return
        if action == "message":
            self._model_call(item, ts, text=str(args.get("content") or item.get("message") or ""), tools=[])
            return
        metadata = json_object(item.get("tool_call_metadata"))
        tool_id = str(metadata.get("tool_call_id") or f"oh-{item.get('id')}")
        if str(_response(item).get("id") or "") not in agent.responses or not _response(item):
            arguments = {k: v for k, v in args.items() if k != "thought"}
            asked = _asked_tools(item) or [ToolUse(tool_id, str(metadata.get("function_name") or action),
                                                   json.dumps(arguments, ensure_ascii=False))]
            self._model_call(item, ts, text=str(args.get("thought") or ""), tools=asked)
        if action == "finish":  # answered here: what follows it (a null observation) answers nothing
            final = str(args.get("final_thought") or args.get("outputs") or item.get("message") or "")
            rec.tool_result(ts, tool_id, status="ok", result=final)
            return
        agent.tools[item.get("id")] = tool_id
        if action == "run" and not args.get("command") and args.get("is_input") is not None:
            agent.polls.add(tool_id)
        if action == "delegate":
            self._delegate(item, args, ts)

    def _model_call(self, item: dict[str, Any], ts: float | None, *, text: str, tools: list[ToolUse]) -> None:
        response = _response(item)
        if response.get("id"):
            self.agent.responses.add(str(response["id"]))
        choices = response.get("choices") if isinstance(response.get("choices"), list) else []
        first = json_object(choices[0]) if choices else {}
        content = json_object(first.get("message")).get("content")
        self.agent.rec.model_call(
            ts, model=str(response.get("model") or self.model), text=content if isinstance(content, str) else text,
            tool_uses=tools, usage=_usage(response.get("usage")), finish_reason=first.get("finish_reason"),
        )

    def _delegate(self, item: dict[str, Any], args: dict[str, Any], ts: float | None) -> None:
        parent = self.agent.rec
        child = _Agent(Recorder(f"{self.agents[0].rec.session_id}-d{item.get('id')}"), delegate_action=item.get("id"))
        name = str(args.get("agent") or "delegate")
        child.rec.start(ts, source=SOURCE, source_path=str(self.path), source_hash=self.digest, title=name,
                        model=self.model, parent_id=parent.session_id, settings={"delegate_agent": name})
        task = json_object(args.get("inputs")).get("task")
        child.rec.user_prompt(ts, str(task if task is not None else json.dumps(args.get("inputs") or {})))
        self.agents.append(child)

    # --- observations ----------------------------------------------------------------

    def _observation(self, item: dict[str, Any], observation: str, ts: float | None) -> None:
        extras = json_object(item.get("extras"))
        if observation == "agent_state_changed":
            self.agent.state = str(extras.get("agent_state") or "")
        if observation == "delegate":
            self._end_delegate(item.get("cause"), ts)
        agent = self.agent
        if observation in ("condense", "agent_condensation"):
            agent.rec.compaction(ts, [{"role": "user", "content": str(item.get("content") or "")}], "condensation")
            return
        metadata = json_object(item.get("tool_call_metadata"))
        asked = agent.tools.pop(item.get("cause"), None)  # the open call this answers
        if observation in _SKIPPED_OBSERVATIONS:
            if asked is not None:  # a call answered by no observation: it ran, with nothing to say
                agent.rec.tool_result(ts, asked, status="ok", result="")
            return
        tool_id = asked or (str(metadata["tool_call_id"]) if "tool_call_id" in metadata else None)
        if tool_id is None:
            if observation == "error":
                agent.rec.notice(ts, str(item.get("content") or item.get("message") or "error"), level="error")
            else:
                self.unknown += 1
            return
        content = str(item.get("content") or "")
        status, exit_code = _status(observation, item, extras)
        agent.rec.tool_result(ts, tool_id, status=status, result=content or str(item.get("message") or ""),
                              error=None if status == "ok" else content or str(item.get("message") or ""),
                              exit_code=exit_code, poll=tool_id in agent.polls)
        agent.polls.discard(tool_id)

    def _end_delegate(self, cause: Any, ts: float | None) -> None:
        """The delegate observation: the sub-agent that answers this action is done (and any it left open)."""
        if not any(a.delegate_action == cause for a in self.agents[1:]):
            return
        while self.agents[-1].delegate_action != cause:
            self._close(self.agents.pop(), ts)
        self._close(self.agents.pop(), ts)

    def _close(self, agent: _Agent, ts: float | None) -> None:
        self.finished += agent.rec.drain() + agent.rec.finish(ts, status=_FINAL_STATES.get(agent.state, "completed"))

    def finish(self, ts: float | None) -> list[dict[str, Any]]:
        while len(self.agents) > 1:
            self._close(self.agents.pop(), ts)
        root = self.agents[0]
        if self.unknown:
            root.rec.notice(None, f"{self.unknown} OpenHands events of a kind Cockpit does not read were skipped")
        events = self.drain()
        return events + root.rec.finish(ts, status=_FINAL_STATES.get(root.state, "completed"), reason=root.state)


def _status(observation: str, item: dict[str, Any], extras: dict[str, Any]) -> tuple[str, int | None]:
    if observation == "error":
        return "tool_error", None
    if observation == "user_rejected":
        return "denied", None
    if observation == "run":
        code = json_object(extras.get("metadata")).get("exit_code", extras.get("exit_code"))
        if isinstance(code, int):
            return ("ok" if code == 0 else "timeout" if code == -1 else "tool_error"), code
    return ("tool_error" if item.get("success") is False else "ok"), None


def _response(item: dict[str, Any]) -> dict[str, Any]:
    return json_object(json_object(item.get("tool_call_metadata")).get("model_response"))


def _asked_tools(item: dict[str, Any]) -> list[ToolUse]:
    """Every tool call the action's model response asked for."""
    choices = _response(item).get("choices")
    message = json_object(json_object(choices[0]).get("message")) if isinstance(choices, list) and choices else {}
    asked = []
    for call in message.get("tool_calls") or []:
        function = json_object(json_object(call).get("function"))
        arguments = function.get("arguments")
        asked.append(ToolUse(str(json_object(call).get("id") or ""), str(function.get("name") or ""),
                             arguments if isinstance(arguments, str) else json.dumps(arguments or {})))
    return [tool for tool in asked if tool.id]


def _usage(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    details = json_object(raw.get("prompt_tokens_details"))
    cached = raw.get("cache_read_input_tokens")
    return usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0),
                 cached=details.get("cached_tokens") if cached is None else cached,
                 cache_write=raw.get("cache_creation_input_tokens"))
