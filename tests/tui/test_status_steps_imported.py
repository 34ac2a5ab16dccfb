"""The status bar's step count of a session whose calls were recorded without their starts (an import)."""

from __future__ import annotations

from app.agent.events import core as ev
from widgets.session_stats import SessionStats


def _finished(call_id: str, attempt: int = 1, role: str = ev.ROLE_MAIN) -> ev.ModelCallFinished:
    return ev.ModelCallFinished(call_id=call_id, attempt=attempt, role=role,
                                usage={"prompt_tokens": 18_000, "completion_tokens": 100})


def test_an_imported_sessions_calls_are_its_steps_and_a_resumed_one_counts_on():
    imported = [ev.SessionStarted(session_id="cx-1", model="gpt-5.5", workspace="/w"), ev.TurnStarted(turn=1),
                _finished("cx-1:mc0001"), _finished("cx-1:mc0002"), ev.TurnFinished(turn=1)]
    stats = SessionStats.restored(imported)
    assert (stats.steps, stats.tokens_in) == (2, 36_000)

    stats.apply(ev.ModelCallStarted(call_id="mc_a.1", attempt=1, model="m"), 0)  # the resumed run's own call
    stats.apply(ev.ModelCallStarted(call_id="mc_a.2", attempt=2, model="m"), 1)  # its retry
    stats.apply(_finished("mc_a.2", attempt=2), 2)
    stats.apply(_finished("mc_s.1", role=ev.ROLE_SUMMARY), 3)  # a summary is not a step
    assert stats.steps == 3
