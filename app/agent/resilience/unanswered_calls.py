"""Results for the tool calls a stopped turn left unanswered, told honestly.

The conversation needs one result per tool call, also when a turn stops early
(a limit, an interrupt, or a crash found when the session is resumed). What
that result says comes from the idempotency ledger's entry for the call:

* no entry: the effect never started → ``Not run: <why>.``;
* ``pending``: the effect started and its outcome was never recorded (the
  process died mid-call, or the call was cancelled) → it may have run, its
  outcome is unknown; the user gets a warning too;
* ``done``: it ran, but its result never reached the conversation → that
  recorded result.

A call without side effects never has an entry, and nothing it did needs undoing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.agent.events.core import Notice
from app.agent.resilience.idempotency import DONE, LedgerEntry

NOT_RUN = "not_run"
UNKNOWN = "unknown"  # may have run
RAN = "ran"


@dataclass(frozen=True)
class Closing:
    tool_call_id: str
    outcome: str  # not_run | unknown | ran
    text: str  # the tool result the model gets
    notices: tuple[Notice, ...] = ()  # for the user: a warning when the outcome is unknown


def close_unanswered(
    messages: list[dict[str, Any]], why: str, recorded: Callable[[str], LedgerEntry | None]
) -> list[Closing]:
    """A result for every tool call of the last assistant message that has none yet."""
    answered = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
    last: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "assistant"), {})
    calls = [c for c in last.get("tool_calls") or [] if c["id"] not in answered]
    return [_closing(call["id"], call.get("function", {}).get("name", ""), why, recorded(call["id"]))
            for call in calls]


def _closing(call_id: str, name: str, why: str, entry: LedgerEntry | None) -> Closing:
    if entry is None or (name and entry.tool != name):
        return Closing(call_id, NOT_RUN, f"Not run: {why}.")
    if entry.status == DONE and entry.result is not None:
        text = str(entry.result.get("text", ""))
        return Closing(call_id, RAN, f"[it ran, but its result was not delivered ({why})]\n{text}")
    return Closing(
        call_id,
        UNKNOWN,
        f"May have run; outcome unknown: `{entry.tool}` started, but its result was never recorded ({why}). "
        "No output was captured. Check its effects before running it again.",
        (Notice(level="warning", message=f"`{entry.tool}` may have run; its outcome is unknown ({why}). "
                                        "Check the workspace.", detail=f"tool call {call_id}"),),
    )
