"""The transcript reducer: live, resume and replay fold the same events into the same entries.

:class:`TranscriptFold` takes events one at a time and keeps the transcript as a list
of :class:`Entry` objects (a user's task, an answer, a failed model call, a tool call
with its status, result, exit code and duration, a notice, the end of a turn or of a
session). ``apply(event)`` returns the numbers of the entries the event created or
changed, so a view redraws only those:

* the live transcript (``widgets/transcript.py``) folds the events as they arrive,
  stream deltas included;
* on resume, the app folds the session's stored events and the transcript goes on
  from that fold, so a resumed session looks as it did live (a failed command is a
  failed command, whatever its output says);
* replay (``app/replay/transcript.py``) folds a recorded session once and keeps each
  entry's versions, to show the transcript at any position.

Stream deltas are not stored: an answer that streamed live and the same answer read
back from the store end as the same entry (the finished model call carries the whole
text; a failed or interrupted one, the text shown before it stopped), and a command's output shown as it ran (``live``) gives way to its result. Entries are frozen; a change makes a new version of the entry.

A failed model call is one entry per failed attempt, and its note follows what the
retry engine did about it: ``retrying in 2s`` while it waits, ``retried`` once the next
attempt is sent (``model_error_line``). Views choose what to draw: the live transcript
leaves out the end of a session and a failed attempt no other attempt follows (the error
notice says why the call stopped), which replay shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from app.agent.events import core as ev
from app.agent.events.approvals import SANDBOX_ESCALATION
from app.agent.events.checkpoints import CHECKPOINT_EVENTS, CheckpointEvent, line as checkpoint_line
from app.agent.events.hooks import HookRan, hook_line
from app.agent.events.mentions import FileAttached
from app.agent.events.resilience import AttemptFailed
from app.agent.events.roles import ROLE_EVENTS, RoleDecision, decision_line
from app.agent.events.subagents import Delegation, SubagentReplayed, SubagentStatusChanged, delegation_after, replayed_line
from app.agent.events.format import tokens as tokens_text
from app.agent.events.todo import TodoItem, TodoUpdated, progress

USER = "user"
ANSWER = "assistant"
MODEL_ERROR = "model_error"
TOOL = "tool"
NOTICE = "notice"
TURN_END = "turn_end"
SESSION_END = "session_end"
TODO = "todo"  # the model's todo list as a todo_write call left it
DELEGATION = "delegation"  # a task handed to a child agent (the task tool): its status, the child to open
UNSANDBOXED = "unsandboxed (allowed once outside the sandbox)"  # the note of a call that left the sandbox

RUN_BY_USER = "run by you (!)"  # the note of a ``!command``'s call
COMMAND_PREFIX = "!"  # what a ``!command`` line starts with
RETRIED = "retried"  # the note of a failed model call's attempt once the next attempt is sent
OUTCOME_UNKNOWN = "outcome unknown"  # the note of a call that may have run (ToolStatus.UNKNOWN)

LIVE_CHARS = 4_000  # of a running call's latest output kept for the screen

INTERRUPTED = "Interrupted."
INTERRUPTED_DETAIL = "The session is still open: type the next task."


@dataclass(frozen=True)
class Entry:
    """One block of the transcript, as it is after event ``updated``."""

    kind: str  # USER | ANSWER | MODEL_ERROR | TOOL | NOTICE | TURN_END | SESSION_END | TODO
    index: int  # the position of the event that created it
    updated: int  # the position of the event that last changed it
    turn: int = 0
    text: str = ""  # the task, the answer, the notice, the model error's message
    detail: str = ""  # a notice's second line
    level: str = "info"  # notices: info | warning | error
    call_id: str = ""  # answers: the model call
    streaming: bool = False  # answers: text is still arriving
    failed: bool = False  # answers: the model call failed or was cancelled
    interrupted: bool = False  # answers: the user interrupted it (``failed`` too): the text is what was seen
    tool_call_id: str = ""
    name: str = ""  # the tool, or the error class of a failed model call
    arguments: str = ""  # the raw JSON arguments of a tool call
    parsed: dict[str, Any] | None = field(default=None, compare=False)  # the validated arguments
    preview: str = ""  # what an approval showed (the command, the diff)
    status: str = ""  # tool: requested | awaiting | running | ok | tool_error | ...; turn_end: the outcome
    done: bool = False  # tool: finished
    note: str = ""  # e.g. "denied: reason"
    result: str = ""  # what the model saw
    full_output: str | None = None  # the whole output when ``result`` was cut
    duration_ms: float | None = None
    exit_code: int | None = None
    by_user: bool = False  # tool: a ``!command`` the user ran (shown open: its output is what they asked for)
    live: str = ""  # tool: the latest output of a running call (at most LIVE_CHARS; live only, never stored)
    steps: int = 0  # turn_end
    retried: bool = False  # model_error: another attempt follows this one (a retry, the fallback)
    todos: tuple[TodoItem, ...] = ()  # todo: the whole list (text: its progress, ``2/5 done``)
    delegation: Delegation | None = None  # delegation: where the child is (events/subagents.py)


class TranscriptFold:
    """The transcript of one session, folded event by event (see the module docstring)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.position = -1  # the position of the last event folded
        self._tools: dict[str, int] = {}  # tool_call_id -> entry number
        self._answers: dict[str, int] = {}  # model call id -> entry number
        self._streaming: set[int] = set()  # answers still streaming
        self._errors: dict[str, int] = {}  # logical model call id -> its last failed attempt's entry
        self._delegations: dict[str, int] = {}  # task id -> its delegation entry

    @classmethod
    def of(cls, events: Iterable[ev.Event]) -> TranscriptFold:
        """The fold of ``events``, e.g. a session's stored events."""
        fold = cls()
        for event in events:
            fold.apply(event)
        return fold

    def apply(self, event: ev.Event) -> list[int]:
        """Fold one event; the numbers of the entries it created or changed, in order."""
        self.position += 1
        handler = _HANDLERS.get(type(event))
        return handler(self, event, self.position) if handler is not None else []

    # --- building ---------------------------------------------------------------------

    def _add(self, entry: Entry) -> int:
        self.entries.append(entry)
        return len(self.entries) - 1

    def _change(self, k: int, i: int, **changes: Any) -> int:
        self.entries[k] = replace(self.entries[k], updated=i, **changes)
        return k

    def _tool(self, i: int, tool_call_id: str, name: str, turn: int = 0, arguments: str = "") -> int:
        k = self._tools.get(tool_call_id)
        if k is None:
            k = self._tools[tool_call_id] = self._add(
                Entry(TOOL, i, i, turn=turn, tool_call_id=tool_call_id, name=name, arguments=arguments, status="requested")
            )
        return k

    def _end_streams(self, i: int) -> list[int]:
        ended = sorted(self._streaming)
        self._streaming.clear()
        return [self._change(k, i, streaming=False) for k in ended]

    # --- the events ---------------------------------------------------------------------

    def _session_started(self, e: ev.SessionStarted, i: int) -> list[int]:
        if not e.resumed:
            return []
        return [self._add(Entry(NOTICE, i, i, text=f"Resumed session {e.session_id[:8]}."))]

    def _turn_started(self, e: ev.TurnStarted, i: int) -> list[int]:
        return [self._add(Entry(USER, i, i, turn=e.turn, text=e.user_text))]

    def _text_delta(self, e: ev.TextDelta, i: int) -> list[int]:
        k = self._answers.get(e.call_id)
        if k is None:
            k = self._answers[e.call_id] = self._add(Entry(ANSWER, i, i, call_id=e.call_id, text=e.text, streaming=True))
            self._streaming.add(k)
            return [k]
        return [self._change(k, i, text=self.entries[k].text + e.text)]

    def _model_call_finished(self, e: ev.ModelCallFinished, i: int) -> list[int]:
        if e.role in ev.SIDE_ROLES:  # a summary, a routing, a verdict is no answer: its own event's line says it
            return []
        touched = []
        ok, cancelled = e.status is ev.CallStatus.OK, e.status is ev.CallStatus.CANCELLED
        k = self._answers.get(e.call_id)
        if k is not None:
            self._streaming.discard(k)
            text = e.text if ok and e.text else self.entries[k].text
            touched.append(self._change(k, i, turn=e.turn, text=text, streaming=False, failed=not ok,
                                        interrupted=cancelled))
        elif e.text:  # a provider that did not stream, or the stored events (a stopped call's: what was seen)
            touched.append(self._add(Entry(ANSWER, i, i, turn=e.turn, call_id=e.call_id, text=e.text, failed=not ok,
                                           interrupted=cancelled)))
        if e.status is ev.CallStatus.ERROR:
            k = self._add(Entry(MODEL_ERROR, i, i, turn=e.turn, call_id=e.call_id, name=e.error_class or "error",
                                text=e.error_message or "", status=f"attempt {e.attempt}"))
            self._errors[logical_call(e.call_id)] = k
            touched.append(k)
        return touched

    def _attempt_failed(self, e: AttemptFailed, i: int) -> list[int]:
        stop = e.decision not in ("retry", "fallback")  # no next attempt follows
        k = self._errors.pop(e.call_id, None) if stop else self._errors.get(e.call_id)
        return [] if k is None else [self._change(k, i, note=attempt_note(e), retried=not stop)]

    def _model_call_started(self, e: ev.ModelCallStarted, i: int) -> list[int]:
        k = self._errors.pop(logical_call(e.call_id), None)  # the next attempt of a failed one
        return [] if k is None else [self._change(k, i, note=RETRIED)]

    def _tool_call_requested(self, e: ev.ToolCallRequested, i: int) -> list[int]:
        if e.started_by == ev.STARTED_BY_USER:  # ``!command``: the line the user typed, then its call
            typed = self._add(Entry(USER, i, i, turn=e.turn, text=COMMAND_PREFIX + typed_command(e.arguments_raw)))
            k = self._tool(i, e.tool_call_id, e.name, e.turn, e.arguments_raw)
            return [typed, self._change(k, i, note=RUN_BY_USER, by_user=True)]
        return [self._tool(i, e.tool_call_id, e.name, e.turn, e.arguments_raw)]

    def _tool_call_validated(self, e: ev.ToolCallValidated, i: int) -> list[int]:
        return [self._change(self._tool(i, e.tool_call_id, e.name), i, parsed=e.arguments)]

    def _approval_requested(self, e: ev.ApprovalRequested, i: int) -> list[int]:
        return [self._change(self._tool(i, e.tool_call_id, e.name), i, status="awaiting", preview=e.preview)]

    def _approval_resolved(self, e: ev.ApprovalResolved, i: int) -> list[int]:
        k = self._tool(i, e.tool_call_id, e.name)
        if e.decision == "deny":
            return [self._change(k, i, status="denied", note=f"denied: {e.reason}" if e.reason else "denied")]
        if e.kind == SANDBOX_ESCALATION:  # allowed: the command runs again outside the sandbox
            return [self._change(k, i, note=UNSANDBOXED)]
        if e.decision == "allow_always" and not e.automatic:
            return [self._change(k, i, note=f"always allowed from now on ({e.scope or e.name})")]
        if e.automatic and e.scope and e.reason:  # a permission rule decided: say which
            return [self._change(k, i, note=e.reason)]
        return []

    def _tool_call_started(self, e: ev.ToolCallStarted, i: int) -> list[int]:
        return [self._change(self._tool(i, e.tool_call_id, e.name), i, status="running")]

    def _tool_output_delta(self, e: ev.ToolOutputDelta, i: int) -> list[int]:
        k = self._tools.get(e.tool_call_id)
        if k is None or self.entries[k].done:
            return []
        return [self._change(k, i, live=(self.entries[k].live + e.text)[-LIVE_CHARS:])]

    def _tool_call_finished(self, e: ev.ToolCallFinished, i: int) -> list[int]:
        k = self._tool(i, e.tool_call_id, e.name, e.turn, e.arguments_raw)
        entry = self.entries[k]
        status = e.status.value if isinstance(e.status, ev.ToolStatus) else str(e.status)
        note = OUTCOME_UNKNOWN if e.status is ev.ToolStatus.UNKNOWN else entry.note
        return [self._change(
            k, i, status=status, done=True, note=note, result=e.result or e.error or "", full_output=e.full_output,
            live="", duration_ms=e.duration_ms, exit_code=e.exit_code, arguments=entry.arguments or e.arguments_raw,
            parsed=entry.parsed if entry.parsed is not None else e.arguments,
        )]

    def _file_attached(self, e: FileAttached, i: int) -> list[int]:
        return [self._add(Entry(NOTICE, i, i, turn=e.turn, text=attachment_line(e), detail=e.note,
                                level="info" if e.attached and not e.truncated else "warning"))]

    def _todo_updated(self, e: TodoUpdated, i: int) -> list[int]:
        todos = e.todos()
        return [self._add(Entry(TODO, i, i, text=progress(todos), todos=todos))]

    def _hook_ran(self, e: HookRan, i: int) -> list[int]:
        line = hook_line(e)  # a hook that blocked, failed or timed out; one that ran quietly is no line
        if line is None:
            return []
        text, detail, level = line
        return [self._add(Entry(NOTICE, i, i, turn=e.turn, text=text, detail=detail, level=level))]

    def _notice(self, e: ev.Notice, i: int) -> list[int]:
        return [self._add(Entry(NOTICE, i, i, text=e.message, detail=e.detail, level=e.level))]

    def _checkpoint(self, e: CheckpointEvent, i: int) -> list[int]:
        text, detail, level = checkpoint_line(e)
        return [self._add(Entry(NOTICE, i, i, turn=e.turn, text=text, detail=detail, level=level))]

    def _role_decision(self, e: RoleDecision, i: int) -> list[int]:
        text, detail, level = decision_line(e)
        return [self._add(Entry(NOTICE, i, i, turn=e.turn, text=text, detail=detail, level=level))]

    def _subagent_status(self, e: SubagentStatusChanged, i: int) -> list[int]:
        k = self._delegations.get(e.task_id)
        if k is None:
            k = self._delegations[e.task_id] = self._add(Entry(DELEGATION, i, i, tool_call_id=e.parent_call_id))
        return [self._change(k, i, delegation=delegation_after(self.entries[k].delegation, e))]

    def _subagent_replayed(self, e: SubagentReplayed, i: int) -> list[int]:
        return [self._add(Entry(NOTICE, i, i, text=replayed_line(e)))]

    def _limit_reached(self, e: ev.LimitReached, i: int) -> list[int]:
        return [self._add(Entry(NOTICE, i, i, text=e.message or f"{e.kind} limit reached", level="warning"))]

    def _interrupted(self, e: ev.Interrupted, i: int) -> list[int]:
        ended = self._end_streams(i)
        return [*ended, self._add(Entry(NOTICE, i, i, turn=e.turn, text=INTERRUPTED, detail=INTERRUPTED_DETAIL,
                                        level="warning"))]

    def _instructions_loaded(self, e: ev.InstructionsLoaded, i: int) -> list[int]:
        return [self._add(Entry(NOTICE, i, i, text=instructions_line(e), detail="; ".join(e.notes),
                                level="warning" if e.notes else "info"))]

    def _messages_replaced(self, e: ev.MessagesReplaced, i: int) -> list[int]:
        if not e.compaction:  # rewritten for a reason its own event tells (instructions reloaded)
            return []
        text = f"The conversation was compacted ({e.reason or 'context budget'})."
        return [self._add(Entry(NOTICE, i, i, text=text))]

    def _turn_finished(self, e: ev.TurnFinished, i: int) -> list[int]:
        ended = self._end_streams(i)
        return [*ended, self._add(Entry(TURN_END, i, i, turn=e.turn, status=e.outcome, steps=e.steps))]

    def _session_finished(self, e: ev.SessionFinished, i: int) -> list[int]:
        status = e.status.value if isinstance(e.status, ev.SessionStatus) else str(e.status)
        return [self._add(Entry(SESSION_END, i, i, status=status, text=e.reason))]


_HANDLERS: dict[type[ev.Event], Callable[[TranscriptFold, Any, int], list[int]]] = {
    ev.SessionStarted: TranscriptFold._session_started,
    ev.TurnStarted: TranscriptFold._turn_started,
    ev.TextDelta: TranscriptFold._text_delta,
    ev.ModelCallStarted: TranscriptFold._model_call_started,
    ev.ModelCallFinished: TranscriptFold._model_call_finished,
    AttemptFailed: TranscriptFold._attempt_failed,
    ev.ToolCallRequested: TranscriptFold._tool_call_requested,
    ev.ToolCallValidated: TranscriptFold._tool_call_validated,
    ev.ApprovalRequested: TranscriptFold._approval_requested,
    ev.ApprovalResolved: TranscriptFold._approval_resolved,
    ev.ToolCallStarted: TranscriptFold._tool_call_started,
    ev.ToolOutputDelta: TranscriptFold._tool_output_delta,
    ev.ToolCallFinished: TranscriptFold._tool_call_finished,
    ev.Notice: TranscriptFold._notice,
    FileAttached: TranscriptFold._file_attached,
    TodoUpdated: TranscriptFold._todo_updated,
    HookRan: TranscriptFold._hook_ran,
    ev.LimitReached: TranscriptFold._limit_reached,
    SubagentStatusChanged: TranscriptFold._subagent_status,
    SubagentReplayed: TranscriptFold._subagent_replayed,
    ev.Interrupted: TranscriptFold._interrupted,
    ev.MessagesReplaced: TranscriptFold._messages_replaced,
    ev.InstructionsLoaded: TranscriptFold._instructions_loaded,
    ev.TurnFinished: TranscriptFold._turn_finished,
    ev.SessionFinished: TranscriptFold._session_finished,
    **{cls: TranscriptFold._checkpoint for cls in CHECKPOINT_EVENTS},  # one line each (events/checkpoints.py)
    **{cls: TranscriptFold._role_decision for cls in ROLE_EVENTS},  # routed, verified, escalated (events/roles.py)
}


def instructions_line(e: ev.InstructionsLoaded) -> str:
    """``Instructions: AGENTS.md 1.2k tok, docs/style.md 300 tok (imported) · 1.5k tok on every call``."""
    def tok(n: int | None) -> str:
        return f"{'≈' if e.approximate and n is not None else ''}{tokens_text(n)} tok"

    if e.reason == ev.INSTRUCTIONS_RELOAD:
        what = ", ".join(f"{c['label']} {c['change']}" for c in e.changes)
        return f"Instructions reloaded: {what} · {tok(e.tokens)} on every call"
    if not e.files:
        return "Instructions: none loaded"
    files = ", ".join(
        f"{f['label']} {tok(f.get('tokens'))}" + (" (imported)" if f.get("imported_by") else "")
        + (" (cut)" if f.get("truncated") else "")
        for f in e.files
    )
    return f"Instructions: {files} · {tok(e.tokens)} on every call"


def attachment_line(e: FileAttached) -> str:
    """``@src/app.py attached · 1.2k tok`` (``≈`` an estimate, ``—`` without a budget), or
    ``@logo.png not attached``."""
    if not e.attached:
        return f"@{e.path} not attached"
    what = "folder listing attached" if e.kind == "folder" else "attached"
    estimate = "≈" if e.approximate and e.tokens is not None else ""
    return f"@{e.path} {what} · {estimate}{tokens_text(e.tokens)} tok"


def model_error_line(e: Entry) -> str:
    """``✗ model call failed (rate_limit, attempt 1) · retrying in 2s`` (the note: what followed)."""
    return f"✗ model call failed ({e.name}, {e.status})" + (f" · {e.note}" if e.note else "")


def attempt_note(e: AttemptFailed) -> str:
    """What the retry engine did after a failed attempt: ``retrying in 2s``, the fallback, or ``gave up (…)``."""
    if e.decision == "retry":
        return f"retrying in {e.wait_s:.0f}s" if e.wait_s >= 1 else "retrying"
    if e.decision == "fallback":
        return "switching to the fallback model"
    return f"gave up ({e.reason.replace('_', ' ')})" if e.reason else "gave up"


def logical_call(call_id: str) -> str:
    """The logical model call of an attempt's id (``mc_ab12.2`` → ``mc_ab12``; a logical id stays)."""
    return call_id.partition(".")[0]


def typed_command(arguments_raw: str) -> str:
    """The command of a ``!command`` call, from its arguments (``{"command": ...}``)."""
    try:
        arguments = json.loads(arguments_raw)
    except ValueError:
        return arguments_raw
    command = arguments.get("command") if isinstance(arguments, dict) else None
    return command if isinstance(command, str) else arguments_raw
