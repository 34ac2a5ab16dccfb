"""``cockpit run``'s line for a failed model call says the attempt and what the retry engine did (as the README)."""

from __future__ import annotations

import io

from rich.console import Console

from app.agent.events import core as ev
from app.agent.events.resilience import AttemptFailed
from app.headless import ProgressPrinter
from storage.redact import Redactor


def _printer() -> tuple[ProgressPrinter, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, highlight=False)
    return ProgressPrinter(console, redactor=Redactor({})), out


def _failed(attempt: int, call_id: str) -> ev.ModelCallFinished:
    return ev.ModelCallFinished(call_id=call_id, attempt=attempt, status=ev.CallStatus.ERROR, error_class="rate_limit",
                                error_message="litellm.RateLimitError: slow down")


def test_a_retried_rate_limit_says_the_attempt_and_the_wait() -> None:
    printer, out = _printer()
    printer(_failed(1, "mc_a.1"))
    printer(AttemptFailed(call_id="mc_a", attempt=1, decision="retry", wait_s=2.0))
    printer(ev.ModelCallStarted(call_id="mc_a.2", attempt=2))
    printer(_failed(2, "mc_a.2"))
    printer(AttemptFailed(call_id="mc_a", attempt=2, decision="stop", reason="max_attempts"))
    lines = out.getvalue().splitlines()
    assert lines == [
        "✗ model call failed (rate_limit, attempt 1) · retrying in 2s",
        "  litellm.RateLimitError: slow down",
        "✗ model call failed (rate_limit, attempt 2) · gave up (max attempts)",
        "  litellm.RateLimitError: slow down",
    ]


def test_a_failed_call_no_decision_follows_is_still_said() -> None:
    printer, out = _printer()
    printer(_failed(1, "mc_b"))
    printer(ev.TurnFinished(outcome="failed", steps=1))
    assert out.getvalue().splitlines()[0] == "✗ model call failed (rate_limit, attempt 1)"
