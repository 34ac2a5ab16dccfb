"""A session as Markdown, folded from its stored events through the vocabulary's views.

The transcript comes from :class:`~app.agent.events.transcript_view.TranscriptFold` (the
fold the live transcript, resume and replay use), the retries and loop checks from
:class:`~app.agent.events.retries_view.RetriesReducer` (the Retries pane's). Each is
written where it happened:

* ``## User`` — the task;
* ``## Assistant`` — what answered it: the text, each tool call with its status, duration
  and result, each failed model call and retry (attempt, error class, wait, what followed),
  each loop detection (warned or halted). The heading opens with the first of these, so it
  is never empty: a reply that only called tools shows the calls under it;
* notices and the end of each turn, as quotes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.agent.events import transcript_view as tv
from app.agent.events.core import Event
from app.agent.events.format import count_of, duration, retry_tax, token_totals, tool_outcomes
from app.agent.events.resilience import AttemptFailed
from app.agent.events.retries_view import AttemptRow, LoopHit, RetriesReducer, RetriesState
from app.agent.events.subagents import delegation_line

CANCELLED = "cancelled"  # the error kind of an attempt the user interrupted (AttemptFailed.error_kind)
SPEAKS = {tv.ANSWER, tv.TOOL, tv.MODEL_ERROR}  # entries that are the assistant's turn to speak
USER_HEADING = "## User"


@dataclass(frozen=True)
class _Block:
    position: int  # of the event that made it: blocks are written in the order things happened
    lines: list[str]
    speaks: bool  # opens ``## Assistant`` after a user's task


def fence(text: str, lang: str = "") -> str:
    marker = "```"
    while marker in text:
        marker += "`"
    return f"{marker}{lang}\n{text.rstrip()}\n{marker}\n"


def session_markdown(header: Sequence[str], events: Iterable[Event]) -> str:
    """The Markdown of a session: ``header`` lines (title and facts), then its events, folded."""
    fold, reducer = tv.TranscriptFold(), RetriesReducer()
    harness: list[_Block] = []
    for position, event in enumerate(events):
        fold.apply(event)
        harness += _harness_blocks(reducer, event, position)
    blocks = sorted([*(_entry_block(entry) for entry in fold.entries), *harness], key=lambda b: b.position)
    lines = [*header, *_retry_summary(reducer.state), ""]
    speaker = ""
    for block in blocks:
        if not block.lines:
            continue
        if block.lines[0] == USER_HEADING:
            speaker = tv.USER
        elif block.speaks and speaker == tv.USER:
            lines += ["## Assistant", ""]
            speaker = tv.ANSWER
        lines += block.lines
    return "\n".join(lines).rstrip() + "\n"



def _entry_block(entry: tv.Entry) -> _Block:
    return _Block(entry.index, _ENTRY_LINES.get(entry.kind, _nothing)(entry), entry.kind in SPEAKS)


def _nothing(entry: tv.Entry) -> list[str]:
    return []


def _user(entry: tv.Entry) -> list[str]:
    return [USER_HEADING, "", entry.text, ""]


def _answer(entry: tv.Entry) -> list[str]:
    if not entry.text:
        return []
    if entry.interrupted:
        return [entry.text, "", "_(interrupted by the user: this text is what arrived before)_", ""]
    if entry.failed:
        return [entry.text, "", "_(the model call failed: this text is what arrived before)_", ""]
    return [entry.text, ""]


def _tool(entry: tv.Entry) -> list[str]:
    facts = [entry.status or "requested"]
    if entry.exit_code is not None:
        facts.append(f"exit {entry.exit_code}")
    if entry.duration_ms is not None:
        facts.append(duration(entry.duration_ms / 1000))
    if entry.note:
        facts.append(entry.note)
    lines = [f"**Tool call** `{entry.name}` — {' · '.join(facts)}", ""]
    if entry.arguments:
        lines.append(fence(entry.arguments, "json"))
    if entry.result:
        lines += ["Result:", "", fence(entry.result)]
    return lines


def _model_error(entry: tv.Entry) -> list[str]:
    message = f": {entry.text}" if entry.text else ""
    return [f"> ✗ Model call failed ({entry.name}, {entry.status}){message}", ""]


def _notice(entry: tv.Entry) -> list[str]:
    detail = f" — {entry.detail}" if entry.detail else ""
    mark = {"warning": "⚠ ", "error": "✗ "}.get(entry.level, "")
    return [f"> {mark}{entry.text}{detail}", ""]


def _turn_end(entry: tv.Entry) -> list[str]:
    return [f"_Turn {entry.turn}: {entry.status} · {count_of(entry.steps, 'step')}_", ""]


def _session_end(entry: tv.Entry) -> list[str]:
    reason = f" ({entry.text})" if entry.text else ""
    return [f"_Session ended: {entry.status}{reason}_", ""]


def _delegation(entry: tv.Entry) -> list[str]:
    if entry.delegation is None:
        return []
    title, detail = delegation_line(entry.delegation)
    return [f"> {title}" + (f" — {detail}" if detail else ""), ""]


_ENTRY_LINES = {
    tv.USER: _user, tv.ANSWER: _answer, tv.TOOL: _tool, tv.MODEL_ERROR: _model_error,
    tv.NOTICE: _notice, tv.TURN_END: _turn_end, tv.SESSION_END: _session_end, tv.DELEGATION: _delegation,
}


def _harness_blocks(reducer: RetriesReducer, event: Event, position: int) -> list[_Block]:
    """What the Retries view gained from ``event``: a retry row or a loop detection, as a block."""
    state = reducer.state
    last_row = state.attempts[0] if state.attempts else None
    last_hit = state.loop_hits[0] if state.loop_hits else None
    reducer.apply(event)
    if isinstance(event, AttemptFailed) and event.error_kind == CANCELLED:  # an interrupt, not a retry: its notice says it
        return []
    blocks = []
    if state.attempts and state.attempts[0] is not last_row and _worth_saying(state.attempts[0]):
        blocks.append(_Block(position, [_attempt_line(state.attempts[0]), ""], True))
    if state.loop_hits and state.loop_hits[0] is not last_hit:
        blocks.append(_Block(position, [_loop_line(state.loop_hits[0]), ""], True))
    return blocks


def _worth_saying(row: AttemptRow) -> bool:
    """A first try that worked is every ordinary call: only retries, their outcome and fallbacks are news."""
    return bool(row.error_class) or row.attempt > 1 or row.fallback


def _attempt_line(row: AttemptRow) -> str:
    of = f" of {row.max_attempts}" if row.max_attempts else ""
    target = f" on {row.target}" if row.target else ""
    if not row.error_class:
        return f"> ↻ Attempt {row.attempt}{of}{target} succeeded{' (fallback model)' if row.fallback else ''}"
    then = {"retry": f"waited {duration(row.wait_s)}, then retried", "fallback": "went to the fallback model",
            "paused": "paused: the breaker is open"}.get(row.outcome, f"gave up ({row.outcome.removeprefix('stop:')})")
    return f"> ↻ Retry: attempt {row.attempt}{of}{target} failed ({row.error_class}); {then}"


def _loop_line(hit: LoopHit) -> str:
    what = "Loop halted" if hit.action == "halt" else "Loop detected (the model was warned)"
    tool = f", `{hit.tool}`" if hit.tool else ""
    return f"> ■ {what} — {hit.pattern}{tool}: {hit.message}"


def _retry_summary(state: RetriesState) -> list[str]:
    """One header line on retries and loop checks, when there were any."""
    halted = sum(hit.action == "halt" for hit in state.loop_hits)
    warned = len(state.loop_hits) - halted
    if not (state.retries or state.loop_hits or state.short_circuited):
        return []
    attempts = state.first_tries + state.retries
    tax = retry_tax(state.tax_usd if state.tax_priced else None, state.tax_tokens, state.tax_estimated)
    return [f"- Retries: {count_of(state.retries, 'retry', 'retries')} in {count_of(state.first_tries, 'call')} "
            f"({count_of(attempts, 'attempt')}) · retry tax: {tax} · loop checks: {warned} warned, {halted} halted"]


def header_lines(summary: dict[str, Any], cost: str) -> list[str]:
    """The title and the session's facts (from ``storage.queries.session_summary``)."""
    s = summary
    return [
        f"# {s['title'] or 'Untitled session'}",
        "",
        f"- Session: `{s['id']}` ({s['source']})",
        f"- Model: {s['model']}",
        f"- Workspace: {s['workspace']}",
        f"- Started: {s['started_at']} · Status: **{s['status']}**",
        f"- Model calls: {count_of(s['model_calls'], 'attempt')} · Tool calls: {s['tool_calls']} "
        f"({tool_outcomes(s)})",
        f"- Tokens: {token_totals(s['tokens_in'], s['tokens_out'], s['tokens_cached'])} · Cost: {cost}",
    ]
