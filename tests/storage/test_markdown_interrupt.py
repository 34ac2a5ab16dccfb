"""An interrupted model call in the Markdown export: the notice says it, not a retry line."""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.resilience import AttemptFailed
from storage.markdown_export import session_markdown


def _events(kind: str, reason: str) -> list[ev.Event]:
    return [
        ev.TurnStarted(turn=1, user_text="interrupt me"),
        ev.ModelCallStarted(call_id="mc_a.1", turn=1, step=1, attempt=1, model="m"),
        ev.ModelCallFinished(call_id="mc_a.1", turn=1, step=1, attempt=1, model="m",
                             status=ev.CallStatus.CANCELLED if kind == "cancelled" else ev.CallStatus.ERROR,
                             text="1. Item **1"),
        AttemptFailed(call_id="mc_a", target="m", attempt=1, error_kind=kind, error_class=kind,
                      decision="stop", reason=reason),
        ev.Interrupted(turn=1),
        ev.TurnFinished(turn=1, outcome="interrupted", steps=1),
    ]


def test_an_interrupted_call_is_no_retry_that_gave_up():
    markdown = session_markdown(["# s"], _events("cancelled", "cancelled"))
    assert "Retry" not in markdown and "gave up" not in markdown
    assert "1. Item **1" in markdown and "Interrupted." in markdown


def test_a_call_that_failed_for_good_still_says_so():
    markdown = session_markdown(["# s"], _events("terminal", "terminal"))
    assert "> ↻ Retry: attempt 1 of 3 on m failed (terminal); gave up (terminal)" in markdown
