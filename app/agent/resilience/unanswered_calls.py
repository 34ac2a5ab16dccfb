"""Results for the tool calls a stopped turn left unanswered, told honestly.

The conversation needs one result per tool call, and the store one finished row,
also when a turn stops early (a limit, a halted loop, an interrupt, or a crash
found when the session is resumed). What that result says comes from the
idempotency ledger's entry for the call, looked up by the harness's id of the call
(``app.agent.tool_ids``: a model id sent twice is two calls):

* no entry: the effect never started → ``Not run: <why>.``, status ``cancelled``;
* ``pending``: the effect started and its outcome was never recorded (the
  process died mid-call, or the call was cancelled) → it may have run, its
  outcome is unknown (status ``unknown``); the user gets a warning too;
* ``done``: it ran, but its result never reached the conversation → that
  recorded result, with the status it had.

A call without side effects never has an entry, and nothing it did needs undoing.
:meth:`Closing.events` announces what the events have not said yet of the call
(its request, its end), so every call the model sent ends as one finished row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.agent.events.core import Event, Notice, ToolCallFinished, ToolCallRequested, ToolStatus
from app.agent.resilience.idempotency import DONE, LedgerEntry
from app.agent.tool_ids import FINISHED, UNANNOUNCED, OpenCall

NOT_RUN = "not_run"
UNKNOWN = "unknown"  # may have run
RAN = "ran"


@dataclass(frozen=True)
class Closing:
    call: OpenCall
    outcome: str  # not_run | unknown | ran
    status: ToolStatus  # the status of its finished row
    text: str  # the tool result the model gets
    notices: tuple[Notice, ...] = ()  # for the user: a warning when the outcome is unknown

    @property
    def tool_call_id(self) -> str:
        """The id the conversation's result carries (the model's)."""
        return self.call.model_id

    def events(self) -> list[Event]:
        """ToolCallRequested unless announced, ToolCallFinished unless announced."""
        call = self.call
        common: dict[str, Any] = dict(tool_call_id=call.id, name=call.name, arguments_raw=call.arguments,
                                      turn=call.turn, step=call.step)
        announced: list[Event] = []
        if call.announced == UNANNOUNCED:
            announced.append(ToolCallRequested(**common, id_from_model=call.reused_id))
        if call.announced != FINISHED:
            announced.append(ToolCallFinished(**common, status=self.status, result=self.text))
        return announced


def close_unanswered(
    calls: Iterable[OpenCall], why: str, recorded: Callable[[str], LedgerEntry | None]
) -> list[Closing]:
    """A result for every open call; ``recorded`` gives the ledger's entry for a harness id."""
    return [_closing(call, why, recorded(call.id)) for call in calls]


def _closing(call: OpenCall, why: str, entry: LedgerEntry | None) -> Closing:
    if entry is None or (call.name and entry.tool != call.name):
        return Closing(call, NOT_RUN, ToolStatus.CANCELLED, f"Not run: {why}.")
    if entry.status == DONE and entry.result is not None:
        text = str(entry.result.get("text", ""))
        return Closing(call, RAN, _recorded_status(entry.result),
                       f"[it ran, but its result was not delivered ({why})]\n{text}")
    return Closing(
        call,
        UNKNOWN,
        ToolStatus.UNKNOWN,
        f"May have run; outcome unknown: `{entry.tool}` started, but its result was never recorded ({why}). "
        "No output was captured. Check its effects before running it again.",
        (Notice(level="warning", message=f"`{entry.tool}` may have run; its outcome is unknown ({why}). "
                                        "Check the workspace.", detail=f"tool call {call.id}"),),
    )


def _recorded_status(result: dict[str, Any]) -> ToolStatus:
    if result.get("timed_out"):
        return ToolStatus.TIMEOUT
    return ToolStatus.TOOL_ERROR if result.get("is_error") else ToolStatus.OK
