"""mini-swe-agent trajectories: ``*.traj.json``.

One JSON object: ``info`` (``exit_status``, ``submission``, ``model_stats``,
``config``) and ``messages`` in OpenAI format. The agent has no native tool
calls: each assistant message carries its action as one ```` ```bash ````
block, and the next user message is the observation, starting
``<returncode>N</returncode>``. We turn that into a ``bash`` tool call (id
``msa_call_<n>``) with its result, status ``tool_error`` and ``exit_code`` N
when N is not 0, so the retries view sees failed commands. An assistant
message without exactly one action gets the agent's format-error reply, kept
as a user message with a warning notice. Usage and cost per call come from
each assistant message's ``extra.response`` (``usage.cost`` when the provider
reported one).

Version 2 (``trajectory_format: mini-swe-agent-1.1``, mini 2.x) records more in each
message's ``extra``: the parsed ``actions`` (``{command, tool_call_id?}``), the call's
``cost`` and a unix ``timestamp``; observations carry ``extra.returncode`` (``-1`` with
``exception_info`` for an action not executed or timed out). With a tool-calling model
the assistant message has ``tool_calls`` (one response may ask for several ``bash``
calls) and each observation is a ``role: tool`` message with its ``tool_call_id``. A
malformed response is kept on the ``FormatError`` user message that answers it
(``extra.interrupt_type``, with the response and its cost): a model call without tool
calls. The run ends with a ``role: exit`` message (``extra.exit_status``).
"""

from __future__ import annotations

import json
import re
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
from storage.importers.json_stream import object_fields

SOURCE = "mini-swe-agent"
NAME = "mini-swe-agent trajectory"
_ACTION = re.compile(r"```bash\s*\n(.*?)\n```", re.DOTALL)
_RETURNCODE = re.compile(r"^\s*<returncode>(-?\d+)</returncode>")
_TIMED_OUT = re.compile(r"timed out", re.IGNORECASE)
_STATUS = {"Submitted": "completed", "LimitsExceeded": "limit"}


def sniff(head: Head) -> bool:
    """A trajectory: one JSON object with ``messages`` (or ``info`` holding ``mini_version``)."""
    return head.kind in ("object", "jsonl") and (
        "messages" in head.keys or ("info" in head.keys and '"mini_version"' in head.text))


@dataclass
class _Header:
    """The trajectory's fields other than ``messages``, and what the replay needs to know of those."""

    fields: dict[str, Any] = field(default_factory=dict)
    messages: int = 0
    last_role: Any = None
    first_ts: float | None = None


def _scan(path: Path) -> _Header:
    """The header; every message checked (the file is read item by item, :mod:`storage.importers.json_stream`)."""
    header = _Header()
    for key, value, line in object_fields(path, "messages"):
        if key != "messages":
            header.fields[key] = value
            continue
        if not isinstance(value, dict) or "role" not in value:
            raise ImportFormatError(path, line, f"message {header.messages + 1} is not an object with a 'role'")
        header.messages += 1
        header.last_role = value.get("role")
        if header.first_ts is None:
            created = json_object(value.get("extra")).get("timestamp", _response(value).get("created"))
            header.first_ts = parse_ts(created) if created is not None else None
    if not header.messages and "info" not in header.fields:
        raise ImportFormatError(path, 1, "not a mini-swe-agent trajectory (no 'messages' list)")
    return header


def convert(path: Path, digest: str) -> Iterator[dict[str, Any]]:
    """The session's events; the file is read twice, message by message: checked, then converted."""
    header = _scan(path)
    trajectory = header.fields
    info = json_object(trajectory.get("info"))
    config = json_object(info.get("config"))
    recorder = Recorder("msa-" + digest[:12])
    recorder.start(
        header.first_ts or _file_time(path),
        source=SOURCE,
        source_path=str(path),
        source_hash=digest,
        title=str(trajectory.get("instance_id") or ""),
        workspace=json_object(config.get("environment")).get("cwd"),
        model=str(json_object(config.get("model")).get("model_name") or ""),
        settings={"source_version": info.get("mini_version"), "trajectory_format": trajectory.get("trajectory_format")},
    )
    yield from recorder.drain()
    messages = ((value, line) for key, value, line in object_fields(path, "messages") if key == "messages")
    yield from _replay(path, recorder, messages, header, submitted=info.get("exit_status") == "Submitted")
    status = _STATUS.get(str(info.get("exit_status")), "failed" if info.get("exit_status") else "completed")
    yield from recorder.finish(None, status=status, reason=str(info.get("exit_status") or ""))


def _file_time(path: Path) -> float | None:
    """When the trajectory has no timestamps at all: when its file was last written."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _response(message: dict[str, Any]) -> dict[str, Any]:
    return json_object(json_object(message.get("extra")).get("response"))


def _replay(path: Path, recorder: Recorder, messages: Iterator[tuple[dict[str, Any], int]], header: _Header, *,
            submitted: bool) -> Iterator[dict[str, Any]]:
    waiting: list[str] = []  # the ids of the actions whose observations come next, in order
    prompted = False
    for position, (message, line) in enumerate(messages):
        with record_errors(path, line):
            waiting, prompted = _message(recorder, message, position, waiting, prompted, header, submitted=submitted)
        yield from recorder.drain()


def _message(recorder: Recorder, message: dict[str, Any], position: int, waiting: list[str], prompted: bool,
             header: _Header, *, submitted: bool) -> tuple[list[str], bool]:
    """One message; (the calls still waiting for their observation, whether the prompt was seen)."""
    role, text = message.get("role"), text_of(message.get("content"))
    extra = json_object(message.get("extra"))
    ts = parse_ts(extra.get("timestamp"))
    if role == "assistant":
        waiting = _assistant(recorder, message, text, call_number=position)
    elif role in ("user", "tool") and waiting and extra.get("interrupt_type") is None:
        asked = message.get("tool_call_id")
        tool_id = asked if asked in waiting else waiting[0]
        waiting.remove(tool_id)
        last = position == header.messages - 1 or header.last_role == "exit" and not waiting
        _observation(recorder, tool_id, text, extra, ts, submitted_output=submitted and last)
    elif role == "user" and not prompted:
        recorder.user_prompt(ts, text)
        prompted = True
    elif role == "user" and recorder.turn:
        if _response(message):  # v2: the malformed response rides on the error message that answers it
            _assistant(recorder, message, "", call_number=position, parse=False)
        recorder.message(ts, {"role": "user", "content": text})
        recorder.notice(ts, "the model's reply had no usable action; the agent asked again", level="warning")
    elif role == "exit":  # v2: a submission ends the run before its command's observation is written
        for tool_id in waiting:
            submitted_now = extra.get("exit_status") == "Submitted"
            recorder.tool_result(ts, tool_id, status="ok" if submitted_now else "cancelled",
                                 result=str(extra.get("submission") or "") if submitted_now else "",
                                 error=None if submitted_now else f"the run ended: {extra.get('exit_status')}")
        waiting = []
    else:
        recorder.message(ts, {"role": str(role), "content": text})
    return waiting, prompted


def _assistant(recorder: Recorder, message: dict[str, Any], text: str, *, call_number: int,
               parse: bool = True) -> list[str]:
    response = _response(message)
    extra = json_object(message.get("extra"))
    raw = response.get("usage") if isinstance(response.get("usage"), dict) else None
    reported = None
    cost = None
    if raw is not None:
        details = json_object(raw.get("prompt_tokens_details"))
        reported = usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0),
                         cached=details.get("cached_tokens"))
        cost = float(raw.get("cost") or extra.get("cost") or 0.0) or None  # 0: it had no price either (its litellm's cost map)
    choices = response.get("choices") if isinstance(response.get("choices"), list) else []
    finish = choices[0].get("finish_reason") if choices and isinstance(choices[0], dict) else None
    tools = _actions(message, text, call_number) if parse else []
    recorder.model_call(
        parse_ts(extra.get("timestamp", response.get("created"))), model=str(response.get("model") or ""), text=text,
        tool_uses=tools, usage=reported, finish_reason=finish, cost_usd=cost,
    )
    return [tool.id for tool in tools]


def _actions(message: dict[str, Any], text: str, call_number: int) -> list[ToolUse]:
    """The bash calls the message asked for: its tool calls, v2's parsed ``extra.actions``, or v1's one bash block."""
    calls = [json_object(c) for c in message.get("tool_calls") or []]
    if calls:
        return [ToolUse(str(c.get("id") or f"msa_call_{call_number}_{n}"), str(json_object(c.get("function")).get("name") or "bash"),
                        str(json_object(c.get("function")).get("arguments") or "{}")) for n, c in enumerate(calls)]
    actions = json_object(message.get("extra")).get("actions")
    if isinstance(actions, list):
        commands = [str(json_object(a).get("command") or "") for a in actions]
    else:
        found = _ACTION.findall(text)
        commands = found if len(found) == 1 else []
    one = len(commands) == 1
    return [ToolUse(f"msa_call_{call_number}" + ("" if one else f"_{n}"), "bash", json.dumps({"command": command}))
            for n, command in enumerate(commands)]


def _observation(recorder: Recorder, tool_call_id: str, text: str, extra: dict[str, Any], ts: float | None, *,
                 submitted_output: bool) -> None:
    found = _RETURNCODE.match(text)
    code = extra.get("returncode") if isinstance(extra.get("returncode"), int) else int(found.group(1)) if found else None
    if _TIMED_OUT.search(str(extra.get("exception_info") or "")):
        status = "timeout"
    elif code is not None:
        status = "ok" if code == 0 else "tool_error"
    elif submitted_output:
        status = "ok"  # the submission itself: the output of the final command
    elif _TIMED_OUT.search(text):
        status = "timeout"
    else:
        status = "tool_error"
    recorder.tool_result(ts, tool_call_id, status=status, result=text,
                         error=None if status == "ok" else text, exit_code=code)


def text_of(content: Any) -> str:
    """An OpenAI-format message's content as text (the text parts of a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)
