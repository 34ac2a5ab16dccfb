"""The transcript as it was after any event of a recorded session.

The live transcript (``widgets/transcript.py``) grows widget by widget as events
arrive; replay needs the same picture at *any* position, in both directions.
:class:`TranscriptIndex` reads the events once and records every entry (a user
prompt, an answer, a failed model call, a tool call, a notice, a turn summary)
with each of its versions: a tool call is requested, then validated, running,
finished. The transcript at position ``i`` is every entry created at or before
event ``i``, each in its last version at or before ``i`` — two binary searches,
no replaying, no copies.

What becomes an entry follows the live transcript: answers come from finished
model calls, tool calls follow their events, notices, limits, interrupts and
compactions become notices, and each finished turn gets a one-line summary.
Replay adds two lines the live view does not need: a failed model call (the
live view only marks the stream as failed) and the end of the session.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.agent.events import core as ev


@dataclass(frozen=True)
class Entry:
    """One block of the transcript at one moment."""

    kind: str  # user | assistant | model_error | tool | notice | turn_end | session_end
    index: int  # the event that created it
    updated: int  # the event that last changed it
    turn: int = 0
    text: str = ""  # prompt, answer, notice or error message
    level: str = "info"  # notices: info | warning | error
    tool_call_id: str = ""
    name: str = ""  # tool name, or the error class of a failed model call
    arguments: str = ""  # the raw JSON arguments of a tool call
    status: str = ""  # tool: requested | validated | awaiting | running | ok | tool_error | ...; turn_end: outcome
    note: str = ""  # e.g. "denied: reason"
    result: str = ""
    duration_ms: float | None = None
    exit_code: int | None = None
    steps: int = 0  # turn_end


class TranscriptIndex:
    """Every entry of a session with its versions, built in one pass over the events."""

    def __init__(self, events: Sequence[ev.Event]) -> None:
        self.created: list[int] = []  # event index that created entry k (non-decreasing)
        self._versions: list[list[Entry]] = []  # entry k's versions, oldest first
        self._changed_at: list[list[int]] = []  # the event index of each version
        self._tools: dict[str, int] = {}  # tool_call_id -> entry number
        self.touched: list[int] = []  # event index -> entry number it created or changed, or -1
        self.latest: list[int] = []  # event index -> the last entry touched at or before it, or -1
        for index, event in enumerate(events):
            touched = self._fold(index, event)
            self.touched.append(touched)
            self.latest.append(touched if touched >= 0 else (self.latest[-1] if self.latest else -1))

    def __len__(self) -> int:
        return len(self.created)

    # --- reading ------------------------------------------------------------------

    def count_at(self, position: int) -> int:
        """How many entries exist once event ``position`` has happened."""
        return bisect.bisect_right(self.created, position)

    def at(self, position: int, last: int | None = None) -> list[Entry]:
        """The transcript after event ``position`` (only its ``last`` entries if given)."""
        count = self.count_at(position)
        first = 0 if last is None else max(0, count - last)
        return [self._version_at(k, position) for k in range(first, count)]

    def latest_at(self, position: int) -> int | None:
        """The creating event of the entry most recently created or changed at ``position``
        (what the screen highlights: where the action is), or None before any entry."""
        if not 0 <= position < len(self.latest) or self.latest[position] < 0:
            return None
        return self.created[self.latest[position]]

    def _version_at(self, k: int, position: int) -> Entry:
        return self._versions[k][bisect.bisect_right(self._changed_at[k], position) - 1]

    # --- building -------------------------------------------------------------------

    def _add(self, entry: Entry) -> int:
        self.created.append(entry.index)
        self._versions.append([entry])
        self._changed_at.append([entry.index])
        return len(self._versions) - 1

    def _update(self, k: int, index: int, **changes: object) -> int:
        latest = self._versions[k][-1]
        entry = replace(latest, updated=index, **changes)
        if self._changed_at[k][-1] == index:  # two changes from one event: keep the last
            self._versions[k][-1] = entry
        else:
            self._versions[k].append(entry)
            self._changed_at[k].append(index)
        return k

    def _tool(self, index: int, tool_call_id: str, name: str, turn: int = 0, arguments: str = "") -> int:
        k = self._tools.get(tool_call_id)
        if k is None:
            k = self._add(Entry("tool", index, index, turn=turn, tool_call_id=tool_call_id, name=name,
                                arguments=arguments, status="requested"))
            self._tools[tool_call_id] = k
        return k

    def _fold(self, i: int, e: ev.Event) -> int:
        """Record what event ``i`` does to the transcript; returns the entry it touched or -1."""
        if isinstance(e, ev.TurnStarted):
            return self._add(Entry("user", i, i, turn=e.turn, text=e.user_text))
        if isinstance(e, ev.ModelCallFinished):
            if e.status is ev.CallStatus.OK and e.text:
                return self._add(Entry("assistant", i, i, turn=e.turn, text=e.text))
            if e.status is ev.CallStatus.ERROR:
                return self._add(Entry("model_error", i, i, turn=e.turn, name=e.error_class or "error",
                                       text=e.error_message or "", status=f"attempt {e.attempt}"))
            return -1
        if isinstance(e, ev.ToolCallRequested):
            return self._tool(i, e.tool_call_id, e.name, e.turn, e.arguments_raw)
        if isinstance(e, ev.ToolCallValidated):
            return self._update(self._tool(i, e.tool_call_id, e.name), i, status="validated")
        if isinstance(e, ev.ApprovalRequested):
            return self._update(self._tool(i, e.tool_call_id, e.name), i, status="awaiting")
        if isinstance(e, ev.ApprovalResolved):
            k = self._tool(i, e.tool_call_id, e.name)
            if e.decision == "deny":
                return self._update(k, i, status="denied", note=f"denied: {e.reason}" if e.reason else "denied")
            if e.decision == "allow_always" and not e.automatic:
                return self._update(k, i, note=f"always allowed from now on ({e.scope or e.name})")
            return -1
        if isinstance(e, ev.ToolCallStarted):
            return self._update(self._tool(i, e.tool_call_id, e.name), i, status="running")
        if isinstance(e, ev.ToolCallFinished):
            k = self._tool(i, e.tool_call_id, e.name, e.turn, e.arguments_raw)
            status = e.status.value if isinstance(e.status, ev.ToolStatus) else str(e.status)
            return self._update(k, i, status=status, result=e.result or e.error or "", duration_ms=e.duration_ms,
                                exit_code=e.exit_code, arguments=self._versions[k][-1].arguments or e.arguments_raw)
        if isinstance(e, ev.Notice):
            text = f"{e.message}\n{e.detail}" if e.detail else e.message
            return self._add(Entry("notice", i, i, text=text, level=e.level))
        if isinstance(e, ev.LimitReached):
            return self._add(Entry("notice", i, i, text=e.message or f"{e.kind} limit reached", level="warning"))
        if isinstance(e, ev.Interrupted):
            return self._add(Entry("notice", i, i, turn=e.turn, text="Interrupted.", level="warning"))
        if isinstance(e, ev.MessagesReplaced):
            text = f"The conversation was compacted ({e.reason or 'context budget'})."
            return self._add(Entry("notice", i, i, text=text))
        if isinstance(e, ev.TurnFinished):
            return self._add(Entry("turn_end", i, i, turn=e.turn, status=e.outcome, steps=e.steps))
        if isinstance(e, ev.SessionFinished):
            status = e.status.value if isinstance(e.status, ev.SessionStatus) else str(e.status)
            return self._add(Entry("session_end", i, i, status=status, text=e.reason))
        return -1
