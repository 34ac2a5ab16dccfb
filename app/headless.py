"""``cockpit run``: readable progress with rich, or one JSON event per line.

Both printers write through the same redactor as the store
(``storage.redact.Redactor``): no secret value reaches the terminal or a pipe.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from app.agent.events import core as ev
from app.agent.events.hooks import HookRan, hook_line
from app.agent.events.approvals import SANDBOX_ESCALATION
from app.agent.events.format import CostTally, cost_total, duration
from app.agent.events.mentions import FileAttached
from app.agent.events.resilience import AttemptFailed
from app.agent.events.roles import RoleDecision, decision_line
from storage.redact import Redactor


class JsonLinesPrinter:
    """Every event (stream deltas included) as one JSON object per line."""

    def __init__(self, out: TextIO | None = None, *, redactor: Redactor | None = None) -> None:
        self.out = out or sys.stdout
        self.redactor = redactor or Redactor.from_environment()

    def __call__(self, event: ev.Event) -> None:
        data = self.redactor.scrub(event.to_dict())
        self.out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
        self.out.flush()


class ProgressPrinter:
    """Streamed text, one line per tool call, notices, and a closing summary.

    The summary counts this run; a resumed session's says so ("this run: …") and
    :meth:`session_totals` prints what the whole session has used so far."""

    def __init__(self, console: Any | None = None, *, redactor: Redactor | None = None) -> None:
        from rich.console import Console

        self.console = console or Console(highlight=False)
        # rich answers a closed pipe with SystemExit(1), past the bus: say it as it is, so the run
        # stops as a failed output and exits 141 like every command whose reader went away.
        self.console.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
        self.redactor = redactor or Redactor.from_environment()
        self.streaming = False
        self.started = time.monotonic()
        self.tokens_in = self.tokens_out = 0
        self.counted = self.estimated = False  # some call had token counts; some of them were Cockpit's estimate
        self.cost = CostTally()
        self.model_calls = 0
        self.tool_calls = 0
        self.tool_failures = 0
        self.tool_denials = 0  # refused (a rule, the user, a PreToolUse hook): they never ran, so did not fail
        self.resumed = False
        self.unsandboxed: set[str] = set()  # calls allowed to run once outside the sandbox
        self.telemetry_told = False  # spans that did not reach the collector were said
        self.failed_call: ev.ModelCallFinished | None = None  # its line waits for what the retry engine does

    def __call__(self, event: ev.Event) -> None:
        if self.failed_call is not None and not isinstance(event, AttemptFailed):
            self._failed_call_line("")  # no decision followed (a call outside the retry engine)
        handler = getattr(self, f"on_{event.type}", None)
        if handler is not None:
            handler(event)

    def _clean(self, value: Any) -> str:
        """A value for a markup line: secrets out (``[redacted:NAME]``), brackets not read as markup."""
        from rich.markup import escape

        return escape(self.redactor.scrub_text(str(value)))

    def _end_stream(self) -> None:
        if self.streaming:
            self.console.file.write("\n")
            self.streaming = False

    def on_session_started(self, e: ev.SessionStarted) -> None:
        self.resumed = e.resumed
        self.console.print(f"[dim]cockpit · session {e.session_id} · {self._clean(e.model)} · {self._clean(e.workspace)}[/dim]")

    def on_text_delta(self, e: ev.TextDelta) -> None:
        self.console.file.write(self.redactor.scrub_text(e.text))  # a secret split over two deltas too
        self.console.file.flush()
        self.streaming = True

    def on_model_call_finished(self, e: ev.ModelCallFinished) -> None:
        self._end_stream()
        self.model_calls += 1
        self.tokens_in += int(e.usage.get("prompt_tokens") or 0)
        self.tokens_out += int(e.usage.get("completion_tokens") or 0)
        source = ev.usage_source(e.usage)
        self.counted = self.counted or source != ev.USAGE_NONE
        self.estimated = self.estimated or source == ev.USAGE_ESTIMATED
        self.cost.add(e.cost_usd, ok=e.status is ev.CallStatus.OK)
        if e.status is ev.CallStatus.ERROR:
            self.failed_call = e  # said with the retry engine's decision, which comes next

    def on_resilience_attempt_failed(self, e: AttemptFailed) -> None:
        """``✗ model call failed (rate_limit, attempt 1) · retrying in 2s``, as the transcript says it; the error below."""
        from app.agent.events.transcript_view import attempt_note

        self._failed_call_line(attempt_note(e))

    def _failed_call_line(self, note: str) -> None:
        e, self.failed_call = self.failed_call, None
        if e is None:
            return
        follow = f" · {note}" if note else ""
        self.console.print(f"[red]✗ model call failed ({self._clean(e.error_class or 'error')}, attempt {e.attempt}){follow}[/red]")
        if e.error_message:
            self.console.print(f"  [dim]{self._clean(_one_line(e.error_message, 110))}[/dim]")

    def on_approval_resolved(self, e: ev.ApprovalResolved) -> None:
        if e.decision == "deny":
            self.console.print(f"[yellow]⊘ {e.name} refused: {self._clean(e.reason)}[/yellow]")
        elif e.kind == SANDBOX_ESCALATION:
            self.unsandboxed.add(e.tool_call_id)

    def on_tool_call_finished(self, e: ev.ToolCallFinished) -> None:
        self._end_stream()
        self.tool_calls += 1
        ok = e.status is ev.ToolStatus.OK
        denied = e.status is ev.ToolStatus.DENIED
        self.tool_denials += denied
        self.tool_failures += not ok and not denied
        args = e.arguments if e.arguments is not None else e.arguments_raw
        summary = self._clean(_one_line(json.dumps(args, ensure_ascii=False) if not isinstance(args, str) else args, 70))
        mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
        where = " [bold yellow]unsandboxed[/bold yellow]" if e.tool_call_id in self.unsandboxed else ""
        self.console.print(f"{mark} {e.name} {summary}{where} [dim]{e.status.value} · {duration(e.duration_ms / 1000)}[/dim]")
        if not ok and e.error:
            self.console.print(f"  [dim]{self._clean(_one_line(e.error, 110))}[/dim]")

    def on_file_attached(self, e: FileAttached) -> None:
        """An ``@path`` of the task: the transcript's line (attached, tokens; or refused, why)."""
        from app.agent.events.transcript_view import attachment_line

        style = "dim" if e.attached and not e.truncated else "yellow"
        note = f" ({self._clean(e.note)})" if e.note else ""
        self.console.print(f"[{style}]{self._clean(attachment_line(e))}{note}[/{style}]")

    def on_instructions_loaded(self, e: ev.InstructionsLoaded) -> None:
        """The project instruction files, as the transcript's line says them (files, tokens; what a reload changed)."""
        from app.agent.events.transcript_view import instructions_line

        self._end_stream()
        self.console.print(f"[dim]{self._clean(instructions_line(e))}[/dim]")
        for note in e.notes:
            self.console.print(f"  [yellow]{self._clean(note)}[/yellow]")

    def on_notice(self, e: ev.Notice) -> None:
        self._end_stream()
        style = {"error": "red", "warning": "yellow"}.get(e.level, "cyan")
        self.console.print(f"[{style}]{self._clean(e.message)}[/{style}]")

    def on_hook_ran(self, e: HookRan) -> None:
        line = hook_line(e)  # a hook that blocked, failed or timed out, as the transcript says it
        if line is not None:
            self._end_stream()
            text, detail, _ = line
            self.console.print(f"[yellow]{self._clean(text)}[/yellow]\n  [dim]{self._clean(detail)}[/dim]")

    def on_role_decision(self, e: RoleDecision) -> None:
        """A route, a verification round, an escalation (``app.agent.roles``), as the transcript says it."""
        self._end_stream()
        text, detail, level = decision_line(e)
        style = "yellow" if level == "warning" else "cyan"
        more = f"\n  [dim]{self._clean(detail)}[/dim]" if detail else ""
        self.console.print(f"[{style}]{self._clean(text)}[/{style}]{more}")

    on_route_chosen = on_verification_finished = on_role_escalated = on_role_decision

    def on_telemetry_dropped(self, e: Any) -> None:
        """Said once: spans are not reaching the collector (the run goes on; the count is in the Retries pane)."""
        if not self.telemetry_told:
            self.telemetry_told = True
            self._end_stream()
            self.console.print(f"[yellow]OpenTelemetry: {e.dropped} spans did not reach {self._clean(e.endpoint)} "
                               "(collector down or slow); the run goes on[/yellow]")

    def on_limit_reached(self, e: ev.LimitReached) -> None:
        self._end_stream()
        self.console.print(f"[yellow]■ {self._clean(e.message)}[/yellow]")

    def on_interrupted(self, e: ev.Interrupted) -> None:
        self._end_stream()
        self.console.print("[yellow]■ interrupted[/yellow]")

    def on_turn_finished(self, e: ev.TurnFinished) -> None:
        self._end_stream()
        elapsed = time.monotonic() - self.started
        run = "this run: " if self.resumed else ""  # a resumed session's totals follow (session_totals)
        self.console.print(
            f"{run}[bold]{OUTCOME_WORDS.get(e.outcome, e.outcome)}[/bold] · {_count(e.steps, 'step')} · "
            f"{_count(self.model_calls, 'model call')} · "
            f"{_count(self.tool_calls, 'tool call')} ({_failed_denied(self.tool_failures, self.tool_denials)}) · "
            f"{self._tokens()} · {self.cost.text()} · {duration(elapsed)}"
        )

    def _tokens(self) -> str:
        """``1,693 in / 44 out tokens``; ``≈`` before Cockpit's estimates; ``no token counts`` when no call had any."""
        if not self.counted:
            return "no token counts"
        approx = "≈" if self.estimated else ""
        return f"{approx}{self.tokens_in:,} in / {approx}{self.tokens_out:,} out tokens"

    def session_totals(self, summary: dict[str, Any]) -> None:
        """A resumed session's totals over every run (``storage.queries.session_summary``)."""
        self.console.print(
            f"session {summary['id'][:8]}, all runs: {_count(summary['steps'], 'step')} · "
            f"{_count(summary['model_calls'], 'model call')} · {_count(summary['tool_calls'], 'tool call')} "
            f"({_failed_denied(summary['tool_calls_failed'], summary.get('tool_calls_denied') or 0)}) · {summary['tokens_in']:,} in / {summary['tokens_out']:,} out tokens · "
            f"{cost_total(summary['cost_usd'], unpriced=summary.get('unpriced_calls') or 0)}",
            soft_wrap=True,  # one line, whatever the width: scripts read it
        )


# The summary's word for a turn's outcome, where the bare one would not say enough.
OUTCOME_WORDS = {ev.SessionStatus.UNVERIFIED.value: "unverified (the verification failed)"}


def _failed_denied(failed: int, denied: int) -> str:
    """``2 failed``, then ``1 denied`` when there are any (a denied call did not fail: it never ran)."""
    return f"{failed} failed" + (f", {denied} denied" if denied else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _one_line(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _broken_pipe() -> None:
    raise BrokenPipeError(32, "Broken pipe")
